"""营销目标 / Campaign targets: head office sets each branch's season deposit target; a president splits it
over the branch's villages and staff members. The campaign page's attainment reads these targets."""

from __future__ import annotations

from datetime import date

import streamlit as st
from sqlmodel import Session

from components.data import engine, page_scope, query, refresh_data_version, require_database, signed_in_user_id
from components.i18n import format_number, t
from components.tables import data_table
from components.text import escape_markdown
from models.accounts import UserRole
from models.metrics import campaign as campaign_metrics
from models.metrics import tasks as metrics
from models.targets import TargetError, set_branch_target, split_branch_target

YUAN = st.column_config.NumberColumn(format="%,.0f")
STEP = 10_000.0

st.title(t("targets.title"))
st.caption(t("targets.caption"))
require_database()
scope = page_scope()
seasons = query(campaign_metrics.campaigns, scope)
if seasons.empty:
    st.info(t("targets.none"))
    st.stop()
season_list = seasons["season"].astype(int).tolist()
default_season, _ = campaign_metrics.default_as_of(seasons, date.today())
season = st.selectbox(t("targets.season"), season_list, index=season_list.index(default_season), key="targets_season",
                      format_func=lambda s: t("campaign.season_label", season=s, festival=seasons.loc[
                          seasons["season"] == s, "spring_festival"].iloc[0].date()))
campaign_id = int(seasons.loc[seasons["season"] == season, "campaign_id"].iloc[0])

flash = st.session_state.pop("targets_flash", None)
if flash is not None:
    (st.success if flash[0] == "success" else st.error)(flash[1])

table = query(metrics.branch_target_table, scope, campaign_id=campaign_id)
st.subheader(t("targets.branches"))
data_table(table, {"branch_name": t("targets.col.branch"), "branch_target": t("targets.col.target"),
                   "village_split": t("targets.col.village_split"), "staff_split": t("targets.col.staff_split")},
           key="targets_table", file_stem=f"campaign_targets_{season}",
           column_config={"branch_target": YUAN, "village_split": YUAN, "staff_split": YUAN})
if scope.read_only or scope.role == UserRole.STAFF or table.empty:
    st.caption(t("targets.read_only"))
    st.stop()
names = dict(zip(table["branch_id"].astype(int), table["branch_name"], strict=True))
current = dict(zip(table["branch_id"].astype(int), table["branch_target"], strict=True))


def save_branch_target() -> None:
    branch_id, amount = st.session_state["targets_branch"], st.session_state["targets_amount"]
    try:
        with Session(engine()) as session:
            set_branch_target(session, signed_in_user_id(), campaign_id, int(branch_id), float(amount))
    except TargetError as exc:
        st.session_state["targets_flash"] = ("error", escape_markdown(exc))
        return
    refresh_data_version()
    st.session_state["targets_flash"] = ("success", t("targets.saved_branch", branch=escape_markdown(names[branch_id]),
                                                      amount=format_number(amount)))


if scope.role == UserRole.ADMIN:
    with st.expander(t("targets.set"), icon=":material/flag:"):
        branch_id = st.selectbox(t("targets.branch"), list(names), format_func=names.get, key="targets_branch")
        with st.form(f"targets_branch_form_{branch_id}", border=False):
            st.number_input(t("targets.amount"), min_value=0.0, value=float(current[branch_id]), step=STEP,
                            format="%.0f", key="targets_amount")
            st.form_submit_button(t("targets.save_branch"), type="primary", on_click=save_branch_target)

st.subheader(t("targets.split"))
with_target = [b for b in names if current[b] > 0]
if not with_target:
    st.info(t("targets.no_branch_target"))
    st.stop()
split_branch = st.selectbox(t("targets.split_branch"), with_target, format_func=names.get, key="targets_split_branch")
st.caption(t("targets.split_of", target=format_number(current[split_branch])))
split = query(metrics.target_split, scope, campaign_id=campaign_id, branch_id=int(split_branch))
villages, staff = split["villages"], split["staff"]
prefix = f"targets_{campaign_id}_{split_branch}"


def save_split() -> None:
    state = st.session_state
    village_amounts = {int(v): float(state[f"{prefix}_v_{v}"]) for v in villages["village_id"]}
    staff_amounts = {int(s): float(state[f"{prefix}_s_{s}"]) for s in staff["staff_id"]}
    try:
        with Session(engine()) as session:
            split_branch_target(session, signed_in_user_id(), campaign_id, int(split_branch), village_amounts,
                                staff_amounts)
    except TargetError as exc:
        state["targets_flash"] = ("error", escape_markdown(exc))
        return
    refresh_data_version()
    state["targets_flash"] = ("success", t("targets.saved_split", villages=format_number(sum(village_amounts.values())),
                                           staff=format_number(sum(staff_amounts.values()))))


def amount_input(name: str, value: float, step: float, key: str) -> None:
    """A name from the data beside a yuan amount (the name is text, not the widget's label)."""
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.markdown(name)
    right.number_input(t("targets.amount"), min_value=0.0, value=float(value), step=step, format="%.0f", key=key,
                       label_visibility="collapsed")


with st.form(f"{prefix}_form"):
    village_tab, staff_tab = st.tabs([t("targets.villages"), t("targets.staff")])
    with village_tab:
        if villages.empty:
            st.caption(t("targets.no_villages"))
        for row in villages.itertuples(index=False):
            amount_input(t("targets.village_option", village=escape_markdown(row.village_name),
                           township=escape_markdown(row.township)), row.deposit_target, STEP,
                         f"{prefix}_v_{row.village_id}")
    with staff_tab:
        for row in staff.itertuples(index=False):
            amount_input(escape_markdown(row.staff_name), row.deposit_target, STEP / 10, f"{prefix}_s_{row.staff_id}")
    st.form_submit_button(t("targets.save_split"), type="primary", on_click=save_split)
