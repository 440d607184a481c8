"""Invitation codes, referral events, shares, internal referrals (转介) and piece-rate rewards.

Seeds 000, 002 and 003: every staff member has a unique invitation code; customers who act through
it are bound to that staff member; effective e-banking customers earn a piece-rate reward that is
assessed and paid quarterly by the rule valid on the day the customer became effective.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class CodeChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class ReferralStage(StrEnum):
    CLICK = "click"
    REGISTER = "register"
    PARTICIPATE = "participate"
    CONVERT = "convert"


FUNNEL_STAGES = (ReferralStage.CLICK, ReferralStage.REGISTER, ReferralStage.PARTICIPATE, ReferralStage.CONVERT)


class ShareChannel(StrEnum):
    WECHAT_CHAT = "wechat_chat"
    MOMENTS = "moments"
    WEIBO = "weibo"


class ReferralProduct(StrEnum):
    E_BANKING = "e_banking"
    DEPOSIT = "deposit"
    WEALTH = "wealth"
    PRECIOUS_METAL = "precious_metal"
    CREDIT_CARD = "credit_card"
    ACTIVITY = "activity"


class InternalOutcome(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    CONVERTED = "converted"
    LOST = "lost"


class LedgerStatus(StrEnum):
    COMPUTED = "computed"
    APPROVED = "approved"
    PAID = "paid"


class Campaign(SQLModel, table=True):
    """A referral campaign with its own dates; events through its codes must fall inside them."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=80)
    start_date: date
    end_date: date
    description: str = Field(default="", max_length=200)


class InviteCode(SQLModel, table=True):
    """A staff member's unique invitation code: `campaign_id` empty for the general code."""

    __table_args__ = (
        UniqueConstraint("staff_id", "campaign_id", name="uq_invite_code_staff_campaign"),
        Index("ix_invite_code_branch", "branch_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    channel: str = Field(default=CodeChannel.SMS, max_length=8)
    issued_on: date


class ReferralEvent(SQLModel, table=True):
    """One step a person took through a code. Clicks carry no customer; `reversed_on` marks a
    conversion undone later; branch and staff are the code owner's, copied for scoping."""

    __table_args__ = (
        Index("ix_referral_event_branch_day", "branch_id", "day"),
        Index("ix_referral_event_staff_day", "staff_id", "day"),
        Index("ix_referral_event_code_stage", "code_id", "stage"),
        Index("ix_referral_event_campaign_day", "campaign_id", "day"),
        Index("ix_referral_event_customer", "customer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_ref: str | None = Field(default=None, max_length=40, unique=True)  # the source system's event id
    code_id: int = Field(foreign_key="invitecode.id")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int = Field(foreign_key="staff.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    stage: str = Field(max_length=12)
    day: date
    product: str = Field(default="", max_length=16)
    amount: float = 0.0
    customer_kind: str = Field(default="personal", max_length=16)
    effective: bool = False
    share_channel: str = Field(default="", max_length=12)
    device_id: str = Field(default="", max_length=40)
    phone_prefix: str = Field(default="", max_length=8)
    reversed_on: date | None = None


class FraudDecision(StrEnum):
    CONFIRMED = "confirmed"  # the referral is fraud: its reward stays withheld
    CLEARED = "cleared"      # the referral is genuine: its reward is paid


class FraudClearance(SQLModel, table=True):
    """A reviewer's decision on one flag (event and rule): `cleared` (genuine, the reward is paid) or
    `confirmed` (fraud, the reward stays withheld). A flag without a row is open and withheld too.
    `version` counts the changes (an admin's reversal flips the decision), so two reviewers cannot
    overwrite each other unseen; `cleared_on` / `cleared_by` / `note` are the latest decision's day,
    reviewer and reason."""

    __table_args__ = (UniqueConstraint("event_id", "rule", name="uq_fraud_clearance_event_rule"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="referralevent.id")
    branch_id: int = Field(foreign_key="branch.id", index=True)
    rule: str = Field(max_length=24)
    cleared_on: date
    cleared_by: str = Field(default="", max_length=64)
    note: str = Field(default="", max_length=200)
    decision: str = Field(default=FraudDecision.CLEARED, max_length=12,
                          sa_column_kwargs={"server_default": FraudDecision.CLEARED.value})
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class ShareEvent(SQLModel, table=True):
    """Per staff member, channel and day: posters/links shared from the promotion module and clicks."""

    __table_args__ = (
        UniqueConstraint("staff_id", "channel", "day", name="uq_share_event_staff_channel_day"),
        Index("ix_share_event_branch_day", "branch_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    channel: str = Field(max_length=12)
    day: date
    shares: int = Field(default=0, ge=0)
    clicks: int = Field(default=0, ge=0)


class InternalReferral(SQLModel, table=True):
    """A 转介: a teller or lobby manager hands a customer to an account manager for a product."""

    __table_args__ = (
        Index("ix_internal_referral_branch_day", "branch_id", "day"),
        Index("ix_internal_referral_from", "from_staff_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    from_staff_id: int = Field(foreign_key="staff.id")
    to_staff_id: int = Field(foreign_key="staff.id")
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    product: str = Field(default="", max_length=16)
    day: date
    outcome: str = Field(default=InternalOutcome.PENDING, max_length=12)


class RewardRule(SQLModel, table=True):
    """Yuan per effective customer of a kind, valid from/to (inclusive; open-ended when `valid_to`
    is empty), for one campaign or (`campaign_id` empty) for every customer no campaign rule covers.
    Periods of one kind and campaign never overlap, so each day has exactly one rate; a customer
    converted through a campaign is paid by that campaign's rule of the day, else by the general one."""

    __table_args__ = (
        UniqueConstraint("customer_kind", "campaign_id", "valid_from", name="uq_reward_rule_kind_campaign_from"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_kind: str = Field(max_length=16)
    yuan_per_customer: float = Field(ge=0)
    valid_from: date
    valid_to: date | None = None
    note: str = Field(default="", max_length=200)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id")
    set_by: str = Field(default="", max_length=64)
    set_at: datetime | None = None


class RewardQuarter(SQLModel, table=True):
    """A quarter closed for payroll: its ledger was exported, and from then on nothing changes its amounts
    (recomputing, a rule valid from a day inside it and a fraud decision on its referrals are refused)."""

    quarter: str = Field(primary_key=True, max_length=8)
    closed_at: datetime
    closed_by: str = Field(max_length=64)
    staff_paid: int = 0
    amount: float = 0.0


class RewardLedger(SQLModel, table=True):
    """A staff member's piece-rate reward for one quarter, with the basis of every yuan."""

    __table_args__ = (
        UniqueConstraint("staff_id", "quarter", name="uq_reward_ledger_staff_quarter"),
        Index("ix_reward_ledger_branch_quarter", "branch_id", "quarter"),
    )

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id")
    branch_id: int = Field(foreign_key="branch.id")
    quarter: str = Field(max_length=8)
    personal_customers: int = 0
    corporate_customers: int = 0
    effective_customers: int = 0
    amount: float = 0.0
    flagged_exclusions: int = 0
    basis: str = Field(default="", max_length=2000)
    status: str = Field(default=LedgerStatus.COMPUTED, max_length=12)
    computed_at: datetime | None = None
