"""推荐排行榜 / Referral leaderboard: where each staff member ranks, the funnel, channels, 转介,
the quarter's reward ledger and fraud signals."""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from components.data import page_scope, query, require_database
from components.figures.referrals import channel_chart, funnel_chart, internal_referral_bars, leaderboard_bars
from components.filters import period_picker, scope_picker
from components.highlight import highlight_rows
from components.i18n import bracketed, format_number, t
from components.kpi import Kpi, kpi_row
from components.qr import invite_link, invite_qr_png
from components.tables import audited, data_table, download_buttons, labelled
from components.text import escape_markdown
from models.metrics import referrals as R
from models.referral_export import ledger_totals, reward_ledger_workbook
from models.referrals import FUNNEL_STAGES, ShareChannel

RANK_METRICS = ["conversions", "invites", "conversion_amount", "effective_customers", "reward_yuan"]
LEVEL_KEYS = {"staff": "staff_id", "branch": "branch_id", "region": "region_name"}
LEVEL_NAMES = {"staff": "staff_name", "branch": "branch_name", "region": "region_name"}
SHOWN_ROWS = 500  # a head-office board has ~20,000 staff: the page shows the top rows, downloads carry every row
PERCENT = st.column_config.NumberColumn(format="percent")
YUAN = st.column_config.NumberColumn(format="localized")


def board_labels(level: str) -> dict[str, str]:
    names = {"staff": {"staff_name": t("ref.col.staff"), "employee_no": t("ref.col.employee_no"),
                       "branch_name": t("ref.col.branch")},
             "branch": {"branch_name": t("ref.col.branch"), "region_name": t("ref.col.region"),
                        "staff": t("ref.col.staff_count")},
             "region": {"region_name": t("ref.col.region"), "staff": t("ref.col.staff_count")}}[level]
    figures = {c: t(f"ref.col.{c}") for c in ["invites", "participants", "conversions", "conversion_amount",
                                             "conversion_rate", "effective_customers", "reward_yuan"]}
    return {"rank": t("ref.col.rank"), "rank_change": t("ref.col.rank_change"), **names, **figures}


def arrows(change: pd.Series) -> pd.Series:
    """▲3 / ▼2 / ＝ / — (no previous rank) for a column of rank changes: each distinct change written once
    (a head-office board has ~20,000 rows and a few hundred distinct changes)."""
    known = change.notna().to_numpy()
    distinct, where = np.unique(change.fillna(0).to_numpy(dtype="int64"), return_inverse=True)
    texts = np.array([f"▲{v}" if v > 0 else f"▼{-v}" if v < 0 else "＝" for v in distinct.tolist()] + ["—"], dtype=object)
    return pd.Series(texts[np.where(known, where, len(distinct))], index=change.index, dtype="str")


st.title(t("ref.title"))
st.caption(t("ref.caption"))
require_database()
scope = page_scope()


choice = scope_picker(scope, key="ref_scope", sources=("referrals",))
first_day, last_day = query(R.referral_date_range, choice.scope)
if first_day is None:
    st.info(t("error.no_data_period"))
    st.stop()
start, end = period_picker(first_day, last_day, key="ref_period", default_days=90)
campaigns = query(R.campaigns, choice.scope)
campaign_names = dict(zip(campaigns["campaign_id"].astype(int), campaigns["name"], strict=True))
campaign_id = st.sidebar.selectbox(t("ref.campaign"), [None, *campaign_names], key="ref_campaign",
                                   format_func=lambda c: t("ref.all_campaigns") if c is None else campaign_names[c])
# "me" is the signed-in account's staff record (models.auth.staff_link), never a widget's choice; only their
# own row is read here (the funnel tab reads the scope's whole staff list for its picker)
linked = scope.staff_id is not None and not query(R.staff_in_scope, choice.scope, staff_id=int(scope.staff_id)).empty
me = int(scope.staff_id) if linked else None
own_only = scope.role == "staff"  # a staff member sees their own reward, flags and codes, not colleagues'
if own_only and scope.staff_id is None:
    st.warning(t("ref.unlinked_staff"), icon=":material/link_off:")


def only_mine(frame: pd.DataFrame) -> pd.DataFrame:
    """A staff member's own rows of a per-staff table (reward, flags); others see the table whole."""
    return frame[frame["staff_id"] == scope.staff_id].reset_index(drop=True) if own_only else frame


