"""The overview's stored week card (`BranchWeekCard`) equals the figures each area computes for the same
week, at head office and for one branch, on both backends, and an import of one day moves it as it moves
the areas' own answers."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models.followers import FollowerDaily
from models.metrics import brief
from models.metrics import campaign as C
from models.metrics.referrals.running_columns import forget_running_columns
from models.org import Branch
from models.referrals import ReferralEvent
from models.refresh import refresh_for_rows
from models.rollup_tables import BranchWeekCard
from models.scope import Scope
from tests.conftest import DEMO_END


def a_branch(session: Session) -> Scope:
    branch_id = session.execute(select(Branch.id).where(Branch.level == "sub_branch").order_by(Branch.id)).scalar()
    return Scope.for_branches([int(branch_id)])


def direct(session: Session, scope: Scope, end: date) -> brief.WeekFigures:
    forget_running_columns()  # columns held for another data version would answer the referral counts
    return dataclasses.replace(brief.week_figures_direct(session, scope, end), tasks_closed=None)


def assert_same_week(stored: brief.WeekFigures | None, expected: brief.WeekFigures) -> None:
    assert stored is not None, f"the card holds no row for {expected.end}"
    for name in ("campaign_deposited", "campaign_attainment", "active_share"):
        want = getattr(expected, name)
        assert getattr(stored, name) == (want if want is None else pytest.approx(want, rel=1e-9)), name
    exact = [f.name for f in dataclasses.fields(brief.WeekFigures)
             if f.name not in ("campaign_deposited", "campaign_attainment", "active_share")]
    assert {n: getattr(stored, n) for n in exact} == {n: getattr(expected, n) for n in exact}


def season_day(session: Session) -> date:
    """A day in the middle of the latest season that has begun by the demo's last day."""
    seasons = C.campaigns(session)
    begun = seasons[seasons["start_date"] <= pd.Timestamp(DEMO_END)].iloc[-1]
    middle = begun["start_date"] + (min(begun["end_date"], pd.Timestamp(DEMO_END)) - begun["start_date"]) / 2
    return middle.date()


@pytest.mark.parametrize("scope_kind", ["head_office", "branch"])
def test_the_stored_card_equals_the_areas_figures_this_week_and_last(demo_session, scope_kind):
    scope = Scope.head_office() if scope_kind == "head_office" else a_branch(demo_session)
    in_season = season_day(demo_session)
    seen = []
    for end in (DEMO_END, brief.last_week_end(DEMO_END), in_season, brief.last_week_end(in_season)):
        expected = direct(demo_session, scope, end)
        assert_same_week(brief.stored_week_figures(demo_session, scope, end), expected)
        seen.append(expected)
    # the comparison covered figures that are there to differ
    assert all(w.net_follows is not None and w.dormant_groups is not None for w in seen)
    assert any(w.campaign_running and w.campaign_deposited for w in seen)
    assert any(w.conversions for w in seen)
    if scope_kind == "head_office":
        assert any(w.drop_branches for w in seen) and any(w.dormant_groups for w in seen)


def test_the_overview_reads_the_card_with_the_tasks_counted_live(demo_session):
    scope = Scope.head_office()
    until = DEMO_END + timedelta(days=3)
    week = brief.week_figures(demo_session, scope, DEMO_END, tasks_until=until)
    forget_running_columns()
    assert week == dataclasses.replace(brief.week_figures_direct(demo_session, scope, DEMO_END, tasks_until=until),
                                       campaign_deposited=week.campaign_deposited,
                                       campaign_attainment=week.campaign_attainment, active_share=week.active_share)


def test_every_branch_has_a_card_for_every_day_from_a_week_before_the_first_follower_day(demo_session):
    first, last = demo_session.execute(select(func.min(FollowerDaily.day), func.max(FollowerDaily.day))).one()
    branches = demo_session.execute(select(func.count()).select_from(Branch)).scalar_one()
    card_first, card_last, rows = demo_session.execute(
        select(func.min(BranchWeekCard.day), func.max(BranchWeekCard.day), func.count())).one()
    first, last = pd.Timestamp(first).date(), pd.Timestamp(last).date()
    assert (pd.Timestamp(card_first).date(), pd.Timestamp(card_last).date()) == (first - timedelta(days=7), last)
    assert rows == branches * ((last - first).days + 8)
    assert brief.stored_week_figures(demo_session, Scope.head_office(), first - timedelta(days=8)) is None


def _card(session: Session, branch_id: int, day: date) -> dict:
    row = session.execute(select(BranchWeekCard).where(BranchWeekCard.branch_id == branch_id,
                                                       BranchWeekCard.day == day)).scalar_one()
    return row.model_dump(exclude={"id"})


