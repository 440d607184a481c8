"""Relationship-network figures: the network drawing and the influence bars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.figures.text import plain_label
from components.figures.theme import AREA_COLOURS, NEUTRAL, apply_layout

CIRCLE_PALETTE = ["#8250df", "#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#0598bc", "#e16f24", "#bf3989",
                  "#6e7781", "#1b7c83"]
OTHER_CIRCLES = "#c9ced6"
KIND_COLOURS = {
    "family": "#cf222e", "neighbour": "#8c959f", "village": "#2da44e", "workplace": "#1f6feb",
    "colleague": "#0598bc", "referral": "#bf8700", "group": "#bf3989",
}
PROSPECT_COLOUR = "#e16f24"
CUSTOMER_COLOUR = AREA_COLOURS["graph"]
MAX_COLOURED_CIRCLES = 8
MAX_LABELS = 12


def node_sizes(influence: pd.Series, smallest: float = 7.0, largest: float = 32.0) -> np.ndarray:
    """Marker sizes by influence: the square root keeps a few giants from dwarfing everyone."""
    values = influence.clip(lower=0).to_numpy(float)
    top = values.max() if len(values) else 0.0
    if top <= 0:
        return np.full(len(values), smallest)
    return smallest + (largest - smallest) * np.sqrt(values / top)


def _symbols(nodes: pd.DataFrame) -> list[str]:
    """Key persons are stars, prospects hollow: star / star-open / circle / circle-open."""
    key = nodes["roles"].astype(str).str.len() > 0
    shape = np.where(key, "star", "circle")
    return [f"{s}-open" if p else s for s, p in zip(shape, nodes["is_prospect"], strict=True)]


def _role_text(roles: str, labels: dict[str, str]) -> str:
    return "、".join(labels.get(f"role.{r}", plain_label(r)) for r in str(roles).split(",") if r)


def _label(name: str, roles: str, labels: dict[str, str]) -> str:
    """A key person's label on the drawing: name and up to two roles."""
    return f"<b>{plain_label(name)}</b>·" + "/".join(_role_text(roles, labels).split("、")[:2])


def _hover(nodes: pd.DataFrame, labels: dict[str, str]) -> list[str]:
    lines = []
    for row in nodes.itertuples(index=False):
        status = labels["prospect"] if row.is_prospect else labels["customer"]
        roles = _role_text(row.roles, labels)
        text = f"<b>{plain_label(row.name)}</b> · {status}"
        if roles:
            text += f"<br>{labels['key_person']}: {roles}"
        text += (f"<br>{labels['influence']}: {row.influence:.2f}<br>{labels['ties']}: {row.ties}"
                 f"<br>{labels['deposit']}: {row.deposit_balance:,.0f}")
        lines.append(text)
    return lines


def _edge_trace(edges: pd.DataFrame, colour: str, name: str, width: float, show_legend: bool) -> go.Scatter:
    xs = np.column_stack([edges["x0"], edges["x1"], np.full(len(edges), np.nan)]).ravel()
    ys = np.column_stack([edges["y0"], edges["y1"], np.full(len(edges), np.nan)]).ravel()
    return go.Scatter(x=xs, y=ys, mode="lines", line={"color": colour, "width": width}, hoverinfo="skip",
                      name=name, showlegend=show_legend, opacity=0.55)


def _node_trace(nodes: pd.DataFrame, colour: str | list[str], name: str, labels: dict[str, str]) -> go.Scatter:
    return go.Scatter(
        x=nodes["x"], y=nodes["y"], mode="markers", name=name,
        marker={"size": nodes["size"], "color": colour,
                "symbol": _symbols(nodes), "line": {"width": 1.6, "color": colour if isinstance(colour, str) else "white"},
                "opacity": 0.95},
        text=_hover(nodes, labels), hovertemplate="%{text}<extra></extra>", customdata=nodes["customer_id"],
    )


def network_figure(nodes: pd.DataFrame, edges: pd.DataFrame, labels: dict[str, str], color_by: str = "community",
                   title: str | None = None, height: int = 640) -> go.Figure:
    """The network at a glance: one dot per person sized by influence; key persons as labelled
    stars (the twelve most influential named); prospects hollow. `color_by` "community" colours the largest circles (the rest grey),
    "kind" colours the ties by relationship kind."""
    figure = go.Figure()
    is_key = nodes["roles"].astype(str).str.len() > 0
    # customers first (the legend shows a trace's first symbol), then prospects, stars last (on top)
    nodes = nodes.assign(size=node_sizes(nodes["influence"]), _order=is_key.astype(int) * 2 + nodes["is_prospect"].astype(int))
    nodes = nodes.sort_values(["_order", "customer_id"], kind="stable")
    if color_by == "kind":
        for kind, group in edges.groupby("kind", sort=True):
            figure.add_trace(_edge_trace(group, KIND_COLOURS.get(kind, NEUTRAL), labels.get(f"kind.{kind}", plain_label(kind)),
                                         1.4, True))
        for is_prospect, group in nodes.groupby("is_prospect", sort=True):
            colour = PROSPECT_COLOUR if is_prospect else CUSTOMER_COLOUR
            figure.add_trace(_node_trace(group, colour, labels["prospect" if is_prospect else "customer"], labels))
    else:
        figure.add_trace(_edge_trace(edges, "#afb8c1", labels["ties"], 0.8, False))
        sizes = nodes.groupby("community")["customer_id"].count().sort_values(ascending=False, kind="stable")
        coloured = list(sizes.index[:MAX_COLOURED_CIRCLES])
        for position, circle in enumerate(coloured):
            group = nodes[nodes["community"] == circle]
            figure.add_trace(_node_trace(group, CIRCLE_PALETTE[position % len(CIRCLE_PALETTE)],
                                         labels["circle"].format(n=position + 1, people=len(group)), labels))
        rest = nodes[~nodes["community"].isin(coloured)]
        if len(rest):
            figure.add_trace(_node_trace(rest, OTHER_CIRCLES, labels["other_circles"], labels))
    key = nodes[nodes["roles"].astype(str).str.len() > 0].sort_values("influence", ascending=False).head(MAX_LABELS)
    if len(key):
        figure.add_trace(go.Scatter(
            x=key["x"], y=key["y"], mode="markers+text", text=[_label(n, r, labels) for n, r in
                                                               zip(key["name"], key["roles"], strict=True)],
            marker={"size": key["size"], "opacity": 0}, textposition="top center",
            textfont={"size": 12, "color": "#24292f"}, hoverinfo="skip", showlegend=False))
    legend_only = [("star", labels["key_person"])] + ([] if color_by == "kind" else [("circle-open", labels["prospect"])])
    for symbol, label in legend_only:
        figure.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label,
                                    marker={"symbol": symbol, "size": 12, "color": NEUTRAL}))
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    figure = apply_layout(figure, title, height=height)
    figure.update_layout(hovermode="closest", plot_bgcolor="white")
    return figure


def influence_bars(people: pd.DataFrame, label_column: str, value_column: str, axis_title: str,
                   title: str | None = None) -> go.Figure:
    """Horizontal bars of the most influential people, the most influential at the top."""
    ordered = people.sort_values(value_column)
    figure = go.Figure(go.Bar(x=ordered[value_column], y=ordered[label_column].map(plain_label), orientation="h",
                              marker_color=CUSTOMER_COLOUR, text=ordered[value_column], texttemplate="%{text:.1f}"))
    figure.update_xaxes(title_text=axis_title)
    figure.update_layout(hovermode="closest")
    return apply_layout(figure, title, height=max(260, 26 * len(ordered) + 80))
