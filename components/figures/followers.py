"""Follower figures: the daily curve with events and drops marked, and the branch ranking."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures.text import plain_label
from components.figures.theme import AREA_COLOURS, NEGATIVE, POSITIVE, apply_layout

EVENT_BAND = "rgba(31, 111, 235, 0.13)"
DROP_BAND = "rgba(207, 34, 46, 0.10)"


def follower_curve(
    daily: pd.DataFrame, events: pd.DataFrame, drops: pd.DataFrame, labels: dict[str, str], title: str | None = None
) -> go.Figure:
    """New follows up, unfollows down, the net and its 7-day average, cumulative on the right axis;
    events as blue bands labelled with their uplift, drop episodes as red bands."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_bar(x=daily["day"], y=daily["new_follows"], name=labels["new"], marker_color=POSITIVE, opacity=0.55)
    figure.add_bar(x=daily["day"], y=-daily["unfollows"], name=labels["unfollows"], marker_color=NEGATIVE, opacity=0.55,
                   customdata=daily["unfollows"], hovertemplate="%{customdata:,}")
    figure.add_scatter(x=daily["day"], y=daily["net_follows"], name=labels["net"], mode="lines",
                       line={"color": "#8c959f", "width": 1})
    figure.add_scatter(x=daily["day"], y=daily["net_ma7"], name=labels["ma7"], mode="lines",
                       line={"color": AREA_COLOURS["followers"], "width": 3})
    figure.add_scatter(x=daily["day"], y=daily["cumulative"], name=labels["cumulative"], mode="lines",
                       line={"color": "#bf8700", "width": 2, "dash": "dot"}, secondary_y=True)
    first_day = daily["day"].min() if not daily.empty else None
    for episode in drops.itertuples(index=False):
        figure.add_vrect(x0=max(episode.start_day, first_day) if first_day is not None else episode.start_day, x1=episode.end_day + pd.Timedelta(days=1), fillcolor=DROP_BAND,
                         line_width=0, layer="below")
        figure.add_annotation(x=episode.start_day, y=0.02, yref="paper", text=f"⚠ {labels['drop']}", showarrow=False,
                              xanchor="left", font={"color": NEGATIVE, "size": 12})
    for event in events.itertuples(index=False):
        band_start = max(event.start_date, first_day) if first_day is not None else event.start_date
        figure.add_vrect(x0=band_start, x1=event.end_date + pd.Timedelta(days=1), fillcolor=EVENT_BAND,
                         line_width=0, layer="below")
    for position, mark in enumerate(event_marks(events, first_day, labels)):
        figure.add_annotation(x=mark["x"], y=1.0 - 0.07 * (position % 3), yref="paper", xanchor="left",
                              text=mark["text"], hovertext=mark["hover"], showarrow=False,
                              font={"color": AREA_COLOURS["followers"], "size": 12},
                              bgcolor="rgba(255,255,255,0.75)")
    figure.update_layout(barmode="relative", bargap=0.05)
    figure.update_yaxes(title_text=labels["axis_daily"], secondary_y=False, zeroline=True, zerolinecolor="#57606a")
    figure.update_yaxes(title_text=labels["axis_cumulative"], secondary_y=True, showgrid=False, rangemode="tozero")
    return apply_layout(figure, title, height=480)


def event_marks(events: pd.DataFrame, first_day, labels: dict[str, str]) -> list[dict[str, str]]:
    """One label per week of event starts. At head office many branches' events share a week and their
    labels would print over each other; a week with several events shows its biggest event's name, how many
    more there are and their summed uplift, and each event's name and uplift on hover."""
    if events.empty:
        return []
    starts = pd.to_datetime(events["start_date"])
    if first_day is not None:
        starts = starts.clip(lower=pd.Timestamp(first_day))
    weeks = starts.dt.to_period("W-SUN").dt.start_time
    marks = []
    for _, group in events.assign(_start=starts, _week=weeks).groupby("_week", sort=True):
        lines = [f"{plain_label(e.name)}{uplift_text(e.uplift, labels)}" for e in group.itertuples(index=False)]
        if len(group) == 1:
            text = lines[0]
        else:  # the week's biggest event by name, the rest counted
            total = group["uplift"].sum(min_count=1)
            top = group.sort_values("uplift", ascending=False, na_position="last").iloc[0]
            text = labels["events_week"].format(name=plain_label(top["name"]), count=len(group),
                                                more=len(group) - 1) + uplift_text(total, labels)
        marks.append({"x": group["_start"].min(), "text": text, "hover": "<br>".join(lines)})
    return marks


def uplift_text(value, labels: dict[str, str]) -> str:
    return "" if pd.isna(value) else " " + labels["uplift"].format(value=value)


def ranking_bars(ranking: pd.DataFrame, value_column: str, axis_title: str, title: str | None = None) -> go.Figure:
    """Horizontal bars, best at the top; losses in red."""
    ordered = ranking.sort_values(value_column)
    colours = [POSITIVE if v >= 0 else NEGATIVE for v in ordered[value_column]]
    figure = go.Figure(go.Bar(x=ordered[value_column], y=ordered["branch_name"].map(plain_label), orientation="h",
                              marker_color=colours, text=ordered[value_column], texttemplate="%{text:,}"))
    figure.update_xaxes(title_text=axis_title)
    figure.update_layout(hovermode="closest")
    return apply_layout(figure, title, height=max(260, 28 * len(ordered) + 80))
