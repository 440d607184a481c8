"""KPI cards: a row of st.metric with the change against the previous period."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    delta: str | None = None
    help: str | None = None
    delta_color: str = "normal"


def kpi_row(kpis: list[Kpi]) -> None:
    for column, kpi in zip(st.columns(len(kpis)), kpis, strict=True):
        column.metric(kpi.label, kpi.value, delta=kpi.delta, help=kpi.help, delta_color=kpi.delta_color,
                      border=True)
