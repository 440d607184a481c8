"""总览 / Overview: a one-screen brief for a scope and period: what changed since last week, the alerts,
the headline of every area, the best and worst branches; meeting mode and the exported meeting brief."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import meeting
from components.brief import TONE_ICONS, BriefFigure, format_money, meeting_brief_html, say
from components.customers import overview_line as silver_line
from components.data import deferred_query, page_scope, query, require_database
from components.figures.campaign import season_curves
from components.figures.followers import follower_curve, ranking_bars
from components.figures.groups import activity_by_kind_figure
from components.figures.referrals import funnel_chart
from components.filters import period_picker, scope_picker
from components.graph_view import people_line
from components.i18n import bracketed, current_language, format_number, format_percent, join_names, t
from components.kpi import Kpi, kpi_row
from components.tables import audited, data_table
from components.tasks import (
    can_assign,
    follower_drop_alerts,
    lagging_village_alerts,
    my_open_tasks,
    silent_group_alerts,
    task_from_alerts,
)
from components.text import escape_markdown
from models.groups import GroupKind
from models.metrics import brief
from models.metrics import campaign as campaign_metrics
from models.metrics import customers as customer_metrics
from models.metrics import followers as follower_metrics
from models.metrics import graph as graph_metrics
from models.metrics import groups as group_metrics
from models.metrics import referrals as referral_metrics
from models.metrics import tasks as task_metrics
from models.referrals import FUNNEL_STAGES

MEETING_FONT = 20
in_meeting = meeting.in_meeting_mode()
if not in_meeting:
    st.title(t("app.title"))
require_database()
choice = scope_picker(page_scope(), "overview")
first_day, last_day = query(follower_metrics.follower_date_range, choice.scope)
if last_day is None:
    st.info(t("error.no_data_period"))
    st.stop()
start, end = period_picker(first_day, last_day, key="overview_period", default_days=30)
period_days = (end - start).days + 1
language = current_language()

# ---------------------------------------------------------------- the figures behind every section
tasks_until = date.today() if end == last_day else end  # tasks are stamped now: "this week" is this week
this_week = query(brief.week_figures, choice.scope, end=end, tasks_until=tasks_until)
last_week = query(brief.week_figures, choice.scope, end=brief.last_week_end(end),
                  tasks_until=brief.last_week_end(tasks_until))
sentences = brief.what_changed(this_week, last_week)

history = query(follower_metrics.daily_followers, choice.scope, start=follower_metrics.lookback_start(start, 60),
                end=end)
follower_kpis = follower_metrics.follower_kpis(history, as_of=end)
drop_alerts = query(brief.drop_alerts_on, choice.scope, end=end)
groups = query(group_metrics.overview_headline, choice.scope, end=end, period_days=period_days)
referrals = query(referral_metrics.overview_headline, choice.scope, end=end, days=period_days)
season = query(campaign_metrics.overview_headline, choice.scope, end=end)
customer_figures = query(customer_metrics.overview_headline, choice.scope)
ranking = (pd.DataFrame(columns=follower_metrics.RANKING_COLUMNS) if choice.branch_id is not None
           else query(follower_metrics.branch_ranking, choice.scope, start=start, end=end))
top, bottom = brief.branch_extremes(ranking)

# ---------------------------------------------------------------- alerts, in words
alerts: list[tuple[str, str]] = []
for row in drop_alerts.itertuples(index=False):
    alerts.append((t("followers.overview.drop_alert", branch=escape_markdown(row.branch_name),
                     start=row.start_day.date(), days=row.days, net=int(row.episode_net)), ":material/trending_down:"))
dormant = groups["dormant"]
if not dormant.empty:
    names = join_names([t("groups.overview.silent_days", name=escape_markdown(r.group_name), days=r.days_silent)
                        for r in dormant.head(3).itertuples()])
    alerts.append((t("groups.overview.dormant_alert", count=len(dormant), days=group_metrics.DEFAULT_DORMANT_DAYS,
                     names=names), ":material/notifications_paused:"))
if season and season["running"] and season["worst_villages"]:
    names = join_names([bracketed(escape_markdown(v["village_name"]), format_percent(v["attainment"], 0))
                        for v in season["worst_villages"]])
    alerts.append((t("overview.campaign.lagging", n=season["lagging_villages"], total=season["villages"], names=names),
                   ":material/agriculture:"))
if referrals["open_fraud_flags"]:
    alerts.append((t("overview.fraud_alert", n=referrals["open_fraud_flags"]), ":material/gpp_maybe:"))
if customer_figures["customers_to_call"]:
    alerts.append((t("customers.overview.alert", n=customer_figures["customers_to_call"],
                     rhythm=customer_figures["rhythm"], balance=customer_figures["balance"]), ":material/person_alert:"))
task_alerts = (
    follower_drop_alerts(drop_alerts, dict(zip(drop_alerts["branch_id"], drop_alerts["branch_name"], strict=True)))
    + silent_group_alerts(dormant)
    + (lagging_village_alerts(pd.DataFrame(season["worst_villages"])) if season and season["running"] else [])
)

# ---------------------------------------------------------------- headline numbers per area
follower_row = [
    Kpi(t("followers.kpi.cumulative"), format_number(follower_kpis.get("cumulative"))),
    Kpi(t("followers.kpi.net_7d"), format_number(follower_kpis.get("net_7d")),
        None if follower_kpis.get("net_7d_change") is None else format_percent(follower_kpis["net_7d_change"])),
    Kpi(t("followers.kpi.net_30d"), format_number(follower_kpis.get("net_30d")),
        None if follower_kpis.get("net_30d_change") is None else format_percent(follower_kpis["net_30d_change"])),
    Kpi(t("followers.kpi.unfollow_rate"), format_percent(follower_kpis.get("unfollow_rate_30d"), 2)),
]
group_kpis = groups["kpis"]
group_row = [
    Kpi(t("groups.kpi.groups"), format_number(group_kpis["groups"])),
    Kpi(t("groups.kpi.members"), format_number(group_kpis["members"])),
    Kpi(t("groups.kpi.active_share"), format_percent(group_kpis["active_share"])),
    Kpi(t("groups.kpi.median_reply"), format_number(group_kpis["median_reply_minutes"], 1)),
    Kpi(t("groups.kpi.dormant"), format_number(group_kpis["dormant_groups"])),
]
referral_row = [
    Kpi(t("ref.overview_conversions"), format_number(referrals["conversions"])),
    Kpi(t("ref.overview_top"), escape_markdown(referrals["top_staff"]) or "—",
        t("overview.top_conversions", n=referrals["top_conversions"]) if referrals["top_staff"] else None,
        delta_color="off"),
    Kpi(t("ref.overview_flags"), format_number(referrals["open_fraud_flags"])),
]
campaign_row = [] if not season else [
    Kpi(t("overview.deposited"), format_money(season["deposited"], language)),
    Kpi(t("campaign.kpi.attainment"), format_percent(season["attainment"])),
    Kpi(t("campaign.kpi.vs_last"), "—" if season.get("change_vs_last_season") is None
        else format_percent(season["change_vs_last_season"])),
    Kpi(t("overview.lagging_villages"), f"{season['lagging_villages']} / {season['villages']}"),
]
customer_row = [
    Kpi(t("customers.overview.kpi.silver"), format_percent(customer_figures["silver_share"])),
    Kpi(t("customers.overview.kpi.to_call"), format_number(customer_figures["customers_to_call"])),
]

network = query(graph_metrics.overview_headline, choice.scope, end=end)
graph_text = "" if not network["people_measured"] else (
    t("graph.overview.influencers", names=people_line(network["influencers"])) + "  \n"
    + t("graph.overview.prospects", names=people_line(network["prospects"])) + "  \n"
    + t("graph.overview.well_tied", n=network["prospects_well_tied"]))


# ---------------------------------------------------------------- key charts (slides and the exported brief)
# Their own data (event uplift, drops, group activity, the funnel, the season's curves) is read only when they
# are drawn: the meeting's slides, the opened key-charts section, the downloaded brief (a fifth of the page's
# reads otherwise). Their words are read here, on the script's thread; drawing them is pure.
span = {"start": start, "end": end}
chart_words = {
    "followers": t("meeting.chart.followers", **span), "ranking": t("meeting.chart.ranking", **span),
    "groups": t("meeting.chart.groups", **span), "referrals": t("meeting.chart.referrals", **span),
    "campaign": t("meeting.chart.campaign"), "ranking_axis": t("overview.axis_net_followers"),
    "messages_axis": t("groups.fig.messages_axis"),
    "follower_labels": {k: t(f"followers.chart.{k}") for k in ("new", "unfollows", "net", "ma7", "cumulative",
                                                               "axis_daily", "axis_cumulative", "drop", "uplift",
                                                               "events_week")},
    "kinds": {kind.value: t(f"groups.kind.{kind.value}") for kind in GroupKind},
    "stages": {s.value: t(f"ref.stage.{s.value}") for s in FUNNEL_STAGES},
    "season_labels": {k: t(f"campaign.chart.{k}") for k in ("this", "last", "target", "festival", "axis_day",
                                                            "axis_amount")},
}


def key_figure_recipes(charts: brief.KeyChartData) -> list[tuple[str, Callable[[], go.Figure]]]:
    """The brief's charts as (title, builder) over the page's frames and `charts` (pure: no st.* and no reads,
    so the download's worker thread may call it); each figure is drawn only when its builder is called."""
    recipes: list[tuple[str, Callable[[], go.Figure]]] = []
    daily = follower_metrics.with_moving_average(history)
    daily = daily[daily["day"] >= pd.Timestamp(start)]
    if not daily.empty:
        marked = charts.drops if choice.branch_id is not None else pd.DataFrame(columns=["start_day", "end_day"])
        events = follower_metrics.events_to_mark(charts.uplift)
        recipes.append((chart_words["followers"],
                        lambda: follower_curve(daily, events, marked, chart_words["follower_labels"])))
    if len(top) > 1:
        extremes = pd.concat([top, bottom]).drop_duplicates("branch_id")
        recipes.append((chart_words["ranking"],
                        lambda: ranking_bars(extremes, "net_growth", chart_words["ranking_axis"])))
    activity = charts.activity
    if not activity.empty:
        kinds = chart_words["kinds"]
        recipes.append((chart_words["groups"], lambda: activity_by_kind_figure(
            activity, lambda kind: kinds.get(kind, kind), "", chart_words["messages_axis"])))
    if charts.funnel["people"].sum() > 0:
        recipes.append((chart_words["referrals"], lambda: funnel_chart(charts.funnel, chart_words["stages"])))
    if charts.curves is not None:
        recipes.append((chart_words["campaign"],
                        lambda: season_curves(charts.curves, charts.target, chart_words["season_labels"])))
    return recipes


def key_figures(charts: brief.KeyChartData, font_size: int = 13) -> list[BriefFigure]:
    """Draw the recipes (pure: safe on the download's worker thread)."""
    figures = [BriefFigure(title, make()) for title, make in key_figure_recipes(charts)]
    for item in figures:
        item.figure.update_layout(font_size=font_size, title=None)
    return figures


def chart_data() -> brief.KeyChartData:
    """The charts' data through the page's cache (on the script's thread)."""
    return query(brief.key_chart_data, choice.scope, start=start, end=end)


read_chart_data = deferred_query(brief.key_chart_data, choice.scope, start=start, end=end)  # for the download


def export_html() -> str:
    """The meeting brief as one file; built when the button is clicked (on a worker thread: no st.* here, the
    charts' data read there through its own session)."""
    return meeting_brief_html(language, brief_title, brief_subtitle, sentences, [text for text, _ in alerts],
                              [(k.label, k.value) for k in follower_row + group_row + referral_row + campaign_row
                               + customer_row],
                              key_figures(read_chart_data()))


def download_brief() -> None:
    st.download_button(t("meeting.download"),
                       audited(export_html, "export_meeting_brief", f"{choice.label} {start}..{end}"),
                       f"meeting-brief-{end}.html", "text/html", key="meeting_brief_download",
                       help=t("meeting.download_help"), icon=":material/download:", on_click="ignore")


brief_title = f"{t('meeting.brief_title')} · {choice.label}"
brief_subtitle = t("meeting.generated", at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), day=end,
                   scope=f"{choice.label}, {start} – {end}")


