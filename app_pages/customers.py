"""客户经营 / Customers: segments by life cycle, age, occupation, asset tier and channel; the segment x branch
matrix with the customers behind it; the customers to call this week and why; products that stopped selling
and repeat purchases after group buys; lifetime value (drawn by `components.customer_value.clv_section`).

Reads the customer rollups only. Staff see their own customers in every list; presidents their branches;
head office everything. Scope comes from the account, never from a widget."""

from __future__ import annotations

import streamlit as st

from components import customers as blocks
from components.auth import signed_in_user
from components.customer_value import clv_section
from components.data import page_scope, query, refuse, require_database
from components.i18n import t
from models.accounts import UserRole
from models.metrics import customers as metrics
from models.scope import ScopeError
from models.segments import SAVERS

st.title(t("customers.title"))
require_database()
scope = page_scope()
user = signed_in_user()
is_staff = scope.role == UserRole.STAFF.value

day, before = query(metrics.as_of, scope)
if day is None:
    st.info(t("customers.none"))
    st.stop()
st.caption(t("customers.caption", day=day, before=before or "—"))
blocks.headline(query(metrics.overview_headline, scope))
blocks.stage_rules()

segments_tab, call_tab, products_tab, value_tab = st.tabs(
    [t("customers.tab.segments"), t("customers.tab.call"), t("customers.tab.products"), t("customers.tab.value")])

with segments_tab:
    segment = blocks.segment_picker(query(metrics.saved_segments, scope))
    if scope.role in SAVERS and not scope.read_only and segment:
        with st.popover(t("customers.save"), icon=":material/bookmark_add:"):
            blocks.save_form(scope, user.username if user else "", segment)
    by = st.segmented_control(t("customers.by"), list(metrics.SEGMENT_KEYS), default="stage", key="customers_by",
                              format_func=lambda k: t(f"customers.key.{k}")) or "stage"
    cells = query(metrics.segment_matrix, scope, by=by, segment=segment)
    blocks.matrix(cells, by)
    if st.toggle(t("customers.drill"), key="customers_drill"):
        branches = cells.drop_duplicates("branch_id").sort_values("branch_name")
        names = dict(zip(branches["branch_id"].astype(int), branches["branch_name"], strict=True))
        branch_id = st.selectbox(t("customers.drill.branch"), [None, *names], key="customers_drill_branch",
                                 format_func=lambda b: t("customers.drill.all") if b is None else names[b])
        try:
            people = query(metrics.segment_customers, scope, segment=segment, branch_id=branch_id)
        except ScopeError as exc:
            refuse(exc)
        blocks.customer_list(people, is_staff)

with call_tab:
    staff_id = None
    if not is_staff:
        staff = query(metrics.signal_staff, scope)
        labels = {int(r.staff_id): t("customers.call.staff_label", name=r.staff_name, branch=r.branch_name,
                                     n=int(r.signals)) for r in staff.itertuples()}
        staff_id = st.selectbox(t("customers.call.staff"), [None, *labels], key="customers_call_staff",
                                format_func=lambda s: t("customers.call.everyone") if s is None else labels[s])
    blocks.call_list(query(metrics.customers_to_call, scope, staff_id=staff_id))

with products_tab:
    blocks.stopped(query(metrics.stopped_selling, scope))
    blocks.group_buys(query(metrics.group_buys, scope))

with value_tab:
    clv_section(scope)
