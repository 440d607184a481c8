"""社群活跃 / Group activity: are the relationship networks alive, what are they worth, is the promise kept."""

from __future__ import annotations

import streamlit as st

from components.data import page_scope, query, require_database
from components.figures.groups import (
    active_share_by_kind_figure,
    activity_by_kind_figure,
    network_ranking_figure,
    points_figure,
    promise_figure,
    staff_service_figure,
)
from components.filters import period_picker, scope_picker
from components.i18n import format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from components.tasks import can_assign, silent_group_alerts, task_from_alerts
from components.text import escape_markdown
from models.groups import GroupKind
from models.metrics import groups as metrics

PICKER_KEY = "groups"
PERCENT = st.column_config.NumberColumn(format="percent")
DATE = st.column_config.DateColumn(format="YYYY-MM-DD")
TASK_ALERT_ROWS = 50  # the most silent groups a task can be made from (the list is longest-silent first)


def kind_label(kind: str) -> str:
    return t(f"groups.kind.{kind}")


st.title(t("groups.title"))
st.caption(t("groups.caption"))
require_database()

choice = scope_picker(page_scope(), PICKER_KEY, sources=("groups",))
kind = st.sidebar.selectbox(t("groups.kind_filter"), [None, *[k.value for k in GroupKind]], key="groups_kind",
                            format_func=lambda k: t("groups.all_kinds") if k is None else kind_label(k))
dormant_days = int(st.sidebar.number_input(t("groups.dormant_days"), min_value=3, max_value=180,
                                           value=metrics.DEFAULT_DORMANT_DAYS, step=1, key="groups_dormant_days",
                                           help=t("groups.dormant_days_help")))
first_day, last_day = query(metrics.group_date_range, choice.scope)
if last_day is None:
    st.info(t("groups.empty"))
    st.stop()
start, end = period_picker(first_day, last_day, key="groups_period", default_days=30)
st.caption(t("filter.scope_label", scope=escape_markdown(choice.label), start=start, end=end))

# Head office sees the whole bank: its lists show the groups (or staff) that matter most, not all of them.
list_limit = metrics.HEAD_OFFICE_ROWS if choice.scope.is_everything else None
kpis = query(metrics.group_kpis, choice.scope, start=start, end=end, dormant_days=dormant_days, kind=kind)
if not kpis["groups"]:
    st.info(t("groups.empty"))
    st.stop()
kpi_row([
    Kpi(t("groups.kpi.groups"), format_number(kpis["groups"])),
    Kpi(t("groups.kpi.members"), format_number(kpis["members"]), help=t("groups.kpi.members_help")),
    Kpi(t("groups.kpi.active_share"), format_percent(kpis["active_share"]), help=t("groups.kpi.active_share_help")),
    Kpi(t("groups.kpi.messages_per_day"), format_number(kpis["messages_per_day"])),
    Kpi(t("groups.kpi.median_reply"), format_number(kpis["median_reply_minutes"], 1), help=t("groups.kpi.median_reply_help")),
    Kpi(t("groups.kpi.dormant"), format_number(kpis["dormant_groups"]),
        help=t("groups.dormant_days_help")),
])

tab_activity, tab_health, tab_value, tab_experts, tab_promise, tab_staff, tab_points = st.tabs([
    t("groups.section.activity"), t("groups.section.health"), t("groups.section.value"),
    t("groups.section.experts"), t("groups.section.promise"), t("groups.section.staff"), t("groups.section.points"),
], key="groups_section", on_change="rerun")  # lazy: only the open tab's queries run (at head office 0.3-0.6 s each)

with tab_activity:
    if tab_activity.open:
        activity = query(metrics.activity_by_kind, choice.scope, start=start, end=end)
        if kind:
            activity = activity[activity["kind"] == kind]
        left, right = st.columns(2)
        with left:
            st.plotly_chart(activity_by_kind_figure(activity, kind_label, t("groups.fig.messages"),
                                                    t("groups.fig.messages_axis")), width="stretch", key="groups_activity")
        with right:
            st.plotly_chart(active_share_by_kind_figure(activity, kind_label, t("groups.fig.active_share"),
                                                        y_title=t("groups.fig.active_share_axis")),
                            width="stretch", key="groups_active_share")

