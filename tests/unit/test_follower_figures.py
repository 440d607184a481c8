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
    figure = follower_curve(daily, events, drops, {**labels, "uplift": "+{value:,.0f}", "events_week": "{name} +{more} more"})
    assert pd.Timestamp(figure.layout.shapes[0].x0) == pd.Timestamp("2026-10-24")


def test_events_sharing_a_week_get_one_label_with_their_names_on_hover():
    """Head office: several branches' events in one week would print their labels over each other."""
    import pandas as pd

    from components.figures.followers import event_marks, follower_curve

    days = pd.date_range("2026-10-05", periods=21, freq="D")
    daily = pd.DataFrame({"day": days, "new_follows": 5, "unfollows": 1, "net_follows": 4, "net_ma7": 4.0,
                          "cumulative": range(100, 121)})
    week_one = ["讲座", "开户节", "理财沙龙"]  # Mon, Wed, Fri of the week of 2026-10-05
    events = pd.DataFrame({
        "name": [*week_one, "广场舞大赛"],
        "start_date": pd.to_datetime(["2026-10-05", "2026-10-07", "2026-10-09", "2026-10-14"]),
        "end_date": pd.to_datetime(["2026-10-06", "2026-10-08", "2026-10-10", "2026-10-15"]),
        "uplift": [10.0, None, 5.0, 7.0],
    })
    labels = {k: k for k in ("new", "unfollows", "net", "ma7", "cumulative", "axis_daily", "axis_cumulative", "drop")}
    labels |= {"uplift": "+{value:,.0f}", "events_week": "{name} +{more} more"}
    marks = event_marks(events, days[0], labels)
    assert [m["text"] for m in marks] == ["讲座 +2 more +15", "广场舞大赛 +7"]
    assert marks[0]["hover"].split("<br>") == ["讲座 +10", "开户节", "理财沙龙 +5"]
    figure = follower_curve(daily, events, pd.DataFrame(columns=["start_day", "end_day"]), labels)
    assert len(figure.layout.annotations) == 2
    assert len(figure.layout.shapes) == 4  # every event keeps its band
