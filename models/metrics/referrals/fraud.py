"""Fraud signals: the events the rules read, the flags the batch stored and reviewers' clearances."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.org import Branch, Staff
from models.referrals import FraudClearance, ReferralEvent, ReferralStage
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
    statement = select(FraudClearance.event_id, FraudClearance.rule, FraudClearance.cleared_on,
                       FraudClearance.cleared_by).where(scope.clause(FraudClearance.branch_id))
    return read_frame(session, statement)


def fraud_review(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Flagged events in the period with staff, day and whether a reviewer has cleared them."""
    flags = stored_fraud_flags(session, scope, start, end)
    if flags.empty:
        return flags.assign(cleared=pd.Series(dtype="bool"))
    clearances = fraud_clearances(session, scope)
    cleared = set(zip(clearances["event_id"].astype(int), clearances["rule"], strict=True)) if not clearances.empty else set()
    flags["cleared"] = [(int(e), r) in cleared for e, r in zip(flags["event_id"], flags["rule"], strict=True)]
    return flags
