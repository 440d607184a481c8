"""Pages read the daily rollups, not the raw events; the rollups equal the raw events they summarise."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import event, exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.campaign import CampaignDeposit, NameListEntry
from models.followers import FollowerDaily
from models.groups import GroupDaily, SocialGroup
from models.metrics import brief as B
from models.metrics import campaign as C
from models.metrics import followers as F
from models.metrics import freshness as FRESH
from models.metrics import groups as G
from models.metrics import referrals as R
from models.metrics.referrals.running_columns import forget_running_columns
from models.org import Branch
from models.referrals import ReferralEvent
from models.refresh import refresh_rollups
from models.refresh.followers import refresh_follower_rollups
from models.rollup_tables import (
    ALL_CAMPAIGNS,
    ROLLUP_TABLES,
    FollowerBranchDaily,
    ReferralDaily,
    ReferralFraudFlag,
    ReferralRewardBasis,
)
from models.scope import Scope
from models.store.frames import read_frame
from tests.conftest import DEMO_END

RAW_EVENT_TABLES = ("referralevent", "groupdaily", "campaigndeposit", "namelistentry", "smsmessage", "visit",
                    "groupmembership", "pointsledger")
ROLLUP_NAMES = "|".join(rf'\b"?{table.__tablename__}"?\b' for table in ROLLUP_TABLES)
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
        "data freshness (every page)": lambda: FRESH.data_freshness(demo_session, scope),
        "overview week figures (the stored week card)": lambda: B.week_figures(demo_session, scope, DEMO_END),
    }
    for name, call in calls.items():
        forget_running_columns()  # held columns answer from memory: the first read of a data version is checked
        statements = statements_run_by(demo_session, call)
        assert statements, f"{name} ran no SQL"
        assert touched_raw_tables(statements) == set(), f"{name} read raw events: {statements}"
        assert any(re.search(ROLLUP_NAMES, s) for s in statements), name


@pytest.mark.parametrize("scope_kind", ["head_office", "branch"])
def test_every_referral_page_query_reads_summaries_not_raw_events(demo_session, scope_kind):
    """The referral page's and the overview's referral calls as the page makes them, rewards and fraud
    flags included: none reads the raw referral events (the batch tables hold flags and reward basis)."""
    scope = Scope.head_office() if scope_kind == "head_office" else a_branch(demo_session)
    calls = {
        "leaderboard": lambda: R.leaderboard(demo_session, scope, START, DEMO_END),
        "leaderboard by reward": lambda: R.leaderboard(demo_session, scope, START, DEMO_END, by="reward_yuan"),
        "branch board of a campaign": lambda: R.leaderboard(demo_session, scope, START, DEMO_END, level="branch",
                                                            campaign_id=latest_referral_campaign(demo_session)),
        "funnel of one staff member": lambda: R.funnel(demo_session, scope, START, DEMO_END, staff_id=1),
        "channels": lambda: R.promotion_channels(demo_session, scope, START, DEMO_END),
        "internal referrals": lambda: R.internal_referrals(demo_session, scope, START, DEMO_END),
        "quarter ledger (stored)": lambda: R.quarter_ledger(demo_session, scope, "2026Q3"),
        "quarter ledger (preview)": lambda: R.quarter_ledger(demo_session, scope, R.quarter_of(DEMO_END)),
        "fraud review": lambda: R.fraud_review(demo_session, scope, START, DEMO_END),
        "overview headline": lambda: R.overview_headline(demo_session, scope, DEMO_END),
        "rules page: review work list": lambda: R.fraud_work_list(demo_session, scope, START, DEMO_END, limit=500),
        "rules page: review counts": lambda: R.review_counts(demo_session, scope, START, DEMO_END),
        "rules page: rules and closed quarters": lambda: (R.reward_rules(demo_session, scope),
                                                          R.closed_quarters(demo_session, scope)),
    }
    for name, call in calls.items():
        forget_running_columns()  # held columns answer from memory: the first read of a data version is checked
        statements = statements_run_by(demo_session, call)
        assert statements, f"{name} ran no SQL"
        assert touched_raw_tables(statements) == set(), f"{name} read raw events: {statements}"


def latest_referral_campaign(session: Session) -> int:
    return int(R.campaigns(session).iloc[-1]["campaign_id"])


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
        "staff-day dates": lambda: G.staff_day_range(demo_session, scope),
        "staff service (small staff-day table)": lambda: G.staff_contact_table(demo_session, scope, START, DEMO_END,
                                                                              limit=limit),
        "groups by owner (small staff-day table)": lambda: G.owner_group_table(demo_session, scope, START, DEMO_END,
                                                                               limit=limit),
    }
    for name, call in calls.items():
        forget_running_columns()  # held columns answer from memory: the first read of a data version is checked
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


def test_preset_windows_read_their_snapshot_and_equal_the_running_totals(demo_session):
    """Every preset window ending on the last day is answered from ReferralStaffWindow (seen in the SQL),
    with exactly the running-total figures, for every campaign key and for a branch; other periods are not.
    (Until a custom period loads the running totals as columns: then those answer every period.)"""
    forget_running_columns()
    campaign = latest_referral_campaign(demo_session)
    last = R.referral_date_range(demo_session, Scope.head_office())[1]
    assert last == DEMO_END
    for scope in (Scope.head_office(), a_branch(demo_session)):
        for days in R.LEADERBOARD_WINDOWS:
            start = last - timedelta(days=days - 1)
            for campaign_id in (None, campaign):
                statements = statements_run_by(
                    demo_session,
                    lambda s=scope, a=start, c=campaign_id: R.staff_referral_totals(demo_session, s, a, last, c))
                assert any("referralstaffwindow" in s for s in statements), (days, campaign_id)
                snapshot = R.staff_referral_totals(demo_session, scope, start, last, campaign_id)
                key = ALL_CAMPAIGNS if campaign_id is None else campaign_id
                running = read_frame(demo_session, R.running_totals_statement(scope, start, last, key))
                running = running.drop(columns=["branch_id", "events"]).groupby("staff_id", as_index=False).sum()
                assert len(snapshot) == len(running) > 0, (days, campaign_id)
                pd.testing.assert_frame_equal(
                    snapshot.sort_values("staff_id").reset_index(drop=True).astype(float),
                    running.sort_values("staff_id").reset_index(drop=True).astype(float).round({"conversion_amount": 2}))
    before = R.staff_referral_totals(demo_session, Scope.head_office(), last - timedelta(days=179), last - timedelta(days=90))
    expected = read_frame(demo_session, R.running_totals_statement(
        Scope.head_office(), last - timedelta(days=179), last - timedelta(days=90), ALL_CAMPAIGNS))
    assert before["conversions"].sum() == expected["conversions"].sum() > 0  # the period before a preset is stored too
    forget_running_columns()  # a custom period loads the running totals (once per data version) into columns
    other = statements_run_by(demo_session, lambda: R.staff_referral_totals(
        demo_session, Scope.head_office(), last - timedelta(days=60), last))
    assert not any("select referralstaffwindow.staff_id" in s for s in other)
    assert any("referralstaffrunning" in s for s in other)


def test_running_totals_equal_a_plain_group_by_for_any_period_campaign_and_scope(demo_session):
    campaign = latest_referral_campaign(demo_session)
    periods = [(START, DEMO_END), (date(2026, 7, 1), date(2026, 9, 30)), (date(2026, 2, 3), date(2026, 2, 3)),
               (date(2025, 1, 1), date(2025, 12, 31))]
    for scope in (Scope.head_office(), a_branch(demo_session)):
        for start, end in periods:
            for campaign_id in (None, campaign):
                rolled = R.staff_referral_totals(demo_session, scope, start, end, campaign_id).sort_values("staff_id")
                raw = R.staff_referral_totals_raw(demo_session, scope, start, end, campaign_id).sort_values("staff_id")
                assert len(rolled) == len(raw), (start, end, campaign_id)
                for column in ("staff_id", "clicks", "invites", "participants", "conversions"):
                    assert rolled[column].astype("int64").tolist() == raw[column].astype("int64").tolist(), column
                assert rolled["conversion_amount"].round(2).tolist() == \
                    raw["conversion_amount"].astype(float).round(2).tolist()


def test_invited_converted_equals_the_raw_search_for_a_later_conversion(demo_session):
    later = aliased(ReferralEvent)
    for scope in (Scope.head_office(), a_branch(demo_session)):
        for start, end in ((START, DEMO_END), (date(2026, 7, 1), date(2026, 9, 30))):
            converted = exists().where(later.customer_id == ReferralEvent.customer_id,
                                       later.staff_id == ReferralEvent.staff_id, later.stage == "convert",
                                       later.reversed_on.is_(None), later.day <= end)
            raw = read_frame(demo_session, select(
                ReferralEvent.staff_id, func.count(func.distinct(ReferralEvent.customer_id)).label("invited_converted"))
                .where(scope.clause(ReferralEvent.branch_id), ReferralEvent.day.between(start, end),
                       ReferralEvent.stage == "register", converted)
                .group_by(ReferralEvent.staff_id).order_by(ReferralEvent.staff_id))
            stored = R.invited_converted(demo_session, scope, start, end).sort_values("staff_id")
            assert len(raw) > 0 or scope.branch_ids is not None
            assert stored["staff_id"].tolist() == raw["staff_id"].tolist()
            assert stored["invited_converted"].tolist() == raw["invited_converted"].astype("int64").tolist()


def test_stored_reward_basis_and_flags_equal_the_computation_over_raw_events(demo_session):
    """The batch tables hold what the pure functions give over the whole raw history."""
    scope = Scope.head_office()
    events = R.fraud_check_events(demo_session, scope)
    staff, customers = R.fraud_reference(demo_session, scope)
    flags = R.fraud_flags(events, staff, customers)
    stored = read_frame(demo_session, select(ReferralFraudFlag.event_id, ReferralFraudFlag.rule))
    assert len(flags) > 0
    assert sorted(zip(stored["event_id"], stored["rule"], strict=True)) == \
        sorted(zip(flags["event_id"].astype(int), flags["rule"], strict=True))
    live = events[(events["stage"] == "convert") & events["reversed_on"].isna()]
    effective = read_frame(demo_session, select(ReferralEvent.id.label("event_id"), ReferralEvent.effective))
    live = live.merge(effective, on="event_id")
    first = live[live["effective"].astype(bool)].sort_values(["day", "event_id"]).drop_duplicates("customer_id")
    basis = read_frame(demo_session, select(ReferralRewardBasis.event_id, ReferralRewardBasis.customer_id))
    assert sorted(basis["event_id"]) == sorted(first["event_id"].astype(int))


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
    with Session(empty_engine) as session:  # the running totals after that day moved by one click too
        scope = Scope.for_branches([branch_id])
        for start, end in ((date(2026, 10, 1), DEMO_END), (date(2026, 11, 2), DEMO_END)):
            rolled = R.staff_referral_totals(session, scope, start, end).sort_values("staff_id")
            raw = R.staff_referral_totals_raw(session, scope, start, end).sort_values("staff_id")
            assert rolled["clicks"].tolist() == raw["clicks"].astype("int64").tolist()


def test_reward_ledger_counted_in_sql_equals_the_per_customer_computation(demo_session):
    campaign = latest_referral_campaign(demo_session)
    for scope in (Scope.head_office(), a_branch(demo_session)):
        for start, end, campaign_id in ((date(2026, 7, 1), date(2026, 9, 30), None), (START, DEMO_END, None),
                                        (START, DEMO_END, campaign)):
            expected = R.compute_rewards(demo_session, scope, start, end, campaign_id).ledger
            got = R.reward_ledger_preview(demo_session, scope, start, end, campaign_id)
            assert len(got) == len(expected)
            # the leaderboard's reward columns, matched on arrays: the same figures for everyone paid
            board = R.board_reward_figures(demo_session, scope, start, end, campaign_id)
            paid = expected[expected["effective_customers"] > 0] if not expected.empty else expected
            assert board["staff_id"].tolist() == sorted(paid["staff_id"].astype(int))
            assert board["effective_customers"].tolist() == paid.sort_values("staff_id")["effective_customers"].tolist()
            assert board["reward_yuan"].tolist() == pytest.approx(paid.sort_values("staff_id")["amount"].tolist())
            if expected.empty:
                continue
            pd.testing.assert_frame_equal(got.reset_index(drop=True), expected.reset_index(drop=True),
                                          check_dtype=False)


def _campaign_days(session: Session) -> list[tuple[pd.Series, date]]:
    """Every season on a few days: before anyone is home, around the festival, its last day."""
    days = []
    for season in C.campaigns(session, Scope.head_office()).itertuples(index=False):
        row = pd.Series(season._asdict())
        festival = season.spring_festival.date()
        for day in (season.start_date.date(), festival - timedelta(days=3), festival + timedelta(days=4),
                    season.end_date.date()):
            days.append((row, day))
    return days


def test_campaign_list_state_from_rollups_equals_the_per_worker_computation(demo_session):
    """Coverage, SMS funnel, visit rounds and the village and staff tables read from the list rollups equal
    the same measures computed from every worker's row, for head office and a branch, on several days."""
    for scope in (Scope.head_office(), a_branch_with_workers(demo_session)):
        for campaign, day in _campaign_days(demo_session):
            campaign_id = int(campaign["campaign_id"])
            raw = {**C.worker_frames(demo_session, scope, campaign_id),
                   "targets": C.targets(demo_session, scope, campaign_id)}
            counts = C.list_counts(demo_session, scope, campaign_id, day)
            totals = C.list_totals(counts)
            summary = C.key_person_summary(demo_session, scope, campaign_id)
            assert C.coverage_figures(totals, summary, day) == C.list_coverage(raw["entries"], raw["key_people"], day)
            assert C.sms_figures(totals["workers"], totals) == C.sms_funnel(raw["entries"], raw["deposits"], day)
            status = C.visit_status(raw["entries"], campaign["spring_festival"].date(), day)
            pd.testing.assert_frame_equal(C.visit_summary_from_counts(totals), C.visit_summary(status))
            for level, key, per_worker in (("village", "village_id", C.by_village), ("staff", "staff_id", C.by_staff)):
                level_targets = raw["targets"][raw["targets"]["level"] == level]
                rolled = C.table_from_counts(counts[level], level_targets, key).sort_values(key, ignore_index=True)
                expected = per_worker(raw["entries"], status, raw["deposits"], level_targets, day)
                pd.testing.assert_frame_equal(rolled, expected.sort_values(key, ignore_index=True),
                                              check_exact=False, rtol=1e-9)
            assert raw["entries"]["entry_id"].size == totals["workers"] > 0


