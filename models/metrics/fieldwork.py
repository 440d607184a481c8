"""My field work (issue 17): one staff member's share of the 213N campaign on a day, for the phone page.

The ranked next-visit list is the campaign's own (`measures.campaign.visit_next` over the branch's name
list, as the campaign page ranks it), cut to the entries the staff member is the contact of; the figures are
the staff rollup's row; the recorded visits, SMS replies and care actions carry their `version` so that an
edit made from the phone can be checked against a change made meanwhile (`models.fieldwork`)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, func, select
from sqlmodel import Session

from models.campaign import CareAction, MigrantCampaign, NameListEntry, SmsMessage, TargetLevel, Visit
from models.customers import Customer, Village
from models.measures.campaign import key_person_ties, visit_next, visit_status
from models.metrics.campaign import (
    deposits_by_customer_day,
    key_person_outreach,
    list_counts,
    name_list,
    table_from_counts,
    targets,
)
from models.org import Branch, Staff
from models.privacy import CUSTOMER_STAFF, phones_for_scope
from models.rollup_tables.campaign import CampaignStaffDaily
from models.scope import Scope
from models.store.frames import read_frame

NEXT_COLUMNS = ["rank", "entry_id", "customer_name", "phone", "village_name", "visit_round", "deadline", "overdue",
                "expected_deposit", "days_since_return", "sms_replied", "key_tie", "leaves_on", "priority"]


def field_staff(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """The staff members with workers on the season's list inside the scope (the president's picker), read from
    the staff list rollup's first day of the season (the list does not change within a season)."""
    statement = (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.branch_id,
               Branch.name.label("branch_name"), func.sum(CampaignStaffDaily.workers).label("workers"))
        .join(CampaignStaffDaily, CampaignStaffDaily.staff_id == Staff.id)
        .join(MigrantCampaign, and_(MigrantCampaign.id == CampaignStaffDaily.campaign_id,
                                    MigrantCampaign.start_date == CampaignStaffDaily.day))
        .join(Branch, Branch.id == Staff.branch_id)
        .where(CampaignStaffDaily.campaign_id == int(campaign_id), CampaignStaffDaily.workers > 0,
               scope.clause(CampaignStaffDaily.branch_id))
        .group_by(Staff.id, Staff.name, Staff.branch_id, Branch.name)
        .order_by(Branch.name, Staff.name)
    )
    return read_frame(session, statement)


def staff_branch(session: Session, staff_id: int) -> int | None:
    branch = session.execute(select(Staff.branch_id).where(Staff.id == int(staff_id))).scalar_one_or_none()
    return None if branch is None else int(branch)


def staff_names(session: Session, staff_id: int) -> dict[str, str]:
    row = session.execute(select(Staff.name, Branch.name).join(Branch, Branch.id == Staff.branch_id)
                          .where(Staff.id == int(staff_id))).one()
    return {"staff_name": row[0], "branch_name": row[1]}


def field_work(session: Session, scope: Scope, campaign_id: int, as_of: date, staff_id: int) -> dict:
    """Everything the field-work page shows for one staff member on `as_of`: `who` (their name and branch),
    `next` (their ranked visits),
    `figures` (their row of the staff rollup against their target), `visits` (up to `as_of`), `sms` and
    `care` (their entries' records, with versions) and `key_people` (the key persons of their villages). The scope is
    narrowed to the staff member's branch, which must lie inside it (ScopeError otherwise)."""
    branch_id = staff_branch(session, staff_id)
    narrowed = scope.narrow(set() if branch_id is None else {branch_id})
    festival = session.execute(select(MigrantCampaign.spring_festival)
                               .where(MigrantCampaign.id == int(campaign_id))).scalar_one()
    entries = name_list(session, narrowed, campaign_id)
    key_people = key_person_outreach(session, narrowed, campaign_id)
    status = visit_status(entries, festival, as_of)
    ties = key_person_ties(entries, key_people, as_of)
    ranked = visit_next(entries, status, deposits_by_customer_day(session, narrowed, campaign_id), ties, as_of)
    mine = ranked[ranked["staff_id"] == int(staff_id)]
    mine = phones_for_scope(mine, scope)[NEXT_COLUMNS].reset_index(drop=True)
    own_villages = entries.loc[entries["staff_id"] == int(staff_id), "village_id"].dropna().unique()
    return {
        "who": staff_names(session, staff_id),
        "next": mine,
        "figures": staff_figures(session, narrowed, campaign_id, as_of, staff_id),
        "visits": _until(staff_visits(session, narrowed, campaign_id, staff_id), "visit_date", as_of),
        "sms": staff_sms(session, narrowed, campaign_id, staff_id, scope),
        "care": staff_care(session, narrowed, campaign_id, staff_id),
        "key_people": key_people[key_people["village_id"].isin(own_villages)].reset_index(drop=True),
    }


def _until(frame: pd.DataFrame, column: str, as_of: date) -> pd.DataFrame:
    """The rows of days up to `as_of` (a replayed day shows nothing recorded after it, as its figures)."""
    return frame[frame[column] <= pd.Timestamp(as_of)].reset_index(drop=True)