st.caption(t("filter.scope_label", scope=escape_markdown(choice.label), start=start, end=end))

tab_board, tab_funnel, tab_channels, tab_internal, tab_ledger, tab_fraud, tab_codes = st.tabs(
    [t("ref.tab.board"), t("ref.tab.funnel"), t("ref.tab.channels"), t("ref.tab.internal"), t("ref.tab.ledger"),
     t("ref.tab.fraud"), t("ref.tab.codes")],
    key="ref_section", on_change="rerun")  # lazy: only the open tab's queries run (at head office 0.2-0.6 s each)

with tab_board:
    if tab_board.open:
        left, right = st.columns([2, 3])
        level = left.segmented_control(t("ref.level"), list(LEVEL_KEYS), default="staff", key="ref_level",
                                       format_func=lambda v: t(f"ref.level.{v}")) or "staff"
        by = right.segmented_control(t("ref.rank_by"), RANK_METRICS, default="conversions", key="ref_by",
                                     format_func=lambda v: t(f"ref.col.{v}")) or "conversions"
        # read once per scope, period and campaign (and once more to rank by a reward: the previous ledger);
        # a switch of level, or between count metrics, only re-ranks in memory
        base = query(R.leaderboard_base, choice.scope, start=start, end=end, campaign_id=campaign_id,
                     previous_rewards=by in R.REWARD_METRICS)
        board = R.rank_staff_board(base, level, by)
        if board.empty or board[["clicks", "invites", "conversions"]].to_numpy().sum() == 0:
            st.info(t("error.no_data_period"))
        else:
            kpi_row([
                Kpi(t("ref.kpi.invites"), format_number(board["invites"].sum())),
                Kpi(t("ref.kpi.conversions"), format_number(board["conversions"].sum())),
                Kpi(t("ref.kpi.amount"), format_number(board["conversion_amount"].sum()) + " " + t("common.yuan")),
                Kpi(t("ref.kpi.reward"), format_number(board["reward_yuan"].sum()) + " " + t("common.yuan")),
            ])
            own = pd.Series(False, index=board.index)
            if me is not None:
                mine = base[base["staff_id"] == me].iloc[0]
                own_value = {"staff": me, "branch": mine["branch_id"], "region": mine["region_name"]}[level]
                own = board[LEVEL_KEYS[level]] == own_value
            if own.any():
                row = board[own].iloc[0]
                kpi_row([
                    Kpi(t("ref.me_rank"), f"{int(row['rank'])} / {len(board)}",
                        delta=None if pd.isna(row["rank_change"]) else t("ref.rank_delta", n=f"{int(row['rank_change']):+d}")),
                    Kpi(t("ref.me_conversions"), format_number(row["conversions"])),
                    Kpi(t("ref.me_effective"), format_number(row["effective_customers"])),
                    Kpi(t("ref.me_reward"), format_number(row["reward_yuan"], 2)),
                ])
            labels = board_labels(level)
            shown = board.assign(rank_change=arrows(board["rank_change"]))
            ordered = pd.concat([shown[own], shown[~own]]) if own.any() else shown
            table = labelled(ordered, labels)
            config = {labels["conversion_rate"]: PERCENT, labels["conversion_amount"]: YUAN, labels["reward_yuan"]: YUAN}
            visible = table.head(SHOWN_ROWS)  # head office: the top rows (own row first); the download has all
            if len(table) > SHOWN_ROWS:
                st.caption(t("ref.board_top_note", shown=format_number(SHOWN_ROWS), total=format_number(len(table))))
            st.dataframe(highlight_rows(visible, own.reindex(ordered.index).set_axis(table.index).head(SHOWN_ROWS)),
                         hide_index=True, width="stretch", column_config=config, key="ref_board_table", height=420)
            download_buttons(table, f"leaderboard_{level}_{start}_{end}", key="ref_board_dl")
            previous = R.previous_period(start, end)
            st.caption(t("ref.previous_period", start=previous[0], end=previous[1]))
            st.plotly_chart(leaderboard_bars(board, by, LEVEL_NAMES[level], t(f"ref.col.{by}"), own,
                                             title=t("ref.top_chart", n=15)), key="ref_board_chart")