def show_changes() -> None:
    if not sentences:
        st.markdown(t("brief.nothing_changed"))
    colours = {"good": "green", "bad": "red", "neutral": "gray"}
    st.markdown("\n".join(f"- :{colours[s.tone]}[{TONE_ICONS[s.tone]}] {say(s, language)}" for s in sentences))


def show_alerts() -> None:
    if not alerts:
        st.success(t("overview.no_alerts"), icon=":material/check_circle:")
    for text, icon in alerts:
        st.warning(text, icon=icon)


# ---------------------------------------------------------------- meeting mode
if in_meeting:
    figures = key_figures(chart_data(), MEETING_FONT)

    def chart_slide(item: BriefFigure, position: int):
        def draw() -> None:
            item.figure.update_layout(height=620)
            st.plotly_chart(item.figure, width="stretch", key=f"meeting_chart_{position}", theme=None)
        return meeting.Slide(item.title, draw)

    def headline_slide() -> None:
        kpi_row(follower_row)
        kpi_row(group_row)
        kpi_row(referral_row + campaign_row[:1])
        if graph_text:
            st.markdown(graph_text)

    def brief_slide() -> None:
        st.caption(t("filter.scope_label", scope=escape_markdown(choice.label), start=start, end=end))
        show_changes()
        show_alerts()

    slides = [meeting.Slide(t("meeting.slide.brief"), brief_slide),
              meeting.Slide(t("overview.headlines"), headline_slide),
              *(chart_slide(item, i) for i, item in enumerate(figures))]
    meeting.slideshow(slides, extra_controls=download_brief)
    st.stop()

