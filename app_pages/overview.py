"""总览 / Overview: the headline of every area and the alerts a president acts on today."""

from __future__ import annotations

import streamlit as st

from components.data import page_scope, query, require_database
from components.filters import scope_picker
from components.i18n import format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from models.metrics import campaign as campaign_metrics
from models.metrics import followers as follower_metrics
from models.metrics import graph as graph_metrics
from models.metrics import groups as group_metrics
from models.metrics import referrals as referral_metrics

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
group_headline = query(group_metrics.overview_headline, choice.scope, end=last_day)
if not group_headline["dormant"].empty:
    dormant = group_headline["dormant"]
    names = "、".join(t("groups.overview.silent_days", name=r.group_name, days=r.days_silent) for r in dormant.head(3).itertuples())
    alert_lines.append(t("groups.overview.dormant_alert", count=len(dormant), days=group_metrics.DEFAULT_DORMANT_DAYS, names=names))
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

# --- Group activity
st.subheader(t("groups.overview.title"))
group_kpis = group_headline["kpis"]
kpi_row([
    Kpi(t("groups.kpi.groups"), format_number(group_kpis["groups"])),
    Kpi(t("groups.kpi.members"), format_number(group_kpis["members"])),
    Kpi(t("groups.kpi.active_share"), format_percent(group_kpis["active_share"])),
    Kpi(t("groups.kpi.median_reply"), format_number(group_kpis["median_reply_minutes"], 1)),
    Kpi(t("groups.kpi.dormant"), format_number(group_kpis["dormant_groups"])),
])
st.page_link("app_pages/groups.py", label=t("groups.overview.open_page"), icon=":material/groups:")

# --- Migrant-worker campaign (213N)
campaign = query(campaign_metrics.overview_headline, choice.scope, end=last_day)
if campaign:
    st.subheader(t("overview.campaign"))
    change = campaign.get("change_vs_last_season")
    st.markdown(t("overview.campaign.running" if campaign["running"] else "overview.campaign.closed",
                  season=campaign["season"], day=campaign["as_of"], attainment=format_percent(campaign["attainment"]),
                  days=campaign["days_to_festival"], run_rate=format_number(campaign["run_rate_needed"]),
                  deposited=format_number(campaign["deposited"]), target=format_number(campaign["target"]),
                  change="—" if change is None else f"{change:+.1%}"))
    if campaign["worst_villages"]:
        names = "、".join(f"{v['village_name']}（{format_percent(v['attainment'], 0)}）" for v in campaign["worst_villages"])
        st.warning(t("overview.campaign.lagging", n=campaign["lagging_villages"], total=campaign["villages"],
                     names=names), icon=":material/agriculture:")
    st.page_link("app_pages/campaign.py", label=t("overview.open_page"), icon=":material/directions_bus:")

# --- Referrals
st.subheader(t("ref.overview_title"))
headline = query(referral_metrics.overview_headline, choice.scope, end=last_day)
kpi_row([
    Kpi(t("ref.overview_conversions"), format_number(headline["conversions"])),
    Kpi(t("ref.overview_top"), headline["top_staff"] or "—", f"{headline['top_conversions']} {t('ref.overview_conversions')}"
        if headline["top_staff"] else None, delta_color="off"),
    Kpi(t("ref.overview_flags"), format_number(headline["open_fraud_flags"]),
        delta_color="off"),
])
st.page_link("app_pages/referrals.py", label=t("overview.open_page"), icon=":material/leaderboard:")

# --- Relationship network
st.subheader(t("graph.overview.headline"))
network = query(graph_metrics.overview_headline, choice.scope, end=last_day)
if network["people_measured"]:
    from components.graph_view import people_line

    st.markdown(t("graph.overview.influencers", names=people_line(network["influencers"])) + "  \n"
                + t("graph.overview.prospects", names=people_line(network["prospects"])) + "  \n"
                + t("graph.overview.well_tied", n=network["prospects_well_tied"]))
st.page_link("app_pages/graph.py", label=t("overview.open_page"), icon=":material/hub:")
