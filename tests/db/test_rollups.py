"""Pages read the daily rollups, not the raw events; the rollups equal the raw events they summarise."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import event, func, select
from sqlmodel import Session

from models.campaign import CampaignDeposit
from models.groups import GroupDaily, SocialGroup
from models.metrics import campaign as C
from models.metrics import groups as G
from models.metrics import referrals as R
from models.metrics.org import read_frame
from models.org import Branch
from models.rollups import ReferralDaily, refresh_rollups
from models.scope import Scope
from tests.conftest import DEMO_END

RAW_EVENT_TABLES = ("referralevent", "groupdaily", "campaigndeposit", "groupmembership", "pointsledger")
START = DEMO_END - timedelta(days=89)


def statements_run_by(session: Session, call: Callable[[], object]) -> list[str]:
    """Every SQL statement the database receives while `call` runs."""
    seen: list[str] = []

    def capture(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        seen.append(statement.lower())

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        call()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    return seen


def touched_raw_tables(statements: list[str]) -> set[str]:
    return {t for t in RAW_EVENT_TABLES for s in statements if re.search(rf'\b"?{t}"?\b', s)}


def a_branch(session: Session) -> Scope:
    branch_id = session.execute(select(Branch.id).where(Branch.level == "sub_branch").order_by(Branch.id)).scalar()
    branch_id = branch_id or session.execute(select(func.max(Branch.id))).scalar()
    return Scope.for_branches([branch_id])


def latest_season(session: Session) -> int:
    return int(C.campaigns(session, Scope.head_office()).iloc[-1]["campaign_id"])


@pytest.mark.parametrize("scope_kind", ["head_office", "branch"])
def test_aggregate_page_queries_read_rollups_not_raw_events(demo_session, scope_kind):
    scope = Scope.head_office() if scope_kind == "head_office" else a_branch(demo_session)
    season = latest_season(demo_session)
    calls = {
        "leaderboard counts": lambda: R.staff_referral_totals(demo_session, scope, START, DEMO_END),
        "funnel": lambda: R.funnel(demo_session, scope, START, DEMO_END),
        "channel conversions": lambda: R.conversions_by_channel(demo_session, scope, START, DEMO_END),
        "referral dates": lambda: R.referral_date_range(demo_session, scope),
        "group activity": lambda: G.activity_by_kind(demo_session, scope, START, DEMO_END),
        "group dates": lambda: G.group_date_range(demo_session, scope),
        "campaign daily deposits": lambda: C.daily_deposits(demo_session, scope, season),
    }
    for name, call in calls.items():
        statements = statements_run_by(demo_session, call)
        assert statements, f"{name} ran no SQL"
        assert touched_raw_tables(statements) == set(), f"{name} read raw events: {statements}"
        assert any("_daily" in s or "daily" in s for s in statements), name


def test_groups_page_head_office_queries_read_summaries_not_raw_events(demo_session):
    """At head office the groups page (and the overview's group headline) read rollups, running totals and
    snapshots. Two bounded exceptions: the reply medians of the groups a list shows are read from those
    groups' own days (by group id), and the top points earners from the period's ledger entries."""
    scope = Scope.head_office()
    limit = G.HEAD_OFFICE_ROWS
    calls = {
        "dates": lambda: G.group_date_range(demo_session, scope),
        "kpis": lambda: G.group_kpis(demo_session, scope, START, DEMO_END),
        "kpis of a kind": lambda: G.group_kpis(demo_session, scope, START, DEMO_END, kind="community"),
        "activity": lambda: G.activity_by_kind(demo_session, scope, START, DEMO_END),
        "health": lambda: G.group_health_table(demo_session, scope, START, DEMO_END, limit=limit),
        "value by group": lambda: G.network_value_table(demo_session, scope, DEMO_END, "group", limit=limit),
        "value by staff": lambda: G.network_value_table(demo_session, scope, DEMO_END, "staff", limit=limit),
        "experts": lambda: G.experts_table(demo_session, scope, limit=limit),
        "promise by group": lambda: G.service_promise_view(demo_session, scope, START, DEMO_END, "group",
                                                           "new_customer_service", limit=limit),
        "promise by staff": lambda: G.service_promise_view(demo_session, scope, START, DEMO_END, "staff", limit=limit),
        "points": lambda: G.points_overview(demo_session, scope, START, DEMO_END),
        "overview headline": lambda: G.overview_headline(demo_session, scope, DEMO_END),
    }
    for name, call in calls.items():
        statements = statements_run_by(demo_session, call)
        assert statements, f"{name} ran no SQL"
        unbounded = [s for s in statements if "groupdaily.group_id in" not in s]
        assert touched_raw_tables(unbounded) == set(), f"{name} read raw events: {unbounded}"


def test_the_raw_reference_query_is_seen_touching_raw_events(demo_session):
    """The detector itself can fail: the plain GROUP BY over raw events is caught."""
    statements = statements_run_by(
        demo_session, lambda: R.staff_referral_totals_raw(demo_session, Scope.head_office(), START, DEMO_END))
    assert touched_raw_tables(statements) == {"referralevent"}


def test_leaderboard_counts_from_rollup_equal_a_plain_group_by(demo_session):
    for scope in (Scope.head_office(), a_branch(demo_session)):
        rolled = R.staff_referral_totals(demo_session, scope, START, DEMO_END).sort_values("staff_id")
        raw = R.staff_referral_totals_raw(demo_session, scope, START, DEMO_END).sort_values("staff_id")
        assert len(rolled) == len(raw) > 0
        for column in ("staff_id", "clicks", "invites", "participants", "conversions"):
            assert rolled[column].astype("int64").tolist() == raw[column].astype("int64").tolist(), column
        assert rolled["conversion_amount"].astype(float).round(2).tolist() == \
            raw["conversion_amount"].astype(float).round(2).tolist()


def test_group_activity_from_rollup_equals_raw_group_days(demo_session):
    scope = Scope.head_office()
    rolled = G.activity_by_kind(demo_session, scope, START, DEMO_END)
    raw = read_frame(demo_session, select(
        GroupDaily.day, SocialGroup.kind, func.sum(GroupDaily.members).label("members"),
        func.sum(GroupDaily.customer_messages).label("customer_messages"),
    ).join(SocialGroup, SocialGroup.id == GroupDaily.group_id).where(GroupDaily.day.between(START, DEMO_END))
        .group_by(GroupDaily.day, SocialGroup.kind).order_by(GroupDaily.day, SocialGroup.kind))
    assert len(rolled) == len(raw) > 0
    assert rolled["members"].tolist() == raw["members"].astype("int64").tolist()
    assert rolled["customer_messages"].tolist() == raw["customer_messages"].astype("int64").tolist()


def test_daily_depositors_from_rollup_equal_distinct_customers(demo_session):
    season = latest_season(demo_session)
    rolled = C.daily_deposits(demo_session, Scope.head_office(), season)
    raw = read_frame(demo_session, select(
        CampaignDeposit.day, func.count(func.distinct(CampaignDeposit.customer_id)).label("depositors"),
        func.sum(CampaignDeposit.amount).label("amount"),
    ).where(CampaignDeposit.campaign_id == season).group_by(CampaignDeposit.day).order_by(CampaignDeposit.day))
    assert len(rolled) == len(raw) > 0
    assert rolled["depositors"].astype("int64").tolist() == raw["depositors"].astype("int64").tolist()
    assert rolled["amount"].round(2).tolist() == raw["amount"].astype(float).round(2).tolist()


def test_refresh_for_some_branches_and_days_rebuilds_only_that_window(empty_engine):
    """An importer refreshes the window it touched; rows outside it are left alone and nothing doubles."""
    from models.referrals import ReferralEvent
    from sample_data.generate import seed_database

    seed_database(empty_engine, "demo", 1, DEMO_END)
    with Session(empty_engine) as session:
        before = read_frame(session, select(ReferralDaily.branch_id, func.sum(ReferralDaily.clicks).label("clicks"))
                            .group_by(ReferralDaily.branch_id).order_by(ReferralDaily.branch_id))
        branch_id = int(before.iloc[0]["branch_id"])
        event_row = session.execute(select(ReferralEvent).where(ReferralEvent.branch_id == branch_id,
                                                                ReferralEvent.stage == "click")).scalars().first()
        session.add(ReferralEvent(code_id=event_row.code_id, campaign_id=event_row.campaign_id, branch_id=branch_id,
                                  staff_id=event_row.staff_id, stage="click", day=date(2026, 11, 1)))
        session.flush()
        refresh_rollups(session, [branch_id], date(2026, 11, 1), date(2026, 11, 1))
        session.commit()
        after = read_frame(session, select(ReferralDaily.branch_id, func.sum(ReferralDaily.clicks).label("clicks"))
                           .group_by(ReferralDaily.branch_id).order_by(ReferralDaily.branch_id))
    expected = before.assign(clicks=before["clicks"].astype("int64") + (before["branch_id"] == branch_id).astype("int64"))
    pd.testing.assert_frame_equal(after.astype("int64"), expected.astype("int64"))