def a_branch_with_workers(session: Session) -> Scope:
    branch_id = session.execute(select(NameListEntry.branch_id).group_by(NameListEntry.branch_id)
                                .order_by(func.count().desc(), NameListEntry.branch_id)).scalar()
    return Scope.for_branches([branch_id])


def test_campaign_and_follower_queries_at_head_office_read_no_raw_events(demo_session):
    """The campaign page's and the overview's campaign queries for head office read rollups only."""
    season = latest_season(demo_session)
    scope = Scope.head_office()
    day = C.campaigns(demo_session, scope).iloc[-1]["spring_festival"].date()
    calls = {
        "list counts": lambda: C.list_counts(demo_session, scope, season, day),
        "season summary": lambda: C.season_summary(demo_session, scope, season),
        "overview headline": lambda: C.overview_headline(demo_session, scope, DEMO_END),
        "overview curves": lambda: B.campaign_curves(demo_session, scope, DEMO_END),
        "overview drop alerts": lambda: B.drop_alerts_on(demo_session, scope, DEMO_END),
    }
    for name, call in calls.items():
        forget_running_columns()  # held columns answer from memory: the first read of a data version is checked
        statements = statements_run_by(demo_session, call)
        assert statements, f"{name} ran no SQL"
        assert touched_raw_tables(statements) == set(), f"{name} read raw events: {statements}"


