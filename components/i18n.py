"""One dictionary for the UI in Chinese (first) and English; `t(key)` picks the user's language."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import streamlit as st

from components.strings import (
    auth,
    brief,
    campaign,
    common,
    connections,
    customer_value,
    customers,
    fieldwork,
    followers,
    freshness,
    graph,
    groups,
    imports,
    push,
    referrals,
    rules,
    tasks,
)

STRING_MODULES = [common, followers, auth, campaign, groups, referrals, graph, imports, brief, connections, freshness,
                  push, tasks, fieldwork, rules, customers, customer_value]
LANGUAGES = ("zh", "en")
LANGUAGE_KEY = "ui_language"


@cache
def all_strings() -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for module in STRING_MODULES:
        overlap = merged.keys() & module.STRINGS.keys()
        if overlap:
            raise KeyError(f"duplicate UI string keys: {sorted(overlap)}")
        merged.update(module.STRINGS)
    return merged


def language_from_locale(locale: str | None) -> str:
    return "en" if locale and locale.lower().startswith("en") else "zh"


def current_language() -> str:
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in LANGUAGES:
        return chosen
    try:
        return language_from_locale(st.context.locale)
    except Exception:  # noqa: BLE001 - no browser context (tests, scripts)
        return "zh"


def translate(key: str, language: str, **values) -> str:
    pair = all_strings().get(key)
    if pair is None:
        return key
    text = pair[LANGUAGES.index(language)]
    return text.format(**values) if values else text


def t(key: str, **values) -> str:
    return translate(key, current_language(), **values)


def language_picker(on_pick: Callable[[str], None] | None = None) -> None:
    """Sidebar switch; the choice lives in the session, and `on_pick` (the login gate's) keeps it in the
    signed-in user's setting. A callback, so the dictionary at the bottom imports nothing above it."""
    current = current_language()
    choice = st.sidebar.radio(
        t("lang.label"), LANGUAGES, index=LANGUAGES.index(current), horizontal=True,
        format_func=lambda code: {"zh": "中文", "en": "English"}[code], key=f"language_radio_{current}",
    )
    if choice != current:
        st.session_state[LANGUAGE_KEY] = choice
        if on_pick is not None:
            on_pick(choice)
        st.rerun()


def format_number(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def format_percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%"


def join_names(names: list[str]) -> str:
    """A list of names as the language writes it: 甲、乙、丙 or A, B, C."""
    return ("、" if current_language() == "zh" else ", ").join(str(n) for n in names)


def bracketed(name: str, detail: str) -> str:
    """`name (detail)` with the brackets of the current language."""
    return f"{name}（{detail}）" if current_language() == "zh" else f"{name} ({detail})"
