"""Figures for the group page: pure functions DataFrame -> plotly Figure (no Streamlit, no SQL)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go

from components.figures.text import plain_label
from components.figures.theme import AREA_COLOURS, NEGATIVE, NEUTRAL, POSITIVE, apply_layout

KIND_COLOURS = {
    "client_unit": "#1f4e79", "branch_named": "#c0392b", "friends": "#8e44ad", "prize_contest": "#d68910",
    "community": "#1e8449", "interest": "#17a589", "new_customer_service": "#5d6d7e",
}


def _layout(fig: go.Figure, title: str, y_title: str = "", height: int = 440) -> go.Figure:
    apply_layout(fig, title, height)
    fig.update_layout(yaxis_title=y_title, legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0},
                      margin={"b": 90})
    return fig


def _kind_name(kind: object, kind_label: Callable[[str], str]) -> str:
    """The kind's translated name as chart text: escaped, because a kind this code does not know comes
    back from the translator as the kind from the data."""
    return plain_label(kind_label(str(kind)))


def activity_by_kind_figure(activity: pd.DataFrame, kind_label: Callable[[str], str], title: str,
                            y_title: str, measure: str = "customer_messages", smooth_days: int = 7) -> go.Figure:
    """One line per group kind: `measure` per day, smoothed over `smooth_days` (a trailing mean)."""
    fig = go.Figure()
    for kind, part in activity.groupby("kind", sort=True):
        part = part.sort_values("day")
        values = part[measure].rolling(smooth_days, min_periods=1).mean()
        fig.add_trace(go.Scatter(x=part["day"], y=values, mode="lines", name=_kind_name(kind, kind_label),
                                 line={"color": KIND_COLOURS.get(str(kind)), "width": 2}))
    return _layout(fig, title, y_title)


def active_share_by_kind_figure(activity: pd.DataFrame, kind_label: Callable[[str], str], title: str,
                                smooth_days: int = 7, y_title: str = "") -> go.Figure:
    """Share of members who posted, per kind and day (active members ÷ members, smoothed)."""
    fig = go.Figure()
    for kind, part in activity.groupby("kind", sort=True):
        part = part.sort_values("day")
        active = part["active_members"].rolling(smooth_days, min_periods=1).sum()
        members = part["members"].rolling(smooth_days, min_periods=1).sum()
        fig.add_trace(go.Scatter(x=part["day"], y=active / members.where(members > 0), mode="lines",
                                 name=_kind_name(kind, kind_label), line={"color": KIND_COLOURS.get(str(kind)), "width": 2}))
    fig.update_yaxes(tickformat=".0%")
    return _layout(fig, title, y_title)


def network_ranking_figure(ranked: pd.DataFrame, label_column: str, title: str, x_title: str, top: int = 15) -> go.Figure:
    """Horizontal bars: deposits per member of the best-ranked networks (best at the top)."""
    frame = ranked.dropna(subset=["rank"]).sort_values("rank").head(top).iloc[::-1]
    fig = go.Figure(go.Bar(
        x=frame["deposits_per_member"] / 10_000, y=frame[label_column].map(plain_label), orientation="h",
        marker_color=AREA_COLOURS["groups"], customdata=frame[["members", "converted"]].to_numpy(),
        hovertemplate="%{y}<br>" + x_title + ": %{x:,.1f}<br>👥 %{customdata[0]} · ✔ %{customdata[1]}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=x_title, hovermode="closest")
    return _layout(fig, title, height=max(320, 26 * len(frame) + 90))


def promise_figure(promise: pd.DataFrame, label_column: str, title: str, target: float = 0.9, top: int = 20,
                   x_title: str = "") -> go.Figure:
    """Share of questions answered within 10 minutes for the `top` groups (or staff) with the most
    questions, worst at the top, with the promise line."""
    frame = promise.sort_values("customer_questions", ascending=False).head(top)
    frame = frame.sort_values("within_10min_share", ascending=False)
    colours = [POSITIVE if share >= target else NEGATIVE for share in frame["within_10min_share"]]
    fig = go.Figure(go.Bar(x=frame["within_10min_share"], y=frame[label_column].map(plain_label), orientation="h",
                           marker_color=colours, hovertemplate="%{y}: %{x:.0%}<extra></extra>"))
    fig.add_vline(x=target, line_dash="dash", line_color=NEUTRAL)
    fig.update_xaxes(tickformat=".0%", range=[0, 1], title_text=x_title)
    fig.update_layout(hovermode="closest")
    return _layout(fig, title, height=max(320, 24 * len(frame) + 90))


def points_figure(monthly: pd.DataFrame, earned_label: str, redeemed_label: str, title: str, y_title: str = "") -> go.Figure:
    """Points earned and redeemed per month."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=monthly["month"], y=monthly["earned"], name=earned_label, marker_color=AREA_COLOURS["groups"]))
    fig.add_trace(go.Bar(x=monthly["month"], y=monthly["redeemed"], name=redeemed_label, marker_color=AREA_COLOURS["referrals"]))
    fig.update_layout(barmode="group")
    return _layout(fig, title, y_title)


def staff_service_figure(contact: pd.DataFrame, title: str, x_title: str, top: int = 15) -> go.Figure:
    """Horizontal bars: messages each staff member sent customers one to one (most at the top); the hover holds
    chats, the share replied to and the average minutes to the first reply."""
    frame = contact.head(top).iloc[::-1]
    share = frame["reply_share"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}")
    minutes = frame["avg_reply_minutes"].map(lambda v: "–" if pd.isna(v) else f"{v:.0f}")
    fig = go.Figure(go.Bar(
        x=frame["messages"], y=frame["staff_name"].map(plain_label) + " · " + frame["branch_name"].map(plain_label),
        orientation="h", marker_color=AREA_COLOURS["groups"],
        customdata=pd.DataFrame({"chats": frame["chats"], "share": share, "minutes": minutes}).to_numpy(),
        hovertemplate="%{y}<br>" + x_title + ": %{x:,}<br>💬 %{customdata[0]} · ↩ %{customdata[1]} · ⏱ "
                      "%{customdata[2]}<extra></extra>",
    ))
    fig.update_layout(xaxis_title=x_title, hovermode="closest")
    return _layout(fig, title, height=max(320, 26 * len(frame) + 90))