with tab_funnel:
    if tab_funnel.open:
        staff = query(R.staff_in_scope, choice.scope)
        staff_names = {int(i): bracketed(n, b)
                       for i, n, b in zip(staff["staff_id"], staff["staff_name"], staff["branch_name"], strict=True)}
        funnel_staff = st.selectbox(t("ref.funnel_staff"), [None, *staff_names],
                                    index=0 if me is None else 1 + list(staff_names).index(me),
                                    key="ref_funnel_staff",
                                    format_func=lambda s: t("ref.funnel_everyone") if s is None else staff_names[s])
        funnel = query(R.funnel, choice.scope, start=start, end=end, campaign_id=campaign_id, staff_id=funnel_staff)
        if funnel["people"].sum() == 0:
            st.info(t("error.no_data_period"))
        else:
            stage_labels = {s.value: t(f"ref.stage.{s.value}") for s in FUNNEL_STAGES}
            st.plotly_chart(funnel_chart(funnel, stage_labels, t("ref.funnel_title")), key="ref_funnel_chart")
            data_table(funnel.assign(stage=funnel["stage"].map(stage_labels)),
                       {"stage": t("ref.col.stage"), "people": t("ref.col.people"), "step_rate": t("ref.col.step_rate"),
                        "rate_from_click": t("ref.col.rate_from_click")}, key="ref_funnel_table", file_stem="funnel",
                       column_config={"step_rate": PERCENT, "rate_from_click": PERCENT})

with tab_channels:
    if tab_channels.open:
        channels = query(R.promotion_channels, choice.scope, start=start, end=end, staff_id=me)
        if channels[["shares", "clicks"]].to_numpy().sum() == 0:
            st.info(t("error.no_data_period"))
        else:
            channel_labels = {c.value: t(f"ref.channel.{c.value}") for c in ShareChannel}
            st.plotly_chart(channel_chart(channels, channel_labels,
                                          {"shares": t("ref.col.shares"), "clicks": t("ref.col.clicks"),
                                           "rate": t("ref.col.click_to_conversion"), "count_axis": t("ref.col.clicks")},
                                          t("ref.channels_title")), key="ref_channel_chart")
            st.caption(t("ref.channels_note"))
            data_table(channels.assign(channel=channels["channel"].map(channel_labels)),
                       {"channel": t("ref.col.channel"), "shares": t("ref.col.shares"), "clicks": t("ref.col.clicks"),
                        "clicks_per_share": t("ref.col.clicks_per_share"), "conversions": t("ref.col.conversions"),
                        "click_to_conversion": t("ref.col.click_to_conversion")}, key="ref_channel_table",
                       file_stem="channels", column_config={"click_to_conversion": PERCENT})

with tab_internal:
    if tab_internal.open:
        internal = query(R.internal_referrals, choice.scope, start=start, end=end)
        if internal.empty or internal["made"].sum() == 0:
            st.info(t("ref.internal_empty"))
        else:
            outcome_labels = {k: t(f"ref.col.{k}") for k in ("converted", "accepted", "pending", "lost")}
            outcome_labels["axis"] = t("ref.internal_axis")
            st.plotly_chart(internal_referral_bars(internal, outcome_labels, title=t("ref.internal_title")),
                            key="ref_internal_chart")
            data_table(internal.assign(role=internal["role"].map(lambda r: t(f"ref.role.{r}"))),
                       {"staff_name": t("ref.col.staff"), "role": t("ref.col.role"), "branch_name": t("ref.col.branch"),
                        "made": t("ref.col.made"), "accepted": t("ref.col.accepted"), "converted": t("ref.col.converted"),
                        "lost": t("ref.col.lost"), "pending": t("ref.col.pending"),
                        "acceptance_rate": t("ref.col.acceptance_rate"),
                        "conversion_rate": t("ref.col.internal_conversion_rate")}, key="ref_internal_table",
                       file_stem="internal_referrals", column_config={"acceptance_rate": PERCENT, "conversion_rate": PERCENT})

