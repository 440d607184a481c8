"""Follower queries on SQLite and PostgreSQL against the demo data, checked with independent SQL."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import text

from models.metrics import followers as F
from models.metrics.org import branches_in_scope
from models.scope import Scope
from sample_data.org import STORY_BRANCH_CODE
from tests.conftest import DEMO_END


def _story_branch_id(session) -> int:
    return session.execute(text("SELECT id FROM branch WHERE code = :c"), {"c": STORY_BRANCH_CODE}).scalar_one()


def test_daily_totals_match_a_plain_sum(demo_session):
    scope = Scope.head_office()
    daily = F.daily_followers(demo_session, scope, date(2026, 9, 1), date(2026, 9, 30))
    assert len(daily) == 30
    expected = demo_session.execute(
        text("SELECT SUM(net_follows) FROM followerdaily WHERE day BETWEEN '2026-09-01' AND '2026-09-30'")
    ).scalar_one()
    assert int(daily["net_follows"].sum()) == int(expected)
    assert (daily["net_follows"] == daily["new_follows"] - daily["unfollows"]).all()


def test_scope_keeps_other_branches_out(demo_session):
    story = _story_branch_id(demo_session)
    scope = Scope.for_branches([story])
    by_branch = F.daily_followers_by_branch(demo_session, scope, date(2026, 1, 1), DEMO_END)
    assert set(by_branch["branch_id"]) == {story}
    assert list(branches_in_scope(demo_session, scope)["branch_id"]) == [story]


def test_story_branch_gains_three_thousand_in_the_mid_autumn_week(demo_session):
    story = _story_branch_id(demo_session)
    scope = Scope.for_branches([story])
    daily = F.daily_followers(demo_session, scope, date(2026, 9, 15), date(2026, 9, 21))
    assert daily["net_follows"].sum() >= 3000
    events = F.marketing_events(demo_session, scope, date(2026, 9, 1), date(2026, 9, 30))
    assert {"中秋大闸蟹团购", "DIY月饼亲子活动"} <= set(events["name"])


def test_story_branch_slide_is_detected_before_the_events(demo_session):
    story = _story_branch_id(demo_session)
    by_branch = F.daily_followers_by_branch(demo_session, Scope.for_branches([story]), date(2025, 11, 23), DEMO_END)
    drops = F.detect_drops(by_branch)
    losses = drops[drops["cause"] == "net_loss"]
    assert len(losses) >= 1
    first = losses.iloc[0]
    assert pd.Timestamp("2026-06-01") <= first["start_day"] <= pd.Timestamp("2026-08-15")
    assert first["end_day"] < pd.Timestamp("2026-09-20")


def test_date_range_is_empty_for_an_empty_scope(demo_session):
    assert F.follower_date_range(demo_session, Scope.for_branches([])) == (None, None)
    empty = F.daily_followers(demo_session, Scope.for_branches([]), date(2026, 1, 1), date(2026, 1, 31))
    assert empty.empty and list(empty.columns) == F.DAILY_COLUMNS


def test_one_branch_reads_its_own_days_for_uplift_drops_and_ranking(demo_session):
    """One branch: the page's frames equal the per-frame measures over its daily figures (the raw path)."""
    scope = Scope.for_branches([_story_branch_id(demo_session)])
    start, end = date(2026, 6, 1), DEMO_END
    by_branch = F.daily_followers_by_branch(demo_session, scope, F.lookback_start(start), end)
    uplift = F.event_uplift(by_branch, F.marketing_events(demo_session, scope, start, end))
    drops = F.drops_in_period(F.detect_drops(by_branch), start, end)
    ranking = F.rank_branches(by_branch, branches_in_scope(demo_session, scope), start, end)
    page_uplift, page_drops = F.event_uplift_and_drops(demo_session, scope, start, end)
    pd.testing.assert_frame_equal(page_uplift, uplift)
    pd.testing.assert_frame_equal(page_drops, drops)
    assert not page_drops.empty
    overview = F.ranking_uplift_and_drops(demo_session, scope, start, end)
    pd.testing.assert_frame_equal(overview[0], ranking)
    pd.testing.assert_frame_equal(overview[1], uplift)
    pd.testing.assert_frame_equal(overview[2], drops)
    pd.testing.assert_frame_equal(F.branch_ranking(demo_session, scope, start, end), ranking)  # the overview's


def test_several_branches_read_the_rollup_for_uplift_drops_and_ranking(demo_session):
    """Head office: the stored signal and running totals answer, never the per-branch daily frame."""
    scope = Scope.head_office()
    start, end = date(2026, 6, 1), DEMO_END
    uplift, drops = F.event_uplift_and_drops(demo_session, scope, start, end)
    pd.testing.assert_frame_equal(uplift, F.event_uplift_from_rollup(demo_session, scope, start, end))
    pd.testing.assert_frame_equal(drops, F.drop_episodes(demo_session, scope, start, end))
    ranking, _, _ = F.ranking_uplift_and_drops(demo_session, scope, start, end)
    expected = F.rank_period_totals(F.branch_period_totals(demo_session, scope, start, end),
                                    branches_in_scope(demo_session, scope))
    pd.testing.assert_frame_equal(ranking, expected)
    pd.testing.assert_frame_equal(F.branch_ranking(demo_session, scope, start, end), expected)
    assert len(ranking) == len(branches_in_scope(demo_session, scope))
