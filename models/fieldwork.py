"""Field-work writes from the phone (issue 17): a home visit, an SMS reply, a care action done.

Each write is one function and one transaction: check the caller's role and scope (from the signed-in
account, `Scope`), validate, write, rebuild the campaign list rollups of the entry's branch from the day
touched (`refresh_campaign_lists`), bump the data version and audit with the values before and after.

Who may write what: a staff member only the name-list entries whose contact staff is their own staff record;
a president (and a head-office admin, a president of every branch) any entry of a branch in their scope; a
viewer nothing. A refusal writes nothing but its audit line and raises `FieldworkRefused`.

Optimistic concurrency: every record carries `version`; a change names the version it was made against and
is refused with `FieldworkConflict` when someone changed the record meanwhile (the page keeps what was typed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, update
from sqlmodel import Session

from models.accounts import UserRole
from models.auth import audit, bump_data_version
from models.campaign import (
    NOTE_LENGTH,
    CareAction,
    DepositIntention,
    MigrantCampaign,
    NameListEntry,
    SmsMessage,
    Visit,
    VisitOutcome,
)
from models.refresh.campaign import refresh_campaign_lists
from models.scope import Scope

WRITERS = (UserRole.STAFF.value, UserRole.PRESIDENT.value, UserRole.ADMIN.value)
MAX_REPLY_CODE = 99  # as the SMS import accepts


class FieldworkError(ValueError):
    """A field-work change that cannot be made; `code` names the reason (the page words it in zh/en)."""

    def __init__(self, code: str, detail: str = "") -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}" if detail else code)


class FieldworkRefused(FieldworkError):
    """The caller may not make this change (role or scope); nothing was written, the refusal is audited."""


class FieldworkConflict(FieldworkError):
    """Someone changed the record since the caller read it; nothing was written."""


@dataclass(frozen=True)
class Written:
    """What a write did: the record's id and its new version (None once deleted)."""

    record_id: int
    version: int | None


# ---------------------------------------------------------------- permission


def refusal(scope: Scope, entry: NameListEntry | None) -> str | None:
    """Why `scope` may not write field work on `entry` (None: it may). Pure, shared by every write."""
    if scope.read_only or scope.role not in WRITERS:
        return "read_only"
    if entry is None:
        return None
    if not scope.allows(entry.branch_id):
        return "outside_scope"
    if scope.role == UserRole.STAFF.value and (scope.staff_id is None or entry.staff_id != scope.staff_id):
        return "not_assigned"
    return None


def _refuse(session: Session, actor: str, action: str, reason: str, what: str) -> None:
    """Audit the refusal in its own commit, with nothing else, and raise it."""
    session.rollback()
    audit(session, actor, action, outcome="refused", detail=f"{what} {reason}")
    session.commit()
    raise FieldworkRefused(reason, what)


def _checked_entry(session: Session, scope: Scope, actor: str, action: str, entry_id: int) -> NameListEntry:
    """The entry, once the caller may write on it; else the refusal is audited and raised."""
    entry = session.get(NameListEntry, int(entry_id))
    reason = refusal(scope, entry)
    if reason:
        _refuse(session, actor, action, reason, f"entry={int(entry_id)}")
    if entry is None:
        raise FieldworkError("not_found", f"entry {int(entry_id)}")
    return entry


def _record(session: Session, scope: Scope, actor: str, action: str, model, record_id: int):
    """A visit, SMS or care row to change: a read-only caller is refused before it is even read."""
    what = f"{model.__tablename__}={int(record_id)}"
    reason = refusal(scope, None)
    if reason:
        _refuse(session, actor, action, reason, what)
    row = session.get(model, int(record_id))
    if row is None:
        raise FieldworkConflict("gone", what)
    return row


# ---------------------------------------------------------------- validation (pure)


def _season(session: Session, entry: NameListEntry) -> MigrantCampaign:
    return session.get(MigrantCampaign, entry.campaign_id)


def _check_day(day: date | None, season: MigrantCampaign, today: date, code: str) -> None:
    if day is None:
        raise FieldworkError(code, "no date")
    if day > today:
        raise FieldworkError("future_date", str(day))
    if not season.start_date <= day <= season.end_date:
        raise FieldworkError("outside_season", f"{day} not in {season.start_date}..{season.end_date}")


def _check_note(note: str | None) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_LENGTH:
        raise FieldworkError("note_too_long", str(len(note)))
    return note


