"""任务 / Tasks: what was handed out from the alerts, who follows up, by when, and what they did.
Presidents and head office see their branches' tasks and act on them; a staff member sees their own."""

from __future__ import annotations

from datetime import date

import streamlit as st

from components.data import page_scope, query, require_database
from components.filters import scope_picker
from components.i18n import format_number, join_names, t
from components.kpi import Kpi, kpi_row
from components.tasks import AlertRef, can_assign, manage_tasks, my_open_tasks, task_from_alerts, task_table
from components.text import escape_markdown
from models.accounts import UserRole
from models.metrics import tasks as metrics
from models.metrics.org import branches_in_scope
from models.tasklist import TaskSource, TaskStatus

st.title(t("tasks.title"))
st.caption(t("tasks.caption"))
require_database()
scope = page_scope()
today = date.today()
if scope.is_everything:
    st.markdown(t("tasks.scope_line", branches=t("scope.everything")))
else:
    branches = query(branches_in_scope, scope, level=None)
    st.markdown(t("tasks.scope_line", branches=escape_markdown(join_names(branches["branch_name"].tolist()))))

if scope.role == UserRole.STAFF:
    my_open_tasks(scope, key="tasks_mine")
    mine = query(metrics.my_tasks, scope, as_of=today)
    done = mine[mine["status"] != TaskStatus.OPEN.value]
    if not done.empty:
        st.subheader(t("tasks.recent_done"))
        task_table(done, key="tasks_mine_done")
    st.stop()

choice = scope_picker(scope, "tasks")
counts = query(metrics.task_counts, choice.scope, as_of=today)
kpi_row([
    Kpi(t("tasks.kpi.open"), format_number(counts["open"])),
    Kpi(t("tasks.kpi.overdue"), format_number(counts["overdue"])),
    Kpi(t("tasks.kpi.done_week"), format_number(counts["done_week"])),
])
if scope.read_only:
    st.caption(t("tasks.read_only"))
task_from_alerts([AlertRef(TaskSource.MANUAL.value, t("tasks.new"), "", branch_id=choice.branch_id)], choice.scope,
                 key="tasks_new", label=t("tasks.new"))

tasks = query(metrics.branch_tasks, choice.scope, as_of=today)
open_tab, done_tab, cancelled_tab = st.tabs([t("tasks.tab.open"), t("tasks.tab.done"), t("tasks.tab.cancelled")])
for tab, statuses, key in ((open_tab, [TaskStatus.OPEN.value], "tasks_open"),
                           (done_tab, [TaskStatus.DONE.value], "tasks_done"),
                           (cancelled_tab, [TaskStatus.CANCELLED.value], "tasks_cancelled")):
    with tab:
        shown = tasks[tasks["status"].isin(statuses)]
        if shown.empty:
            st.info(t("tasks.none"))
        else:
            task_table(shown, key=key)
if can_assign(scope):
    manage_tasks(tasks, choice.scope, key="tasks_manage")
