"""用户管理 / Users: head office creates, disables, unlocks and resets accounts."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from components.auth import signed_in_user
from components.data import engine, fresh_query, page_scope, query
from components.i18n import t
from components.tables import data_table
from components.text import escape_markdown
from models.accounts import UserRole
from models.auth import AccountError, change_account, create_account, list_users, sign_out_everywhere
from models.login_sessions import live_sessions
from models.metrics.org import branches_in_scope

st.title(t("users.title"))
st.caption(t("users.caption"))
scope = page_scope()
actor = signed_in_user()
if scope.role != UserRole.ADMIN or actor is None:
    st.error(t("users.admin_only"))
    st.stop()

users = fresh_query(list_users, scope)
data_table(
    users.assign(role=users["role"].map(lambda r: t(f"role.{r}"))),
    {"username": t("users.col.username"), "display_name": t("users.col.name"), "email": t("users.col.email"),
     "role": t("users.col.role"), "branch_name": t("users.col.branch"), "employee_no": t("users.col.employee_no"),
     "is_active": t("users.col.active"),
     "locked_until": t("users.col.locked_until"), "last_login_at": t("users.col.last_login")},
    key="users_table", file_stem="users",
)

branches = query(branches_in_scope, scope, level=None)
branch_names = dict(zip(branches["branch_id"].astype(int), branches["branch_name"], strict=True))
create_tab, change_tab = st.tabs([t("users.create"), t("users.change")])
with create_tab, st.form("create_user", clear_on_submit=True):
    username = st.text_input(t("users.col.username"))
    display_name = st.text_input(t("users.col.name"))
    email = st.text_input(t("users.col.email"))
    role = st.selectbox(t("users.col.role"), [r.value for r in UserRole], format_func=lambda r: t(f"role.{r}"))
    branch_id = st.selectbox(t("users.col.branch"), [None, *branch_names],
                             format_func=lambda b: t("users.branch_none") if b is None else branch_names[b])
    password = st.text_input(t("auth.password"), type="password")
    employee_no = st.text_input(t("users.col.employee_no"), help=t("users.employee_no_help"))
    if st.form_submit_button(t("users.submit_create"), type="primary"):
        try:
            with Session(engine()) as session:
                create_account(session, actor.username, username, password, role, branch_id,
                               employee_no=employee_no, display_name=display_name, email=email)
            st.success(t("users.created", name=escape_markdown(username)))
            st.rerun()
        except AccountError as exc:
            st.error(str(exc))

with change_tab:
    labels = dict(zip(users["user_id"].astype(int), users["username"], strict=True))
    user_id = st.selectbox(t("users.pick"), list(labels), format_func=labels.get, key="users_pick")
    row = users[users["user_id"] == user_id].iloc[0]
    new_password = st.text_input(t("users.new_password"), type="password", key="users_new_password")
    linked = row["employee_no"] if isinstance(row["employee_no"], str) else ""
    link_to = st.text_input(t("users.col.employee_no"), value=linked, key=f"users_employee_no_{user_id}",
                            help=t("users.employee_no_help"))
    new_role = st.selectbox(t("users.col.role"), [r.value for r in UserRole], key=f"users_role_{user_id}",
                            index=[r.value for r in UserRole].index(row["role"]),
                            format_func=lambda r: t(f"role.{r}"), help=t("users.role_help"))
    buttons = st.container(horizontal=True)
    action = None
    if buttons.button(t("users.deactivate") if row["is_active"] else t("users.activate"), key="users_toggle"):
        action = {"active": not bool(row["is_active"])}
    if buttons.button(t("users.unlock"), key="users_unlock"):
        action = {"unlock": True}
    if buttons.button(t("users.reset_password"), key="users_reset"):
        action = {"new_password": new_password}
    if buttons.button(t("users.link_staff"), key="users_link"):
        action = {"employee_no": link_to}
    if buttons.button(t("users.change_role"), key="users_change_role", disabled=new_role == row["role"]):
        action = {"role": new_role}
    if action is not None:
        try:
            with Session(engine()) as session:
                change_account(session, actor.username, int(user_id), **action)
            st.success(t("users.done"))
        except AccountError as exc:
            st.error(str(exc))

with change_tab:
    live = fresh_query(live_sessions, scope, user_id=int(user_id))
    st.caption(f"{t('users.col.sessions')}: {live}")
    if st.button(t("users.revoke_sessions"), key="users_revoke_sessions", icon=":material/logout:",
                 disabled=live == 0):
        with Session(engine()) as session:
            ended = sign_out_everywhere(session, actor.username, int(user_id))
        st.success(t("users.sessions_revoked", count=ended))
