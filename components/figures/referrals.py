"""Referral figures: the leaderboard with the viewer's own bar marked, the funnel, channels and 转介."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures.text import plain_label
from components.figures.theme import AREA_COLOURS, NEGATIVE, NEUTRAL, POSITIVE, apply_layout

OWN_COLOUR = "#0b3d91"
OTHER_COLOUR = AREA_COLOURS["referrals"]


def leaderboard_bars(
    board: pd.DataFrame, value_column: str, name_column: str, axis_title: str, own_mask: pd.Series | None = None,
    top_n: int = 15, title: str | None = None,
) -> go.Figure:
    """The top `top_n` by `value_column` as horizontal bars, best on top; the viewer's own bar in dark
    blue (added below the top when they are not in it) so they find themselves at a glance."""
    mask = own_mask if own_mask is not None else pd.Series(False, index=board.index)
    top = board.head(top_n)
    own_outside = board[mask & ~board.index.isin(top.index)]
    shown = pd.concat([top, own_outside])
    own = mask.reindex(shown.index, fill_value=False)
    labels = [f"{int(r)}. {plain_label(n)}" for r, n in zip(shown["rank"], shown[name_column], strict=True)]
    values = shown[value_column].to_numpy()[::-1]  # arrays, not Series: plotly converts a Series through narwhals
    figure = go.Figure(go.Bar(
        x=values, y=labels[::-1], orientation="h",
        marker_color=[OWN_COLOUR if o else OTHER_COLOUR for o in own[::-1]],
        text=values, texttemplate="%{text:,.0f}", hovertemplate="%{y}: %{x:,.2f}<extra></extra>",
    ))
    figure.update_xaxes(title_text=axis_title)
    figure.update_layout(hovermode="closest", showlegend=False)
    return apply_layout(figure, title, height=max(260, 26 * len(shown) + 90))


def funnel_chart(funnel: pd.DataFrame, stage_labels: dict[str, str], title: str | None = None) -> go.Figure:
    """Click → register → participate → convert, each with its share of the clicks."""
    figure = go.Figure(go.Funnel(
        y=[stage_labels.get(s, plain_label(s)) for s in funnel["stage"]], x=funnel["people"],
        textinfo="value+percent initial+percent previous", marker={"color": OTHER_COLOUR},
    ))
    figure.update_layout(hovermode="closest")
    return apply_layout(figure, title, height=360)


def channel_chart(channels: pd.DataFrame, channel_labels: dict[str, str], labels: dict[str, str],
                  title: str | None = None) -> go.Figure:
    """Shares and clicks per channel as bars, click-to-conversion rate as dots on the right axis."""
    names = [channel_labels.get(c, plain_label(c)) for c in channels["channel"]]
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(x=names, y=channels["shares"], name=labels["shares"], marker_color=NEUTRAL)
    figure.add_bar(x=names, y=channels["clicks"], name=labels["clicks"], marker_color=OTHER_COLOUR)
    figure.add_scatter(x=names, y=channels["click_to_conversion"], name=labels["rate"], mode="markers+text",
                       marker={"size": 14, "color": OWN_COLOUR}, text=channels["click_to_conversion"],
                       texttemplate="%{text:.1%}", textposition="top center", secondary_y=True)
    figure.update_yaxes(title_text=labels["count_axis"], secondary_y=False)
    figure.update_yaxes(title_text=labels["rate"], tickformat=".0%", secondary_y=True, showgrid=False, rangemode="tozero")
    figure.update_layout(barmode="group")
    return apply_layout(figure, title, height=380)


def internal_referral_bars(table: pd.DataFrame, labels: dict[str, str], top_n: int = 15,
                           title: str | None = None) -> go.Figure:
    """Per referrer (most referrals first): converted, accepted not yet converted, pending and lost, stacked."""
    top = table.head(top_n).iloc[::-1]
    names = top["staff_name"].map(plain_label) + "（" + top["branch_name"].map(plain_label) + "）"
    figure = go.Figure()
    parts = [("converted", top["converted"], POSITIVE), ("accepted", top["accepted"] - top["converted"], OTHER_COLOUR),
             ("pending", top["pending"], NEUTRAL), ("lost", top["lost"], NEGATIVE)]
    for key, values, colour in parts:
        figure.add_bar(x=values, y=names, name=labels[key], orientation="h", marker_color=colour)
    figure.update_xaxes(title_text=labels.get("axis", ""))
    figure.update_layout(barmode="stack", hovermode="y unified")
    return apply_layout(figure, title, height=max(260, 26 * len(top) + 100))
