"""粉丝增长 / Follower growth: is the official account growing, what moved it, who is slipping."""

from __future__ import annotations

import streamlit as st

from components.data import page_scope, query, require_database
from components.figures.followers import follower_curve, ranking_bars
from components.filters import period_picker, request_branch, scope_picker
from components.i18n import format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from components.tasks import follower_drop_alerts, task_from_alerts
from components.text import escape_markdown
from models.metrics import followers as metrics
from models.metrics.org import accounts_in_scope

PICKER_KEY = "followers"

st.title(t("followers.title"))
st.caption(t("followers.caption"))
require_database()

choice = scope_picker(page_scope(), PICKER_KEY, sources=("followers",))
account_id = None
if choice.branch_id is not None:
    accounts = query(accounts_in_scope, choice.scope)
    if len(accounts) > 1:
        names = dict(zip(accounts["account_id"], accounts["account_name"], strict=True))
        account_id = st.sidebar.selectbox(t("filter.account"), [None, *names], key="followers_account",
                                          format_func=lambda a: t("filter.all_accounts") if a is None else names[a])
first_day, last_day = query(metrics.follower_date_range, choice.scope)
if last_day is None:
    st.info(t("error.no_data_period"))
    st.stop()
start, end = period_picker(first_day, last_day, key="followers_period", default_days=90)
st.caption(t("filter.scope_label", scope=escape_markdown(choice.label), start=start, end=end))

history = query(metrics.daily_followers, choice.scope, start=metrics.lookback_start(start, 60), end=end,
                account_id=account_id)
if history.empty or history["day"].max().date() < start:
    st.info(t("error.no_data_period"))
    st.stop()

kpis = metrics.follower_kpis(history, as_of=end)


def _delta(key: str) -> str | None:
    change = kpis.get(f"{key}_change")
    return None if change is None else f"{format_percent(change)} {t('followers.kpi.vs_previous')}"


kpi_row([
    Kpi(t("followers.kpi.cumulative"), format_number(kpis["cumulative"])),
    Kpi(t("followers.kpi.net_today"), format_number(kpis["net_today"]), _delta("net_today")),
    Kpi(t("followers.kpi.net_7d"), format_number(kpis["net_7d"]), _delta("net_7d")),
    Kpi(t("followers.kpi.net_30d"), format_number(kpis["net_30d"]), _delta("net_30d")),
    Kpi(t("followers.kpi.unfollow_rate"), format_percent(kpis["unfollow_rate_30d"], 2),
        help=t("followers.kpi.unfollow_help")),
])

uplift, drops = query(metrics.event_uplift_and_drops, choice.scope, start=start, end=end)
daily = metrics.with_moving_average(history)
daily = daily[daily["day"] >= str(start)]
branch_names = dict(zip(choice.branches["branch_id"], choice.branches["branch_name"], strict=True))

curve_labels = {k: t(f"followers.chart.{k}") for k in ("new", "unfollows", "net", "ma7", "cumulative", "axis_daily",
                                                      "axis_cumulative", "drop", "uplift", "events_week")}
marked_drops = drops if choice.branch_id is not None else drops.iloc[0:0]
st.plotly_chart(
    follower_curve(daily, metrics.events_to_mark(uplift), marked_drops, curve_labels, t("followers.chart.title")),
    width="stretch", key="followers_curve",
)

st.subheader(t("followers.events.title"), help=t("followers.events.help"))
if uplift.empty:
    st.info(t("followers.events.none"))
else:
    uplift = uplift.assign(cost_per_follower=(uplift["cost"] / uplift["uplift"]).where(uplift["uplift"] > 0))
    data_table(
        uplift.sort_values("start_date", ascending=False),
        {"branch_name": t("followers.col.branch"), "name": t("followers.col.event"),
         "partner": t("followers.col.partner"), "start_date": t("followers.col.start"),
         "end_date": t("followers.col.end"), "window_days": t("followers.col.days"),
         "window_net": t("followers.col.window_net"), "baseline_daily": t("followers.col.baseline_daily"),
         "uplift": t("followers.col.uplift"), "cost": t("followers.col.cost"),
         "cost_per_follower": t("followers.col.cost_per_follower")},
        key="followers_events", file_stem="events_uplift",
        column_config={
            "start_date": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "end_date": st.column_config.DateColumn(format="YYYY-MM-DD"),
            "baseline_daily": st.column_config.NumberColumn(format="%.1f"),
            "uplift": st.column_config.NumberColumn(format="%+.0f"),
            "cost_per_follower": st.column_config.NumberColumn(format="%.2f"),
        },
    )

st.subheader(t("followers.drops.title"), help=t("followers.drops.help"))
if drops.empty:
    st.success(t("followers.drops.none"))
else:
    shown = drops.assign(
        branch_name=drops["branch_id"].map(branch_names),
        cause_text=drops["cause"].map(lambda c: t(f"followers.cause.{c}")),
        status=drops["ongoing"].map(lambda o: t("followers.status.ongoing" if o else "followers.status.ended")),
    ).sort_values(["ongoing", "start_day"], ascending=[False, False])
    data_table(
        shown,
        {"branch_name": t("followers.col.branch"), "start_day": t("followers.col.drop_start"),
         "end_day": t("followers.col.drop_end"), "days": t("followers.col.drop_days"),
         "episode_net": t("followers.col.drop_net"), "worst_window_net": t("followers.col.worst_week"),
         "cause_text": t("followers.col.cause"), "status": t("followers.col.status")},
        key="followers_drops", file_stem="drop_alerts",
        column_config={"start_day": st.column_config.DateColumn(format="YYYY-MM-DD"),
                       "end_day": st.column_config.DateColumn(format="YYYY-MM-DD")},
    )
    task_from_alerts(follower_drop_alerts(drops[drops["ongoing"]], branch_names), choice.scope, key="followers_task")

if choice.branch_id is None:
    st.subheader(t("followers.ranking.title"), help=t("followers.ranking.help"))
    ranking = metrics.rank_period_totals(query(metrics.branch_period_totals, choice.scope, start=start, end=end),
                                         choice.branches)
    left, right = st.columns([3, 2])
    with left:
        selection = data_table(
            ranking,
            {"rank_net": t("followers.col.rank_net"), "branch_name": t("followers.col.branch"),
             "region_name": t("followers.col.region"), "new_follows": t("followers.col.new"),
             "unfollows": t("followers.col.unfollows"), "net_growth": t("followers.col.net"),
             "end_followers": t("followers.col.end_followers"), "growth_rate": t("followers.col.growth_rate"),
             "rank_rate": t("followers.col.rank_rate")},
            key="followers_ranking", file_stem="branch_ranking", selectable=True,
            column_config={"growth_rate": st.column_config.NumberColumn(format="percent")},
        )
        if selection and selection.selection.rows:
            request_branch(PICKER_KEY, int(ranking.iloc[selection.selection.rows[0]]["branch_id"]))
    with right:
        st.plotly_chart(ranking_bars(ranking, "net_growth", t("followers.col.net")), width="stretch",
                        key="followers_ranking_chart")
    st.markdown(f"**{t('followers.ranking.regions')}**")
    data_table(
        metrics.region_totals(ranking),
        {"region_name": t("followers.col.region"), "branches": t("followers.col.branches"),
         "new_follows": t("followers.col.new"), "unfollows": t("followers.col.unfollows"),
         "net_growth": t("followers.col.net"), "end_followers": t("followers.col.end_followers"),
         "growth_rate": t("followers.col.growth_rate")},
        key="followers_regions", file_stem="region_totals",
        column_config={"growth_rate": st.column_config.NumberColumn(format="percent")},
    )
