"""Phone-first blocks of the field-work page: a card per worker to visit, one short form per record.

Every form calls one service function of `models.fieldwork`, which checks role and scope on the server; a
form's widgets take their first values from the record once and then keep what the user typed, so a refusal
or a conflict (someone else changed the record meanwhile) loses nothing. The version a form was opened
against is remembered with it and sent with the change."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st
from sqlmodel import Session

from components.data import engine, refresh_data_version
from components.i18n import current_language, format_number, format_percent, t, translate
from components.text import escape_markdown
from models.campaign import DepositIntention, VisitOutcome
from models.fieldwork import (
    FieldworkError,
    delete_visit,
    edit_visit,
    mark_care_done,
    record_sms_reply,
    record_visit,
)
from models.scope import Scope

FLASH_KEY = "fieldwork_flash"
PREFIX = "fw_"
OUTCOMES = [o.value for o in VisitOutcome]
INTENTIONS = [None, *(i.value for i in DepositIntention)]


def _day(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


def _name(text) -> str:
    return escape_markdown("" if text is None or pd.isna(text) else str(text))


def why_next(row) -> str:
    """Why this worker is on the list, in the order the priority weighs it."""
    reasons = [t("fieldwork.why.expected", amount=format_number(row["expected_deposit"]))]
    if row["sms_replied"]:
        reasons.append(t("fieldwork.why.replied"))
    if row["key_tie"]:
        reasons.append(t("fieldwork.why.tie"))
    reasons.append(t("fieldwork.why.home", days=int(row["days_since_return"])))
    if _day(row["leaves_on"]) is not None:
        reasons.append(t("fieldwork.why.leaves", day=_day(row["leaves_on"])))
    return t("fieldwork.why") + t("fieldwork.why.sep").join(reasons)


def flash() -> None:
    """The message of the last successful write (shown once after the rerun that follows it)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message:
        st.success(message)


def figures(values: dict) -> None:
    """Three figures side by side even at phone width (a row that does not stack): visits due, visits done,
    deposits (with the share of the target as a plain note, not a change)."""
    with st.container(horizontal=True, wrap=False, gap="small"):
        st.metric(t("fieldwork.kpi.due"), format_number(values["visits_due"]), border=True,
                  help=f"{t('fieldwork.kpi.missed')}: {format_number(values['visits_missed'])}")
        st.metric(t("fieldwork.kpi.done"), format_number(values["visits_done"]), border=True,
                  help=f"{t('fieldwork.kpi.workers')}: {values['workers']} · {t('fieldwork.kpi.returned')}: "
                       f"{values['returned']}")
        st.metric(t("fieldwork.kpi.deposited"), format_number(values["deposited"]), border=True,
                  delta=None if values["attainment"] is None else format_percent(values["attainment"]),
                  delta_color="off", delta_arrow="off", help=t("fieldwork.kpi.attainment"))


# ---------------------------------------------------------------- form plumbing


def _init(key: str, value) -> str:
    """Give a widget its first value once; later runs keep what the user typed."""
    if key not in st.session_state:
        st.session_state[key] = value
    return key