def test_follower_queries_at_head_office_read_the_follower_rollups_not_follower_days(demo_session):
    """The followers page's and the overview's follower queries for head office read the branch-day rollup and
    the bank's day totals: no statement names followerdaily (nor any other raw event table)."""
    scope = Scope.head_office()
    calls = {
        "date range": lambda: F.follower_date_range(demo_session, scope),
        "bank curve": lambda: F.daily_followers(demo_session, scope, START, DEMO_END),
        "ranking totals": lambda: F.branch_period_totals(demo_session, scope, START, DEMO_END),
        "overview ranking": lambda: F.branch_ranking(demo_session, scope, START, DEMO_END),
        "drop episodes": lambda: F.drop_episodes(demo_session, scope, START, DEMO_END),
        "event uplift": lambda: F.event_uplift_from_rollup(demo_session, scope, START, DEMO_END),
        "drops on a day": lambda: F.drops_running_on_day(demo_session, scope, DEMO_END),
        "current drop alerts": lambda: F.current_drop_alerts(demo_session, scope),
        "overview drop alerts": lambda: B.drop_alerts_on(demo_session, scope, DEMO_END),
        "brief drop count": lambda: B._drop_branches_on(demo_session, scope, DEMO_END, has_figures=True),
    }
    for name, call in calls.items():
        forget_running_columns()  # held columns answer from memory: the first read of a data version is checked
        statements = statements_run_by(demo_session, call)
        assert statements, f"{name} ran no SQL"
        touched = {t for t in (*RAW_EVENT_TABLES, "followerdaily") if any(re.search(rf'\b"?{t}"?\b', s)
                                                                           for s in statements)}
        assert touched == set(), f"{name} read raw events: {statements}"
        assert any("followerbranchdaily" in s or "followerdaytotal" in s for s in statements), name


