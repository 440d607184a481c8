"""Tasks on every page: "create task" from the page's alerts (presidents and head office), a staff member's
open tasks with a "done" form, and the actions on a branch's tasks. The writes are `models.tasks`; the
forms hand them the signed-in account's id, never a role or branch from a widget.

Every submit runs in a button callback, before the page is drawn again, with the task version the person
was looking at: a task another person changed meanwhile is refused with a message, and the note that was
typed is shown again so that nothing is lost."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlmodel import Session

from components.data import engine, query, refresh_data_version, signed_in_user_id
from components.i18n import format_number, format_percent, t
from components.tables import data_table
from components.text import escape_markdown
from models.metrics import tasks as task_metrics
from models.scope import Scope
from models.tasklist import TaskSource, TaskStatus
from models.tasks import MANAGERS, TaskError, cancel_task, close_task, create_task, reopen_task

DEFAULT_DUE_DAYS = 3
DATE = st.column_config.DateColumn(format="YYYY-MM-DD")


@dataclass(frozen=True)
class AlertRef:
    """One alert a task can be made from: its kind, the picker's label and the task's title (both plain
    text in the reader's language), the branch whose staff may take it, the default assignee, and what it
    refers to."""

    kind: str
    label: str
    title: str
    branch_id: int | None = None
    staff_id: int | None = None
    group_id: int | None = None
    village_id: int | None = None
    ref_staff_id: int | None = None
    account_id: int | None = None
    ref_day: date | None = None


def can_assign(scope: Scope) -> bool:
    """Whether to offer "create task" (the service checks again on the server)."""
    return scope.role in MANAGERS and not scope.read_only


def _id(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _day(value) -> date | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).date()


# ---------------------------------------------------------------- alerts as the pages have them


def silent_group_alerts(dormant: pd.DataFrame) -> list[AlertRef]:
    """From `groups.dormant_group_list` rows."""
    return [AlertRef(TaskSource.SILENT_GROUP.value,
                     t("tasks.label.silent_group", group=row.group_name, days=row.days_silent),
                     t("tasks.title.silent_group", group=row.group_name, days=row.days_silent),
                     branch_id=_id(row.branch_id), staff_id=_id(row.staff_id), group_id=int(row.group_id))
            for row in dormant.itertuples(index=False)]


def follower_drop_alerts(drops: pd.DataFrame, branch_names: dict[int, str]) -> list[AlertRef]:
    """From drop episodes (branch_id, start_day, episode_net)."""
    alerts = []
    for row in drops.itertuples(index=False):
        branch = branch_names.get(int(row.branch_id), "")
        start = _day(row.start_day)
        alerts.append(AlertRef(TaskSource.FOLLOWER_DROP.value, t("tasks.label.follower_drop", branch=branch, start=start),
                               t("tasks.title.follower_drop", branch=branch, start=start, net=int(row.episode_net)),
                               branch_id=int(row.branch_id), ref_day=start))
    return alerts


def lagging_village_alerts(villages: pd.DataFrame, limit: int | None = None) -> list[AlertRef]:
    """From the campaign's lagging villages (village_id, village_name, branch_id, attainment, gap), the first
    `limit` of them (all when None)."""
    villages = villages if limit is None else villages.head(limit)
    return [AlertRef(TaskSource.LAGGING_VILLAGE.value,
                     t("tasks.label.lagging_village", village=row.village_name,
                       attainment=format_percent(row.attainment, 0)),
                     t("tasks.title.lagging_village", village=row.village_name,
                       attainment=format_percent(row.attainment, 0), gap=format_number(row.gap)),
                     branch_id=_id(row.branch_id), village_id=_id(row.village_id))
            for row in villages.itertuples(index=False) if _id(row.village_id) is not None]


def staff_behind_alerts(staff: pd.DataFrame, limit: int | None = None) -> list[AlertRef]:
    """From the campaign's staff table: those with visits missed or due, most missed first (the first `limit`;
    all when None)."""
    behind = staff[(staff["visits_missed"] > 0) | (staff["visits_due"] > 0)] if not staff.empty else staff
    behind = behind.sort_values(["visits_missed", "visits_due"], ascending=False) if not behind.empty else behind
    behind = behind if limit is None else behind.head(limit)
    return [AlertRef(TaskSource.STAFF_BEHIND.value,
                     t("tasks.label.staff_behind", staff=row.staff_name, missed=int(row.visits_missed)),
                     t("tasks.title.staff_behind", staff=row.staff_name, missed=int(row.visits_missed),
                       due=int(row.visits_due)),
                     branch_id=_id(row.branch_id), staff_id=_id(row.staff_id), ref_staff_id=_id(row.staff_id))
            for row in behind.itertuples(index=False) if _id(row.staff_id) is not None]


# ---------------------------------------------------------------- flash messages (set in callbacks)


def _flash(key: str, kind: str, text: str, kept: str = "") -> None:
    st.session_state[f"{key}_flash"] = (kind, text, kept)


def _show_flash(key: str) -> None:
    message = st.session_state.pop(f"{key}_flash", None)
    if message is None:
        return
    kind, text, kept = message
    (st.success if kind == "success" else st.error)(text)
    if kept:
        st.caption(t("tasks.kept_note"))
        st.code(kept, language=None, wrap_lines=True)


# ---------------------------------------------------------------- create a task from an alert


def _create(key: str, fields: str, alert: AlertRef, staff_names: dict[int, str]) -> None:
    state = st.session_state
    title, staff_id, due = (state.get(f"{key}_{name}_{fields}") for name in ("title", "staff", "due"))
    try:
        if staff_id is None:
            raise TaskError(t("tasks.no_staff"))
        with Session(engine()) as session:
            create_task(session, signed_in_user_id(), assignee_staff_id=int(staff_id), title=title or "",
                        due_on=due, source_kind=alert.kind, group_id=alert.group_id, village_id=alert.village_id,
                        ref_staff_id=alert.ref_staff_id, account_id=alert.account_id, ref_day=alert.ref_day)
    except TaskError as exc:
        _flash(key, "error", escape_markdown(exc), title or "")
        return
    refresh_data_version()
    state[f"{key}_round"] = state.get(f"{key}_round", 0) + 1
    _flash(key, "success", t("tasks.created", name=escape_markdown(staff_names.get(int(staff_id), "")), due=due))


def task_from_alerts(alerts: list[AlertRef], scope: Scope, key: str, label: str | None = None) -> None:
    """An expander with the page's alerts, a staff member of the alert's branch, a due date and the title
    written from the alert; nothing for an account that may not assign tasks or without alerts."""
    _show_flash(key)  # before the role check: a refusal made in the callback is shown whatever the role now is
    if not can_assign(scope) or not alerts:
        return
    with st.expander(label or t("tasks.from_alert"), icon=":material/add_task:"):
        st.caption(t("tasks.from_alert_help"))
        position = 0
        if len(alerts) > 1:
            position = st.selectbox(t("tasks.alert"), range(len(alerts)), format_func=lambda i: alerts[i].label,
                                    key=f"{key}_alert")
        alert = alerts[position]
        staff = query(task_metrics.assignable_staff, scope, branch_id=alert.branch_id)
        names = dict(zip(staff["staff_id"].astype(int), staff["staff_name"], strict=True))
        labels = {int(r.staff_id): t("tasks.staff_option", name=r.staff_name, branch=r.branch_name)
                  for r in staff.itertuples(index=False)}
        if not labels:
            st.info(t("tasks.no_staff"))
            return
        options = list(labels)
        default = options.index(alert.staff_id) if alert.staff_id in labels else 0
        round_key = f"{position}_{st.session_state.get(f'{key}_round', 0)}"
        with st.form(f"{key}_form_{round_key}", border=False):
            st.text_area(t("tasks.title_field"), value=alert.title, height=68, key=f"{key}_title_{round_key}")
            st.selectbox(t("tasks.assignee"), options, index=default, format_func=labels.get,
                         key=f"{key}_staff_{round_key}")
            today = date.today()
            st.date_input(t("tasks.due"), value=today + timedelta(days=DEFAULT_DUE_DAYS), min_value=today,
                          format="YYYY-MM-DD", key=f"{key}_due_{round_key}")
            st.form_submit_button(t("tasks.create"), type="primary", icon=":material/add_task:",
                                  on_click=_create, args=(key, round_key, alert, names))


# ---------------------------------------------------------------- a staff member's tasks


def _close(key: str, task_id: int, version: int, title: str) -> None:
    note_key = f"{key}_note_{task_id}"
    note = st.session_state.get(note_key, "")
    try:
        with Session(engine()) as session:
            close_task(session, signed_in_user_id(), task_id, note, version)
    except TaskError as exc:
        _flash(key, "error", escape_markdown(exc), note)
        return
    refresh_data_version()
    st.session_state.pop(note_key, None)
    _flash(key, "success", t("tasks.closed", title=escape_markdown(title)))


def _state_text(state: str) -> str:
    colour = {"overdue": "red", "open": "blue", "done": "green"}.get(state, "gray")
    return f":{colour}[{t(f'tasks.state.{state}')}]"


def my_open_tasks(scope: Scope, key: str = "my_tasks") -> None:
    """The signed-in staff member's open tasks as cards, each with a note and "done"; overdue first."""
    if scope.staff_id is None or scope.read_only:
        _show_flash(key)  # a refusal made in the callback, for an account that lost its staff role meanwhile
        return
    st.subheader(t("tasks.mine"))
    _show_flash(key)
    mine = query(task_metrics.my_tasks, scope, as_of=date.today())
    open_tasks = mine[mine["status"] == TaskStatus.OPEN.value]
    if open_tasks.empty:
        st.caption(t("tasks.mine_none"))
    for row in open_tasks.itertuples(index=False):
        with st.container(border=True, key=f"{key}_card_{row.task_id}"):
            st.markdown(f"**{escape_markdown(row.title)}**")
            st.caption(t("tasks.card_line", state=_state_text(row.state), due=_day(row.due_on),
                         source=t(f"tasks.source.{row.source_kind}"), by=escape_markdown(row.created_by)))
            with st.form(f"{key}_form_{row.task_id}", border=False):
                st.text_area(t("tasks.note"), key=f"{key}_note_{row.task_id}", max_chars=500, height=80,
                             placeholder=t("tasks.note_placeholder"))
                st.form_submit_button(t("tasks.close"), type="primary", icon=":material/task_alt:",
                                      on_click=_close, args=(key, int(row.task_id), int(row.version), row.title))


