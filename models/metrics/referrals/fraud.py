"""Fraud signals: the events the rules read, the flags the batch stored and reviewers' clearances."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, literal, select
from sqlmodel import Session

from models.org import Branch, Staff
from models.referrals import FraudClearance, FraudDecision, ReferralEvent, ReferralStage
from models.rollup_tables.referrals import ReferralFraudFlag
from models.scope import Scope
from models.store.frames import read_frame


def fraud_check_events(session: Session, scope: Scope, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Registrations and conversions (in the period, if one is given) with the fields the fraud rules
    read: the batch that fills `ReferralFraudFlag` reads a branch's whole history."""
    statement = (
        select(ReferralEvent.id.label("event_id"), ReferralEvent.code_id, ReferralEvent.staff_id,
               ReferralEvent.branch_id, ReferralEvent.customer_id, ReferralEvent.stage, ReferralEvent.day,
               ReferralEvent.device_id, ReferralEvent.phone_prefix, ReferralEvent.reversed_on)
        .where(scope.clause(ReferralEvent.branch_id),
               ReferralEvent.stage.in_([ReferralStage.REGISTER.value, ReferralStage.CONVERT.value]))
        .order_by(ReferralEvent.id)
    )
    if start is not None:
        statement = statement.where(ReferralEvent.day >= start)
    if end is not None:
        statement = statement.where(ReferralEvent.day <= end)
    return read_frame(session, statement)


def stored_fraud_flags(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Flags the batch stored for events in the period, with the event's day and stage and the owner's
    name and branch."""
    flag = ReferralFraudFlag
    statement = (
        select(flag.event_id, flag.staff_id, flag.customer_id, flag.rule, flag.detail, flag.day, flag.stage,
               Staff.name.label("staff_name"), Branch.name.label("branch_name"))
        .join(Staff, Staff.id == flag.staff_id, isouter=True)
        .join(Branch, Branch.id == flag.branch_id, isouter=True)
        .where(scope.clause(flag.branch_id), flag.day.between(start, end))
        .order_by(flag.day, flag.event_id, flag.rule)
    )
    return read_frame(session, statement)


def fraud_clearances(session: Session, scope: Scope) -> pd.DataFrame:
    """Flags a reviewer cleared (genuine): the only ones whose reward is paid. Confirmed flags, like open
    ones, keep the customer's reward withheld."""
    statement = select(FraudClearance.event_id, FraudClearance.rule, FraudClearance.cleared_on,
                       FraudClearance.cleared_by).where(scope.clause(FraudClearance.branch_id),
                                                        FraudClearance.decision == FraudDecision.CLEARED.value)
    return read_frame(session, statement)


def cleared_flag_count(session: Session, scope: Scope, start: date, end: date) -> int:
    """How many of the period's stored flags a reviewer cleared: `fraud_review`'s cleared rows, counted in SQL
    (the week card holds every flag of the week; the open ones are those minus these)."""
    flag, decision = ReferralFraudFlag, FraudClearance
    statement = (select(func.count()).select_from(flag)
                 .join(decision, and_(decision.event_id == flag.event_id, decision.rule == flag.rule))
                 .where(scope.clause(flag.branch_id), flag.day.between(start, end), scope.clause(decision.branch_id),
                        decision.decision == FraudDecision.CLEARED.value))
    return int(session.execute(statement).scalar_one())


REVIEW_STATUSES = ("open", FraudDecision.CONFIRMED.value, FraudDecision.CLEARED.value)


def fraud_work_list(session: Session, scope: Scope, start: date | None = None, end: date | None = None,
                    status: str | None = None, limit: int | None = None, event_id: int | None = None,
                    rule: str | None = None) -> pd.DataFrame:
    """The reviewers' work list: every flag of events in the period with the owner's name and branch and
    the decision so far (status open / confirmed / cleared, who, when, why and the row's version for the
    optimistic check); `status` keeps one of them, `event_id` and `rule` one flag; open flags first, oldest first."""
    flag, decision = ReferralFraudFlag, FraudClearance
    state = func.coalesce(decision.decision, literal("open"))
    statement = (
        select(flag.event_id, flag.rule, flag.day, flag.stage, flag.staff_id, flag.branch_id, flag.customer_id,
               flag.detail, Staff.name.label("staff_name"), Branch.name.label("branch_name"), state.label("status"),
               decision.cleared_by.label("decided_by"), decision.cleared_on.label("decided_on"),
               decision.note.label("reason"), func.coalesce(decision.version, 0).label("version"))
        .join(decision, and_(decision.event_id == flag.event_id, decision.rule == flag.rule), isouter=True)
        .join(Staff, Staff.id == flag.staff_id, isouter=True)
        .join(Branch, Branch.id == flag.branch_id, isouter=True)
        .where(scope.clause(flag.branch_id))
        .order_by(case((decision.id.is_(None), 0), else_=1), flag.day, flag.event_id, flag.rule)
    )
    if start is not None and end is not None:
        statement = statement.where(flag.day.between(start, end))
    if status is not None:
        statement = statement.where(state == status)
    if event_id is not None:
        statement = statement.where(flag.event_id == int(event_id), flag.rule == rule)
    if limit is not None:
        statement = statement.limit(int(limit))
    return read_frame(session, statement)


def review_counts(session: Session, scope: Scope, start: date, end: date) -> dict[str, int]:
    """Flags in the period per status (open / confirmed / cleared)."""
    flag, decision = ReferralFraudFlag, FraudClearance
    state = func.coalesce(decision.decision, literal("open"))
    rows = session.execute(
        select(state, func.count())
        .select_from(flag)
        .join(decision, and_(decision.event_id == flag.event_id, decision.rule == flag.rule), isouter=True)
        .where(scope.clause(flag.branch_id), flag.day.between(start, end)).group_by(state)).all()
    counts = dict.fromkeys(REVIEW_STATUSES, 0)
    counts.update({str(k): int(v) for k, v in rows})
    return counts


def fraud_review(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Flagged events in the period with staff, day and whether a reviewer has cleared them (confirmed
    flags are not cleared: their reward stays withheld)."""
    flags = stored_fraud_flags(session, scope, start, end)
    if flags.empty:
        return flags.assign(cleared=pd.Series(dtype="bool"))
    clearances = fraud_clearances(session, scope)
    cleared = set(zip(clearances["event_id"].astype(int), clearances["rule"], strict=True)) if not clearances.empty else set()
    flags["cleared"] = [(int(e), r) in cleared for e, r in zip(flags["event_id"], flags["rule"], strict=True)]
    return flags
