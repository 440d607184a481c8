"""Blocks of the customers page (客户经营): segment pickers, the segment x branch matrix, the call list with
its reasons in words, products that stopped selling and group-buy repeat rates. No SQL: the page passes
frames from `models.metrics.customers`; the one write (saving a segment) goes through `models.segments`.
Lifetime value is drawn by `components.customer_value`."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from components.data import engine, refresh_data_version
from components.i18n import current_language, format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from components.text import escape_markdown
from models.measures.customers import AGE_BANDS, REPEAT_WINDOW_DAYS, STAGE_RULES, STAGES
from models.metrics import customers as metrics
from models.scope import Scope
from models.segments import SegmentRefused, save_segment

KEY_VALUES = {
    "stage": list(STAGES),
    "age_band": list(AGE_BANDS),
    "occupation": ["migrant_worker", "farmer", "employee", "teacher", "civil_servant", "business_owner", "retiree",
                   "student", "doctor", "enterprise"],
    "asset_tier": ["mass", "affluent", "wealth", "private"],
    "channel": ["branch", "mobile", "wechat", "phone"],
}
VALUE_PREFIX = {"stage": "customers.stage.", "age_band": "customers.age.", "occupation": "customers.occupation.",
                "asset_tier": "customers.tier.", "channel": "customers.channel.", "product": "customers.product."}
SAVED_KEY = "customers_saved_segment"


def value_label(key: str, value: str) -> str:
    """A segment value in words ("" is "not given")."""
    if value is None or value == "" or pd.isna(value):
        return t("customers.blank")
    return t(f"{VALUE_PREFIX[key]}{value}")


def why(row) -> str:
    """Why a customer is on the call list, in words, from the signal's figures."""
    if row["kind"] == "rhythm":
        return t("customers.why.rhythm", days=int(row["days_since"]), gap=format_number(row["usual_gap_days"]))
    before = float(row["balance_before"])
    change = -float(row["balance_change"])
    return t("customers.why.balance", change=format_number(change), before=format_number(before),
             share=format_percent(change / before if before else None, 0))


def headline(figures: dict) -> None:
    kpi_row([
        Kpi(t("customers.kpi.customers"), format_number(figures["customers"])),
        Kpi(t("customers.kpi.silver"), format_percent(figures["silver_share"])),
        Kpi(t("customers.kpi.silver_deposits"), format_percent(figures["silver_deposit_share"])),
        Kpi(t("customers.kpi.to_call"), format_number(figures["customers_to_call"])),
    ])


def stage_rules() -> None:
    """The life-cycle rules as the code applies them (`measures.customers.STAGE_RULES`)."""
    with st.expander(t("customers.rules"), icon=":material/rule:"):
        st.markdown(t("customers.rules.intro"))
        zh = current_language() == "zh"
        st.markdown("\n".join(f"{n}. **{value_label('stage', stage)}**: {words_zh if zh else words_en}"
                              for n, (stage, words_zh, words_en) in enumerate(STAGE_RULES, start=1)))


def segment_picker(saved: pd.DataFrame) -> metrics.Segment:
    """The segment filters (a saved segment fills them in); returns the chosen segment."""
    with st.expander(t("customers.filters"), expanded=False, icon=":material/filter_alt:"):
        if not saved.empty:
            options = [None, *saved["id"].astype(int).tolist()]
            names = {int(r.id): t("customers.saved.label", name=r.name, by=r.created_by) for r in saved.itertuples()}
            picked = st.selectbox(t("customers.saved.pick"), options, key=SAVED_KEY,
                                  format_func=lambda i: t("customers.saved.none") if i is None else names[i])
            if picked is not None and st.session_state.get("_customers_applied") != picked:
                for key, values in saved.loc[saved["id"] == picked, "segment"].iloc[0]:
                    st.session_state[f"customers_filter_{key}"] = list(values)
                st.session_state["_customers_applied"] = picked
        choices = {}
        for key, values in KEY_VALUES.items():
            choices[key] = st.multiselect(t(f"customers.key.{key}"), values, key=f"customers_filter_{key}",
                                          format_func=lambda v, k=key: value_label(k, v))
    return metrics.segment_from(choices)


def save_form(scope: Scope, username: str, segment: metrics.Segment) -> None:
    """Save the chosen filters as a named segment (presidents and head office)."""
    with st.form("customers_save", clear_on_submit=False, border=False):
        name = st.text_input(t("customers.save.name"), max_chars=64)
        if st.form_submit_button(t("customers.save.button"), icon=":material/bookmark_add:"):
            try:
                with Session(engine()) as session:
                    save_segment(session, scope, username, name, segment)
            except SegmentRefused as exc:
                st.warning(t(f"customers.save.{exc.code}"))
            else:
                refresh_data_version()
                st.success(t("customers.save.done", name=escape_markdown(" ".join(name.split()))))


