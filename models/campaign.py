"""The migrant-worker Spring Festival campaign, seed 004's "213N" playbook.

2 preparations (name list, hometown offers), 1 outreach before the return (key persons and foremen,
one interactive SMS, care for the left-behind), 3 home visits, N township events, and the deposits
they bring. Dates follow the lunar calendar: `spring_festival(year)` is the anchor of a season.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache

import holidays
from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

SPRING_FESTIVAL_NAME = "Chinese New Year (Spring Festival)"
CAMPAIGN_LEAD_DAYS = 35
"""The campaign opens five weeks before the festival: lists, offers, key persons and the SMS."""
CAMPAIGN_TAIL_DAYS = 14
"""It closes on the Lantern Festival (15th day of the first month = festival + 14)."""


@lru_cache(maxsize=64)
def spring_festival(year: int) -> date:
    """The first day of the first lunar month (正月初一) in Gregorian `year`, from the `holidays` package."""
    calendar = holidays.China(years=year, language="en_US")
    days = [day for day, name in calendar.items() if name == SPRING_FESTIVAL_NAME]
    if not days:
        raise ValueError(f"no Spring Festival known for {year}")
    return min(days)


def lunar_day(festival: date, number: int) -> date:
    """The `number`-th day of the first lunar month (1 = the festival itself)."""
    return festival + timedelta(days=number - 1)


def new_years_eve(festival: date) -> date:
    """除夕: the last day of the twelfth lunar month, the day before the festival."""
    return festival - timedelta(days=1)


def season_dates(year: int) -> dict[str, date]:
    """A season's calendar: festival, campaign start and end, township-event window (days 6-8)."""
    festival = spring_festival(year)
    return {
        "spring_festival": festival,
        "start_date": festival - timedelta(days=CAMPAIGN_LEAD_DAYS),
        "end_date": festival + timedelta(days=CAMPAIGN_TAIL_DAYS),
        "events_start": lunar_day(festival, 6),
        "events_end": lunar_day(festival, 8),
    }


class TargetLevel(StrEnum):
    BRANCH = "branch"
    VILLAGE = "village"
    STAFF = "staff"


class OfferKind(StrEnum):
    """Hometown welcome-back offers (返乡回馈), seed 004's three service strategies."""

    PICK_UP = "pick_up"
    TICKETS = "tickets"
    FEE_WAIVER = "fee_waiver"
    NEW_YEAR_GOODS = "new_year_goods"
    INSURANCE = "insurance"
    FAMILY_BENEFIT = "family_benefit"


class OutreachOutcome(StrEnum):
    SUPPORTIVE = "supportive"
    NEUTRAL = "neutral"
    DECLINED = "declined"


class CareKind(StrEnum):
    ELDERLY = "elderly"
    CHILDREN = "children"


class VisitOutcome(StrEnum):
    WELCOMED = "welcomed"
    TARGET_SET = "target_set"
    DEPOSIT_PROMISED = "deposit_promised"
    NOT_HOME = "not_home"
    DECLINED = "declined"


class DepositIntention(StrEnum):
    """What a worker said at a home visit about depositing with the bank this season."""

    WILL_DEPOSIT = "will_deposit"
    CONSIDERING = "considering"
    UNDECIDED = "undecided"
    NO = "no"


NOTE_LENGTH = 200
"""A field note (visit, SMS reply, care action) holds at most this many characters."""


def _note() -> str:
    return Field(default="", max_length=NOTE_LENGTH, sa_column_kwargs={"server_default": text("''")})


def _version() -> int:
    """Optimistic concurrency: every change adds one; a change made against an older number is refused."""
    return Field(default=1, sa_column_kwargs={"server_default": "1"})


class MigrantCampaign(SQLModel, table=True):
    """One Spring Festival season; every date is derived from the lunar calendar."""

    id: int | None = Field(default=None, primary_key=True)
    season: int = Field(unique=True)
    name: str = Field(max_length=80)
    spring_festival: date
    start_date: date
    end_date: date
    events_start: date
    events_end: date