def test_follower_day_reads_are_caught_by_the_detector(demo_session):
    statements = statements_run_by(demo_session, lambda: F.daily_followers_by_branch(
        demo_session, Scope.head_office(), START, DEMO_END))
    assert any(re.search(r'\bfollowerdaily\b', s) for s in statements)


def _periods(session: Session) -> list[tuple[date, date]]:
    first, last = F.follower_date_range(session, Scope.head_office())
    return [(last - timedelta(days=89), last), (last - timedelta(days=200), last - timedelta(days=30)),
            (first, first + timedelta(days=60))]


def test_follower_rollup_figures_equal_the_per_frame_computation(demo_session):
    """Ranking totals, drop episodes and alerts, event uplift and the bank's curve read from the rollups equal
    the same measures computed from every branch's days (read from the first day, since the stored drop
    signal is judged over each branch's whole history)."""
    scope = Scope.head_office()
    first, _ = F.follower_date_range(demo_session, scope)
    for start, end in _periods(demo_session):
        full = F.daily_followers_by_branch(demo_session, scope, first, end)
        totals = F.branch_period_totals(demo_session, scope, start, end)
        names = pd.DataFrame({"branch_id": totals["branch_id"], "branch_name": "", "region_name": ""})
        expected = F.rank_branches(full, names, start, end)[totals.columns].sort_values("branch_id")
        pd.testing.assert_frame_equal(totals, expected.reset_index(drop=True).astype("int64"))
        episodes = F.drops_in_period(F.detect_drops(full), start, end)
        pd.testing.assert_frame_equal(F.drop_episodes(demo_session, scope, start, end),
                                      episodes.sort_values(["branch_id", "start_day"]).reset_index(drop=True),
                                      check_dtype=False)
        pd.testing.assert_frame_equal(F.drops_running_on_day(demo_session, scope, end),
                                      episodes[episodes["end_day"] == pd.Timestamp(end)]
                                      .sort_values(["branch_id", "start_day"]).reset_index(drop=True),
                                      check_dtype=False)
        events = F.marketing_events(demo_session, scope, start, end)
        assert len(events) > 0
        pd.testing.assert_frame_equal(F.event_uplift_from_rollup(demo_session, scope, start, end),
                                      F.event_uplift(full, events), check_dtype=False)
        everything = Scope.for_branches(pd.read_sql(select(Branch.id), demo_session.connection())["id"])
        pd.testing.assert_frame_equal(F.daily_followers(demo_session, scope, start, end),
                                      F.daily_followers(demo_session, everything, start, end))
    assert len(F.drop_episodes(demo_session, scope, first, DEMO_END)) > 0


