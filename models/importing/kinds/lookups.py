"""Resolvers shared by the kinds: codes in a file (branch, staff, customer, season, name-list entry)
become ids in the database, and enum choices get their Chinese labels."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.campaign import MigrantCampaign, NameListEntry
from models.customers import Customer
from models.importing.spec import Column, Resolved, attach, lookup, lookup_pairs
from models.org import Branch, Staff


def copy_fields(frame: pd.DataFrame, *fields: str) -> Resolved:
    """Start the stored rows with the file's columns that the table keeps under the same name."""
    return Resolved(frame[[f for f in fields if f in frame.columns]].copy())


def resolve_branches(session: Session, resolved: Resolved, frame: pd.DataFrame, field: str = "branch_code",
              target: str = "branch_id", required: bool = True) -> None:
    if field in frame.columns:
        found = lookup(session, Branch.__table__, "code", frame[field], "id")
        attach(resolved, frame[field], found, {target: "id"}, field, ("网点代码", "branch code"), required)


def resolve_staff(session: Session, resolved: Resolved, frame: pd.DataFrame, field: str = "employee_no") -> None:
    if field in frame.columns:
        found = lookup(session, Staff.__table__, "employee_no", frame[field], "id")
        attach(resolved, frame[field], found, {"staff_id": "id"}, field, ("员工工号", "employee number"), False)


def staff_by_wecom_id(session: Session, values: pd.Series) -> pd.DataFrame:
    """Staff (id, branch_id) indexed by the WeCom userid or employee number in `values` (the userid wins)."""
    by_userid = lookup(session, Staff.__table__, "wecom_userid", values, "id", "branch_id")
    rest = values[~values.isin(by_userid.index)]
    by_number = lookup(session, Staff.__table__, "employee_no", rest, "id", "branch_id")
    found = pd.concat([by_userid, by_number])
    return found[~found.index.duplicated()]


def resolve_customers(session: Session, resolved: Resolved, frame: pd.DataFrame, mapping: dict[str, str],
               field: str = "customer_code", required: bool = True) -> None:
    if field in frame.columns:
        found = lookup(session, Customer.__table__, "code", frame[field], "id", "branch_id", "village_id")
        attach(resolved, frame[field], found, mapping, field, ("客户号", "customer code"), required)


def resolve_season(session: Session, resolved: Resolved, frame: pd.DataFrame) -> None:
    found = lookup(session, MigrantCampaign.__table__, "season", frame["season"].astype("Int64"), "id")
    attach(resolved, frame["season"].astype("Int64"), found, {"campaign_id": "id"}, "season",
           ("营销季（年份）", "campaign season"))


def resolve_entries(session: Session, resolved: Resolved) -> None:
    """The name-list entry of (season, customer): SMS and visits hang off it."""
    pairs = resolved.frame[["campaign_id", "customer_id"]]
    found = lookup_pairs(session, NameListEntry.__table__, ("campaign_id", "customer_id"), pairs, "id", "branch_id")
    merged = pairs.reset_index().merge(found, on=["campaign_id", "customer_id"], how="left").set_index("index")
    resolved.frame["entry_id"] = merged["id"].astype("Int64")
    resolved.frame["branch_id"] = merged["branch_id"].astype("Int64")
    missing = resolved.frame["entry_id"].isna() & pairs.notna().all(axis=1)
    resolved.reject(missing, "customer_code", "该客户不在本季返乡名单中", "this customer is not on the season's name list")


def labelled_choices(enum, labels: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {member.value: (member.value, *labels.get(member.value, ())) for member in enum}


# Columns several kinds share.
SEASON = Column("season", ("营销季", "年份", "season"), "int", min_value=2000, max_value=2100)
CUSTOMER = Column("customer_code", ("客户号", "customer code"))