# ---------------------------------------------------------------- the one-screen brief
header = st.container(horizontal=True, vertical_alignment="center")
header.caption(t("filter.scope_label", scope=escape_markdown(choice.label), start=start, end=end) + " · "
               + t("overview.as_of", day=end), width="stretch")
header.button(t("meeting.enter"), icon=":material/slideshow:", on_click=meeting.enter, help=t("meeting.enter_help"),
              type="primary", key="meeting_enter")
with header:
    download_brief()

my_open_tasks(choice.scope, key="overview_my_tasks")
left, right = st.columns([3, 2], gap="large")
with left:
    st.subheader(t("brief.changed"))
    show_changes()
with right:
    st.subheader(t("overview.alerts"))
    show_alerts()
    task_from_alerts(task_alerts, choice.scope, key="overview_task")
    if can_assign(choice.scope) or choice.scope.read_only:
        task_counts = query(task_metrics.task_counts, choice.scope, as_of=date.today())
        st.caption(t("tasks.overview_line", open=task_counts["open"], overdue=task_counts["overdue"],
                     done=task_counts["done_week"]))
        st.page_link("app_pages/tasks.py", label=t("tasks.open_page"), icon=":material/task_alt:")

st.subheader(t("overview.headlines"))
st.caption(t("overview.period_note", start=start, end=end))
with st.container(border=True):
    st.markdown(f"**:blue[{t('nav.followers')}]**")
    kpi_row(follower_row)
    st.page_link("app_pages/followers.py", label=t("overview.open_page"), icon=":material/trending_up:")
