"""Customers and prospects, and the villages many of them come from; shared by every area."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class CustomerKind(StrEnum):
    PERSONAL = "personal"
    CORPORATE = "corporate"


class Occupation(StrEnum):
    MIGRANT_WORKER = "migrant_worker"
    FARMER = "farmer"
    EMPLOYEE = "employee"
    CIVIL_SERVANT = "civil_servant"
    BUSINESS_OWNER = "business_owner"
    RETIREE = "retiree"
    STUDENT = "student"
    ENTERPRISE = "enterprise"
    TEACHER = "teacher"
    DOCTOR = "doctor"


class AssetTier(StrEnum):
    """Financial assets held at the bank, the usual retail tiers (thresholds in `metrics.customers`)."""

    MASS = "mass"
    AFFLUENT = "affluent"
    WEALTH = "wealth"
    PRIVATE = "private"


class ChannelPreference(StrEnum):
    """Where the customer mostly deals with the bank."""

    BRANCH = "branch"
    MOBILE = "mobile"
    WECHAT = "wechat"
    PHONE = "phone"


class Village(SQLModel, table=True):
    """A village (or residential compound) served by a branch; the 213N campaign targets villages."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=64)
    township: str = Field(max_length=64)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    households: int = 0


class Customer(SQLModel, table=True):
    """A person or company the bank serves, or a prospect (潜力客户) who is not a customer yet."""

    __table_args__ = (
        Index("ix_customer_branch_staff", "branch_id", "staff_id"),
        Index("ix_customer_village", "village_id"),
        Index("ix_customer_phone", "phone"),  # fraud flags: the customer records with a code owner's phone
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    branch_id: int = Field(foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    village_id: int | None = Field(default=None, foreign_key="village.id")
    name: str = Field(max_length=64)
    phone: str = Field(default="", max_length=20)
    gender: str = Field(default="", max_length=1)
    birth_year: int | None = None
    kind: str = Field(default=CustomerKind.PERSONAL, max_length=16)
    occupation: str = Field(default="", max_length=24)
    is_prospect: bool = False
    e_banking: bool = False
    deposit_balance: float = 0.0
    wealth_balance: float = 0.0
    products_held: int = 0
    opened_on: date | None = None
    # The customer's WeCom external_userid (外部联系人ID, wm.../wo...): how a WeCom group member becomes a customer.
    wecom_external_userid: str | None = Field(default=None, max_length=64, index=True)
    asset_tier: str = Field(default="", max_length=16)  # AssetTier ("" unknown)
    channel_preference: str = Field(default="", max_length=16)  # ChannelPreference ("" unknown)


class KeyRole(StrEnum):
    """Influential people in a customer network (seeds 000, 001, 004)."""

    VILLAGE_HEAD = "village_head"
    VILLAGE_ACCOUNTANT = "village_accountant"
    WOMENS_DIRECTOR = "womens_director"
    ELECTRICIAN = "electrician"
    SHOP_OWNER = "shop_owner"
    VILLAGE_DOCTOR = "village_doctor"
    FOREMAN = "foreman"
    COMMUNITY_EXPERT = "community_expert"
    OPINION_LEADER = "opinion_leader"


VILLAGE_SIX_MEMBERS = (
    KeyRole.VILLAGE_HEAD, KeyRole.VILLAGE_ACCOUNTANT, KeyRole.WOMENS_DIRECTOR,
    KeyRole.ELECTRICIAN, KeyRole.SHOP_OWNER, KeyRole.VILLAGE_DOCTOR,
)


class KeyPerson(SQLModel, table=True):
    """A customer or prospect who holds an influential role; one row per person and role."""

    __table_args__ = (Index("ix_key_person_customer_role", "customer_id", "role", unique=True),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id", index=True)
    village_id: int | None = Field(default=None, foreign_key="village.id")
    role: str = Field(max_length=24)