def _forget(prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _submit(prefix: str, call: Callable, *args, done: str = "fieldwork.saved", **kwargs) -> None:
    """Run one service function in its own session. Success: forget the form (it reopens on the saved record),
    show the message after the rerun. Refusal or error: say why and keep every typed value."""
    try:
        with Session(engine()) as session:
            call(session, *args, **kwargs)
    except FieldworkError as exc:
        st.error(t(f"fieldwork.error.{exc.code}"))
        if exc.code in ("changed", "gone"):
            st.session_state[f"{prefix}conflict"] = True
        return
    refresh_data_version()
    _forget(prefix)
    st.session_state[FLASH_KEY] = t(done)
    st.rerun()


def _reload_button(prefix: str) -> None:
    """After a conflict: drop what the form holds and reopen it on the record as it is now."""
    if st.session_state.get(f"{prefix}conflict") and st.button(t("fieldwork.reload"), key=f"{prefix}reload"):
        _forget(prefix)
        refresh_data_version()
        st.rerun()


def _labels(pattern: str, empty: str = "none") -> Callable[[object], str]:
    """An option formatter bound to this run's language (it is also called outside the run, e.g. by tests)."""
    language = current_language()
    return lambda value: translate(pattern.format(empty if value is None else value), language)


def _date_input(label: str, key: str, first: date, season: dict, today: date):
    last = min(season["end"], today) if today >= season["start"] else season["end"]
    value = min(max(first, season["start"]), last)
    return st.date_input(label, key=_init(key, value), min_value=season["start"], max_value=last)


def _visit_fields(prefix: str, first: dict, season: dict, today: date, with_round: bool) -> dict:
    values = {}
    if with_round:
        values["visit_round"] = st.radio(
            t("fieldwork.visit.round"), [1, 2, 3], horizontal=True, key=_init(f"{prefix}round", first["visit_round"]),
            format_func=_labels("fieldwork.visit.round_label.{}"))
    values["visit_date"] = _date_input(t("fieldwork.visit.date"), f"{prefix}date", first["visit_date"], season, today)
    values["outcome"] = st.selectbox(t("fieldwork.visit.outcome"), OUTCOMES, key=_init(f"{prefix}outcome",
                                     first["outcome"]), format_func=_labels("fieldwork.outcome.{}"))
    values["intention"] = st.selectbox(t("fieldwork.visit.intention"), INTENTIONS,
                                       key=_init(f"{prefix}intention", first["intention"]),
                                       format_func=_labels("fieldwork.intention.{}"))
    values["intended_amount"] = st.number_input(t("fieldwork.visit.amount"), min_value=0.0, step=1000.0,
                                                key=_init(f"{prefix}amount", first["intended_amount"] or 0.0))
    values["note"] = st.text_area(t("fieldwork.note"), max_chars=200, height=80, key=_init(f"{prefix}note",
                                                                                            first["note"]))
    if not values["intended_amount"]:
        values["intended_amount"] = None
    return values


# ---------------------------------------------------------------- visits


def visit_cards(rows: pd.DataFrame, scope: Scope, actor: str, season: dict, as_of: date, today: date,
                can_write: bool) -> None:
    """One card per worker to visit, best first: who, where, which round by when, why; a form to record it."""
    for row in rows.to_dict("records"):
        with st.container(border=True, key=f"{PREFIX}card_{int(row['entry_id'])}"):
            st.markdown(t("fieldwork.card.title", rank=int(row["rank"]), name=_name(row["customer_name"]),
                          village=_name(row["village_name"])))
            line = t("fieldwork.card.round", round=int(row["visit_round"]), deadline=_day(row["deadline"]))
            if row["overdue"]:
                line += f" · **{t('fieldwork.card.overdue')}**"
            if row["phone"]:
                line += " · " + t("fieldwork.card.phone", phone=escape_markdown(str(row["phone"])))
            st.markdown(line)
            st.caption(why_next(row))
            if can_write:
                _record_visit_form(int(row["entry_id"]), int(row["visit_round"]), scope, actor, season, as_of, today)


def _record_visit_form(entry_id: int, visit_round: int, scope: Scope, actor: str, season: dict, as_of: date,
                       today: date) -> None:
    prefix = f"{PREFIX}new_{entry_id}_"
    with st.expander(t("fieldwork.record")), st.form(f"{prefix}form", border=False):
        values = _visit_fields(prefix, {"visit_round": visit_round, "visit_date": as_of, "outcome": OUTCOMES[0],
                                        "intention": None, "intended_amount": None, "note": ""},
                               season, today, with_round=True)
        if st.form_submit_button(t("fieldwork.save"), type="primary", width="stretch", key=f"{prefix}save"):
            _submit(prefix, record_visit, scope, actor, entry_id, today=today, **values)


def recorded_visits(visits: pd.DataFrame, scope: Scope, actor: str, season: dict, today: date,
                    can_write: bool) -> None:
    """The visits recorded on the staff member's workers, newest first; each opens to edit or delete."""
    for row in visits.to_dict("records"):
        with st.container(border=True, key=f"{PREFIX}recorded_{int(row['visit_id'])}"):
            st.markdown(t("fieldwork.recorded.title", name=_name(row["customer_name"]), round=int(row["visit_round"]),
                          day=_day(row["visit_date"]), outcome=t(f"fieldwork.outcome.{row['outcome']}")))
            if row["note"]:
                st.caption(_name(row["note"]))
            if not can_write:
                continue
            prefix = f"{PREFIX}visit_{int(row['visit_id'])}_"
            version = st.session_state.setdefault(f"{prefix}version", int(row["version"]))
            with st.expander(t("fieldwork.edit")), st.form(f"{prefix}form", border=False):
                values = _visit_fields(prefix, {**row, "visit_date": _day(row["visit_date"]),
                                                "intended_amount": None if pd.isna(row["intended_amount"])
                                                else float(row["intended_amount"])},
                                       season, today, with_round=False)
                save, remove = st.columns(2)
                if save.form_submit_button(t("fieldwork.save"), type="primary", width="stretch", key=f"{prefix}save"):
                    _submit(prefix, edit_visit, scope, actor, int(row["visit_id"]), version, today=today, **values)
                if remove.form_submit_button(t("fieldwork.delete"), width="stretch", key=f"{prefix}delete"):
                    _submit(prefix, delete_visit, scope, actor, int(row["visit_id"]), version,
                            done="fieldwork.deleted")
            _reload_button(prefix)


# ---------------------------------------------------------------- SMS replies


def sms_replies(sms: pd.DataFrame, scope: Scope, actor: str, season: dict, as_of: date, today: date,
                can_write: bool) -> None:
    """The staff member's workers' SMS: not yet answered first; a delivered one opens to record the reply."""
    for row in sms.to_dict("records"):
        replied = _day(row["replied_on"])
        name, village = _name(row["customer_name"]), _name(row["village_name"])
        with st.container(border=True):
            st.markdown(t("fieldwork.sms.title_replied", name=name, village=village, day=replied) if replied else
                        t("fieldwork.sms.title_open" if row["delivered"] else "fieldwork.sms.title_undelivered",
                          name=name, village=village))
            st.caption(t("fieldwork.sms.sent", day=_day(row["sent_on"]), phone=escape_markdown(str(row["phone"] or ""))))
            if not can_write or not row["delivered"]:
                continue
            prefix = f"{PREFIX}sms_{int(row['sms_id'])}_"
            version = st.session_state.setdefault(f"{prefix}version", int(row["version"]))
            with st.expander(t("fieldwork.sms.open")), st.form(f"{prefix}form", border=False):
                sent = _day(row["sent_on"])
                on = _date_input(t("fieldwork.sms.replied_on"), f"{prefix}date", replied or max(as_of, sent),
                                 {**season, "start": max(season["start"], sent)}, today)
                code = st.number_input(t("fieldwork.sms.code"), min_value=0, max_value=99, step=1,
                                       key=_init(f"{prefix}code", int(row["reply_code"]) if row["reply_code"] is not None
                                                 and not pd.isna(row["reply_code"]) else 0))
                note = st.text_area(t("fieldwork.note"), max_chars=200, height=80,
                                    key=_init(f"{prefix}note", row["note"] or ""))
                save, withdraw = st.columns(2)
                if save.form_submit_button(t("fieldwork.sms.save"), type="primary", width="stretch",
                                           key=f"{prefix}save"):
                    _submit(prefix, record_sms_reply, scope, actor, int(row["sms_id"]), version, on, int(code), note,
                            today=today)
                if replied and withdraw.form_submit_button(t("fieldwork.sms.withdraw"), width="stretch",
                                                           key=f"{prefix}withdraw"):
                    _submit(prefix, record_sms_reply, scope, actor, int(row["sms_id"]), version, None, None, note,
                            today=today)
            _reload_button(prefix)


# ---------------------------------------------------------------- care


def care_list(care: pd.DataFrame, scope: Scope, actor: str, season: dict, as_of: date, today: date,
              can_write: bool) -> None:
    """Care actions for the families of the staff member's workers: a tick, the day and a note."""
    for row in care.to_dict("records"):
        done_on = _day(row["done_on"])
        with st.container(border=True):
            st.markdown(t("fieldwork.care.done_mark" if done_on else "fieldwork.care.open_mark")
                        + t("fieldwork.care.item", kind=t(f"fieldwork.care.kind.{row['kind']}"),
                            name=_name(row["customer_name"]), village=_name(row["village_name"]),
                            day=_day(row["action_date"])))
            st.caption(t("fieldwork.care.cost", cost=format_number(row["cost"]))
                       + (f" · {_name(row['note'])}" if row["note"] else ""))
            if not can_write:
                continue
            prefix = f"{PREFIX}care_{int(row['care_id'])}_"
            version = st.session_state.setdefault(f"{prefix}version", int(row["version"]))
            with st.expander(t("fieldwork.care.open")), st.form(f"{prefix}form", border=False):
                done = st.checkbox(t("fieldwork.care.done"), key=_init(f"{prefix}done", done_on is not None))
                on = _date_input(t("fieldwork.care.done_on"), f"{prefix}date", done_on or as_of, season, today)
                note = st.text_area(t("fieldwork.note"), max_chars=200, height=80,
                                    key=_init(f"{prefix}note", row["note"] or ""))
                if st.form_submit_button(t("fieldwork.save"), type="primary", width="stretch", key=f"{prefix}save"):
                    _submit(prefix, mark_care_done, scope, actor, int(row["care_id"]), version, on if done else None,
                            note, today=today)
            _reload_button(prefix)


def key_people(people: pd.DataFrame) -> None:
    """The key persons of the staff member's villages and whether they were contacted (read only here)."""
    for row in people.to_dict("records"):
        contacted = _day(row["contact_date"])
        state = (t("fieldwork.keys.contacted", day=contacted, outcome=t(f"fieldwork.keys.outcome.{row['outcome']}"))
                 if contacted else t("fieldwork.keys.not_contacted"))
        st.markdown(f"- **{_name(row['person_name'])}** · {t('graph.role.' + row['role'])} · {state}")
