"""Entry point: page config, language, and the navigation over pages/."""

from __future__ import annotations

import streamlit as st

from components.i18n import language_picker, t

st.set_page_config(page_title=t("app.title"), page_icon=":material/account_balance:", layout="wide")

PAGES = [
    st.Page("app_pages/overview.py", title=t("nav.overview"), icon=":material/dashboard:", default=True),
    st.Page("app_pages/followers.py", title=t("nav.followers"), icon=":material/trending_up:"),
    st.Page("app_pages/graph.py", title=t("nav.graph"), icon=":material/hub:"),
]

navigation = st.navigation(PAGES)
st.sidebar.caption(t("app.caption"))
language_picker()
navigation.run()
