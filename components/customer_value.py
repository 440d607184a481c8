"""The lifetime-value section of the customers page (issue 18): customer equity per branch, segment and staff
member, the customers with the most value at risk, and how well the last fit predicted its holdout months.
Reads only the scores `python manage.py clv` stored (`models.metrics.clv`); never fits a model."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.data import query
from components.figures.clv import calibration_errors, calibration_figure, equity_figure
from components.i18n import format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from models.metrics import clv as clv_metrics
from models.scope import Scope

COMMAND = "python manage.py clv"
TOP = 15
VIEWS = ("branch", "segment", "staff")


def segment_label(value: object) -> str:
    """A segment value in the user's language; one this code does not know is shown as it is in the data."""
    key = f"clv.segment.{value}"
    label = t(key)
    return str(value) if label == key else label


def _when(value) -> str:
    if value is None or pd.isna(value):
        return "—"
    return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")


def clv_section(scope: Scope, key: str = "clv") -> None:
    """Draw the section for `scope` (from `page_scope()`); `key` prefixes the widget keys."""
    st.subheader(t("clv.header"))
    status = query(clv_metrics.fit_status, scope)
    if status["customers"] == 0:
        st.info(t("clv.none", command=COMMAND))
        return
    st.caption(t("clv.caption", model=status["model"], cutoff=status["cutoff"], fitted_at=_when(status["fitted_at"])))
    branches = query(clv_metrics.equity_by_branch, scope)
    customers = int(branches["customers"].sum())
    kpi_row([
        Kpi(t("clv.kpi.equity"), format_number(branches["equity"].sum()), help=t("clv.kpi.equity_help")),
        Kpi(t("clv.kpi.customers"), format_number(customers)),
        Kpi(t("clv.kpi.at_risk"), format_number(branches["value_at_risk"].sum()), help=t("clv.kpi.at_risk_help")),
        Kpi(t("clv.kpi.alive"), format_percent(
            float((branches["mean_p_alive"] * branches["customers"]).sum() / customers) if customers else None)),
    ])
    _equity(scope, branches, key)
    _at_risk(scope, key)
    _calibration(scope, key)


def _equity(scope: Scope, branches: pd.DataFrame, key: str) -> None:
    view = st.segmented_control(t("clv.by"), VIEWS, default="branch", key=f"{key}_view",
                                format_func=lambda v: t(f"clv.by.{v}")) or "branch"
    if view == "branch":
        frame, label, header = branches, "branch_name", "clv.col.branch"
    elif view == "staff":
        frame, label, header = query(clv_metrics.equity_by_staff, scope), "staff_name", "clv.col.staff"
    else:
        dimension = st.selectbox(t("clv.dimension"), clv_metrics.SEGMENT_DIMENSIONS, key=f"{key}_dimension",
                                 format_func=lambda d: t(f"clv.dimension.{d}"))
        frame = query(clv_metrics.equity_by_segment, scope, dimension=dimension)
        frame = frame.assign(segment_name=frame["segment"].map(segment_label))
        label, header = "segment_name", "clv.col.segment"
    if frame.empty:
        st.info(t("clv.at_risk.none"))
        return
    st.plotly_chart(equity_figure(frame, label, t("clv.equity_title", top=min(TOP, len(frame))),
                                  t("clv.equity_axis"), top=TOP),
                    width="stretch", key=f"{key}_equity_{view}")
    labels = {label: t(header), "customers": t("clv.col.customers"), "equity": t("clv.col.equity"),
              "value_at_risk": t("clv.col.at_risk"), "mean_p_alive": t("clv.col.alive")}
    if view == "staff":
        labels = {"staff_name": t("clv.col.staff"), "branch_name": t("clv.col.branch"),
                  **{k: v for k, v in labels.items() if k != "staff_name"}}
    data_table(frame, labels, key=f"{key}_equity_table_{view}", file_stem=f"clv_equity_{view}",
               column_config={"equity": st.column_config.NumberColumn(format="%.0f"),
                              "value_at_risk": st.column_config.NumberColumn(format="%.0f"),
                              "mean_p_alive": st.column_config.NumberColumn(format="percent")},
               height=320)


def _at_risk(scope: Scope, key: str) -> None:
    st.markdown(f"**{t('clv.at_risk.header')}**")
    st.caption(t("clv.at_risk.caption", limit=clv_metrics.AT_RISK_LIMIT))
    frame = query(clv_metrics.value_at_risk, scope)
    if frame.empty:
        st.info(t("clv.at_risk.none"))
        return
    labels = {"customer_name": t("clv.col.customer"), "phone": t("clv.col.phone"), "branch_name": t("clv.col.branch"),
              "staff_name": t("clv.col.staff"), "clv_12m": t("clv.col.clv"), "p_alive": t("clv.col.p_alive"),
              "expected_transactions_12m": t("clv.col.transactions"), "value_at_risk": t("clv.col.at_risk")}
    data_table(frame, labels, key=f"{key}_at_risk", file_stem="clv_value_at_risk",
               column_config={"clv_12m": st.column_config.NumberColumn(format="%.0f"),
                              "value_at_risk": st.column_config.NumberColumn(format="%.0f"),
                              "expected_transactions_12m": st.column_config.NumberColumn(format="%.1f"),
                              "p_alive": st.column_config.NumberColumn(format="percent")},
               height=320)


def calibration_words(deciles: pd.DataFrame) -> str:
    """The calibration's error in a sentence (which way and by how much)."""
    errors = calibration_errors(deciles)
    first = deciles.iloc[0]

    def direction(error: float) -> str:
        return t("clv.calibration.high") if error > 0 else t("clv.calibration.low")

    return t("clv.calibration.words", cutoff=first["cutoff"], end=first["holdout_end"],
             margin_error=format_percent(abs(errors["margin_error"])), margin_direction=direction(errors["margin_error"]),
             tx_error=format_percent(abs(errors["transactions_error"])),
             tx_direction=direction(errors["transactions_error"]),
             decile_error=format_percent(errors["mean_decile_error"]))


def _calibration(scope: Scope, key: str) -> None:
    st.markdown(f"**{t('clv.calibration.header')}**")
    deciles = query(clv_metrics.calibration, scope)
    if deciles.empty:
        st.info(t("clv.calibration.none"))
        return
    st.plotly_chart(calibration_figure(deciles, t("clv.calibration.title"), t("clv.calibration.x"),
                                       t("clv.calibration.y"), t("clv.calibration.predicted"),
                                       t("clv.calibration.actual")),
                    width="stretch", key=f"{key}_calibration")
    st.caption(calibration_words(deciles))
