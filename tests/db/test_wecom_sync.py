"""The WeCom customer-contact sync against the mock platform, on SQLite and PostgreSQL: staff-day figures land in
their tables through the import pipeline in windows of at most 30 days; groups and member lists land in
socialgroup and groupmembership, joins and leaves found by comparing member lists day by day; twice is once;
a token that dies mid-run, a quota on one corp, a malformed body, a run killed half-way and userids that map to
no staff member are each handled as documented."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from mock_platform.wecom import WecomMember
from models.customers import Customer
from models.groups import GroupMembership, SocialGroup
from models.org import Staff
from models.refresh.groups import _refresh_members
from models.staff_activity import StaffContactDaily, StaffGroupChatDaily
from models.sync import wecom
from models.sync.http import ApiClient
from models.sync.runner import run_sync
from models.sync.wecom import CHINA, day_start
from tests.sync_fixtures import MOCK_NOW
from tests.wecom_fixtures import GHOST, add_wecom_corp

YESTERDAY = date(2026, 11, 29)
SINCE_92 = YESTERDAY - timedelta(days=91)
TABLES = ("staffcontactdaily", "staffgroupchatdaily", "socialgroup", "groupmembership", "groupmembersbankdaily",
          "groupvaluesnapshot", "dataversion")
CONTACT = ("chat_cnt", "message_cnt", "new_apply_cnt", "new_contact_cnt", "negative_feedback_cnt")


def _snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        found = {}
        for table in TABLES:
            columns = [c for c in conn.execute(text(f"SELECT * FROM {table} WHERE 1=0")).keys()  # noqa: SIM118
                       if c not in ("id", "updated_at")]
            found[table] = sorted(tuple(str(v) for v in row)
                                  for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}")))
        return found


def _sync(engine, sources=("wecom",), now: datetime = MOCK_NOW, **kwargs):
    return run_sync(engine, list(sources), now=now, client=ApiClient(engine, backoff=0.01), **kwargs)


def _contact_days(engine, userid: str) -> list[tuple]:
    with Session(engine) as session:
        staff_id = session.execute(select(Staff.id).where(
            (Staff.wecom_userid == userid) | (Staff.employee_no == userid))).scalar_one()
        return [tuple(r) for r in session.execute(
            select(StaffContactDaily.day, *(getattr(StaffContactDaily, c) for c in CONTACT))
            .where(StaffContactDaily.staff_id == staff_id).order_by(StaffContactDaily.day))]


def _expected_contact(corp, userid: str, first: date, last: date) -> list[tuple]:
    rows, day = [], first
    while day <= last:
        figures = {} if day in corp.quiet_days else corp.behavior(userid, day)
        rows.append((day, *(figures.get(c, 0) for c in CONTACT)))
        day += timedelta(days=1)
    return rows


def _stays(engine) -> set[tuple]:
    with Session(engine) as session:
        return {tuple(r) for r in session.execute(
            select(SocialGroup.code, Customer.wecom_external_userid, GroupMembership.joined_on, GroupMembership.left_on)
            .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
            .join(Customer, Customer.id == GroupMembership.customer_id))}


def _present(corp, now: datetime) -> set[tuple]:
    """(chat id, external id, China join day) of the customers in the mapped owners' groups at `now`."""
    return {(g.chat_id, m.userid, m.joined_at.astimezone(CHINA).date())
            for g in corp.groups.values() if g.owner != GHOST
            for m in g.members if m.type == 2 and m.present(now) and not m.userid.startswith("wmstranger")}


def _figure_by_day(engine, first: date, last: date) -> dict:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, day, members FROM groupmembersbankdaily ORDER BY day")).all()
    found = {}
    for kind in {r[0] for r in rows}:
        steps = [(date.fromisoformat(str(d)[:10]), m) for k, d, m in rows if k == kind]
        day = first
        while day <= last:
            found[(kind, day)] = ([m for d, m in steps if d <= day] or [0])[-1]
            day += timedelta(days=1)
    return found


