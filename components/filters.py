"""Scope-aware pickers: region → branch narrows the server-built Scope, and a period picker."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from components.data import query, refuse
from components.i18n import t
from models.metrics.org import branches_in_scope
from models.scope import Scope, ScopeError

PERIOD_PRESETS = (30, 90, 180, 365)


@dataclass(frozen=True)
class ScopeChoice:
    scope: Scope
    label: str
    branch_id: int | None
    branches: pd.DataFrame


def pending_branch_key(key: str) -> str:
    return f"{key}_pending_branch"


def request_branch(key: str, branch_id: int) -> None:
    """Ask the picker `key` to switch to `branch_id` on the next run (used by click-through tables)."""
    st.session_state[pending_branch_key(key)] = int(branch_id)
    st.rerun()


def scope_picker(scope: Scope, key: str = "scope") -> ScopeChoice:
    """Region and branch pickers inside the caller's scope. A branch outside it (from the URL or an
    edited session) is refused, not silently replaced."""
    branches = query(branches_in_scope, scope)
    branch_key, region_key = f"{key}_branch", f"{key}_region"
    pending = st.session_state.pop(pending_branch_key(key), None)
    if pending is None and "branch" in st.query_params and branch_key not in st.session_state:
        try:
            pending = int(st.query_params["branch"])
        except ValueError:
            pending = None
    if pending is not None:
        if not scope.allows(pending) or pending not in set(branches["branch_id"]):
            refuse(ScopeError(f"branch {pending}"))
        st.session_state[branch_key] = pending
        st.session_state[region_key] = branches.loc[branches["branch_id"] == pending, "region_name"].iloc[0]

    regions = sorted(branches["region_name"].dropna().unique().tolist())
    region = st.sidebar.selectbox(
        t("filter.region"), [None, *regions], key=region_key,
        format_func=lambda value: t("filter.all_regions") if value is None else value,
    )
    in_region = branches if region is None else branches[branches["region_name"] == region]
    names = dict(zip(in_region["branch_id"].astype(int), in_region["branch_name"], strict=True))
    if st.session_state.get(branch_key) not in (None, *names):
        st.session_state[branch_key] = None
    branch_id = st.sidebar.selectbox(
        t("filter.branch"), [None, *names], key=branch_key,
        format_func=lambda value: t("filter.all_branches") if value is None else names[value],
    )
    try:
        if branch_id is not None:
            return ScopeChoice(scope.narrow([branch_id]), names[branch_id], branch_id, in_region)
        if region is not None:
            return ScopeChoice(scope.narrow(in_region["branch_id"]), region, None, in_region)
    except ScopeError as exc:
        refuse(exc)
    label = t("scope.everything") if scope.is_everything else t("filter.all_branches")
    return ScopeChoice(scope, label, None, branches)


def period_picker(first_day: date, last_day: date, key: str = "period", default_days: int = 90) -> tuple[date, date]:
    """Presets counted back from the last day with data, or a custom range inside the data."""
    options = [*PERIOD_PRESETS, "custom"]
    requested = st.query_params.get("days")
    if requested and requested.isdigit() and int(requested) in PERIOD_PRESETS:
        default_days = int(requested)
    choice = st.sidebar.selectbox(
        t("filter.period"), options, index=options.index(default_days), key=key,
        format_func=lambda value: t("filter.custom") if value == "custom" else t("filter.last_n_days", n=value),
    )
    if choice == "custom":
        picked = st.sidebar.date_input(
            t("filter.dates"), value=(max(first_day, last_day - timedelta(days=default_days - 1)), last_day),
            min_value=first_day, max_value=last_day, key=f"{key}_dates",
        )
        if isinstance(picked, tuple) and len(picked) == 2:
            return picked[0], picked[1]
        single = picked[0] if isinstance(picked, tuple) and picked else last_day
        return single, single
    return max(first_day, last_day - timedelta(days=int(choice) - 1)), last_day