def matrix(frame: pd.DataFrame, by: str) -> None:
    """Customers per branch (rows) and value of `by` (columns), then the per-branch sums with the change."""
    st.subheader(t("customers.matrix"))
    st.caption(t("customers.matrix.caption"))
    if frame.empty:
        st.info(t("customers.none"))
        return
    cells = frame.assign(label=[value_label(by, v) for v in frame["value"]])
    pivot = cells.pivot_table(index="branch_name", columns="label", values="customers", aggfunc="sum", fill_value=0)
    ordered = [value_label(by, v) for v in KEY_VALUES[by] + [""] if value_label(by, v) in pivot.columns]
    pivot = pivot[ordered].reset_index().rename(columns={"branch_name": t("customers.col.branch")})
    st.dataframe(pivot, hide_index=True, width="stretch")
    sums = metrics.matrix_by_branch(frame)
    data_table(sums, {"branch_name": t("customers.col.branch"), "customers": t("customers.col.customers"),
                      "deposits": t("customers.col.deposits"),
                      "products_per_customer": t("customers.col.products_per_customer"),
                      "customers_change": t("customers.col.customers_change"),
                      "deposits_change": t("customers.col.deposits_change")},
               key="customers_matrix", file_stem="customer_segments_by_branch",
               column_config={"deposits": st.column_config.NumberColumn(format="localized"),
                              "deposits_change": st.column_config.NumberColumn(format="localized")})


def customer_list(frame: pd.DataFrame, staff_role: bool) -> None:
    """The customers of the chosen cell, phones masked as everywhere, with a download (audited)."""
    st.caption(t("customers.drill.limit", n=metrics.LIST_LIMIT) + (" " + t("customers.drill.own") if staff_role else ""))
    shown = frame.copy()
    for key in ("stage", "age_band", "occupation", "asset_tier", "channel"):
        shown[key] = [value_label(key, v) for v in shown[key]]
    data_table(shown, {"code": t("customers.col.code"), "name": t("customers.col.name"),
                       "phone": t("customers.col.phone"), "branch_name": t("customers.col.branch"),
                       "staff_name": t("customers.col.staff"), "stage": t("customers.col.stage"),
                       "age_band": t("customers.col.age_band"), "occupation": t("customers.col.occupation"),
                       "asset_tier": t("customers.col.asset_tier"), "channel": t("customers.col.channel"),
                       "deposit_balance": t("customers.col.deposit_balance"),
                       "last_event": t("customers.col.last_event"),
                       "products_recent": t("customers.col.products_recent")},
               key="customers_list", file_stem="customer_segment_list",
               column_config={"deposit_balance": st.column_config.NumberColumn(format="localized")})


def call_list(frame: pd.DataFrame) -> None:
    """The customers to call, most at stake first, each with the reason in words."""
    if frame.empty:
        st.success(t("customers.call.none"), icon=":material/check_circle:")
        return
    st.caption(t("customers.call.caption"))
    shown = frame.assign(why=[why(row) for _, row in frame.iterrows()])
    data_table(shown, {"name": t("customers.col.name"), "phone": t("customers.col.phone"), "why": t("customers.col.why"),
                       "branch_name": t("customers.col.branch"), "staff_name": t("customers.col.staff")},
               key="customers_call", file_stem="customers_to_call",
               column_config={"why": st.column_config.TextColumn(width="large")})


def stopped(frame: pd.DataFrame) -> None:
    st.subheader(t("customers.stopped"))
    st.caption(t("customers.stopped.caption"))
    if frame.empty:
        st.success(t("customers.stopped.none"), icon=":material/check_circle:")
        return
    for row in frame.itertuples(index=False):
        st.markdown(t("customers.stopped.line", branch=escape_markdown(row.branch_name),
                      product=value_label("product", row.product), last=f"{row.last_month:%Y-%m}",
                      months=int(row.months_sold)))


def group_buys(frame: pd.DataFrame) -> None:
    st.subheader(t("customers.groupbuy"))
    st.caption(t("customers.groupbuy.caption", days=REPEAT_WINDOW_DAYS))
    if frame.empty:
        st.info(t("customers.groupbuy.none"))
        return
    shown = frame.assign(product=[value_label("product", p) for p in frame["product"]])
    data_table(shown, {"group_buy_code": t("customers.col.group_buy"), "branch_name": t("customers.col.branch"),
                       "first_day": t("customers.col.first_day"), "product": t("customers.col.product"),
                       "buyers": t("customers.col.buyers"), "repeat_buyers": t("customers.col.repeat_buyers"),
                       "repeat_rate": t("customers.col.repeat_rate"), "window_complete": t("customers.col.window")},
               key="customers_group_buys", file_stem="group_buy_repeat_rates",
               column_config={"repeat_rate": st.column_config.ProgressColumn(format="percent", min_value=0.0,
                                                                              max_value=1.0)})


def overview_line(figures: dict) -> str:
    """The overview's sentence on silver-haired customers."""
    return t("customers.overview.silver", share=format_percent(figures["silver_share"]),
             deposits=format_percent(figures["silver_deposit_share"]))

