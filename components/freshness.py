"""The freshness line under every data page's title: "数据截至 2026-11-30 · 08:16 同步" and, when a daily
source is more than a day behind, one calm orange note on the same line. `scope_picker` calls it for the
scope it returns, so pages only name their sources."""

from __future__ import annotations

import streamlit as st

from components.brief import freshness_words
from components.data import query
from components.i18n import current_language, t
from models.metrics.freshness import data_freshness, summary

FRESHNESS_ICON = ":material/schedule:"


def freshness_text(found: dict, language: str) -> str:
    """The line as Markdown: the words, and the notes of sources behind in orange on the same line."""
    line, notes = freshness_words(found, language)
    separator = "；" if language == "zh" else "; "
    return line + (f" · :orange[{separator.join(notes)}]" if notes else "")


def freshness_line(scope, sources: tuple[str, ...]) -> None:
    """Draw the line for `scope` and the page's `sources` (names in `models.metrics.freshness.SOURCES`)."""
    found = summary(query(data_freshness, scope, sources=tuple(sources)))
    st.caption(f"{FRESHNESS_ICON} {freshness_text(found, current_language())}", help=t("freshness.help"))
