"""The organisation: regions, branches (head office → city branch → sub-branch) and staff."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel


class BranchLevel(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    SUB_BRANCH = "sub_branch"
    OUTLET = "outlet"


class BranchKind(StrEnum):
    COMMUNITY = "community"
    COUNTY = "county"
    URBAN = "urban"


class StaffRole(StrEnum):
    PRESIDENT = "president"
    ACCOUNT_MANAGER = "account_manager"
    WEALTH_MANAGER = "wealth_manager"
    LOBBY_MANAGER = "lobby_manager"
    TELLER = "teller"


class Region(SQLModel, table=True):
    """A 片区: the grouping of branches that head office ranks and totals by."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=64)


class Branch(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=64)
    level: str = Field(max_length=16, index=True)
    parent_id: int | None = Field(default=None, foreign_key="branch.id", index=True)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    city: str = Field(default="", max_length=32)
    kind: str = Field(default=BranchKind.URBAN, max_length=16)
    households: int | None = None


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id", index=True)
    employee_no: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=32)
    role: str = Field(max_length=24)
    phone: str = Field(default="", max_length=20)
    email: str = Field(default="", max_length=120)
    # The staff member's WeCom userid (成员账号), when it differs from the employee number; the WeCom sync
    # maps a userid to this column first, then to `employee_no`.
    wecom_userid: str | None = Field(default=None, max_length=64, index=True)
