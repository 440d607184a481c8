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