def _branch_rows(session: Session, branch_id: int) -> pd.DataFrame:
    table = FollowerBranchDaily.__table__
    rows = read_frame(session, select(*[c for c in table.c if c.name != "id"])
                      .where(table.c.branch_id == branch_id).order_by(table.c.day))
    return rows.reset_index(drop=True)


def test_a_follower_day_refreshes_its_branch_from_that_day_on_as_a_full_rebuild_would(empty_engine):
    """A changed day moves the running totals and the drop signal of every later day of its branch: the
    refresh from that day equals rebuilding everything, and other branches' rows are left alone."""
    from sample_data.generate import seed_database

    seed_database(empty_engine, "demo", 1, DEMO_END)
    with Session(empty_engine) as session:
        row = session.execute(select(FollowerDaily).where(FollowerDaily.day == date(2026, 9, 1))
                              .order_by(FollowerDaily.branch_id)).scalars().first()
        branch_id = int(row.branch_id)
        other = session.execute(select(FollowerDaily.branch_id).where(FollowerDaily.branch_id != branch_id)).scalar()
        other_before = _branch_rows(session, int(other))
        row.unfollows += 900
        row.net_follows -= 900
        session.flush()
        refresh_follower_rollups(session.connection(), [branch_id], date(2026, 9, 1), date(2026, 9, 1))
        refreshed = _branch_rows(session, branch_id)
        pd.testing.assert_frame_equal(_branch_rows(session, int(other)), other_before)
        refresh_follower_rollups(session.connection(), None, None, None)
        pd.testing.assert_frame_equal(refreshed, _branch_rows(session, branch_id))
        changed = refreshed[pd.to_datetime(refreshed["day"]) >= pd.Timestamp(2026, 9, 1)]
        assert changed["flagged"].any()
        session.rollback()
