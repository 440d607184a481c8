"""审计日志 / Audit log: who logged in, imported, exported or changed rules and users."""

from __future__ import annotations

import streamlit as st

from components.data import fresh_query, page_scope
from components.i18n import t
from components.tables import data_table
from models.accounts import UserRole
from models.auth import audit_log

st.title(t("audit.title"))
st.caption(t("audit.caption"))
scope = page_scope()
if scope.role != UserRole.ADMIN:
    st.error(t("audit.admin_only"))
    st.stop()
entries = fresh_query(audit_log, scope, limit=1000)
data_table(entries, {"at": t("audit.col.at"), "username": t("audit.col.user"), "action": t("audit.col.action"),
                     "outcome": t("audit.col.outcome"), "detail": t("audit.col.detail")},
           key="audit_table", file_stem="audit_log")