def test_sync_92_days_then_again_gives_the_same_database(empty_engine, mock_platform):
    corp = add_wecom_corp(empty_engine, mock_platform)
    corp.mock.quiet_days.add(YESTERDAY - timedelta(days=10))  # an empty day: WeCom leaves it out
    results = _sync(empty_engine, since=SINCE_92)
    assert sorted(r.source for r in results) == ["wecom_groups", "wecom_staff"]
    assert all(r.ok for r in results), [r.line() for r in results]
    for userid in corp.userids:
        assert _contact_days(empty_engine, userid) == _expected_contact(corp.mock, userid, SINCE_92, YESTERDAY)
    quiet = [r for r in _contact_days(empty_engine, corp.userids[0]) if r[0] == YESTERDAY - timedelta(days=10)]
    assert quiet == [(YESTERDAY - timedelta(days=10), 0, 0, 0, 0, 0)]
    calls = mock_platform.state.calls
    spans = [(date.fromtimestamp(b["end_time"]) - date.fromtimestamp(b["start_time"])).days + 1
             for path, _, b in calls if path == "get_user_behavior_data"]
    assert max(spans) <= 30 and len(spans) == len(corp.userids) * 4  # 92 days = windows of 30, 30, 30, 2
    assert all(b["owner_filter"]["userid_list"] != [GHOST] for p, _, b in calls if p == "statistic_group_by_day")
    with Session(empty_engine) as session:
        owner = session.execute(select(Staff.id).where(Staff.wecom_userid == corp.userids[0])).scalar_one()
        day = session.execute(select(StaffGroupChatDaily).where(StaffGroupChatDaily.staff_id == owner,
                                                                StaffGroupChatDaily.day == YESTERDAY)).scalar_one()
        assert day.msg_total == corp.mock.group_stats(corp.userids[0], YESTERDAY)["msg_total"]
        assert session.execute(select(func.count()).select_from(SocialGroup)).scalar() == 2 * len(corp.userids)
    assert _stays(empty_engine) == {(c, u, j, None) for c, u, j in _present(corp.mock, MOCK_NOW)}
    staff_result = next(r for r in results if r.source == "wecom_staff")
    assert GHOST in staff_result.detail
    groups_result = next(r for r in results if r.source == "wecom_groups")
    assert GHOST in groups_result.detail and "3 group member(s)" in groups_result.detail
    first = _snapshot(empty_engine)
    again = _sync(empty_engine, since=SINCE_92)
    assert all(r.ok and r.rows_written == 0 for r in again), [r.line() for r in again]
    assert _snapshot(empty_engine) == first
    calls_before = len(calls)
    up_to_date = _sync(empty_engine)
    assert all(r.ok and r.windows == 0 for r in up_to_date)
    assert len(calls) == calls_before  # nothing to do costs no call
    assert _snapshot(empty_engine) == first


def test_joins_and_leaves_come_from_member_lists_day_by_day(empty_engine, mock_platform):
    corp = add_wecom_corp(empty_engine, mock_platform)
    assert all(r.ok for r in _sync(empty_engine, ["wecom_groups"]))
    group = next(g for g in corp.mock.groups.values() if g.owner == corp.userids[0])
    staying = [m for m in group.members if m.type == 2 and m.present(MOCK_NOW) and m.userid in corp.contacts]
    leaver = staying[0]
    leaver.left_at = MOCK_NOW + timedelta(hours=3)  # gone by tomorrow's snapshot
    newcomer = next(c for c in corp.contacts if c not in {m.userid for m in group.members})
    group.members.append(WecomMember(newcomer, 2, MOCK_NOW + timedelta(hours=5), 3))
    tomorrow = MOCK_NOW + timedelta(days=1)
    mock_platform.state.now = lambda: tomorrow
    before_figures = _figure_by_day(empty_engine, SINCE_92, tomorrow.date())
    [result] = _sync(empty_engine, ["wecom_groups"], now=tomorrow)
    assert result.ok and result.last_day == tomorrow.date() - timedelta(days=1)
    stays = _stays(empty_engine)
    assert (group.chat_id, leaver.userid, leaver.joined_at.astimezone(CHINA).date(), MOCK_NOW.date()) in stays
    assert (group.chat_id, newcomer, MOCK_NOW.date(), None) in stays
    assert {s for s in stays if s[3] is None} == {(c, u, j, None) for c, u, j in _present(corp.mock, tomorrow)}
    # the incremental member counts equal a full rebuild on every day
    incremental = _figure_by_day(empty_engine, SINCE_92, tomorrow.date())
    assert incremental != before_figures
    with empty_engine.begin() as conn:
        _refresh_members(conn)
    assert _figure_by_day(empty_engine, SINCE_92, tomorrow.date()) == incremental
    snapshot = _snapshot(empty_engine)
    assert all(r.ok and r.windows == 0 for r in _sync(empty_engine, ["wecom_groups"], now=tomorrow))
    assert _snapshot(empty_engine) == snapshot