with tab_ledger:
    if tab_ledger.open:
        quarters = list(dict.fromkeys(R.quarter_of(d.date()) for d in pd.date_range(first_day, last_day, freq="D")))[::-1]
        default_quarter = R.quarter_of(end)
        quarter = st.selectbox(t("ref.quarter"), quarters,
                               index=quarters.index(default_quarter) if default_quarter in quarters else 0,
                               key="ref_quarter")
        ledger = only_mine(query(R.quarter_ledger, choice.scope, quarter=quarter))
        st.caption(t("ref.ledger_note"))
        if ledger.empty:
            st.info(t("ref.ledger_empty"))
        else:
            totals = ledger_totals(ledger)
            st.markdown("**" + t("ref.ledger_total", people=format_number(totals["effective_customers"]),
                                 yuan=format_number(totals["amount"], 2),
                                 held=format_number(totals["flagged_exclusions"])) + "**")
            own = ledger["staff_id"] == me if me is not None else pd.Series(False, index=ledger.index)
            ordered = pd.concat([ledger[own], ledger[~own]])
            ordered = ordered.assign(status=ordered["status"].map(lambda s: t(f"ref.status.{s}")))
            labels = {"employee_no": t("ref.col.employee_no"), "staff_name": t("ref.col.staff"),
                      "branch_name": t("ref.col.branch"),
                      "personal_customers": t("ref.col.personal"), "corporate_customers": t("ref.col.corporate"),
                      "effective_customers": t("ref.col.effective_customers"), "amount": t("ref.col.reward_yuan"),
                      "flagged_exclusions": t("ref.col.withheld"), "basis": t("ref.col.basis"), "status": t("ref.col.status")}
            table = labelled(ordered, labels)
            visible = table.head(SHOWN_ROWS)
            if len(table) > SHOWN_ROWS:
                st.caption(t("ref.ledger_top_note", shown=format_number(SHOWN_ROWS), total=format_number(len(table))))
            st.dataframe(highlight_rows(visible, own.reindex(ordered.index).set_axis(table.index).head(SHOWN_ROWS)),
                         hide_index=True, width="stretch", key="ref_ledger_table", column_config={labels["amount"]: YUAN})
            st.download_button(t("ref.ledger_download"),   # payroll exports go to the audit log
                               audited(partial(reward_ledger_workbook, ledger, quarter), "export_reward_ledger",
                                       f"{quarter} {len(ledger)} rows"),
                               f"reward_ledger_{quarter}.xlsx",
                               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ref_ledger_xlsx",
                               icon=":material/payments:", on_click="ignore")
        with st.expander(t("ref.rules")):
            rules = query(R.reward_rules, choice.scope)
            st.dataframe(labelled(rules.assign(customer_kind=rules["customer_kind"].map(lambda k: t(f"ref.kind.{k}")),
                                               campaign_name=rules["campaign_name"].fillna(t("rules.general"))),
                                  {"rule_id": t("rules.col.rule_id"), "campaign_name": t("rules.col.campaign"),
                                   "customer_kind": t("ref.col.kind"), "yuan_per_customer": t("ref.col.yuan_per_customer"),
                                   "valid_from": t("ref.col.valid_from"), "valid_to": t("ref.col.valid_to")}),
                         hide_index=True, width="stretch", key="ref_rules_table")

with tab_fraud:
    if tab_fraud.open:
        review = only_mine(query(R.fraud_review, choice.scope, start=start, end=end))
        st.caption(t("ref.fraud_note"))
        if review.empty:
            st.success(t("ref.fraud_none"))
        else:
            st.markdown("**" + t("ref.fraud_open", n=int((~review["cleared"]).sum())) + "**")
            data_table(review.assign(rule=review["rule"].map(lambda r: t(f"ref.rule.{r}")),
                                     stage=review["stage"].map(lambda s: t(f"ref.stage.{s}")),
                                     cleared=review["cleared"].map(lambda c: t("ref.yes") if c else t("ref.no"))),
                       {"day": t("ref.col.day"), "staff_name": t("ref.col.staff"), "branch_name": t("ref.col.branch"),
                        "rule": t("ref.col.rule"), "stage": t("ref.col.stage"), "customer_id": t("ref.col.customer"),
                        "detail": t("ref.col.detail"), "cleared": t("ref.col.cleared")}, key="ref_fraud_table",
                       file_stem="fraud_signals")

with tab_codes:
    if tab_codes.open:
        if me is None:
            st.info(t("ref.codes_none"))
        else:
            codes = query(R.staff_codes, choice.scope, staff_id=me)
            columns = st.columns(3)
            for position, code in enumerate(codes.itertuples(index=False)):
                with columns[position % 3].container(border=True):
                    st.markdown(f"**{escape_markdown(code.campaign_name) or t('ref.general_code')}** · `{code.code}`")
                    png = invite_qr_png(code.code)
                    st.image(png, width=160)
                    st.caption(invite_link(code.code))
                    st.download_button(t("ref.qr_download"), png, f"invite_{code.code}.png", "image/png",
                                       key=f"ref_qr_{code.code}")
