"""数据导入 / Data import: pick a kind, upload, read the check, import all or nothing (admins only)."""

from __future__ import annotations

import hashlib
import logging

import pandas as pd
import streamlit as st
from sqlmodel import Session

from components.auth import signed_in_user
from components.data import engine, fresh_query, page_scope, query, refresh_data_version
from components.freshness import freshness_line
from components.i18n import current_language, format_number, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from components.text import escape_markdown
from models.accounts import UserRole
from models.auth import audit_log
from models.db import write_failure
from models.importing import KINDS, commit, preview, template_bytes
from models.importing.pipeline import MAX_REJECTS_SHOWN
from models.importing.readers import MAX_FILE_BYTES
from models.metrics.org import accounts_in_scope

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

log = logging.getLogger("cockpit.imports")

st.title(t("imports.title"))
st.caption(t("imports.caption"))
scope = page_scope()
if scope.role != UserRole.ADMIN:
    st.error(t("imports.admin_only"))
    st.stop()
freshness_line(scope, ("followers", "groups", "referrals", "campaign"))
english = current_language() == "en"

kind_key = st.selectbox(t("imports.kind"), list(KINDS), key="import_kind",
                        format_func=lambda k: KINDS[k].label[1 if english else 0])
spec = KINDS[kind_key]
if spec.note[0]:
    st.caption(spec.note[1 if english else 0])

left, right = st.columns([3, 1])
with left.expander(t("imports.columns")):
    st.dataframe(pd.DataFrame([{
        t("imports.col.header"): c.header, t("imports.col.aliases"): " / ".join(c.aliases[1:]),
        t("imports.col.type"): t(f"imports.type.{c.type}"), t("imports.col.required"): "✓" if c.required else "",
    } for c in spec.columns]), hide_index=True, width="stretch")
    st.caption(t("imports.formats"))
right.download_button(t("imports.template"), template_bytes(kind_key), f"{kind_key}_template.xlsx", XLSX_MIME,
                      key=f"template_{kind_key}", icon=":material/download:", on_click="ignore")

options: dict = {}
if "account" in spec.options:
    accounts = query(accounts_in_scope, scope)
    names = dict(zip(accounts["account_id"], accounts["account_name"], strict=True))
    chosen = st.selectbox(t("imports.account"), [None, *names], key="import_account",
                          format_func=lambda a: t("imports.account_in_file") if a is None else names[a])
    if chosen is not None:
        options["account"] = names[chosen]

upload = st.file_uploader(t("imports.upload"), type=["csv", "txt", "xlsx", "xls"], key=f"import_file_{kind_key}",
                          max_upload_size=MAX_FILE_BYTES // 1024 // 1024)
if upload is not None:
    data = upload.getvalue()
    check_key = (kind_key, hashlib.sha256(data).hexdigest(), tuple(sorted(options.items())))
    checked = st.session_state.get("import_check")
    if checked is None or checked[0] != check_key:
        with st.spinner(), Session(engine()) as session:
            checked = (check_key, preview(kind_key, data, upload.name, session, options))
        st.session_state["import_check"] = checked
    found = checked[1]
    if found.refusal is not None:
        st.error(t("imports.refused", reason=escape_markdown(found.refusal.en if english else found.refusal.zh)))
    else:
        kpi_row([
            Kpi(t("imports.kpi.read"), format_number(found.rows_read)), Kpi(t("imports.kpi.new"), format_number(found.new)),
            Kpi(t("imports.kpi.changed"), format_number(found.changed)),
            Kpi(t("imports.kpi.unchanged"), format_number(found.unchanged)),
            Kpi(t("imports.kpi.rejected"), format_number(found.rejected)),
        ])
        st.caption(t("imports.file_info", format=found.file_format, encoding=found.encoding or "—", sha=found.sha256[:16]))
        if found.ignored_columns:
            st.caption(t("imports.ignored", columns=escape_markdown("、".join(found.ignored_columns))))
        if not found.rejects.empty:
            st.warning(t("imports.rejects_note"))
            st.subheader(t("imports.rejects"))
            rejects = found.rejects.assign(reason=found.rejects["reason_en" if english else "reason_zh"])
            data_table(rejects.head(MAX_REJECTS_SHOWN), {"row": t("imports.col.row"), "column": t("imports.col.column"),
                                           "reason": t("imports.col.reason"), "value": t("imports.col.value")},
                       key="import_rejects", file_stem=f"rejected_{kind_key}")
        elif found.new or found.changed:
            st.success(t("imports.ready"))
            if st.button(t("imports.commit"), type="primary", key="import_commit", icon=":material/upload:"):
                user = signed_in_user()
                try:
                    with st.spinner(), Session(engine()) as session:
                        result = commit(kind_key, data, upload.name, session, user.username if user else "?", options)
                except Exception as exc:  # noqa: BLE001 - the transaction was rolled back; the log has the details
                    log.exception("import of %s failed", kind_key)
                    st.error(write_failure(exc)[1 if english else 0])
                else:
                    st.session_state.pop("import_check", None)
                    refresh_data_version()
                    if result.committed:
                        st.success(t("imports.done", file=escape_markdown(upload.name), new=result.preview.new,
                                     changed=result.preview.changed))
                    elif result.preview.refusal is not None:
                        st.error(t("imports.refused", reason=escape_markdown(result.preview.refusal.en if english
                                                                             else result.preview.refusal.zh)))
                    else:
                        st.warning(t("imports.rejects_note"))
        else:
            st.info(t("imports.nothing_to_do"))

st.subheader(t("imports.history"))
history = fresh_query(audit_log, scope, limit=1000)
history = history[history["action"] == "import"].head(20)
if history.empty:
    st.info(t("imports.no_history"))
else:
    data_table(history, {"at": t("audit.col.at"), "username": t("audit.col.user"), "outcome": t("audit.col.outcome"),
                         "detail": t("audit.col.detail")}, key="import_history", file_stem="imports")
