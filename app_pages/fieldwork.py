"""我的外勤 / My field work: a staff member's visits, SMS replies and care from the phone (390 px first).

Staff see and record their own assigned workers; a president picks a staff member of their branches and may
record for them; a head-office admin is a president of every branch here; a viewer reads only. The server
decides every write (`models.fieldwork`); the page only calls it."""

from __future__ import annotations

from datetime import date

import streamlit as st

from components import field_work as blocks
from components.auth import signed_in_user
from components.data import page_scope, query, refuse, require_database
from components.i18n import format_number, t
from components.text import escape_markdown
from models.accounts import UserRole
from models.fieldwork import refusal
from models.metrics import campaign as campaign_metrics
from models.metrics import fieldwork as metrics
from models.scope import ScopeError

SHOWN = [10, 20, 50]

st.title(t("fieldwork.title"))
st.caption(t("fieldwork.caption"))
require_database()
scope = page_scope()
user = signed_in_user()
actor = user.username if user is not None else ""
blocks.flash()

seasons = query(campaign_metrics.campaigns, scope)
if seasons.empty:
    st.info(t("fieldwork.none"))
    st.stop()
today = date.today()
default_season, default_day = campaign_metrics.default_as_of(seasons, today)
season_list = seasons["season"].astype(int).tolist()
with st.expander(t("fieldwork.settings")):
    season = st.selectbox(t("fieldwork.season"), season_list, index=season_list.index(default_season),
                          key="fieldwork_season")
    campaign = seasons[seasons["season"] == season].iloc[0]
    start, end = campaign["start_date"].date(), campaign["end_date"].date()
    initial = default_day if season == default_season and start <= default_day <= end else start + (end - start) // 2
    as_of = st.date_input(t("fieldwork.as_of"), value=initial, min_value=start, max_value=end,
                          key=f"fieldwork_as_of_{season}", help=t("fieldwork.as_of_help"))
campaign_id = int(campaign["campaign_id"])
bounds = {"start": start, "end": end}

if scope.role == UserRole.STAFF.value:
    staff_id = scope.staff_id
    if staff_id is None:
        st.warning(t("fieldwork.not_linked"))
        st.stop()
else:
    staff = query(metrics.field_staff, scope, campaign_id=campaign_id)
    if staff.empty:
        st.info(t("fieldwork.no_staff"))
        st.stop()
    labels = {int(r.staff_id): t("fieldwork.staff_label", name=r.staff_name, branch=r.branch_name,
                                 workers=format_number(r.workers)) for r in staff.itertuples()}
    ids = list(labels)
    staff_id = st.selectbox(t("fieldwork.staff"), ids, key="fieldwork_staff", format_func=labels.get,
                            index=ids.index(scope.staff_id) if scope.staff_id in labels else 0)

can_write = refusal(scope, None) is None
if not can_write:
    st.info(t("fieldwork.read_only"))
try:
    work = query(metrics.field_work, scope, campaign_id=campaign_id, as_of=as_of, staff_id=int(staff_id))
except ScopeError as exc:
    refuse(exc)
st.markdown(t("fieldwork.for_line", name=escape_markdown(work["who"]["staff_name"]),
               branch=escape_markdown(work["who"]["branch_name"]), day=as_of))
blocks.figures(work["figures"])

visits_tab, sms_tab, care_tab = st.tabs([t("fieldwork.tab.visits"), t("fieldwork.tab.sms"), t("fieldwork.tab.care")])
with visits_tab:
    st.subheader(t("fieldwork.next"))
    upcoming = work["next"]
    if upcoming.empty:
        st.info(t("fieldwork.next.none"))
    else:
        st.caption(t("fieldwork.next.count", n=len(upcoming)))
        shown = st.segmented_control(t("fieldwork.show"), SHOWN, default=SHOWN[0], key="fieldwork_shown") \
            if len(upcoming) > SHOWN[0] else SHOWN[0]
        blocks.visit_cards(upcoming.head(shown or SHOWN[0]), scope, actor, bounds, as_of, today, can_write)
    st.subheader(t("fieldwork.recorded"))
    if work["visits"].empty:
        st.info(t("fieldwork.recorded.none"))
    blocks.recorded_visits(work["visits"], scope, actor, bounds, today, can_write)

with sms_tab:
    sms = work["sms"]
    if sms.empty:
        st.info(t("fieldwork.sms.none"))
    else:
        st.caption(t("fieldwork.sms.caption", replied=int(sms["replied_on"].notna().sum()),
                     delivered=int(sms["delivered"].sum())))
        blocks.sms_replies(sms, scope, actor, bounds, as_of, today, can_write)

with care_tab:
    st.subheader(t("fieldwork.care.title"))
    care = work["care"]
    if care.empty:
        st.info(t("fieldwork.care.none"))
    else:
        st.caption(t("fieldwork.care.caption", open=int(care["done_on"].isna().sum()),
                     done=int(care["done_on"].notna().sum())))
        blocks.care_list(care, scope, actor, bounds, as_of, today, can_write)
    st.subheader(t("fieldwork.keys.title"))
    if work["key_people"].empty:
        st.info(t("fieldwork.keys.none"))
    blocks.key_people(work["key_people"])