with st.container(border=True):
    st.markdown(f"**:green[{t('nav.groups')}]**")
    if group_kpis["groups"]:
        kpi_row(group_row)
    else:
        st.info(t("overview.no_groups"))
    st.page_link("app_pages/groups.py", label=t("overview.open_page"), icon=":material/groups:")
with st.container(border=True):
    st.markdown(f"**:orange[{t('nav.referrals')}]**")
    kpi_row(referral_row)
    st.page_link("app_pages/referrals.py", label=t("overview.open_page"), icon=":material/leaderboard:")
with st.container(border=True):
    st.markdown(f"**:red[{t('nav.campaign')}]**")
    if season:
        kpi_row(campaign_row)
        st.caption(t("overview.campaign.running" if season["running"] else "overview.campaign.closed",
                     season=season["season"], day=season["as_of"], attainment=format_percent(season["attainment"]),
                     days=season["days_to_festival"], run_rate=format_money(season["run_rate_needed"], language),
                     deposited=format_money(season["deposited"], language),
                     target=format_money(season["target"], language),
                     change="—" if season.get("change_vs_last_season") is None
                     else f"{season['change_vs_last_season']:+.1%}"))
        if season["worst_villages"] and not season["running"]:
            st.caption(t("overview.campaign.lagging", n=season["lagging_villages"], total=season["villages"],
                         names=join_names([bracketed(escape_markdown(v["village_name"]),
                                                     format_percent(v["attainment"], 0))
                                           for v in season["worst_villages"]])))
    else:
        st.info(t("overview.no_campaign"))
    st.page_link("app_pages/campaign.py", label=t("overview.open_page"), icon=":material/directions_bus:")

