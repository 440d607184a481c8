"""The freshness line under every data page's title: "数据截至 2026-11-30 · 08:16 同步" and, when a daily
source is more than a day behind, one calm orange note on the same line. `scope_picker` calls it for the
scope it returns, so pages only name their sources."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from components.data import query
from components.i18n import current_language, t
from models.metrics.freshness import CHINA, china_today, data_freshness, summary

FRESHNESS_ICON = ":material/schedule:"


def arrival_text(at: datetime, today=None) -> str:
    """08:16 today (China time), else 2026-11-28 08:16."""
    local = at.astimezone(CHINA)
    return local.strftime("%H:%M") if local.date() == (today or china_today()) else local.strftime("%Y-%m-%d %H:%M")


def freshness_text(found: dict) -> str:
    """The line's Markdown from `models.metrics.freshness.summary` (no names from the data in it)."""
    if found["latest_day"] is None:
        return t("freshness.none")
    day = found["latest_day"].isoformat()
    line = t("freshness.line_day_only", day=day) if found["arrived_at"] is None else \
        t("freshness.line", day=day, at=arrival_text(found["arrived_at"]), via=t(f"freshness.via.{found['via']}"))
    notes = [t("freshness.behind", sources=t(f"freshness.source.{source}"), day=last.isoformat(), days=days)
             for source, last, days in found["behind"]]
    separator = "；" if current_language() == "zh" else "; "
    return line + (f" · :orange[{separator.join(notes)}]" if notes else "")


def freshness_line(scope, sources: tuple[str, ...]) -> None:
    """Draw the line for `scope` and the page's `sources` (names in `models.metrics.freshness.SOURCES`)."""
    found = summary(query(data_freshness, scope, sources=tuple(sources)))
    st.caption(f"{FRESHNESS_ICON} {freshness_text(found)}", help=t("freshness.help"))
