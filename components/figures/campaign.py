"""Campaign figures: this season against last on the same lunar day, attainment bars a president reads
in ten seconds, and the three visit rounds by status."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.figures.text import plain_label
from components.figures.theme import AREA_COLOURS, NEGATIVE, NEUTRAL, POSITIVE, apply_layout

STATUS_COLOURS = {"on_time": POSITIVE, "late": "#bf8700", "missed": NEGATIVE, "due": "#1f6feb",
                  "upcoming": "#afb8c1", "not_returned": "#eaeef2"}
EVENT_BAND = "rgba(207, 34, 46, 0.08)"


def season_curves(curves: pd.DataFrame, target: float, labels: dict[str, str], events_offsets: tuple[int, int] = (5, 7),
                  title: str | None = None) -> go.Figure:
    """Cumulative deposits by day relative to the festival, this season (solid) against last (dotted),
    with the target, the festival (day 0) and the township-event days (初六-初八) marked."""
    figure = go.Figure()
    for which, dash, colour in (("last", "dot", NEUTRAL), ("this", "solid", AREA_COLOURS["campaign"])):
        part = curves[curves["which"] == which]
        if part.empty:
            continue
        figure.add_scatter(x=part["lunar_offset"].to_numpy(), y=part["cumulative"].to_numpy(), mode="lines",
                           name=labels[which].format(season=int(part["season"].iloc[0])),
                           line={"color": colour, "width": 3 if which == "this" else 2, "dash": dash})
    if target > 0:
        figure.add_hline(y=target, line={"color": "#1f6feb", "dash": "dash"}, annotation_text=labels["target"],
                         annotation_position="top left")
    figure.add_vline(x=0, line={"color": NEUTRAL, "width": 1})
    figure.add_annotation(x=0, y=1.0, yref="paper", text=labels["festival"], showarrow=False, xanchor="left")
    figure.add_vrect(x0=events_offsets[0] - 0.5, x1=events_offsets[1] + 0.5, fillcolor=EVENT_BAND, line_width=0,
                     layer="below")
    figure.update_xaxes(title_text=labels["axis_day"])
    figure.update_yaxes(title_text=labels["axis_amount"], rangemode="tozero")
    return apply_layout(figure, title, height=420)


def attainment_bars(table: pd.DataFrame, name_column: str, labels: dict[str, str], overall: float | None = None,
                    lagging_ratio: float = 0.8, limit: int = 25, title: str | None = None) -> go.Figure:
    """Attainment per village or staff member, worst at the top; red when lagging behind the peers."""
    shown = table[table["deposit_target"] > 0].sort_values("attainment").head(limit).iloc[::-1]
    names = shown[name_column].astype(str)
    if names.duplicated(keep=False).any() and "branch_name" in shown:
        twins = names.duplicated(keep=False)
        names = names.where(~twins, names + "（" + shown["branch_name"].astype(str).str.removesuffix("支行") + "）")
    behind = (shown["attainment"] < lagging_ratio * overall) if overall else pd.Series(False, index=shown.index)
    colours = [NEGATIVE if flag else POSITIVE for flag in behind]
    attainment = shown["attainment"].to_numpy()  # arrays, not Series: plotly converts a Series through narwhals
    figure = go.Figure(go.Bar(
        x=attainment, y=names.map(plain_label).to_numpy(), orientation="h", marker_color=colours,
        text=attainment, texttemplate="%{text:.0%}",
        customdata=shown[["deposited", "deposit_target", "gap"]].to_numpy(),
        hovertemplate=labels["hover"] + "<extra></extra>",
    ))
    if overall:
        figure.add_vline(x=overall, line={"color": NEUTRAL, "dash": "dash"}, annotation_text=labels["overall"])
    figure.update_xaxes(title_text=labels["axis"], tickformat=".0%")
    figure.update_layout(hovermode="closest")
    return apply_layout(figure, title, height=max(260, 26 * len(shown) + 90))


def visit_rounds(summary: pd.DataFrame, labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Each visit round as one stacked bar: on time, late, missed, due, upcoming, worker not home."""
    figure = go.Figure()
    rounds = [labels[f"round{r}"] for r in summary["visit_round"]]
    for status, colour in STATUS_COLOURS.items():
        if status in summary:
            figure.add_bar(y=rounds, x=summary[status].to_numpy(), name=labels[status], orientation="h",
                           marker_color=colour)
    figure.update_layout(barmode="stack", hovermode="closest")
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(title_text=labels["axis"])
    return apply_layout(figure, title, height=260)


def sms_conversion(funnel: dict, labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Conversion of SMS repliers against non-repliers: why only replies count."""
    values = [funnel.get("replier_conversion") or 0.0, funnel.get("silent_conversion") or 0.0]
    figure = go.Figure(go.Bar(x=[labels["repliers"], labels["silent"]], y=values,
                              marker_color=[POSITIVE, NEUTRAL], text=values, texttemplate="%{text:.0%}"))
    figure.update_yaxes(tickformat=".0%", title_text=labels["axis"], rangemode="tozero")
    figure.update_layout(hovermode="closest")
    return apply_layout(figure, title, height=300)