with st.container(border=True):
    st.markdown(f"**:blue[{t('nav.customers')}]**")
    if customer_figures["customers"]:
        kpi_row(customer_row)
        st.caption(silver_line(customer_figures))
    else:
        st.info(t("customers.none"))
    st.page_link("app_pages/customers.py", label=t("overview.open_page"), icon=":material/diversity_3:")

with st.container(border=True):
    st.markdown(f"**:violet[{t('graph.overview.headline')}]**")
    if graph_text:
        st.markdown(graph_text)
    else:
        st.info(t("overview.no_graph"))
    st.page_link("app_pages/graph.py", label=t("overview.open_page"), icon=":material/hub:")

st.subheader(t("overview.branches"))
if choice.branch_id is not None:
    st.info(t("overview.branches_single"))
elif ranking.empty:
    st.info(t("error.no_data_period"))
else:
    labels = {"rank_net": t("followers.col.rank_net"), "branch_name": t("followers.col.branch"),
              "region_name": t("followers.col.region"), "net_growth": t("followers.col.net"),
              "growth_rate": t("followers.col.growth_rate")}
    config = {"growth_rate": st.column_config.NumberColumn(format="percent")}
    best, worst = st.columns(2)
    with best:
        st.markdown(f"**{t('overview.top_n')}**")
        data_table(top, labels, key="overview_top", file_stem="top_branches", column_config=config)
    with worst:
        st.markdown(f"**{t('overview.bottom_n')}**")
        data_table(bottom, labels, key="overview_bottom", file_stem="bottom_branches", column_config=config)

charts_section = st.expander(t("overview.key_charts"), expanded=False, key="overview_key_charts", on_change="rerun")
if charts_section.open:   # read and drawn when opened: closed, they would cost every visit their reads and ~0.5 s
    with charts_section:
        figures = key_figures(chart_data())
        if not figures:
            st.info(t("error.no_data_period"))
        for position, item in enumerate(figures):
            st.markdown(f"**{item.title}**")
            st.plotly_chart(item.figure, width="stretch", key=f"overview_chart_{position}")
