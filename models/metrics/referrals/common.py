"""Referral periods (quarters, the previous period), campaigns, codes and the staff in scope."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, select
from sqlmodel import Session

from models.org import Branch, Region, Staff
from models.referrals import Campaign, InviteCode, ReferralEvent, ReferralStage
from models.rollup_tables.referrals import ReferralDaily
from models.scope import Scope
from models.store.frames import read_frame
from models.store.spans import first_and_last


class ReferralInputError(ValueError):
    """Bad referral input (codes, events, rules): nothing was saved; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；\n".join(problems))


# ---------------------------------------------------------------- periods


def parse_quarter(text: str) -> tuple[date, date]:
    """'2026Q3' -> (2026-07-01, 2026-09-30)."""
    cleaned = text.strip().upper().replace("-", "")
    try:
        year, quarter = int(cleaned[:4]), int(cleaned.split("Q")[1])
        if cleaned[4] != "Q" or not 1 <= quarter <= 4:
            raise ValueError
    except (ValueError, IndexError):
        raise ReferralInputError([f"季度格式应为 2026Q3 / quarter must look like 2026Q3, got {text!r}"]) from None
    start = date(year, 3 * quarter - 2, 1)
    end = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length that ends the day before `start`; whole calendar months (a month, a
    quarter) compare with the same number of whole months before."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first_month = start.year * 12 + start.month - 1 - months
        return date(first_month // 12, first_month % 12 + 1, 1), start - timedelta(days=1)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


# ---------------------------------------------------------------- queries


def campaigns(session: Session, scope: Scope | None = None) -> pd.DataFrame:
    """Campaigns are bank-wide: every scope sees all of them (their events are what the scope limits)."""
    statement = select(Campaign.id.label("campaign_id"), Campaign.code, Campaign.name, Campaign.start_date,
                       Campaign.end_date).order_by(Campaign.start_date, Campaign.id)
    return read_frame(session, statement)


def referral_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    return first_and_last(session, ReferralDaily.day, scope.clause(ReferralDaily.branch_id))


def staff_codes(session: Session, scope: Scope, staff_id: int) -> pd.DataFrame:
    """A staff member's invitation codes with the campaign they belong to (empty = general code)."""
    statement = (
        select(InviteCode.code, InviteCode.channel, InviteCode.issued_on, Campaign.name.label("campaign_name"),
               Campaign.end_date.label("campaign_end"))
        .join(Campaign, Campaign.id == InviteCode.campaign_id, isouter=True)
        .where(scope.clause(InviteCode.branch_id), InviteCode.staff_id == int(staff_id))
        .order_by(InviteCode.campaign_id.is_not(None), InviteCode.issued_on)
    )
    return read_frame(session, statement)


def staff_in_scope(session: Session, scope: Scope, staff_id: int | None = None) -> pd.DataFrame:
    """Staff the caller may see with their branch and region: every leaderboard row starts here. With
    `staff_id`, that one member's row if the scope holds them (the page's "me": ~20,000 rows unread)."""
    statement = (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.employee_no, Staff.role,
               Staff.branch_id, Branch.name.label("branch_name"), Region.name.label("region_name"))
        .join(Branch, Branch.id == Staff.branch_id)
        .join(Region, Region.id == Branch.region_id, isouter=True)
        .where(scope.clause(Staff.branch_id))
        .order_by(Staff.id)
    )
    if staff_id is not None:
        statement = statement.where(Staff.id == int(staff_id))
    return read_frame(session, statement)


def stage_sum(stage: ReferralStage, value=1):
    return func.sum(case((ReferralEvent.stage == stage.value, value), else_=0))


def live_conversion():
    return and_(ReferralEvent.stage == ReferralStage.CONVERT.value, ReferralEvent.reversed_on.is_(None))