health_labels = {
    "group_name": t("groups.col.group"), "kind_text": t("groups.col.kind"), "branch_name": t("groups.col.branch"),
    "staff_name": t("groups.col.staff"), "members_end": t("groups.col.members"),
    "active_share": t("groups.col.active_share"), "messages_per_day": t("groups.col.messages_per_day"),
    "trend": t("groups.col.trend"), "within_10min_share": t("groups.col.within_10min"),
    "median_reply_minutes": t("groups.col.median_reply"), "last_message_day": t("groups.col.last_message"),
    "days_silent": t("groups.col.days_silent"), "dormant": t("groups.col.dormant"),
}
with tab_health:
    if tab_health.open:
        health = query(metrics.group_health_table, choice.scope, start=start, end=end, dormant_days=dormant_days,
                       kind=kind, limit=list_limit)
        health = health.assign(kind_text=health["kind"].map(kind_label))
        dormant_count = int(health["dormant"].sum()) if list_limit is None else int(kpis["dormant_groups"])
        if list_limit is not None:
            st.caption(t("groups.head_office_health", total=format_number(kpis["groups"]), shown=format_number(len(health))))
        if dormant_count:
            st.warning(t("groups.dormant_alert", count=dormant_count, days=dormant_days), icon=":material/bedtime:")
            if can_assign(choice.scope):
                dormant = query(metrics.dormant_group_list, choice.scope, end=end, dormant_days=dormant_days, kind=kind)
                task_from_alerts(silent_group_alerts(dormant.head(TASK_ALERT_ROWS)), choice.scope, key="groups_task")
        else:
            st.success(t("groups.no_dormant"))
        data_table(health, health_labels, key="groups_health", file_stem="group_health", column_config={
            "active_share": PERCENT, "trend": PERCENT, "within_10min_share": PERCENT, "last_message_day": DATE,
            "messages_per_day": st.column_config.NumberColumn(format="%.1f"),
        })

with tab_value:
    if tab_value.open:
        st.caption(t("groups.value_caption"))
        by = st.radio(t("groups.section.value"), ["group", "staff"], horizontal=True, key="groups_value_by",
                      label_visibility="collapsed",
                      format_func=lambda b: t("groups.value_by_group" if b == "group" else "groups.value_by_staff"))
        value = query(metrics.network_value_table, choice.scope, as_of=end, by=by, kind=kind, limit=list_limit)
        if list_limit is not None:
            st.caption(t("groups.head_office_value", shown=format_number(len(value))))
        name_column = "group_name" if by == "group" else "staff_name"
        value = value.assign(deposits_wan=value["deposits"] / 10_000, deposits_per_member_wan=value["deposits_per_member"] / 10_000)
        if by == "group":
            value = value.assign(kind_text=value["kind"].map(kind_label))
        st.plotly_chart(network_ranking_figure(value, name_column, t("groups.fig.value"), t("groups.fig.value_axis")),
                        width="stretch", key="groups_value_chart")
        data_table(value, {
            "rank": t("groups.col.rank"), name_column: t("groups.col.group" if by == "group" else "groups.col.staff"),
            "kind_text": t("groups.col.kind"), "groups": t("groups.col.groups"), "branch_name": t("groups.col.branch"),
            "staff_name" if by == "group" else "role": t("groups.col.staff" if by == "group" else "groups.col.role"),
            "members": t("groups.col.members"), "customers_held": t("groups.col.customers_held"),
            "brought_in": t("groups.col.brought_in"), "converted": t("groups.col.converted"),
            "conversion_rate": t("groups.col.conversion_rate"), "products": t("groups.col.products"),
            "deposits_wan": t("groups.col.deposits"), "deposits_per_member_wan": t("groups.col.deposits_per_member"),
        }, key=f"groups_value_{by}", file_stem=f"network_value_by_{by}", column_config={
            "conversion_rate": PERCENT, "deposits_wan": st.column_config.NumberColumn(format="%.1f"),
            "deposits_per_member_wan": st.column_config.NumberColumn(format="%.2f"),
        })

with tab_experts:
    if tab_experts.open:
        st.caption(t("groups.experts_caption"))
        experts = query(metrics.experts_table, choice.scope, kind=kind, limit=list_limit)
        if list_limit is not None:
            st.caption(t("groups.head_office_experts", shown=format_number(len(experts))))
        experts = experts.assign(kind_text=experts["kind"].map(kind_label),
                                 top_role_text=experts["top_role"].map(lambda r: t(f"groups.role.{r}")))
        data_table(experts, {
            "group_name": t("groups.col.group"), "kind_text": t("groups.col.kind"), "branch_name": t("groups.col.branch"),
            "experts": t("groups.col.experts"), "expert_share": t("groups.col.expert_share"),
            "top_poster": t("groups.col.top_poster"), "top_role_text": t("groups.col.role"),
            "top_share": t("groups.col.top_share"),
        }, key="groups_experts", file_stem="group_experts",
            column_config={"expert_share": PERCENT, "top_share": PERCENT})

