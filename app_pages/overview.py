"""总览 / Overview: the headline of every area and the alerts a president acts on today."""

from __future__ import annotations

import streamlit as st

from components.data import page_scope, query, require_database
from components.filters import scope_picker
from components.i18n import format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from models.metrics import followers as follower_metrics
from models.metrics import graph as graph_metrics

st.title(t("app.title"))
require_database()
choice = scope_picker(page_scope(), "overview")
first_day, last_day = query(follower_metrics.follower_date_range, choice.scope)
if last_day is None:
    st.info(t("error.no_data_period"))
    st.stop()
st.caption(t("overview.as_of", day=last_day) + " · " + choice.label)

# --- Alerts: every area adds its own below this line.
st.subheader(t("overview.alerts"))
drop_alerts = query(follower_metrics.current_drop_alerts, choice.scope)
alert_lines = [
    t("followers.overview.drop_alert", branch=row.branch_name, start=row.start_day.date(), days=row.days,
      net=int(row.episode_net))
    for row in drop_alerts.itertuples(index=False)
]
if alert_lines:
    for line in alert_lines:
        st.warning(line, icon=":material/trending_down:")
else:
    st.success(t("overview.no_alerts"))

# --- Follower growth
st.subheader(t("followers.overview.headline"))
history = query(follower_metrics.daily_followers, choice.scope,
                start=follower_metrics.lookback_start(last_day, 60), end=last_day)
kpis = follower_metrics.follower_kpis(history)
kpi_row([
    Kpi(t("followers.kpi.cumulative"), format_number(kpis["cumulative"])),
    Kpi(t("followers.kpi.net_7d"), format_number(kpis["net_7d"]),
        None if kpis["net_7d_change"] is None else format_percent(kpis["net_7d_change"])),
    Kpi(t("followers.kpi.net_30d"), format_number(kpis["net_30d"]),
        None if kpis["net_30d_change"] is None else format_percent(kpis["net_30d_change"])),
    Kpi(t("followers.kpi.unfollow_rate"), format_percent(kpis["unfollow_rate_30d"], 2)),
])
if choice.branch_id is None:
    month_start = follower_metrics.lookback_start(last_day, 29)
    by_branch = query(follower_metrics.daily_followers_by_branch, choice.scope, start=month_start, end=last_day)
    ranking = follower_metrics.rank_branches(by_branch, choice.branches, month_start, last_day)
    labels = {"rank_net": t("followers.col.rank_net"), "branch_name": t("followers.col.branch"),
              "region_name": t("followers.col.region"), "net_growth": t("followers.col.net"),
              "growth_rate": t("followers.col.growth_rate")}
    config = {"growth_rate": st.column_config.NumberColumn(format="percent")}
    top, bottom = st.columns(2)
    with top:
        st.markdown(f"**{t('overview.top_branches')}**")
        data_table(ranking.head(5), labels, key="overview_top", file_stem="top_branches", column_config=config)
    with bottom:
        st.markdown(f"**{t('overview.bottom_branches')}**")
        data_table(ranking.tail(5).iloc[::-1], labels, key="overview_bottom", file_stem="bottom_branches",
                   column_config=config)
st.page_link("app_pages/followers.py", label=t("overview.open_page"), icon=":material/trending_up:")

# --- Relationship network
st.subheader(t("graph.overview.headline"))
network = query(graph_metrics.overview_headline, choice.scope, end=last_day)
if network["people_measured"]:
    from components.graph_view import people_line

    st.markdown(t("graph.overview.influencers", names=people_line(network["influencers"])) + "  \n"
                + t("graph.overview.prospects", names=people_line(network["prospects"])) + "  \n"
                + t("graph.overview.well_tied", n=network["prospects_well_tied"]))
st.page_link("app_pages/graph.py", label=t("overview.open_page"), icon=":material/hub:")