def test_a_token_that_expires_mid_run_is_refreshed_once(empty_engine, mock_platform):
    corp = add_wecom_corp(empty_engine, mock_platform)
    mock_platform.state.faults.expire_token_after_calls = 5
    client = ApiClient(empty_engine, backoff=0.01)
    results = run_sync(empty_engine, ["wecom_staff"], since=SINCE_92, now=MOCK_NOW, client=client)
    assert results[0].ok, results[0].line()
    assert client.token_fetches[corp.mock.corp_id] == 2
    assert _contact_days(empty_engine, corp.userids[1]) == \
        _expected_contact(corp.mock, corp.userids[1], SINCE_92, YESTERDAY)


def test_quota_on_one_corp_stops_it_alone_and_the_next_run_resumes(empty_engine, mock_platform):
    stopped = add_wecom_corp(empty_engine, mock_platform, "ww0000test0001")
    other = add_wecom_corp(empty_engine, mock_platform, "ww0000test0002")
    mock_platform.state.faults.quota_appids.add(stopped.mock.corp_id)
    results = _sync(empty_engine, since=SINCE_92)
    by = {(r.source, r.account_key): r for r in results}
    for source in ("wecom_groups", "wecom_staff"):
        assert by[(source, stopped.mock.corp_id)].outcome == "quota"
        assert "45009" in by[(source, stopped.mock.corp_id)].detail
        assert by[(source, other.mock.corp_id)].ok
    assert _contact_days(empty_engine, stopped.userids[0]) == []
    assert len(_contact_days(empty_engine, other.userids[0])) == 92
    mock_platform.state.faults.quota_appids.clear()
    assert all(r.ok for r in _sync(empty_engine, since=SINCE_92))
    assert _contact_days(empty_engine, stopped.userids[0]) == \
        _expected_contact(stopped.mock, stopped.userids[0], SINCE_92, YESTERDAY)


def test_a_malformed_body_fails_that_corp_clearly(empty_engine, mock_platform):
    corp = add_wecom_corp(empty_engine, mock_platform)
    mock_platform.state.faults.malformed_appids.add(corp.mock.corp_id)
    mock_platform.state.faults.busy_calls = 1
    results = _sync(empty_engine, since=YESTERDAY)
    assert all(r.outcome == "failed" and "JSON" in r.detail and "access_token" not in r.detail for r in results)


def test_a_range_over_thirty_days_fails_loudly(empty_engine, mock_platform, monkeypatch):
    add_wecom_corp(empty_engine, mock_platform)
    monkeypatch.setattr(wecom, "MAX_SPAN_DAYS", 31)
    [result] = _sync(empty_engine, ["wecom_staff"], since=SINCE_92)
    assert result.outcome == "failed" and "40058" in result.detail


def test_a_run_killed_half_way_is_completed_by_the_next(empty_engine, mock_platform, monkeypatch):
    corp = add_wecom_corp(empty_engine, mock_platform)
    real = wecom.commit_frame
    calls = {"n": 0}

    def dies_on_the_fourth(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the second window's group figures: its contact figures are in, its progress not
            raise KeyboardInterrupt("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(wecom, "commit_frame", dies_on_the_fourth)
    with pytest.raises(KeyboardInterrupt):
        _sync(empty_engine, ["wecom_staff"], since=SINCE_92)
    assert len(_contact_days(empty_engine, corp.userids[0])) == 60
    monkeypatch.setattr(wecom, "commit_frame", real)
    with Session(empty_engine) as session:
        session.execute(text("DELETE FROM synclock"))
        session.commit()
    [result] = _sync(empty_engine, ["wecom_staff"])
    assert result.ok and result.first_day == SINCE_92 + timedelta(days=30)
    for userid in corp.userids:
        assert _contact_days(empty_engine, userid) == _expected_contact(corp.mock, userid, SINCE_92, YESTERDAY)
    with Session(empty_engine) as session:
        assert session.execute(select(func.count()).select_from(StaffGroupChatDaily)).scalar() == 92 * 4


def test_every_statistics_call_asks_whole_china_days(empty_engine, mock_platform):
    add_wecom_corp(empty_engine, mock_platform, staff=1)
    assert all(r.ok for r in _sync(empty_engine, ["wecom_staff"], since=YESTERDAY - timedelta(days=2)))
    [(_, _, body)] = [c for c in mock_platform.state.calls if c[0] == "get_user_behavior_data"]
    assert body["start_time"] == day_start(YESTERDAY - timedelta(days=2)) and body["end_time"] == day_start(YESTERDAY)