def _visit_values(visit_date: date, outcome: str, intention: str | None, intended_amount: float | None,
                  note: str | None, season: MigrantCampaign, today: date) -> dict:
    _check_day(visit_date, season, today, "visit_date")
    if outcome not in {o.value for o in VisitOutcome}:
        raise FieldworkError("outcome", str(outcome))
    if intention is not None and intention not in {i.value for i in DepositIntention}:
        raise FieldworkError("intention", str(intention))
    if intended_amount is not None and (intended_amount != intended_amount or intended_amount < 0):
        raise FieldworkError("amount", str(intended_amount))
    return {"visit_date": visit_date, "outcome": outcome, "intention": intention,
            "intended_amount": None if intended_amount is None else float(intended_amount), "note": _check_note(note)}


# ---------------------------------------------------------------- the common tail of a write


def _values(row, columns) -> dict:
    return {c: (v.isoformat() if isinstance(v, date) else v) for c in columns for v in [getattr(row, c)]}


def _finish(session: Session, actor: str, action: str, branch_id: int, first_day: date | None, detail: dict) -> None:
    """Rebuild the branch's list rollups from the day touched, bump the data version, audit, commit."""
    if first_day is not None:
        refresh_campaign_lists(session.connection(), {int(branch_id)}, first_day, from_start_only=True)
    bump_data_version(session)
    for line in audit_lines(detail):
        audit(session, actor, action, detail=line)
    session.commit()


AUDIT_DETAIL = 500  # AuditLog.detail's length


def audit_lines(detail: dict) -> list[str]:
    """The audit detail as JSON: one line, or (when before and after together pass the column's length) one
    line with the values before and one with the values after, so neither is cut. Pure."""
    whole = json.dumps(detail, ensure_ascii=False, default=str)
    if len(whole) <= AUDIT_DETAIL:
        return [whole]
    ids = {k: v for k, v in detail.items() if k not in ("before", "after")}
    return [json.dumps({**ids, side: detail.get(side)}, ensure_ascii=False, default=str) for side in ("before", "after")]


def _versioned_update(session: Session, model, record_id: int, expected_version: int, values: dict) -> int:
    """UPDATE ... WHERE id = :id AND version = :expected; a miss means someone changed it meanwhile."""
    table = model.__table__
    result = session.execute(update(table).where(table.c.id == int(record_id), table.c.version == int(expected_version))
                             .values(**values, version=table.c.version + 1))
    if result.rowcount != 1:
        session.rollback()
        raise FieldworkConflict("changed", f"{table.name} {int(record_id)}")
    return int(expected_version) + 1


# ---------------------------------------------------------------- visits

VISIT_FIELDS = ("visit_round", "visit_date", "outcome", "intention", "intended_amount", "note")


def record_visit(session: Session, scope: Scope, actor: str, entry_id: int, visit_round: int, visit_date: date,
                 outcome: str, intention: str | None = None, intended_amount: float | None = None, note: str = "",
                 today: date | None = None) -> Written:
    """A new home visit of round 1, 2 or 3 on a name-list entry. A round already recorded (by anyone) is a
    conflict: edit that visit instead."""
    if refusal(scope, None):
        _refuse(session, actor, "visit_record", "read_only", f"entry={int(entry_id)}")
    entry = _checked_entry(session, scope, actor, "visit_record", entry_id)
    if visit_round not in (1, 2, 3):
        raise FieldworkError("round", str(visit_round))
    values = _visit_values(visit_date, outcome, intention, intended_amount, note, _season(session, entry),
                           today or date.today())
    taken = session.execute(select(Visit.id).where(Visit.entry_id == entry.id, Visit.visit_round == int(visit_round)))
    if taken.first() is not None:
        raise FieldworkConflict("visit_exists", f"entry {entry.id} round {visit_round}")
    staff_id = scope.staff_id if scope.role == UserRole.STAFF.value else entry.staff_id
    visit = Visit(entry_id=entry.id, branch_id=entry.branch_id, visit_round=int(visit_round), staff_id=staff_id,
                  **values)
    session.add(visit)
    session.flush()
    _finish(session, actor, "visit_record", entry.branch_id, values["visit_date"],
            {"visit": visit.id, "entry": entry.id, "before": None, "after": _values(visit, VISIT_FIELDS)})
    return Written(int(visit.id), 1)


