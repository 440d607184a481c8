"""The brief's week figures and drop alerts on both backends, against plain SQL and the areas' own answers."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import text

from models.metrics import brief, followers, referrals
from models.scope import Scope
from tests.conftest import DEMO_END


def test_week_net_follows_is_the_plain_sum_of_seven_days(demo_session):
    week = brief.week_figures(demo_session, Scope.head_office(), DEMO_END)
    expected = demo_session.execute(
        text("SELECT SUM(net_follows) FROM followerdaily WHERE day > :start AND day <= :end"),
        {"start": DEMO_END - timedelta(days=7), "end": DEMO_END},
    ).scalar_one()
    assert week.net_follows == int(expected)
    assert week.conversions == referrals.overview_headline(demo_session, Scope.head_office(), DEMO_END, days=7)[
        "conversions"]
    assert week.active_share is not None and 0 < week.active_share < 1


def test_drop_alerts_on_the_last_day_match_the_follower_page(demo_session):
    scope = Scope.head_office()
    mine = brief.drop_alerts_on(demo_session, scope, DEMO_END)
    theirs = followers.current_drop_alerts(demo_session, scope)
    assert not mine.empty
    assert sorted(mine["branch_id"]) == sorted(theirs["branch_id"])
    assert (mine["end_day"] == pd.Timestamp(DEMO_END)).all()


@pytest.mark.parametrize("days_back", [0, 9, 23])
def test_a_branch_drop_alert_is_its_head_office_row_and_what_its_own_days_show(demo_session, days_back):
    """Every branch, on three days: its overview alert (the stored drop signal) is its row of the head-office
    list, and the same alert the detection over its own last 70 days gives (the demo's episodes are shorter)."""
    end = DEMO_END - timedelta(days=days_back)
    bank = brief.drop_alerts_on(demo_session, Scope.head_office(), end).set_index("branch_id")
    branches = [b for (b,) in demo_session.execute(text("SELECT DISTINCT branch_id FROM followerdaily ORDER BY 1"))]
    columns = ["start_day", "end_day", "days", "episode_net", "worst_window_net", "cause"]
    for branch in branches:
        mine = brief.drop_alerts_on(demo_session, Scope.for_branches([branch]), end)
        by_branch = followers.daily_followers_by_branch(demo_session, Scope.for_branches([branch]),
                                                        followers.lookback_start(end, 70), end)
        detected = followers.detect_drops(by_branch)
        detected = detected[detected["end_day"] == pd.Timestamp(end)]
        assert len(mine) == len(detected) == int(branch in bank.index), branch
        if len(mine):
            assert mine[columns].to_dict("records") == detected[columns].to_dict("records"), branch
            assert mine.iloc[0]["branch_name"] == bank.loc[branch, "branch_name"]
            assert mine[columns].iloc[0].to_dict() == bank.loc[branch, columns].to_dict(), branch
    assert len(bank) > 0 or days_back, "the demo has drops running on its last day"


def test_a_branch_scope_sees_only_its_own_week(demo_session):
    branch_id = int(demo_session.execute(text("SELECT MIN(branch_id) FROM followerdaily")).scalar_one())
    week = brief.week_figures(demo_session, Scope.for_branches([branch_id]), DEMO_END)
    expected = demo_session.execute(
        text("SELECT SUM(net_follows) FROM followerdaily WHERE branch_id = :b AND day > :start AND day <= :end"),
        {"b": branch_id, "start": DEMO_END - timedelta(days=7), "end": DEMO_END},
    ).scalar_one()
    assert week.net_follows == int(expected)
    assert week.drop_branches in (0, 1)


def test_the_key_charts_read_what_each_area_answers(demo_session):
    """The charts' reads, made together when the charts are drawn, are each area's own answers."""
    from models.metrics import groups

    scope, start = Scope.head_office(), DEMO_END - timedelta(days=29)
    charts = brief.key_chart_data(demo_session, scope, start, DEMO_END)
    uplift, drops = followers.event_uplift_and_drops(demo_session, scope, start, DEMO_END)
    pd.testing.assert_frame_equal(charts.uplift, uplift)
    pd.testing.assert_frame_equal(charts.drops, drops)
    pd.testing.assert_frame_equal(charts.activity, groups.activity_by_kind(demo_session, scope, start, DEMO_END))
    pd.testing.assert_frame_equal(charts.funnel, referrals.funnel(demo_session, scope, start, DEMO_END))
    curves, target = brief.campaign_curves(demo_session, scope, DEMO_END)
    assert charts.target == target and (curves is None) == (charts.curves is None)
    assert not charts.activity.empty and charts.funnel["people"].sum() > 0
