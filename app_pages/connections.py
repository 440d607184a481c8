"""数据接入 / Data connections: admins store the platforms' secrets (encrypted, never shown again), see where
each account's sync stands, and sync one account now."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from components.auth import signed_in_user
from components.data import engine, fresh_query, page_scope, refresh_data_version
from components.i18n import t
from components.tables import data_table
from models.accounts import UserRole
from models.sync.credentials import CredentialError, connections_overview, save_credential
from models.sync.lock import SyncBusy
from models.sync.runner import UnknownSource, sources_for_kind, sync_now

st.title(t("conn.title"))
st.caption(t("conn.caption"))
scope = page_scope()
actor = signed_in_user()
if scope.role != UserRole.ADMIN or actor is None:
    st.error(t("conn.admin_only"))
    st.stop()

flash = st.session_state.pop("connections_flash", None)
if flash:
    (st.success if flash[0] == "success" else st.error)(flash[1])
overview = fresh_query(connections_overview, scope)
if overview.empty:
    st.info(t("conn.empty"))
else:
    shown = overview.assign(
        kind=overview["kind"].map(lambda k: t(f"conn.kind.{k}")),
        outcome=[t(f"conn.outcome.{o}") if isinstance(o, str) else
                 t("conn.outcome.never") if sources_for_kind(k) else t("conn.outcome.push_only")
                 for k, o in zip(overview["kind"], overview["outcome"], strict=True)],
        detail=overview["detail"].fillna(""),
    )
    data_table(shown, {"kind": t("conn.col.kind"), "account_key": t("conn.col.account"), "name": t("conn.col.name"),
                       "appid": t("conn.col.appid"), "last_complete_day": t("conn.col.last_day"),
                       "last_finished_at": t("conn.col.last_run"), "outcome": t("conn.col.outcome"),
                       "detail": t("conn.col.detail"), "updated_at": t("conn.col.updated"),
                       "updated_by": t("conn.col.updated_by")},
               key="connections_table", file_stem="connections")
    syncable = overview[overview["kind"].map(lambda k: bool(sources_for_kind(k)))]
    if syncable.empty:
        st.caption(t("conn.sync_none"))
    else:
        choices = list(zip(syncable["kind"], syncable["account_key"], strict=True))
        names = dict(zip(choices, syncable["name"], strict=True))
        row = st.container(horizontal=True, vertical_alignment="bottom")
        picked = row.selectbox(t("conn.sync_pick"), choices, key="connections_pick",
                               format_func=lambda c: " · ".join(x for x in (t(f"conn.kind.{c[0]}"), names[c], c[1]) if x))
        if row.button(t("conn.sync_now"), key="connections_sync_now", icon=":material/sync:", type="primary"):
            try:
                with st.spinner(t("conn.sync_now")):
                    results = sync_now(engine(), scope, actor.username, picked[0], picked[1])
                failed = [r for r in results if not r.ok]
                refresh_data_version()
                (st.warning if failed else st.success)(t("conn.synced", ok=len(results) - len(failed),
                                                         failed=len(failed)))
                for result in failed:
                    st.caption(f"{result.account_key}: {t(f'conn.outcome.{result.outcome}')} · {result.detail}")
            except SyncBusy:
                st.warning(t("conn.busy"))
            except UnknownSource as exc:
                st.error(str(exc))


def _save(kind: str, account_key: str, secret_widget: str, appid: str = "") -> None:
    """Store the secret typed into `secret_widget`, then forget it: the widget's state is dropped and the page
    reruns, so the secret lives in this run only (never shown, never kept in the session)."""
    secret = st.session_state.pop(secret_widget, "") or ""
    try:
        with Session(engine()) as session:
            what = save_credential(session, scope, actor.username, kind, account_key, secret, appid=appid)
        st.session_state["connections_flash"] = ("success", t(f"conn.saved.{what}"))
    except CredentialError as exc:
        st.session_state["connections_flash"] = ("error", str(exc))
    st.rerun()


wechat_tab, wecom_tab, robot_tab = st.tabs([t("conn.add_wechat"), t("conn.add_wecom"), t("conn.add_robot")])
with wechat_tab, st.form("connect_wechat", clear_on_submit=True):
    original_id = st.text_input(t("conn.field.original_id"), key="connect_wechat_account")
    appid = st.text_input(t("conn.field.appid"), key="connect_wechat_appid")
    st.text_input(t("conn.field.appsecret"), type="password", key="connect_wechat_secret", help=t("conn.secret_help"))
    if st.form_submit_button(t("conn.save"), type="primary"):
        _save("wechat", original_id, "connect_wechat_secret", appid)
with wecom_tab, st.form("connect_wecom", clear_on_submit=True):
    corp_id = st.text_input(t("conn.field.corp_id"), key="connect_wecom_corp")
    st.text_input(t("conn.field.corp_secret"), type="password", key="connect_wecom_secret",
                  help=t("conn.secret_help"))
    if st.form_submit_button(t("conn.save"), type="primary"):
        _save("wecom", corp_id, "connect_wecom_secret")
with robot_tab, st.form("connect_robot", clear_on_submit=True):
    branch_code = st.text_input(t("conn.field.branch_code"), key="connect_robot_branch")
    st.text_input(t("conn.field.robot_key"), type="password", key="connect_robot_key", help=t("conn.secret_help"))
    if st.form_submit_button(t("conn.save"), type="primary"):
        _save("robot", branch_code, "connect_robot_key")