def edit_visit(session: Session, scope: Scope, actor: str, visit_id: int, expected_version: int, visit_date: date,
               outcome: str, intention: str | None = None, intended_amount: float | None = None, note: str = "",
               today: date | None = None) -> Written:
    """Change a recorded visit (not its round); refused as a conflict if it changed since `expected_version`."""
    visit = _record(session, scope, actor, "visit_edit", Visit, visit_id)
    entry = _checked_entry(session, scope, actor, "visit_edit", visit.entry_id)
    values = _visit_values(visit_date, outcome, intention, intended_amount, note, _season(session, entry),
                           today or date.today())
    before = _values(visit, VISIT_FIELDS)
    first_day = min(visit.visit_date, values["visit_date"])
    version = _versioned_update(session, Visit, visit.id, expected_version, values)
    session.expire(visit)
    _finish(session, actor, "visit_edit", entry.branch_id, first_day,
            {"visit": visit.id, "entry": entry.id, "before": before, "after": _values(visit, VISIT_FIELDS)})
    return Written(int(visit_id), version)


def delete_visit(session: Session, scope: Scope, actor: str, visit_id: int, expected_version: int) -> Written:
    """Remove a visit recorded by mistake; its values stay in the audit log."""
    visit = _record(session, scope, actor, "visit_delete", Visit, visit_id)
    entry = _checked_entry(session, scope, actor, "visit_delete", visit.entry_id)
    before = _values(visit, VISIT_FIELDS)
    result = session.execute(delete(Visit.__table__).where(Visit.__table__.c.id == visit.id,
                                                           Visit.__table__.c.version == int(expected_version)))
    if result.rowcount != 1:
        session.rollback()
        raise FieldworkConflict("changed", f"visit {int(visit_id)}")
    _finish(session, actor, "visit_delete", entry.branch_id, date.fromisoformat(before["visit_date"]),
            {"visit": int(visit_id), "entry": entry.id, "before": before, "after": None})
    return Written(int(visit_id), None)


# ---------------------------------------------------------------- the SMS reply

SMS_FIELDS = ("replied_on", "reply_code", "note")


def record_sms_reply(session: Session, scope: Scope, actor: str, sms_id: int, expected_version: int,
                     replied_on: date | None, reply_code: int | None = None, note: str = "",
                     today: date | None = None) -> Written:
    """Record (or correct) the worker's reply to the campaign SMS; `replied_on=None` withdraws a reply
    recorded by mistake. Only a delivered SMS can be answered, on or after the day it was sent."""
    sms = _record(session, scope, actor, "sms_reply", SmsMessage, sms_id)
    entry = _checked_entry(session, scope, actor, "sms_reply", sms.entry_id)
    if replied_on is not None:
        _check_day(replied_on, _season(session, entry), today or date.today(), "replied_on")
        if not sms.delivered:
            raise FieldworkError("not_delivered", f"sms {sms.id}")
        if replied_on < sms.sent_on:
            raise FieldworkError("before_sent", f"{replied_on} < {sms.sent_on}")
        if reply_code is not None and not 0 <= int(reply_code) <= MAX_REPLY_CODE:
            raise FieldworkError("reply_code", str(reply_code))
    values = {"replied_on": replied_on, "reply_code": None if replied_on is None or reply_code is None
              else int(reply_code), "note": _check_note(note)}
    before = _values(sms, SMS_FIELDS)
    days = [d for d in (sms.replied_on, replied_on) if d is not None]
    version = _versioned_update(session, SmsMessage, sms.id, expected_version, values)
    session.expire(sms)
    _finish(session, actor, "sms_reply", entry.branch_id, min(days) if days else None,
            {"sms": sms.id, "entry": entry.id, "before": before, "after": _values(sms, SMS_FIELDS)})
    return Written(int(sms_id), version)


# ---------------------------------------------------------------- care actions

CARE_FIELDS = ("done_on", "note")


def mark_care_done(session: Session, scope: Scope, actor: str, care_id: int, expected_version: int,
                   done_on: date | None, note: str = "", today: date | None = None) -> Written:
    """Tick a care action done on a day with a note (`done_on=None`: not done after all). Care actions feed
    no rollup; the data version still moves so every page re-reads."""
    care = _record(session, scope, actor, "care_done", CareAction, care_id)
    entry = _checked_entry(session, scope, actor, "care_done", care.entry_id)
    if done_on is not None:
        _check_day(done_on, _season(session, entry), today or date.today(), "done_on")
    before = _values(care, CARE_FIELDS)
    version = _versioned_update(session, CareAction, care.id, expected_version,
                                {"done_on": done_on, "note": _check_note(note)})
    session.expire(care)
    _finish(session, actor, "care_done", entry.branch_id, None,
            {"care": care.id, "entry": entry.id, "before": before, "after": _values(care, CARE_FIELDS)})
    return Written(int(care_id), version)
