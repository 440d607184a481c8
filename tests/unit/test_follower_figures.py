"""The follower curve draws only inside the chosen period."""

from __future__ import annotations


def test_follower_curve_keeps_bands_inside_the_period():
    import pandas as pd

    from components.figures.followers import follower_curve

    days = pd.date_range("2026-10-24", periods=5, freq="D")
    daily = pd.DataFrame({"day": days, "new_follows": 5, "unfollows": 1, "net_follows": 4, "net_ma7": 4.0,
                          "cumulative": range(100, 105)})
    events = pd.DataFrame({"name": ["讲座"], "start_date": [pd.Timestamp("2026-10-18")],
                           "end_date": [pd.Timestamp("2026-10-25")], "uplift": [82.0]})
    drops = pd.DataFrame(columns=["start_day", "end_day"])
    labels = {k: k for k in ("new", "unfollows", "net", "ma7", "cumulative", "axis_daily", "axis_cumulative", "drop")}
    figure = follower_curve(daily, events, drops, {**labels, "uplift": "+{value:,.0f}"})
    assert pd.Timestamp(figure.layout.shapes[0].x0) == pd.Timestamp("2026-10-24")
