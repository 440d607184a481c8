"""Group figure builders: pure functions checked without Streamlit."""

from __future__ import annotations

import pandas as pd

from components.figures import groups as FG


def _activity() -> pd.DataFrame:
    days = pd.date_range("2026-11-01", periods=3)
    return pd.DataFrame({
        "day": list(days) * 2, "kind": ["interest"] * 3 + ["community"] * 3,
        "members": [10, 10, 10, 100, 100, 0], "active_members": [5, 3, 1, 10, 20, 0],
        "messages": [9, 6, 2, 30, 40, 0], "customer_messages": [8, 6, 2, 25, 35, 0],
    })


def test_activity_figure_has_one_smoothed_line_per_kind():
    fig = FG.activity_by_kind_figure(_activity(), str.upper, "t", "y", smooth_days=2)
    assert sorted(trace.name for trace in fig.data) == ["COMMUNITY", "INTEREST"]
    interest = next(trace for trace in fig.data if trace.name == "INTEREST")
    assert list(interest.y) == [8.0, 7.0, 4.0]


def test_active_share_figure_divides_sums_and_leaves_empty_days_blank():
    fig = FG.active_share_by_kind_figure(_activity(), str, "t", smooth_days=1)
    community = next(trace for trace in fig.data if trace.name == "community")
    assert list(community.y[:2]) == [0.1, 0.2] and pd.isna(community.y[2])


def test_network_ranking_figure_shows_only_ranked_networks_best_on_top():
    ranked = pd.DataFrame({"group_name": ["甲", "乙", "丙"], "rank": pd.array([2, 1, None], dtype="Int64"),
                           "deposits_per_member": [50_000.0, 80_000.0, 900_000.0], "members": [20, 30, 2],
                           "converted": [1, 2, 0]})
    fig = FG.network_ranking_figure(ranked, "group_name", "t", "x")
    assert list(fig.data[0].y) == ["甲", "乙"]  # plotly draws the last bar on top
    assert list(fig.data[0].x) == [5.0, 8.0]


def test_promise_figure_colours_breaches_red():
    promise = pd.DataFrame({"group_name": ["守约", "失约", "少问"], "within_10min_share": [0.95, 0.4, 0.1],
                            "customer_questions": [50, 30, 2]})
    fig = FG.promise_figure(promise, "group_name", "t", top=2)
    assert list(fig.data[0].y) == ["守约", "失约"]  # the two with most questions, worst drawn on top
    colours = dict(zip(fig.data[0].y, fig.data[0].marker.color, strict=True))
    assert colours["失约"] == FG.NEGATIVE and colours["守约"] == FG.POSITIVE