with tab_promise:
    if tab_promise.open:
        st.caption(t("groups.promise_caption"))
        promise_by = st.radio(t("groups.section.promise"), ["group", "staff"], horizontal=True, key="groups_promise_by",
                              label_visibility="collapsed",
                              format_func=lambda b: t("groups.promise_by_group" if b == "group" else "groups.promise_by_staff"))
        service_only = kind is None and st.toggle(t("groups.service_only"), value=True, key="groups_service_only")
        promise_kind = GroupKind.NEW_CUSTOMER_SERVICE.value if service_only else kind
        promise = query(metrics.service_promise_view, choice.scope, start=start, end=end, by=promise_by, kind=promise_kind,
                        limit=list_limit)
        if list_limit is not None and not promise.empty:
            st.caption(t("groups.head_office_promise", shown=format_number(len(promise))))
        promise_name = "group_name" if promise_by == "group" else "staff_name"
        if promise.empty:
            st.info(t("groups.empty"))
        else:
            st.plotly_chart(promise_figure(promise, promise_name, t("groups.fig.promise"), metrics.PROMISE_KEPT_SHARE,
                                           x_title=t("groups.fig.promise_axis")),
                            width="stretch", key="groups_promise_chart")
            data_table(promise, {
                promise_name: t("groups.col.group" if promise_by == "group" else "groups.col.staff"),
                "branch_name": t("groups.col.branch"), "groups": t("groups.col.groups"),
                "customer_questions": t("groups.col.questions"), "within_10min_share": t("groups.col.within_10min"),
                "unanswered": t("groups.col.unanswered"), "median_reply_minutes": t("groups.col.median_reply"),
                "keeps_promise": t("groups.col.keeps_promise"),
            }, key=f"groups_promise_{promise_by}", file_stem=f"reply_promise_by_{promise_by}",
                column_config={"within_10min_share": PERCENT})

with tab_staff:
    if tab_staff.open:
        _, staff_last = query(metrics.staff_day_range, choice.scope)
        st.caption(t("groups.staff.sources", last=staff_last or "–"))
        contact = query(metrics.staff_contact_table, choice.scope, start=start, end=end, limit=list_limit)
        owners = query(metrics.owner_group_table, choice.scope, start=start, end=end, limit=list_limit)
        if contact.empty and owners.empty:
            st.info(t("groups.staff.empty"))
        else:
            if list_limit is not None:
                st.caption(t("groups.staff.head_office", shown=format_number(max(len(contact), len(owners)))))
            st.markdown(f"**{t('groups.staff.contact')}**")
            if not contact.empty:
                st.plotly_chart(staff_service_figure(contact, t("groups.fig.staff_messages"),
                                                     t("groups.fig.staff_messages_axis")),
                                width="stretch", key="groups_staff_chart")
            data_table(contact, {
                "staff_name": t("groups.col.staff_member"), "branch_name": t("groups.col.branch"), "days": t("groups.col.days"),
                "chats": t("groups.col.chats"), "messages": t("groups.col.staff_messages"),
                "reply_share": t("groups.col.reply_share"), "avg_reply_minutes": t("groups.col.avg_reply"),
                "new_contacts": t("groups.col.new_contacts"), "negative_feedback": t("groups.col.negative_feedback"),
            }, key="groups_staff_contact", file_stem="staff_contact", column_config={
                "reply_share": PERCENT, "avg_reply_minutes": st.column_config.NumberColumn(format="%.1f")})
            st.markdown(f"**{t('groups.staff.owners')}**")
            data_table(owners, {
                "staff_name": t("groups.col.staff"), "branch_name": t("groups.col.branch"), "days": t("groups.col.days"),
                "new_groups": t("groups.col.new_groups"), "groups": t("groups.col.groups_end"),
                "groups_with_messages": t("groups.col.groups_with_messages"), "new_members": t("groups.col.new_members"),
                "members": t("groups.col.members_end"), "members_who_spoke": t("groups.col.members_who_spoke"),
                "messages": t("groups.col.group_messages"),
            }, key="groups_staff_owners", file_stem="group_owners", column_config={
                "groups_with_messages": st.column_config.NumberColumn(format="%.1f"),
                "members_who_spoke": st.column_config.NumberColumn(format="%.1f")})

with tab_points:
    if tab_points.open:
        points = query(metrics.points_overview, choice.scope, start=start, end=end)
        kpi_row([
            Kpi(t("groups.points.earned"), format_number(points["earned"])),
            Kpi(t("groups.points.redeemed"), format_number(points["redeemed"])),
            Kpi(t("groups.points.outstanding"), format_number(points["liability_outstanding"])),
            Kpi(t("groups.points.outstanding_yuan"), format_number(points["liability_outstanding_yuan"], 2),
                help=t("groups.points.value_help", points=round(1 / metrics.POINT_VALUE_YUAN))),
            Kpi(t("groups.points.holders"), format_number(points["liability_holders"])),
        ])
        st.plotly_chart(points_figure(points["monthly"], t("groups.points.earned"), t("groups.points.redeemed"),
                                      t("groups.fig.points"), t("groups.fig.points_axis")), width="stretch", key="groups_points_chart")
        st.markdown(f"**{t('groups.points.top')}**")
        top = query(metrics.points_top_earners, choice.scope, start=start, end=end)
        data_table(top, {"customer_name": t("groups.col.customer"), "branch_name": t("groups.col.branch"),
                         "earned": t("groups.col.earned"), "redeemed": t("groups.col.redeemed"),
                         "balance": t("groups.col.balance")}, key="groups_points_top", file_stem="points_top_earners")