# ---------------------------------------------------------------- a branch's tasks (presidents, head office)


TABLE_LABELS = ("title", "state_text", "assignee_name", "branch_name", "due_on", "source_text", "created_by",
                "closed_at", "closed_by", "closing_note")


def task_table(frame: pd.DataFrame, key: str) -> None:
    shown = frame.assign(state_text=frame["state"].map(lambda s: t(f"tasks.state.{s}")),
                         source_text=frame["source_kind"].map(lambda s: t(f"tasks.source.{s}")),
                         closed_at=frame["closed_at"].dt.tz_convert(None) if not frame.empty else frame["closed_at"])
    headers = {"title": "tasks.col.title", "state_text": "tasks.col.state", "assignee_name": "tasks.col.assignee",
               "branch_name": "tasks.col.branch", "due_on": "tasks.col.due", "source_text": "tasks.col.source",
               "created_by": "tasks.col.created_by", "closed_at": "tasks.col.closed_at",
               "closed_by": "tasks.col.closed_by", "closing_note": "tasks.col.note"}
    data_table(shown, {c: t(headers[c]) for c in TABLE_LABELS}, key=key, file_stem="tasks",
               column_config={"due_on": DATE,
                              "closed_at": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")})


ACTIONS = {TaskStatus.OPEN.value: ("close", "cancel"), TaskStatus.DONE.value: ("reopen",)}


def _act(key: str, task_id: int, version: int, title: str) -> None:
    state = st.session_state
    action, note = state.get(f"{key}_action_{task_id}"), state.get(f"{key}_reason_{task_id}", "")
    try:
        with Session(engine()) as session:
            if action == "close":
                close_task(session, signed_in_user_id(), task_id, note, version)
            elif action == "cancel":
                cancel_task(session, signed_in_user_id(), task_id, note, version)
            else:
                reopen_task(session, signed_in_user_id(), task_id, note, version)
    except TaskError as exc:
        _flash(key, "error", escape_markdown(exc), note)
        return
    refresh_data_version()
    state.pop(f"{key}_reason_{task_id}", None)
    _flash(key, "success", t("tasks.done_action", title=escape_markdown(title)))


def manage_tasks(frame: pd.DataFrame, scope: Scope, key: str = "manage_tasks") -> None:
    """Close, cancel or reopen one of the scope's tasks, with a note (presidents and head office)."""
    _show_flash(key)
    if not can_assign(scope):
        return
    actionable = frame[frame["status"].isin(list(ACTIONS))]
    if actionable.empty:
        return
    with st.expander(t("tasks.manage"), icon=":material/edit_note:"):
        rows = {int(r.task_id): r for r in actionable.itertuples(index=False)}
        task_id = st.selectbox(t("tasks.pick"), list(rows), key=f"{key}_task",
                               format_func=lambda i: f"{rows[i].title} · {rows[i].assignee_name} · "
                                                     f"{t(f'tasks.state.{rows[i].state}')}")
        row = rows[task_id]
        with st.form(f"{key}_form_{task_id}", border=False):
            st.radio(t("tasks.action"), ACTIONS[row.status], horizontal=True, key=f"{key}_action_{task_id}",
                     format_func=lambda a: t(f"tasks.action.{a}"))
            st.text_area(t("tasks.reason"), key=f"{key}_reason_{task_id}", max_chars=500, height=80)
            st.form_submit_button(t("tasks.apply"), type="primary", on_click=_act,
                                  args=(key, int(row.task_id), int(row.version), row.title))
