"""返乡农民工 213N / Migrant campaign: where the Spring Festival campaign stands today and who to visit next."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from components.data import derived, page_scope, query, require_database
from components.figures.campaign import attainment_bars, season_curves, sms_conversion, visit_rounds
from components.filters import scope_picker
from components.i18n import format_number, format_percent, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from components.tasks import lagging_village_alerts, staff_behind_alerts, task_from_alerts
from components.text import escape_markdown
from models.metrics import campaign as metrics

PICKER_KEY = "campaign"
DATE = st.column_config.DateColumn(format="YYYY-MM-DD")
YUAN = st.column_config.NumberColumn(format="%,.0f")
PERCENT = st.column_config.NumberColumn(format="percent")
ALERT_CHOICES = 50  # alerts offered to make a task from, most behind first

st.title(t("campaign.title"))
st.caption(t("campaign.caption"))
require_database()
st.page_link("app_pages/targets.py", label=t("targets.open_page"), icon=":material/flag:")

choice = scope_picker(page_scope(), PICKER_KEY, sources=("campaign",))
seasons = query(metrics.campaigns, choice.scope)
if seasons.empty:
    st.info(t("campaign.none"))
    st.stop()

default_season, default_day = metrics.default_as_of(seasons, date.today())
season_list = seasons["season"].astype(int).tolist()
festivals = dict(zip(season_list, seasons["spring_festival"].dt.date, strict=True))
season = st.sidebar.selectbox(
    t("campaign.season"), season_list, index=season_list.index(default_season), key="campaign_season",
    format_func=lambda s: t("campaign.season_label", season=s, festival=festivals[s]),
)
campaign = seasons[seasons["season"] == season].iloc[0]
start, end = campaign["start_date"].date(), campaign["end_date"].date()
initial = default_day if season == default_season and start <= default_day <= end else start + (end - start) // 2
as_of = st.sidebar.slider(t("campaign.as_of"), min_value=start, max_value=end, value=initial,
                          step=timedelta(days=1), format="YYYY-MM-DD", key=f"campaign_as_of_{season}",
                          help=t("campaign.as_of_help"))

campaign_id = int(campaign["campaign_id"])
counts = query(metrics.list_counts, choice.scope, campaign_id=campaign_id, as_of=as_of)
listed = int(metrics.list_totals(counts)["workers"])
if listed == 0:
    st.info(t("campaign.empty_scope"))
    st.stop()
summary = query(metrics.season_summary, choice.scope, campaign_id=campaign_id)
workers = query(metrics.worker_frames, choice.scope, campaign_id=campaign_id) \
    if listed <= metrics.WORKER_LIST_LIMIT else None
last = metrics.previous_season(seasons, season)
last_daily = None if last is None else query(metrics.daily_deposits, choice.scope, campaign_id=int(last["campaign_id"]))
view = derived(metrics.campaign_view, (choice.scope, campaign_id, as_of),   # what every input below was read for
               summary, counts, campaign, as_of, choice.scope, last_daily, last, workers)
countdown, progress = view["countdown"], view["progress"]
st.caption(t("campaign.as_of_line", scope=escape_markdown(choice.label), day=as_of, offset=countdown["lunar_offset"],
             start=start,
             end=end))

# ---- countdown and deposits against target
comparison = view["comparison"]
kpi_row([
    Kpi(t("campaign.kpi.days_to_festival"), format_number(countdown["days_to_festival"])
        if countdown["days_to_festival"] >= 0 else t("campaign.kpi.passed")),
    Kpi(t("campaign.kpi.days_to_end"), format_number(max(countdown["days_to_end"], 0))),
    Kpi(t("campaign.kpi.deposited"), format_number(progress["deposited"]),
        t("campaign.kpi.today", amount=format_number(progress["deposited_today"]))),
    Kpi(t("campaign.kpi.attainment"), format_percent(progress["attainment"]),
        help=t("campaign.kpi.target_help", target=format_number(progress["target"]), gap=format_number(progress["gap"]))),
    Kpi(t("campaign.kpi.run_rate"), t("campaign.kpi.reached") if progress["run_rate_needed"] == 0
        else format_number(progress["run_rate_needed"]), help=t("campaign.kpi.run_rate_help")),
])
kpi_row([
    Kpi(t("campaign.kpi.projection"), format_number(progress["projection"]),
        format_percent(progress["projected_attainment"]), help=t("campaign.kpi.projection_help")),
    Kpi(t("campaign.kpi.seasonal"), format_number(progress["seasonal_projection"]),
        None if not progress["seasonal_projection"] or not progress["target"]
        else format_percent(progress["seasonal_projection"] / progress["target"]), help=t("campaign.kpi.seasonal_help")),
    Kpi(t("campaign.kpi.vs_last"), format_number(comparison["last_to_date"]) if comparison else "—",
        None if not comparison or comparison["change"] is None else format_percent(comparison["change"])),
])

if view["curves"] is not None:
    curve_labels = {k: t(f"campaign.chart.{k}") for k in ("this", "last", "target", "festival", "axis_day",
                                                          "axis_amount")}
    st.plotly_chart(season_curves(view["curves"], progress["target"], curve_labels, title=t("campaign.chart.title")),
                    width="stretch", key="campaign_curves")

# ---- the playbook
st.header(t("campaign.playbook"))
st.subheader(t("campaign.prep"))
coverage = view["coverage"]
kpi_row([
    Kpi(t("campaign.cov.workers"), format_number(coverage["workers"])),
    Kpi(t("campaign.cov.returned"), format_number(coverage["returned"]),
        help=format_percent(coverage["returned"] / coverage["workers"] if coverage["workers"] else None)),
    Kpi(t("campaign.cov.with_foreman"), format_number(coverage["with_foreman"])),
    Kpi(t("campaign.cov.key_persons"), f"{format_number(coverage['key_persons_contacted'])} / "
        f"{format_number(coverage['key_persons'])}", help=t("campaign.cov.supportive", n=coverage["supportive"])),
    Kpi(t("campaign.cov.foremen"), f"{format_number(coverage['foremen_contacted'])} / "
        f"{format_number(coverage['foremen'])}"),
])
with st.expander(t("campaign.offers.title")):
    data_table(view["offers"], {"name": t("campaign.offers.name"), "threshold": t("campaign.offers.threshold"),
                                "unit_cost": t("campaign.offers.unit_cost"), "taken": t("campaign.offers.taken"),
                                "cost": t("campaign.offers.cost")},
               key="campaign_offers", file_stem="hometown_offers",
               column_config={"threshold": YUAN, "cost": YUAN})

st.subheader(t("campaign.outreach"))
sms = view["sms"]
left, right = st.columns([3, 2])
with left:
    kpi_row([
        Kpi(t("campaign.sms.sent"), format_number(sms["sent"])),
        Kpi(t("campaign.sms.replied"), format_number(sms["replied"])),
        Kpi(t("campaign.sms.reply_rate"), format_percent(sms["reply_rate"]), help=t("campaign.sms.reply_help")),
    ])
with right:
    st.plotly_chart(sms_conversion(sms, {k: t(f"campaign.sms.{k}") for k in ("repliers", "silent", "axis")},
                                   title=t("campaign.sms.conv_title")), width="stretch", key="campaign_sms")

st.subheader(t("campaign.visits"), help=t("campaign.visits.help"))
visit_labels = {k: t(f"campaign.visits.{k}") for k in
                ("round1", "round2", "round3", "on_time", "late", "missed", "due", "upcoming", "not_returned", "axis")}
st.plotly_chart(visit_rounds(view["visits"], visit_labels), width="stretch", key="campaign_visits")

st.subheader(t("campaign.events"))
events = view["events_summary"]
st.caption(t("campaign.events.held", held=events["held"], planned=events["planned"],
             attendees=format_number(events["attendees"]), amount=format_number(events["new_deposits"])))
states = {True: t("campaign.events.done"), False: t("campaign.events.planned")}  # two texts, not one per event
event_rows = view["events"].assign(state=view["events"]["held"].map(lambda held: states[bool(held)]))
data_table(event_rows,
           {"state": t("campaign.events.state"), "event_date": t("campaign.events.date"), "branch_name": t("campaign.events.branch"),
            "township": t("campaign.events.township"), "name": t("campaign.events.name"),
            "attendees": t("campaign.events.attendees"), "qualifying_depositors": t("campaign.events.qualifying"),
            "new_deposits": t("campaign.events.deposits")},
           key="campaign_events", file_stem="township_events",
           column_config={"event_date": DATE, "new_deposits": YUAN})

# ---- by village and by staff
st.header(t("campaign.by"))
overall = progress["attainment"]
by_village_tab, by_staff_tab = st.tabs([t("campaign.by.village"), t("campaign.by.staff")])
bar_labels = {k: t(f"campaign.by.{k}") for k in ("hover", "overall", "axis")}
common_columns = {"branch_name": t("campaign.col.branch"), "deposit_target": t("campaign.col.target"),
                  "deposited": t("campaign.col.deposited"), "gap": t("campaign.col.gap"),
                  "attainment": t("campaign.col.attainment"), "workers": t("campaign.col.workers"),
                  "returned": t("campaign.col.returned"), "visits_due": t("campaign.col.visits_due"),
                  "visits_missed": t("campaign.col.visits_missed")}
money = {"deposit_target": YUAN, "deposited": YUAN, "gap": YUAN, "attainment": PERCENT}
for tab, table, lagging, name_column, first_columns, key in (
    (by_village_tab, view["villages"], view["lagging_villages"], "village_name",
     {"village_name": t("campaign.col.village"), "township": t("campaign.col.township")}, "village"),
    (by_staff_tab, view["staff"], view["lagging_staff"], "staff_name", {"staff_name": t("campaign.col.staff")}, "staff"),
):
    with tab:
        st.caption(t("campaign.by.lagging", n=len(lagging)))
        chart, listing = st.columns([2, 3])
        with chart:
            st.plotly_chart(attainment_bars(table, name_column, bar_labels, overall), width="stretch",
                            key=f"campaign_{key}_bars")
        with listing:
            data_table(table, {**first_columns, **common_columns}, key=f"campaign_{key}_table",
                       file_stem=f"campaign_by_{key}", column_config=money, height=520)
        # the first ALERT_CHOICES alerts only: at head office thousands of staff are behind, each alert two
        # translated lines and a picker option (~0.3 s a run), more than anyone scrolls through
        alerts = lagging_village_alerts(lagging, limit=ALERT_CHOICES + 1) if key == "village" \
            else staff_behind_alerts(table, limit=ALERT_CHOICES + 1)
        task_from_alerts(alerts[:ALERT_CHOICES], choice.scope, key=f"campaign_{key}_task",
                         label=t("campaign.by.task_top", n=ALERT_CHOICES) if len(alerts) > ALERT_CHOICES else None)

# ---- who to visit next
st.header(t("campaign.next"), help=t("campaign.next.help"))
visit_next = view["visit_next"]
if visit_next is None:
    st.info(t("campaign.next.pick_branch", n=format_number(listed), limit=format_number(metrics.WORKER_LIST_LIMIT)))
    st.stop()
staff_names = (visit_next.dropna(subset=["staff_id"]).drop_duplicates("staff_id")
               .set_index("staff_id")["staff_name"].to_dict())
staff_id = st.selectbox(t("campaign.next.staff"), [None, *staff_names], key="campaign_next_staff",
                        format_func=lambda s: t("campaign.next.all_staff") if s is None else staff_names[s])
shown = visit_next if staff_id is None else visit_next[visit_next["staff_id"] == staff_id]
if shown.empty:
    st.info(t("campaign.next.none"))
else:
    data_table(
        shown,
        {"staff_name": t("campaign.next.staff"), "rank": t("campaign.next.rank"),
         "customer_name": t("campaign.next.customer"), "phone": t("campaign.next.phone"),
         "village_name": t("campaign.col.village"), "visit_round": t("campaign.next.round"),
         "deadline": t("campaign.next.deadline"), "overdue": t("campaign.next.overdue"),
         "expected_deposit": t("campaign.next.expected"), "days_since_return": t("campaign.next.days_home"),
         "sms_replied": t("campaign.next.replied"), "key_tie": t("campaign.next.tie"),
         "leaves_on": t("campaign.next.leaves"), "priority": t("campaign.next.priority")},
        key="campaign_next", file_stem=f"visit_list_{as_of}",
        column_config={"deadline": DATE, "leaves_on": DATE, "expected_deposit": YUAN, "priority": YUAN},
    )
