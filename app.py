"""The Streamlit script: page config, language, login gate, and the navigation over app_pages/.
Served by serve.py (`streamlit run serve.py`), which adds the session-cookie routes."""

from __future__ import annotations

import streamlit as st

from components.auth import account_box, login_view, remember_language, signed_in_user, sync_cookie
from components.data import database_outage_guard, require_database
from components.i18n import language_picker, t
from models.accounts import UserRole

st.set_page_config(page_title=t("app.title"), page_icon=":material/account_balance:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title=t("nav.overview"), icon=":material/dashboard:", default=True),
    st.Page("app_pages/followers.py", title=t("nav.followers"), icon=":material/trending_up:"),
    st.Page("app_pages/groups.py", title=t("nav.groups"), icon=":material/groups:"),
    st.Page("app_pages/campaign.py", title=t("nav.campaign"), icon=":material/directions_bus:"),
    st.Page("app_pages/fieldwork.py", title=t("nav.fieldwork"), icon=":material/directions_walk:"),
    st.Page("app_pages/customers.py", title=t("nav.customers"), icon=":material/diversity_3:"),
    st.Page("app_pages/tasks.py", title=t("nav.tasks"), icon=":material/task_alt:"),
    st.Page("app_pages/targets.py", title=t("nav.targets"), icon=":material/flag:"),
    st.Page("app_pages/referrals.py", title=t("nav.referrals"), icon=":material/leaderboard:"),
    st.Page("app_pages/graph.py", title=t("nav.graph"), icon=":material/hub:"),
]
REVIEW_PAGES = [  # head office and presidents: the fraud review, reward rules and closing quarters
    st.Page("app_pages/rules.py", title=t("nav.rules"), icon=":material/gavel:"),
]
ADMIN_PAGES = [
    st.Page("app_pages/users.py", title=t("nav.users"), icon=":material/manage_accounts:"),
    st.Page("app_pages/audit.py", title=t("nav.audit"), icon=":material/policy:"),
    st.Page("app_pages/imports.py", title=t("nav.imports"), icon=":material/upload_file:"),
    st.Page("app_pages/connections.py", title=t("nav.connections"), icon=":material/sync:"),
]


def run() -> None:
    """The gate, then the signed-in user's pages."""
    require_database()
    user = signed_in_user()
    if user is None:
        navigation = st.navigation([st.Page(login_view, title=t("auth.title"), icon=":material/login:")])
        language_picker()
        sync_cookie()
        navigation.run()
        st.stop()
    navigation = st.navigation(PAGES + (REVIEW_PAGES if user.role in (UserRole.ADMIN, UserRole.PRESIDENT) else [])
                               + (ADMIN_PAGES if user.role == UserRole.ADMIN else []),
                               expanded=True)  # head office has 15 pages: every one in sight, no "View more"
    st.sidebar.caption(t("app.caption"))
    account_box(user)
    language_picker(on_pick=remember_language)
    sync_cookie()
    navigation.run()


with database_outage_guard():   # a database lost mid-session: a plain message, then recovery by itself
    run()
