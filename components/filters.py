"""Scope-aware pickers: region → branch narrows the server-built Scope, and a period picker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components.data import query, refuse
from components.freshness import freshness_line
from components.i18n import current_language, t, translate
from models.metrics.freshness import SOURCES as FRESHNESS_SOURCES
from models.metrics.org import branches_in_scope
from models.scope import Scope, ScopeError

PERIOD_PRESETS = (30, 90, 180, 365)


@dataclass(frozen=True)
class ScopeChoice:
    scope: Scope
    label: str
    branch_id: int | None
    branches: pd.DataFrame


def language_key(key: str) -> str:
    """A picker's widget key in the current language. The browser keeps a selectbox's choice as the text
    it showed, so after a language switch the old text would linger; a widget per language avoids that,
    and `carry_over` hands the chosen value to the new one."""
    return f"{key}__{current_language()}"


def carry_over(key: str) -> str:
    """The widget key for this run, seeded with the value chosen under another language."""
    widget_key = language_key(key)
    chosen = st.session_state.get(f"{key}__value")
    if widget_key not in st.session_state and chosen is not None:   # None is the first option: the default
        st.session_state[widget_key] = chosen
    return widget_key


def remember(key: str, value) -> None:
    st.session_state[f"{key}__value"] = value


def pending_branch_key(key: str) -> str:
    return f"{key}_pending_branch"


def request_branch(key: str, branch_id: int) -> None:
    """Ask the picker `key` to switch to `branch_id` on the next run (used by click-through tables)."""
    st.session_state[pending_branch_key(key)] = int(branch_id)
    st.rerun()


def scope_picker(scope: Scope, key: str = "scope", sources: tuple[str, ...] = tuple(FRESHNESS_SOURCES)) -> ScopeChoice:
    """Region and branch pickers inside the caller's scope, then the freshness line of the page's `sources`
    for the chosen scope. A branch outside it (from the URL or an edited session) is refused, not silently
    replaced."""
    choice = _pick_scope(scope, key)
    freshness_line(choice.scope, sources)
    return choice


def _pick_scope(scope: Scope, key: str) -> ScopeChoice:
    branches = query(branches_in_scope, scope)
    branch_key, region_key = f"{key}_branch", f"{key}_region"
    pending = st.session_state.pop(pending_branch_key(key), None)
    if pending is None and "branch" in st.query_params and f"{branch_key}__value" not in st.session_state:
        try:
            pending = int(st.query_params["branch"])
        except ValueError:
            pending = None
    if pending is not None:
        if not scope.allows(pending) or pending not in set(branches["branch_id"]):
            refuse(ScopeError(f"branch {pending}"))
        remember(branch_key, pending)
        remember(region_key, branches.loc[branches["branch_id"] == pending, "region_name"].iloc[0])
        st.session_state[language_key(branch_key)] = pending
        if st.session_state[f"{region_key}__value"] is not None:
            st.session_state[language_key(region_key)] = st.session_state[f"{region_key}__value"]

    regions = sorted(branches["region_name"].dropna().unique().tolist())
    all_regions = t("filter.all_regions")
    region_widget = carry_over(region_key)
    if region_widget in st.session_state and st.session_state[region_widget] not in regions:
        del st.session_state[region_widget]
    region = st.sidebar.selectbox(
        t("filter.region"), [None, *regions], key=region_widget,
        format_func=lambda value: all_regions if value is None else value,
    )
    remember(region_key, region)
    in_region = branches if region is None else branches[branches["region_name"] == region]
    names = dict(zip(in_region["branch_id"].astype(int), in_region["branch_name"], strict=True))
    branch_widget = carry_over(branch_key)
    if branch_widget in st.session_state and st.session_state[branch_widget] not in names:
        del st.session_state[branch_widget]
    all_branches = t("filter.all_branches")
    only_one = len(branches) == 1  # one branch in scope: open on it, there is nothing else to pick
    branch_id = st.sidebar.selectbox(
        t("filter.branch"), list(names) if only_one else [None, *names], key=branch_widget,
        format_func=lambda value: all_branches if value is None else names[value],
    )
    remember(branch_key, branch_id)
    try:
        if branch_id is not None:
            return ScopeChoice(scope.narrow([branch_id]), names[branch_id], branch_id, in_region)
        if region is not None:
            return ScopeChoice(scope.narrow(in_region["branch_id"]), region, None, in_region)
    except ScopeError as exc:
        refuse(exc)
    return ScopeChoice(scope, scope_label(branches, scope.is_everything, current_language()), None, branches)


def scope_label(branches: pd.DataFrame, is_everything: bool, language: str) -> str:
    """Name what an unnarrowed scope holds: 'all branches' would mislead a president who sees one branch
    and its outlets. The bank, one branch, a parent and its outlets, one region's, or a count."""
    if is_everything:
        return translate("scope.everything", language)
    if len(branches) == 1:
        return str(branches["branch_name"].iloc[0])
    parents = branches["parent_name"].dropna().unique() if "parent_name" in branches else []
    if len(branches) and len(parents) == 1 and branches["parent_name"].notna().all():
        return translate("scope.parent_outlets", language, parent=parents[0], count=len(branches))
    regions = branches["region_name"].dropna().unique() if "region_name" in branches else []
    if len(branches) and len(regions) == 1 and branches["region_name"].notna().all():
        return translate("scope.region_outlets", language, region=regions[0], count=len(branches))
    return translate("scope.n_outlets", language, count=len(branches))


def period_picker(first_day: date, last_day: date, key: str = "period", default_days: int = 90) -> tuple[date, date]:
    """Presets counted back from the last day with data, or a custom range inside the data."""
    options = [*PERIOD_PRESETS, "custom"]
    requested = st.query_params.get("days")
    if requested and requested.isdigit() and int(requested) in PERIOD_PRESETS:
        default_days = int(requested)
    # labels made now, in this run's language (a format_func may be called after the run)
    names = {value: t("filter.custom") if value == "custom" else t("filter.last_n_days", n=value) for value in options}
    widget_key = carry_over(key)
    if widget_key in st.session_state and st.session_state[widget_key] not in options:
        del st.session_state[widget_key]
    choice = st.sidebar.selectbox(t("filter.period"), options,
                                  index=None if widget_key in st.session_state else options.index(default_days),
                                  key=widget_key, format_func=names.__getitem__)
    remember(key, choice)
    if choice == "custom":
        picked = st.sidebar.date_input(
            t("filter.dates"), value=(max(first_day, last_day - timedelta(days=default_days - 1)), last_day),
            min_value=first_day, max_value=last_day, key=language_key(f"{key}_dates"),
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            return picked[0], picked[1]
        single = picked[0] if isinstance(picked, tuple) and picked else last_day
        return single, single
    return max(first_day, last_day - timedelta(days=int(choice) - 1)), last_day
