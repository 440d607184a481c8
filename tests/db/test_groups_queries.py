"""Group queries on SQLite and PostgreSQL: hand-built rows for overlap, demo data against plain SQL."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.customers import Customer
from models.groups import GroupDaily, GroupMembership, PointsLedger, SocialGroup
from models.metrics import groups as G
from models.org import Branch, Staff
from models.refresh import refresh_rollups
from models.scope import Scope
from tests.conftest import DEMO_END

START = DEMO_END - timedelta(days=29)


def _plain(session, sql: str, **params):
    return session.execute(text(sql), params).scalar_one()


# ---------------------------------------------------------------- hand-built network


@pytest.fixture
def small_network(empty_engine):
    """Two staff in one branch. Staff 1 owns groups 1 and 2, staff 2 owns group 3.
    Group 1: customers 1, 2, 3.  Group 2: customers 2, 3, 4 (2 and 3 overlap with group 1).
    Group 3: customer 1 (left on 1 Nov), customer 5 (a prospect brought in by it), customer 4.
    Customer 4 was brought in by group 2 and is a customer now; customer 5 is still a prospect."""
    with Session(empty_engine) as session:
        session.add(Branch(id=1, code="B1", name="月河社区支行", level="sub_branch"))
        session.add(Branch(id=2, code="B2", name="南湖支行", level="sub_branch"))
        session.add_all([Staff(id=1, branch_id=1, employee_no="E1", name="王芳", role="account_manager"),
                         Staff(id=2, branch_id=1, employee_no="E2", name="李强", role="wealth_manager")])
        session.flush()
        deposits = {1: 100_000.0, 2: 50_000.0, 3: 20_000.0, 4: 10_000.0, 5: 0.0}
        products = {1: 3, 2: 2, 3: 1, 4: 1, 5: 0}
        for cid in range(1, 6):
            session.add(Customer(id=cid, code=f"C{cid}", branch_id=1, name=f"客户{cid}", is_prospect=cid == 5,
                                 deposit_balance=deposits[cid], products_held=products[cid]))
        session.flush()
        session.add_all([
            SocialGroup(id=1, code="G1", branch_id=1, staff_id=1, kind="interest", name="网球群", created_on=date(2026, 1, 1)),
            SocialGroup(id=2, code="G2", branch_id=1, staff_id=1, kind="interest", name="书法群", created_on=date(2026, 1, 1)),
            SocialGroup(id=3, code="G3", branch_id=1, staff_id=2, kind="community", name="阳光花园业主群",
                        created_on=date(2026, 1, 1)),
        ])
        session.flush()
        joined = date(2026, 2, 1)
        stays = [(1, 1, None, False), (1, 2, None, False), (1, 3, None, False), (2, 2, None, False),
                 (2, 3, None, False), (2, 4, None, True), (3, 1, date(2026, 11, 1), False), (3, 5, None, True),
                 (3, 4, None, False)]
        for i, (group_id, customer_id, left_on, brought) in enumerate(stays, start=1):
            session.add(GroupMembership(id=i, group_id=group_id, customer_id=customer_id, branch_id=1, joined_on=joined,
                                        left_on=left_on, brought_in=brought, messages=10 * i))
        session.flush()
        # Reply days for group 1: 4 min (3 answered), 12 min (1), 30 min (2) -> weighted median 4.
        for day, (questions, replies, within, minutes) in enumerate([(3, 3, 3, 4.0), (2, 1, 0, 12.0), (2, 2, 0, 30.0)]):
            session.add(GroupDaily(group_id=1, branch_id=1, day=date(2026, 11, 20) + timedelta(days=day), members=3,
                                   active_members=2, messages=10, customer_messages=8, customer_questions=questions,
                                   staff_replies=replies, answered_within_10min=within,
                                   median_first_reply_minutes=minutes))
        session.add_all([
            PointsLedger(customer_id=1, branch_id=1, group_id=1, day=date(2026, 10, 1), kind="event", points=50),
            PointsLedger(customer_id=1, branch_id=1, group_id=1, day=date(2026, 11, 1), kind="redeem", points=-30),
            PointsLedger(customer_id=2, branch_id=1, group_id=1, day=date(2026, 11, 2), kind="post", points=5),
        ])
        session.commit()
    refresh_rollups(empty_engine)  # as the seed and the importers do after writing raw rows
    return empty_engine


def test_unique_members_count_overlap_once(small_network):
    with Session(small_network) as session:
        scope = Scope.for_branches([1])
        # On 22 Nov: group 1 {1,2,3}, group 2 {2,3,4}, group 3 {5,4} (1 left) -> 8 seats, 5 people.
        assert G.unique_member_count(session, scope, date(2026, 11, 22)) == 5
        assert G.unique_member_count(session, scope, date(2026, 11, 22), kind="community") == 2
        assert G.unique_member_count(session, scope, date(2026, 1, 31)) == 0
        assert G.unique_member_count(session, Scope.for_branches([2]), date(2026, 11, 22)) == 0


def test_network_value_per_staff_counts_a_customer_once(small_network):
    with Session(small_network) as session:
        scope = Scope.for_branches([1])
        by_staff = G.network_value(session, scope, date(2026, 11, 22), by="staff").set_index("key")
        # Staff 1: customers 1,2,3,4 once each (2 and 3 are in both groups).
        assert by_staff.loc[1, "members"] == 4
        assert by_staff.loc[1, "deposits"] == pytest.approx(180_000)
        assert by_staff.loc[1, "products"] == 7
        assert by_staff.loc[1, "brought_in"] == 1 and by_staff.loc[1, "converted"] == 1
        # Staff 2: holds 5 (prospect) and 4; customer 1 left. Brought 5, not converted yet.
        assert by_staff.loc[2, "members"] == 2 and by_staff.loc[2, "customers_held"] == 1
        assert by_staff.loc[2, "deposits"] == pytest.approx(10_000)
        assert by_staff.loc[2, "brought_in"] == 1 and by_staff.loc[2, "converted"] == 0
        by_group = G.network_value(session, scope, date(2026, 11, 22), by="group").set_index("key")
        assert list(by_group["members"]) == [3, 3, 2]
        total = G.network_value(session, scope, date(2026, 11, 22), by=None).iloc[0]
        assert total["members"] == 5 and total["deposits"] == pytest.approx(180_000)
        assert total["converted"] == 1 and total["brought_in"] == 2


def test_reply_median_and_promise_on_hand_rows(small_network):
    with Session(small_network) as session:
        scope = Scope.for_branches([1])
        kpis = G.group_kpis(session, scope, date(2026, 11, 20), date(2026, 11, 22))
        assert kpis["median_reply_minutes"] == 4.0
        assert kpis["within_10min_share"] == pytest.approx(3 / 7)
        promise = G.service_promise_view(session, scope, date(2026, 11, 20), date(2026, 11, 22), by="staff")
        row = promise.set_index("key").loc[1]
        assert (row["customer_questions"], row["answered_within_10min"], row["unanswered"]) == (7, 3, 1)
        assert row["median_reply_minutes"] == 4.0 and row["staff_name"] == "王芳"


def test_running_totals_with_a_missing_day_equal_the_raw_days(small_network):
    """A group without a row on some day (an export that skipped it) is looked up by its latest row on or
    before each day, not by the day itself."""
    with Session(small_network) as session:
        session.execute(text("DELETE FROM groupdaily WHERE group_id = 1 AND day = '2026-11-21'"))
        session.add(GroupDaily(group_id=2, branch_id=1, day=date(2026, 11, 19), members=3, active_members=1,
                               messages=4, customer_messages=4))
        session.commit()
    refresh_rollups(small_network)
    with Session(small_network) as session:
        scope = Scope.for_branches([1])
        assert not G.all_dense(session, scope)
        for start, end in ((date(2026, 11, 20), date(2026, 11, 22)), (date(2026, 11, 21), date(2026, 11, 21)),
                           (date(2026, 11, 22), date(2026, 11, 25)), (date(2026, 11, 1), date(2026, 11, 19))):
            pd.testing.assert_frame_equal(G.group_period_summary(session, scope, start, end),
                                          G.group_period_summary_raw(session, scope, start, end))
            rolled = G.last_customer_message(session, scope, end).sort_values("group_id").reset_index(drop=True)
            raw = G.last_customer_message_raw(session, scope, end).sort_values("group_id").reset_index(drop=True)
            pd.testing.assert_frame_equal(rolled, raw, check_dtype=False)


def test_points_liability_and_top_earners_on_hand_rows(small_network):
    with Session(small_network) as session:
        scope = Scope.for_branches([1])
        liability = G.points_liability(session, scope, date(2026, 11, 22))
        assert (liability["earned"], liability["redeemed"], liability["outstanding"]) == (55, 30, 25)
        assert liability["outstanding_yuan"] == pytest.approx(0.25)
        top = G.points_top_earners(session, scope, date(2026, 9, 1), date(2026, 11, 22))
        assert list(top["customer_id"]) == [1, 2]
        assert list(top["balance"]) == [20, 5]


def test_conversation_drivers_rank_members_by_messages(small_network):
    with Session(small_network) as session:
        drivers = G.conversation_drivers(session, Scope.for_branches([1]), top_n=1)
        # membership i posted 10*i messages: the last member of each group tops it.
        top = drivers[drivers["rank"] == 1].set_index("group_id")
        assert top.loc[1, "customer_id"] == 3 and top.loc[1, "share"] == pytest.approx(30 / 60)
        assert top.loc[3, "customer_id"] == 4 and top.loc[3, "group_messages"] == 70 + 80 + 90


# ---------------------------------------------------------------- demo data


def test_daily_members_match_the_membership_stays(demo_session):
    group_id, branch_id = demo_session.execute(
        text("SELECT id, branch_id FROM socialgroup WHERE kind = 'community' AND created_on < '2025-11-01' ORDER BY id LIMIT 1")).one()
    for day in (DEMO_END, date(2026, 5, 1)):
        expected = _plain(demo_session, "SELECT COUNT(*) FROM groupmembership WHERE group_id = :g AND joined_on <= :d "
                          "AND (left_on IS NULL OR left_on > :d)", g=group_id, d=day)
        stored = _plain(demo_session, "SELECT members FROM groupdaily WHERE group_id = :g AND day = :d", g=group_id, d=day)
        assert stored == expected
    joins = _plain(demo_session, "SELECT COUNT(*) FROM groupmembership WHERE group_id = :g AND joined_on BETWEEN :s AND :e",
                   g=group_id, s=START, e=DEMO_END)
    summary = G.group_period_summary(demo_session, Scope.for_branches([branch_id]), START, DEMO_END)
    assert summary.set_index("group_id").loc[group_id, "joins"] == joins


def test_demo_members_overlap_and_unique_count_matches_plain_sql(demo_session):
    scope = Scope.head_office()
    unique = G.unique_member_count(demo_session, scope, DEMO_END)
    expected = _plain(demo_session, "SELECT COUNT(DISTINCT customer_id) FROM groupmembership WHERE joined_on <= :d "
                      "AND (left_on IS NULL OR left_on > :d)", d=DEMO_END)
    seats = _plain(demo_session, "SELECT SUM(members) FROM groupdaily WHERE day = :d", d=DEMO_END)
    assert unique == expected
    assert unique < seats  # customers sit in several groups
    raw = pd.DataFrame(demo_session.execute(text("SELECT customer_id, joined_on, left_on FROM groupmembership")).all(),
                       columns=["customer_id", "joined_on", "left_on"])
    assert G.count_unique_members(raw, DEMO_END) == unique


def test_demo_kpis_match_plain_sql(demo_session):
    scope = Scope.head_office()
    kpis = G.group_kpis(demo_session, scope, START, DEMO_END)
    active = _plain(demo_session, "SELECT SUM(active_members) FROM groupdaily WHERE day BETWEEN :s AND :e", s=START, e=DEMO_END)
    member_days = _plain(demo_session, "SELECT SUM(members) FROM groupdaily WHERE day BETWEEN :s AND :e", s=START, e=DEMO_END)
    messages = _plain(demo_session, "SELECT SUM(messages) FROM groupdaily WHERE day BETWEEN :s AND :e", s=START, e=DEMO_END)
    assert kpis["active_share"] == pytest.approx(active / member_days)
    assert kpis["messages_per_day"] == pytest.approx(messages / 30)
    assert kpis["groups"] == _plain(demo_session, "SELECT COUNT(*) FROM socialgroup WHERE created_on <= :e", e=DEMO_END)
    rows = pd.DataFrame(demo_session.execute(text(
        "SELECT median_first_reply_minutes, staff_replies FROM groupdaily WHERE day BETWEEN :s AND :e "
        "AND staff_replies > 0"), {"s": START, "e": DEMO_END}).all(), columns=["minutes", "answered"])
    expanded = rows.loc[rows.index.repeat(rows["answered"]), "minutes"].sort_values().to_numpy()
    assert kpis["median_reply_minutes"] == pytest.approx(expanded[(len(expanded) - 1) // 2])


def test_demo_has_thriving_dormant_and_promise_breaking_groups(demo_session):
    scope = Scope.head_office()
    health = G.group_health_table(demo_session, scope, START, DEMO_END, dormant_days=14)
    assert health["dormant"].sum() >= 5
    assert (health.loc[~health["dormant"], "active_share"] > 0.15).any()
    assert (health["trend"] > 0.2).any()
    service = G.service_promise_view(demo_session, scope, date(2025, 11, 23), DEMO_END, kind="new_customer_service")
    assert service["keeps_promise"].any() and (~service["keeps_promise"]).any()
    assert set(service["kind"]) == {"new_customer_service"}
    # Every dormant group's last customer message is really that far back.
    one = health[health["dormant"]].iloc[0]
    later = _plain(demo_session, "SELECT COUNT(*) FROM groupdaily WHERE group_id = :g AND day > :d AND customer_messages > 0",
                   g=int(one["group_id"]), d=DEMO_END - timedelta(days=14))
    assert later == 0


def test_demo_experts_drive_the_conversation(demo_session):
    drivers = G.conversation_drivers(demo_session, Scope.head_office(), top_n=3)
    experts = drivers[drivers["role"] != "member"]
    assert not experts.empty
    per_member = _plain(demo_session, "SELECT AVG(messages) FROM groupmembership WHERE role = 'member'")
    assert experts["messages"].mean() > 3 * float(per_member)
    table = G.experts_table(demo_session, Scope.head_office())
    assert (table["expert_share"] > 0.3).any()


def test_demo_network_value_and_scope(demo_session):
    branch_id = _plain(demo_session, "SELECT MIN(branch_id) FROM socialgroup")
    scope = Scope.for_branches([branch_id])
    by_group = G.network_value_table(demo_session, scope, DEMO_END, by="group")
    by_staff = G.network_value_table(demo_session, scope, DEMO_END, by="staff")
    total = G.network_value(demo_session, scope, DEMO_END, by=None).iloc[0]
    assert set(by_group["branch_name"]) == {_plain(demo_session, "SELECT name FROM branch WHERE id = :b", b=branch_id)}
    assert by_group["members"].sum() > by_staff["members"].sum() >= total["members"]
    assert total["members"] == G.unique_member_count(demo_session, scope, DEMO_END)
    converted = _plain(demo_session, "SELECT COUNT(*) FROM groupmembership m JOIN customer c ON c.id = m.customer_id "
                       "WHERE m.branch_id = :b AND m.brought_in AND NOT c.is_prospect AND m.joined_on <= :e",
                       b=branch_id, e=DEMO_END)
    assert total["converted"] == converted > 0
    assert by_group["rank"].min() == 1


def test_demo_points_match_plain_sql(demo_session):
    scope = Scope.head_office()
    liability = G.points_liability(demo_session, scope, DEMO_END)
    assert liability["outstanding"] == _plain(demo_session, "SELECT SUM(points) FROM pointsledger")
    assert liability["redeemed"] > 0
    monthly = G.monthly_points(G.points_daily(demo_session, scope, date(2025, 11, 23), DEMO_END))
    assert monthly["earned"].sum() == liability["earned"]
    assert len(monthly) == 13


def test_empty_scope_gives_empty_frames(demo_session):
    scope = Scope.for_branches([])
    assert G.group_date_range(demo_session, scope) == (None, None)
    assert G.group_health_table(demo_session, scope, START, DEMO_END).empty
    assert G.network_value_table(demo_session, scope, DEMO_END).empty
    assert G.activity_by_kind(demo_session, scope, START, DEMO_END).empty
    headline = G.overview_headline(demo_session, scope, DEMO_END)
    assert headline["kpis"]["groups"] == 0 and headline["dormant"].empty


# ---------------------------------------------------------------- rollups equal the raw definitions (demo data)


def _all_branches(session) -> Scope:
    """Every branch listed one by one: the same rows as head office, read by the per-branch paths."""
    return Scope.for_branches([b for (b,) in session.execute(text("SELECT id FROM branch")).all()])


def _a_branch(session) -> Scope:
    return Scope.for_branches([_plain(session, "SELECT MIN(branch_id) FROM socialgroup")])


@pytest.mark.parametrize("start, end, kind", [
    (START, DEMO_END, None), (date(2026, 1, 10), DEMO_END, "community"), (DEMO_END - timedelta(days=6), DEMO_END, None),
    (date(2026, 5, 1), date(2026, 6, 15), "new_customer_service"),
])
def test_running_totals_equal_the_raw_group_days(demo_session, start, end, kind):
    for scope in (Scope.head_office(), _a_branch(demo_session)):
        pd.testing.assert_frame_equal(G.group_period_summary(demo_session, scope, start, end, kind=kind),
                                      G.group_period_summary_raw(demo_session, scope, start, end, kind=kind))
        for by in ("group", "staff"):
            rolled = G.service_promise_counts(demo_session, scope, start, end, by, kind).sort_values("key")
            raw = G.service_promise_counts_raw(demo_session, scope, start, end, by, kind).sort_values("key")
            pd.testing.assert_frame_equal(rolled.reset_index(drop=True), raw.reset_index(drop=True))
        rolled = G.last_customer_message(demo_session, scope, end).sort_values("group_id").reset_index(drop=True)
        raw = G.last_customer_message_raw(demo_session, scope, end).sort_values("group_id").reset_index(drop=True)
        pd.testing.assert_frame_equal(rolled, raw, check_dtype=False)


def test_head_office_kpis_counts_and_dormant_list_equal_the_per_branch_paths(demo_session):
    everything, branches = Scope.head_office(), _all_branches(demo_session)
    for end, dormant_days, kind in ((DEMO_END, 14, None), (date(2026, 8, 1), 7, "interest"), (DEMO_END, 30, "community")):
        start = end - timedelta(days=29)
        assert G.group_kpis(demo_session, everything, start, end, dormant_days, kind) == \
            pytest.approx(G.group_kpis(demo_session, branches, start, end, dormant_days, kind))
        groups = G.groups_in_scope(demo_session, everything, kind)
        groups = groups[groups["created_on"] <= pd.Timestamp(end)]
        dormant = G.dormant_groups(groups, G.last_customer_message_raw(demo_session, everything, end), end, dormant_days)
        assert G.group_counts(demo_session, everything, end, dormant_days, kind) == (len(groups), len(dormant))
        listed = G.dormant_group_list(demo_session, everything, end, dormant_days, kind)
        assert listed["group_id"].tolist() == dormant["group_id"].tolist()
        assert listed["days_silent"].tolist() == dormant["days_silent"].tolist()
        pd.testing.assert_frame_equal(G.activity_by_kind(demo_session, everything, start, end),
                                      G.activity_by_kind(demo_session, branches, start, end))


def test_bank_unique_members_points_and_reply_histogram_equal_plain_sql(demo_session):
    everything, branches = Scope.head_office(), _all_branches(demo_session)
    for day in (DEMO_END, date(2026, 3, 3), date(2025, 12, 1)):
        for kind in (None, "community"):
            expected = _plain(demo_session, "SELECT COUNT(DISTINCT m.customer_id) FROM groupmembership m JOIN socialgroup g "
                              "ON g.id = m.group_id WHERE m.joined_on <= :d AND (m.left_on IS NULL OR m.left_on > :d) "
                              "AND (:k = '' OR g.kind = :k)", d=day, k=kind or "")
            assert G.unique_member_count(demo_session, everything, day, kind) == expected
        assert G.points_liability(demo_session, everything, day) == G.points_liability(demo_session, branches, day)
    pd.testing.assert_frame_equal(G.points_daily(demo_session, everything, START, DEMO_END),
                                  G.points_daily(demo_session, branches, START, DEMO_END))
    for kind in (None, "new_customer_service"):
        rolled = G.reply_time_histogram(demo_session, everything, START, DEMO_END, kind=kind)
        raw = G.reply_time_histogram(demo_session, branches, START, DEMO_END, kind=kind)
        assert G.weighted_median(rolled["minutes"], rolled["answered"]) == \
            G.weighted_median(raw["minutes"], raw["answered"])
        assert rolled["answered"].sum() == raw["answered"].sum()


def test_value_and_expert_snapshots_equal_every_stay(demo_session):
    for scope in (Scope.head_office(), _a_branch(demo_session)):
        for by in ("group", "staff"):
            for kind in (None, "interest"):
                pd.testing.assert_frame_equal(G.network_value(demo_session, scope, DEMO_END, by, kind),
                                              G.network_value_raw(demo_session, scope, DEMO_END, by, kind))
        # before the last join or leave the snapshot does not hold: the raw stays answer
        early = date(2026, 6, 1)
        assert G.network_value_snapshot(demo_session, scope, early) is None
        pd.testing.assert_frame_equal(G.network_value(demo_session, scope, early), G.network_value_raw(demo_session, scope, early))
        for kind in (None, "community"):
            pd.testing.assert_frame_equal(G.experts_table(demo_session, scope, kind=kind),
                                          G.experts_table_raw(demo_session, scope, kind=kind), check_dtype=False)


def test_head_office_lists_are_the_first_rows_of_the_full_lists(demo_session):
    scope = Scope.head_office()
    for end, dormant_days, kind in ((DEMO_END, 14, None), (DEMO_END, 60, None), (date(2026, 8, 1), 7, "interest")):
        start = end - timedelta(days=29)
        full = G.group_health_table(demo_session, scope, start, end, dormant_days, kind)
        for limit in (5, 30, 10_000):
            pd.testing.assert_frame_equal(G.group_health_table(demo_session, scope, start, end, dormant_days, kind, limit=limit),
                                          full.head(limit), check_dtype=False)
    for by in ("group", "staff"):
        full = G.network_value_table(demo_session, scope, DEMO_END, by)
        pd.testing.assert_frame_equal(G.network_value_table(demo_session, scope, DEMO_END, by, limit=25), full.head(25),
                                      check_dtype=False)
        full = G.service_promise_view(demo_session, scope, START, DEMO_END, by, "new_customer_service")
        busiest = full.sort_values(["customer_questions", "key"], ascending=[False, True]).head(10)
        shown = G.service_promise_view(demo_session, scope, START, DEMO_END, by, "new_customer_service", limit=10)
        pd.testing.assert_frame_equal(shown.set_index("key").sort_index(),
                                      busiest.set_index("key").sort_index()[shown.columns.drop("key")], check_dtype=False)
    full = G.experts_table(demo_session, scope)
    pd.testing.assert_frame_equal(G.experts_table(demo_session, scope, limit=40), full.head(40))