class CampaignTarget(SQLModel, table=True):
    """A deposit target for a branch, a village or a staff member in one season."""

    __table_args__ = (
        Index("ix_campaign_target_campaign_branch_level", "campaign_id", "branch_id", "level"),
        UniqueConstraint("campaign_id", "level", "branch_id", "village_id", "staff_id", name="uq_campaign_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    level: str = Field(max_length=16)
    village_id: int | None = Field(default=None, foreign_key="village.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    deposit_target: float = 0.0


class NameListEntry(SQLModel, table=True):
    """A migrant worker on a season's name list (名单), with contact staff and travel dates."""

    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id", name="uq_name_list_campaign_customer"),
        Index("ix_name_list_campaign_branch_staff", "campaign_id", "branch_id", "staff_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    customer_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    village_id: int | None = Field(default=None, foreign_key="village.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    foreman_customer_id: int | None = Field(default=None, foreign_key="customer.id")
    expected_return: date | None = None
    returned_on: date | None = None
    leaves_on: date | None = None
    last_year_deposits: float = 0.0


class HometownOffer(SQLModel, table=True):
    """A welcome-back offer of a branch in a season: what it is, above which deposit, what it costs."""

    __table_args__ = (Index("ix_hometown_offer_campaign_branch", "campaign_id", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    kind: str = Field(max_length=24)
    name: str = Field(max_length=80)
    threshold: float = 0.0
    unit_cost: float = 0.0
    taken: int = 0


class OutreachContact(SQLModel, table=True):
    """A trust-building contact with a village key person or a foreman before the workers return."""

    __table_args__ = (Index("ix_outreach_campaign_branch", "campaign_id", "branch_id"),
                      Index("ix_outreach_key_person_campaign", "key_person_id", "campaign_id"))

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    key_person_id: int = Field(foreign_key="keyperson.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    contact_date: date
    outcome: str = Field(max_length=16)


class SmsMessage(SQLModel, table=True):
    """The one interactive SMS per listed worker: only a reply (with a service number) counts."""

    __table_args__ = (Index("ix_sms_branch_sent", "branch_id", "sent_on"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="namelistentry.id", unique=True)
    branch_id: int = Field(foreign_key="branch.id")
    sent_on: date
    delivered: bool = True
    replied_on: date | None = None
    reply_code: int | None = None
    note: str = _note()
    version: int = _version()


class CareAction(SQLModel, table=True):
    """Care for a worker's left-behind elderly (eggs) or children (stationery), so they call the worker.
    `action_date` is the day it is planned for; `done_on` the day the staff member did it (None: still to do)."""

    __table_args__ = (Index("ix_care_action_branch_date", "branch_id", "action_date"),)

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="namelistentry.id")
    branch_id: int = Field(foreign_key="branch.id")
    kind: str = Field(max_length=16)
    action_date: date
    cost: float = 0.0
    done_on: date | None = None
    note: str = _note()
    version: int = _version()


class Visit(SQLModel, table=True):
    """A home visit: round 1 after the return, round 2 around New Year, round 3 before leaving."""

    __table_args__ = (
        UniqueConstraint("entry_id", "visit_round", name="uq_visit_entry_round"),
        Index("ix_visit_branch_date", "branch_id", "visit_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="namelistentry.id")
    branch_id: int = Field(foreign_key="branch.id")
    visit_round: int = Field(ge=1, le=3)
    visit_date: date
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    outcome: str = Field(max_length=24)
    income_learned: float | None = None
    collection_target: float | None = None
    intention: str | None = Field(default=None, max_length=16)
    intended_amount: float | None = Field(default=None, ge=0)
    note: str = _note()
    version: int = _version()


class TownshipEvent(SQLModel, table=True):
    """One of the N township events (days 6-8 of the first month): prize draw, insurance, family benefits."""

    __table_args__ = (Index("ix_township_event_campaign_branch", "campaign_id", "branch_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    event_date: date
    township: str = Field(max_length=64)
    name: str = Field(max_length=80)
    attendees: int = 0
    prize_threshold: float = 0.0
    qualifying_depositors: int = 0
    new_deposits: float = 0.0


class CampaignDeposit(SQLModel, table=True):
    """A deposit by a listed worker on a day, credited to the campaign, the branch and the contact staff."""

    __table_args__ = (
        Index("ix_campaign_deposit_campaign_branch_day", "campaign_id", "branch_id", "day"),
        Index("ix_campaign_deposit_customer", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="migrantcampaign.id")
    customer_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    village_id: int | None = Field(default=None, foreign_key="village.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    day: date
    amount: float = Field(ge=0)