def staff_figures(session: Session, scope: Scope, campaign_id: int, as_of: date, staff_id: int) -> dict:
    """The staff member's row of the staff rollup on `as_of` (the figures the campaign page shows for them):
    workers, home, visits done / due / missed, deposits against their target."""
    counts = list_counts(session, scope, campaign_id, as_of, keys=("staff_id",))["staff"]
    row = counts[counts["staff_id"] == int(staff_id)]
    staff_targets = targets(session, scope, campaign_id)
    staff_targets = staff_targets[staff_targets["level"] == TargetLevel.STAFF.value]
    table = table_from_counts(row, staff_targets[staff_targets["staff_id"] == int(staff_id)], "staff_id")
    done = sum(int(row[f"round{n}_{s}"].sum()) for n in (1, 2, 3) for s in ("on_time", "late"))
    if table.empty:
        return {"workers": 0, "returned": 0, "visits_done": done, "visits_due": 0, "visits_missed": 0,
                "deposited": 0.0, "deposit_target": 0.0, "attainment": None}
    first = table.iloc[0]
    return {"workers": int(first["workers"]), "returned": int(first["returned"]), "visits_done": done,
            "visits_due": int(first["visits_due"]), "visits_missed": int(first["visits_missed"]),
            "deposited": float(first["deposited"]), "deposit_target": float(first["deposit_target"]),
            "attainment": None if pd.isna(first["attainment"]) else float(first["attainment"])}


def _mine(scope: Scope, campaign_id: int, staff_id: int):
    return (NameListEntry.campaign_id == int(campaign_id), NameListEntry.staff_id == int(staff_id),
            scope.clause(NameListEntry.branch_id))


def staff_visits(session: Session, scope: Scope, campaign_id: int, staff_id: int) -> pd.DataFrame:
    """The recorded visits of the staff member's entries, newest first."""
    statement = (
        select(Visit.id.label("visit_id"), Visit.entry_id, Customer.name.label("customer_name"),
               Village.name.label("village_name"), Visit.visit_round, Visit.visit_date, Visit.outcome,
               Visit.intention, Visit.intended_amount, Visit.note, Visit.version)
        .join(NameListEntry, NameListEntry.id == Visit.entry_id)
        .join(Customer, Customer.id == NameListEntry.customer_id)
        .join(Village, Village.id == NameListEntry.village_id, isouter=True)
        .where(*_mine(scope, campaign_id, staff_id))
        .order_by(Visit.visit_date.desc(), Visit.id.desc())
    )
    frame = read_frame(session, statement)
    frame["visit_date"] = pd.to_datetime(frame["visit_date"])
    frame["intended_amount"] = frame["intended_amount"].astype("float64")
    return frame


def staff_sms(session: Session, scope: Scope, campaign_id: int, staff_id: int, phones: Scope) -> pd.DataFrame:
    """The staff member's entries with their SMS (sent, delivered, reply), phones as `phones` may see them."""
    statement = (
        select(SmsMessage.id.label("sms_id"), NameListEntry.id.label("entry_id"), Customer.name.label("customer_name"),
               Customer.phone, Customer.staff_id.label(CUSTOMER_STAFF), Village.name.label("village_name"),
               SmsMessage.sent_on, SmsMessage.delivered, SmsMessage.replied_on, SmsMessage.reply_code,
               SmsMessage.note, SmsMessage.version)
        .join(NameListEntry, NameListEntry.id == SmsMessage.entry_id)
        .join(Customer, Customer.id == NameListEntry.customer_id)
        .join(Village, Village.id == NameListEntry.village_id, isouter=True)
        .where(*_mine(scope, campaign_id, staff_id))
        .order_by(SmsMessage.replied_on.is_(None).desc(), Customer.name, SmsMessage.id)
    )
    frame = read_frame(session, statement)
    for column in ("sent_on", "replied_on"):
        frame[column] = pd.to_datetime(frame[column])
    return phones_for_scope(frame, phones).drop(columns=[CUSTOMER_STAFF])


def staff_care(session: Session, scope: Scope, campaign_id: int, staff_id: int) -> pd.DataFrame:
    """The care actions for the families of the staff member's workers: still to do first, by planned day."""
    statement = (
        select(CareAction.id.label("care_id"), CareAction.entry_id, Customer.name.label("customer_name"),
               Village.name.label("village_name"), CareAction.kind, CareAction.action_date, CareAction.cost,
               CareAction.done_on, CareAction.note, CareAction.version)
        .join(NameListEntry, NameListEntry.id == CareAction.entry_id)
        .join(Customer, Customer.id == NameListEntry.customer_id)
        .join(Village, Village.id == NameListEntry.village_id, isouter=True)
        .where(*_mine(scope, campaign_id, staff_id))
        .order_by(CareAction.done_on.is_(None).desc(), CareAction.action_date, CareAction.id)
    )
    frame = read_frame(session, statement)
    for column in ("action_date", "done_on"):
        frame[column] = pd.to_datetime(frame[column])
    return frame


__all__ = ["NEXT_COLUMNS", "field_staff", "field_work", "staff_branch", "staff_care", "staff_names", "staff_figures",
           "staff_sms", "staff_visits"]
