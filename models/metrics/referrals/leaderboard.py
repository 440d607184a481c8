"""The referral leaderboard: counts per code owner from the rollups, ranks and change since the
previous period, and the overview's headline."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import Numeric, case, cast, distinct, func, select
from sqlmodel import Session

from models.measures.referrals import LEADERBOARD_WINDOWS, REWARD_METRICS, rank_staff_board, staff_board, with_previous
from models.metrics.referrals.common import live_conversion, previous_period, staff_in_scope, stage_sum
from models.metrics.referrals.fraud import cleared_flag_count
from models.metrics.referrals.rewards import board_reward_figures
from models.metrics.referrals.running_columns import held_running_columns, running_columns
from models.org import Branch, Staff
from models.referrals import ReferralEvent, ReferralStage
from models.rollup_tables.referrals import ALL_CAMPAIGNS, ReferralFraudFlag, ReferralInvitation, ReferralStaffWindow
from models.scope import Scope
from models.store.frames import read_frame


def staff_referral_counts(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None
) -> pd.DataFrame:
    """Per code owner in the period: clicks, invites (registrations), participants, conversions not
    reversed and their amount."""
    frame = staff_referral_totals(session, scope, start, end, campaign_id).merge(
        invited_converted(session, scope, start, end, campaign_id), on="staff_id", how="left")
    frame["invited_converted"] = frame["invited_converted"].fillna(0)
    for column in ("clicks", "invites", "participants", "conversions", "invited_converted"):
        frame[column] = frame[column].astype("int64") if not frame.empty else pd.Series(dtype="int64")
    frame["conversion_amount"] = frame["conversion_amount"].astype("float64") if not frame.empty else pd.Series(dtype="float64")
    return frame


def _window_snapshot_statement(session: Session, scope: Scope, start: date, end: date, key: int,
                               staff_id: int | None):
    """The stored totals of a preset window ending on the last day with events (or of the period before
    it), or None when the period is not one of those (then the running totals answer)."""
    days = (end - start).days + 1
    if days not in LEADERBOARD_WINDOWS:
        return None
    w = ReferralStaffWindow
    stored = select(w.id).where(w.campaign_key == key, w.window_days == days, w.end_day == end).limit(1)
    if session.execute(stored).first() is None:
        return None
    statement = (select(w.staff_id, w.clicks, w.invites, w.participants, w.conversions, w.conversion_amount)
                 .where(scope.clause(w.branch_id), w.campaign_key == key, w.window_days == days, w.end_day == end))
    return statement if staff_id is None else statement.where(w.staff_id == int(staff_id))


def staff_referral_totals(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """The leaderboard's counts per code owner from the rollups, never the raw events: a preset period
    (last 7/30/90/180/365 days) ending on the last day with events reads its stored snapshot (one row per
    owner); any other period subtracts running totals held as columns in memory (`running_columns`: the
    same figures as `running_totals_statement`, one vectorised subtraction for every owner), loaded on the
    first such request of a data version. Once held, the columns answer the presets too (faster than
    reading the snapshot's rows)."""
    key = ALL_CAMPAIGNS if campaign_id is None else int(campaign_id)
    columns = held_running_columns(session, key)
    statement = None if columns is not None else _window_snapshot_statement(session, scope, start, end, key, staff_id)
    if statement is None:
        columns = columns if columns is not None else running_columns(session, key)
        return columns.staff_totals(scope, start, end, staff_id)
    frame = read_frame(session, statement).drop(columns=["branch_id", "events"], errors="ignore")
    if frame["staff_id"].duplicated().any():  # an owner whose codes belonged to two branches
        frame = frame.groupby("staff_id", as_index=False).sum()
    return frame.assign(conversion_amount=frame["conversion_amount"].astype("float64").round(2))


def referral_totals(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
    staff_id: int | None = None,
) -> dict[str, int]:
    """`staff_referral_totals` summed over the code owners (clicks, invites, participants, conversions): a
    stored preset window is summed by the database (one row read, not ~20,000 at head office)."""
    key = ALL_CAMPAIGNS if campaign_id is None else int(campaign_id)
    names = ("clicks", "invites", "participants", "conversions")
    statement = None
    if held_running_columns(session, key) is None:
        statement = _window_snapshot_statement(session, scope, start, end, key, staff_id)
    if statement is None:
        totals = staff_referral_totals(session, scope, start, end, campaign_id, staff_id)
        return {name: int(totals[name].sum()) for name in names}
    window = statement.subquery()
    row = session.execute(select(*[func.coalesce(func.sum(window.c[name]), 0) for name in names])).one()
    return {name: int(value) for name, value in zip(names, row, strict=True)}


def staff_referral_totals_raw(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None
) -> pd.DataFrame:
    """The same counts by a plain GROUP BY over the raw events: the benchmark's and tests' reference."""
    statement = (
        select(
            ReferralEvent.staff_id,
            stage_sum(ReferralStage.CLICK).label("clicks"),
            stage_sum(ReferralStage.REGISTER).label("invites"),
            stage_sum(ReferralStage.PARTICIPATE).label("participants"),
            func.sum(case((live_conversion(), 1), else_=0)).label("conversions"),
            func.sum(case((live_conversion(), ReferralEvent.amount), else_=0.0)).label("conversion_amount"),
        )
        .where(scope.clause(ReferralEvent.branch_id), ReferralEvent.day.between(start, end))
        .group_by(ReferralEvent.staff_id)
    )
    if campaign_id is not None:
        statement = statement.where(ReferralEvent.campaign_id == int(campaign_id))
    return read_frame(session, statement)


def invited_converted(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None
) -> pd.DataFrame:
    """Per code owner: people who registered in the period and have converted (not reversed) by `end`,
    the numerator of the conversion rate, so the rate never mixes two cohorts. Read from the stored
    invitations, each carrying the day its customer first converted through the same owner."""
    statement = (
        select(ReferralInvitation.staff_id,
               func.count(distinct(ReferralInvitation.customer_id)).label("invited_converted"))
        .where(scope.clause(ReferralInvitation.branch_id), ReferralInvitation.registered_on.between(start, end),
               ReferralInvitation.converted_on <= end)
        .group_by(ReferralInvitation.staff_id)
    )
    if campaign_id is not None:
        statement = statement.where(ReferralInvitation.campaign_id == int(campaign_id))
    frame = read_frame(session, statement)
    return frame if not frame.empty else pd.DataFrame({"staff_id": pd.Series(dtype="int64"),
                                                       "invited_converted": pd.Series(dtype="int64")})



def leaderboard_base(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
    previous_rewards: bool = False,
) -> pd.DataFrame:
    """Every staff member in scope with the period's figures and, prefixed `previous_`, the counts of the
    period of equal length before it (and its rewards when `previous_rewards`: a second ledger, the costliest
    read, needed only to rank by a reward figure). Read once, the page's level switch and its switches
    between count metrics re-rank in memory (`rank_staff_board`) instead of re-reading."""
    staff = staff_in_scope(session, scope)

    def ledger_for(period_start: date, period_end: date) -> pd.DataFrame:
        return board_reward_figures(session, scope, period_start, period_end, campaign_id)

    current = staff_board(staff, staff_referral_counts(session, scope, start, end, campaign_id), ledger_for(start, end))
    before = previous_period(start, end)  # only ranked, never shown as a rate: no cohort count needed
    previous = staff_board(staff, staff_referral_totals(session, scope, *before, campaign_id).assign(invited_converted=0),
                           ledger_for(*before) if previous_rewards else pd.DataFrame())
    return with_previous(current, previous if previous_rewards else previous.drop(columns=list(REWARD_METRICS)))


def leaderboard(
    session: Session, scope: Scope, start: date, end: date, level: str = "staff", by: str = "conversions",
    campaign_id: int | None = None,
) -> pd.DataFrame:
    """The ranking staff open most: figures for the period, rank (ties share the better rank) and the
    change since the previous period of equal length."""
    base = leaderboard_base(session, scope, start, end, campaign_id, previous_rewards=by in REWARD_METRICS)
    return rank_staff_board(base, level, by)


def overview_headline(session: Session, scope: Scope, end: date, days: int = 30) -> dict[str, object]:
    """For the overview page: the last `days` days' conversions, the top staff member and open fraud flags
    (flags nobody cleared), each counted by the database: a stored preset window is summed and its top owner
    picked in SQL, not read (~20,000 rows at head office), and the flags are counted, not listed."""
    start = end - timedelta(days=days - 1)
    conversions, amount, top_staff_id, top_conversions = _headline_counts(session, scope, start, end)
    flag = ReferralFraudFlag
    flagged = session.execute(select(func.count()).select_from(flag)
                              .where(scope.clause(flag.branch_id), flag.day.between(start, end))).scalar_one()
    open_flags = int(flagged) - (cleared_flag_count(session, scope, start, end) if flagged else 0)
    if top_staff_id is None:
        return {"start": start, "end": end, "conversions": 0, "conversion_amount": 0.0, "top_staff": None,
                "top_conversions": 0, "open_fraud_flags": open_flags}
    # Only the top person is named: one row, not the scope's whole staff list (19k at head office).
    name, branch = session.execute(select(Staff.name, Branch.name).join(Branch, Branch.id == Staff.branch_id)
                                   .where(Staff.id == int(top_staff_id))).one()
    return {
        "start": start, "end": end, "conversions": conversions, "conversion_amount": amount,
        "top_staff": f"{name}（{branch}）", "top_conversions": top_conversions, "open_fraud_flags": open_flags,
    }


def _headline_counts(session: Session, scope: Scope, start: date, end: date) -> tuple[int, float, int | None, int]:
    """Conversions and their amount summed over the code owners, and the top owner (most conversions, then
    amount, then lowest id) with their conversions: `staff_referral_totals` summed and sorted, or for a stored
    window not held in memory, the same in SQL (an owner whose codes belonged to two branches summed first)."""
    statement = None
    if held_running_columns(session, ALL_CAMPAIGNS) is None:
        statement = _window_snapshot_statement(session, scope, start, end, ALL_CAMPAIGNS, None)
    if statement is None:
        counts = staff_referral_totals(session, scope, start, end)
        if counts.empty:
            return 0, 0.0, None, 0
        top = counts.sort_values(["conversions", "conversion_amount", "staff_id"], ascending=[False, False, True]).iloc[0]
        return (int(counts["conversions"].sum()), float(counts["conversion_amount"].sum()), int(top["staff_id"]),
                int(top["conversions"]))
    window = statement.subquery()
    per_staff = (select(window.c.staff_id, func.sum(window.c.conversions).label("conversions"),
                        func.round(cast(func.sum(window.c.conversion_amount), Numeric), 2).label("amount"))
                 .group_by(window.c.staff_id).subquery())
    conversions, amount = session.execute(select(func.coalesce(func.sum(per_staff.c.conversions), 0),
                                                 func.coalesce(func.sum(per_staff.c.amount), 0))).one()
    top = session.execute(select(per_staff.c.staff_id, per_staff.c.conversions)
                          .order_by(per_staff.c.conversions.desc(), per_staff.c.amount.desc(), per_staff.c.staff_id)
                          .limit(1)).first()
    if top is None:
        return 0, 0.0, None, 0
    return int(conversions), float(amount), int(top[0]), int(top[1])