def test_a_follower_import_of_one_day_moves_the_card_as_the_areas_figures(demo_session):
    """A file of a new day for one branch's accounts (the follower-only import path) and a corrected earlier
    day: the card gains the new day for every branch and moves the corrected weeks, as the areas do."""
    session = demo_session
    scope = a_branch(session)
    branch_id = next(iter(scope.branch_ids))
    corrected_day, new_day = DEMO_END - timedelta(days=2), DEMO_END + timedelta(days=1)
    try:
        before = _card(session, branch_id, DEMO_END)
        accounts = session.execute(select(FollowerDaily).where(FollowerDaily.branch_id == branch_id,
                                                               FollowerDaily.day == DEMO_END)).scalars().all()
        assert accounts
        for account in accounts:
            session.add(FollowerDaily(account_id=account.account_id, branch_id=branch_id, day=new_day, new_follows=3,
                                      unfollows=40, net_follows=-37, cumulative=max(account.cumulative - 37, 0)))
        corrected = session.execute(select(FollowerDaily).where(FollowerDaily.branch_id == branch_id,
                                                                FollowerDaily.day == corrected_day)).scalars().first()
        corrected.unfollows += 500
        corrected.net_follows -= 500
        session.flush()
        written = pd.DataFrame({"branch_id": [branch_id] * (len(accounts) + 1),
                                "day": [new_day] * len(accounts) + [corrected_day]})
        refresh_for_rows(session, FollowerDaily.__table__, written)

        after = _card(session, branch_id, DEMO_END)
        assert after["net_follows"] == before["net_follows"] - 500
        assert {k: v for k, v in after.items() if k != "net_follows"} == \
            {k: v for k, v in before.items() if k != "net_follows"}
        branches = session.execute(select(func.count()).select_from(Branch)).scalar_one()
        assert session.execute(select(func.count()).select_from(BranchWeekCard)
                               .where(BranchWeekCard.day == new_day)).scalar_one() == branches
        for week_scope in (scope, Scope.head_office()):
            for end in (new_day, brief.last_week_end(new_day), DEMO_END):
                assert_same_week(brief.stored_week_figures(session, week_scope, end), direct(session, week_scope, end))
    finally:
        session.rollback()
        forget_running_columns()


def test_a_referral_import_of_one_day_moves_the_weeks_it_falls_in(demo_session):
    session = demo_session
    scope = a_branch(session)
    branch_id = next(iter(scope.branch_ids))
    day = DEMO_END - timedelta(days=8)
    try:
        template = session.execute(select(ReferralEvent).where(ReferralEvent.branch_id == branch_id)
                                   .order_by(ReferralEvent.id)).scalars().first()
        before = {d: _card(session, branch_id, d)["conversions"] for d in (day - timedelta(days=1), day, DEMO_END,
                                                                           brief.last_week_end(DEMO_END))}
        for _ in range(4):
            session.add(ReferralEvent(code_id=template.code_id, campaign_id=template.campaign_id, branch_id=branch_id,
                                      staff_id=template.staff_id, stage="convert", day=day, amount=1000.0))
        session.flush()
        refresh_for_rows(session, ReferralEvent.__table__, pd.DataFrame({"branch_id": [branch_id], "day": [day]}))
        after = {d: _card(session, branch_id, d)["conversions"] for d in before}
        # the week ending the day before misses them; the weeks ending on the day and a week later hold them
        assert after[day - timedelta(days=1)] == before[day - timedelta(days=1)]
        assert after[day] == before[day] + 4
        assert after[brief.last_week_end(DEMO_END)] == before[brief.last_week_end(DEMO_END)] + 4
        assert after[DEMO_END] == before[DEMO_END]
        for week_scope in (scope, Scope.head_office()):
            for end in (DEMO_END, brief.last_week_end(DEMO_END)):
                assert_same_week(brief.stored_week_figures(session, week_scope, end), direct(session, week_scope, end))
    finally:
        session.rollback()
        forget_running_columns()


@pytest.mark.parametrize("scope_kind", ["head_office", "branch"])
def test_the_week_figures_read_the_card_instead_of_the_areas(demo_session, scope_kind):
    """One row per branch summed: no area headline is recomputed (no running totals, day totals or boards)."""
    from tests.db.test_rollups import statements_run_by, touched_raw_tables

    scope = Scope.head_office() if scope_kind == "head_office" else a_branch(demo_session)
    statements = statements_run_by(demo_session, lambda: brief.week_figures(demo_session, scope, DEMO_END))
    assert any("branchweekcard" in s for s in statements)
    assert touched_raw_tables(statements) == set()
    areas = ("followerdaytotal", "followerbranchdaily", "followerdaily", "grouprunning", "grouplatest",
             "groupbankdaily", "referralstaffwindow", "referralstaffrunning", "campaigndepositdaily")
    assert not [s for s in statements for table in areas if f" {table}" in s or f'"{table}"' in s]
