"""Group measures against figures computed by hand on tiny frames."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.metrics import groups as G


def test_weighted_median_of_daily_reply_medians_by_hand():
    # 3 questions answered on a 4-minute day, 1 on a 12-minute day, 2 on a 30-minute day:
    # sorted 4,4,4,12,30,30 -> the 3rd of 6 answered questions is at 4 minutes.
    assert G.weighted_median([12, 4, 30], [1, 3, 2]) == 4.0
    # 1, 1, 1, 1 on 5, 7, 9, 11 -> half of 4 is reached at 7.
    assert G.weighted_median([11, 9, 7, 5], [1, 1, 1, 1]) == 7.0
    # a heavy slow day pulls the median: 2 at 3 minutes, 5 at 25 minutes -> 25.
    assert G.weighted_median([3, 25], [2, 5]) == 25.0


def test_weighted_median_ignores_days_without_answers():
    assert G.weighted_median([np.nan, 8.0, 50.0], [4, 1, 0]) == 8.0
    assert G.weighted_median([], []) is None
    assert G.weighted_median([5.0], [0]) is None


def test_median_reply_by_key_per_group():
    histogram = pd.DataFrame({"key": [1, 1, 1, 2, 2], "minutes": [4.0, 12.0, 30.0, 20.0, 2.0],
                              "answered": [3, 1, 2, 1, 4]})
    medians = G.median_reply_by_key(histogram).set_index("key")["median_reply_minutes"]
    assert medians[1] == 4.0
    assert medians[2] == 2.0  # 4 of 5 answered questions at 2 minutes


def _memberships() -> pd.DataFrame:
    # Group A (staff 1): customers 1, 2, 3. Group B (staff 1): 2, 3, 4. Group C (staff 2): customer 1 left
    # before the day, customer 5 joins after it, customer 6 joins on it.
    return pd.DataFrame({
        "group_id": ["A", "A", "A", "B", "B", "B", "C", "C", "C"],
        "staff_id": [1, 1, 1, 1, 1, 1, 2, 2, 2],
        "customer_id": [1, 2, 3, 2, 3, 4, 1, 5, 6],
        "joined_on": [date(2026, 1, 1)] * 6 + [date(2026, 1, 1), date(2026, 3, 2), date(2026, 3, 1)],
        "left_on": [None] * 6 + [date(2026, 2, 1), None, None],
    })


def test_unique_member_changes_merge_each_customers_stays():
    """The bank-wide daily series behind head office's unique members equals counting day by day."""
    from models.measures.groups import unique_member_changes

    members = _memberships().assign(key="")
    # Customer 7: two touching stays (leaves B on 5 March, rejoins A that day) and one after a gap.
    extra = pd.DataFrame({"key": "", "group_id": ["B", "A", "C"], "staff_id": [1, 1, 2], "customer_id": [7, 7, 7],
                          "joined_on": [date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 20)],
                          "left_on": [date(2026, 3, 5), date(2026, 3, 10), None]})
    stays = pd.concat([members, extra, members.assign(key="by_staff_1")[members["staff_id"] == 1]], ignore_index=True)
    changes = unique_member_changes(stays)

    def as_of(key: str, day: date) -> int:
        rows = changes[(changes["key"] == key) & (changes["day"] <= pd.Timestamp(day))]
        return int(rows["members"].iloc[-1]) if not rows.empty else 0

    for day in pd.date_range("2025-12-30", "2026-03-25"):
        everyone = stays[stays["key"] == ""]
        assert as_of("", day.date()) == G.count_unique_members(everyone, day.date()), day
        assert as_of("by_staff_1", day.date()) == G.count_unique_members(stays[stays["key"] == "by_staff_1"], day.date())
    assert unique_member_changes(stays.iloc[0:0]).empty


def test_unique_members_across_overlapping_groups_by_hand():
    members = _memberships()
    # On 1 March: A {1,2,3}, B {2,3,4}, C {6} -> 7 memberships, 5 people: {1,2,3,4,6}.
    assert G.count_unique_members(members, date(2026, 3, 1)) == 5
    per_staff = G.count_unique_members(members, date(2026, 3, 1), key="staff_id")
    assert per_staff[1] == 4  # customers 2 and 3 sit in both of staff 1's groups: counted once
    assert per_staff[2] == 1
    # Leaving on a day means not a member that day; joining on a day means a member that day.
    assert G.count_unique_members(members, date(2026, 2, 1)) == 4
    assert G.count_unique_members(members, date(2026, 3, 2)) == 6


def _groups() -> pd.DataFrame:
    return pd.DataFrame({
        "group_id": [1, 2, 3, 4],
        "group_name": ["网球群", "书法群", "种菜群", "新群"],
        "kind": ["interest"] * 4, "platform": ["wechat"] * 4, "branch_name": ["月河社区支行"] * 4,
        "staff_name": ["王芳"] * 4,
        "created_on": pd.to_datetime(["2025-01-01", "2025-01-01", "2026-06-01", "2026-06-25"]),
    })


def test_dormant_groups_count_silence_from_the_last_customer_message():
    last = pd.DataFrame({"group_id": [1, 2], "last_message_day": pd.to_datetime(["2026-06-29", "2026-06-10"])})
    end = date(2026, 6, 30)
    dormant = G.dormant_groups(_groups(), last, end, dormant_days=14)
    # Group 1 posted yesterday (1 day silent), group 2 is 20 days silent, group 3 never had a customer
    # message and is 29 days old, group 4 is 5 days old.
    assert list(dormant["group_id"]) == [3, 2]
    assert list(dormant["days_silent"]) == [29, 20]
    assert len(G.dormant_groups(_groups(), last, end, dormant_days=30)) == 0
    assert len(G.dormant_groups(_groups(), last, end, dormant_days=1)) == 4


def test_group_health_by_hand():
    summary = pd.DataFrame({
        "group_id": [1, 2], "days": [10, 10], "member_days": [200, 100], "active_member_days": [50, 0],
        "messages": [300, 20], "customer_messages": [250, 0], "customer_questions": [20, 0], "staff_replies": [18, 0],
        "answered_within_10min": [15, 0], "joins": [2, 0], "leaves": [0, 1], "members_end": [21, 9],
        "recent_messages": [150, 0], "previous_messages": [100, 0],
    })
    medians = pd.DataFrame({"key": [1], "median_reply_minutes": [6.5]})
    last = pd.DataFrame({"group_id": [1, 2], "last_message_day": pd.to_datetime(["2026-06-30", "2026-06-01"])})
    health = G.group_health(_groups(), summary, medians, last, date(2026, 6, 30), dormant_days=14).set_index("group_id")
    assert list(health.index) == [2, 1]  # dormant first
    assert health.loc[1, "active_share"] == pytest.approx(0.25)
    assert health.loc[1, "messages_per_day"] == pytest.approx(30.0)
    assert health.loc[1, "trend"] == pytest.approx(0.5)
    assert health.loc[1, "within_10min_share"] == pytest.approx(0.75)
    assert health.loc[1, "median_reply_minutes"] == 6.5
    assert not health.loc[1, "dormant"]
    assert health.loc[2, "dormant"] and health.loc[2, "days_silent"] == 29
    assert pd.isna(health.loc[2, "trend"]) and health.loc[2, "active_share"] == 0


def test_service_promise_table_share_and_unanswered():
    counts = pd.DataFrame({"key": [7, 8], "groups": [1, 2], "customer_questions": [40, 10],
                           "staff_replies": [39, 6], "answered_within_10min": [38, 3]})
    medians = pd.DataFrame({"key": [7, 8], "median_reply_minutes": [3.0, 25.0]})
    table = G.service_promise_table(counts, medians).set_index("key")
    assert table.loc[7, "within_10min_share"] == pytest.approx(0.95) and table.loc[7, "keeps_promise"]
    assert table.loc[8, "within_10min_share"] == pytest.approx(0.3) and not table.loc[8, "keeps_promise"]
    assert table.loc[8, "unanswered"] == 4
    assert list(table.index) == [8, 7]  # worst first


def test_contribution_ranking_per_member_and_small_groups_unranked():
    value = pd.DataFrame({"key": [1, 2, 3], "members": [20, 50, 2], "customers_held": [18, 40, 2],
                          "brought_in": [4, 10, 0], "converted": [3, 2, 0], "products": [40, 60, 6],
                          "deposits": [2_000_000.0, 3_000_000.0, 900_000.0], "wealth": [0.0, 0.0, 0.0]})
    ranked = G.contribution_ranking(value, min_members=10).set_index("key")
    assert ranked.loc[1, "deposits_per_member"] == pytest.approx(100_000)
    assert ranked.loc[2, "deposits_per_member"] == pytest.approx(60_000)
    assert ranked.loc[1, "rank"] == 1 and ranked.loc[2, "rank"] == 2
    assert pd.isna(ranked.loc[3, "rank"])  # 450,000 a head, but two people are not a network
    assert ranked.loc[1, "conversion_rate"] == pytest.approx(0.75)
    assert pd.isna(ranked.loc[3, "conversion_rate"])


def test_expert_summary_share_of_messages():
    drivers = pd.DataFrame({
        "group_id": [1, 1, 1, 1, 2], "customer_id": [10, 11, 12, 13, 20], "customer_name": ["甲", "乙", "丙", "丁", "戊"],
        "role": ["community_expert", "member", "member", "opinion_leader", "member"],
        "messages": [60, 20, 10, 5, 8], "group_messages": [100, 100, 100, 100, 8], "rank": [1, 2, 3, 7, 1],
    })
    drivers["share"] = drivers["messages"] / drivers["group_messages"]
    summary = G.expert_summary(drivers).set_index("group_id")
    assert summary.loc[1, "experts"] == 2
    assert summary.loc[1, "expert_share"] == pytest.approx(0.65)
    assert summary.loc[1, "top_poster"] == "甲" and summary.loc[1, "top_share"] == pytest.approx(0.6)
    assert summary.loc[2, "experts"] == 0 and summary.loc[2, "expert_share"] == 0


def test_monthly_points_split_earned_and_redeemed():
    daily = pd.DataFrame({"day": pd.to_datetime(["2026-01-03", "2026-01-20", "2026-01-20", "2026-02-01"]),
                          "kind": ["post", "buy", "redeem", "like"], "points": [15, 200, -300, 4],
                          "entries": [3, 1, 1, 4]})
    monthly = G.monthly_points(daily)
    assert list(monthly["earned"]) == [215, 4]
    assert list(monthly["redeemed"]) == [300, 0]


def test_kpis_from_by_hand():
    summary = pd.DataFrame({"member_days": [200, 100], "active_member_days": [50, 10], "messages": [300, 30],
                            "customer_questions": [20, 0], "answered_within_10min": [15, 0]})
    histogram = pd.DataFrame({"key": [0, 0], "minutes": [4.0, 20.0], "answered": [5, 3]})
    kpis = G.kpis_from(summary, days=10, reply_histogram=histogram, unique_members=42, group_count=2, dormant_count=1)
    assert kpis["active_share"] == pytest.approx(0.2)
    assert kpis["messages_per_day"] == pytest.approx(33.0)
    assert kpis["median_reply_minutes"] == 4.0
    assert kpis["within_10min_share"] == pytest.approx(0.75)
    assert (kpis["members"], kpis["groups"], kpis["dormant_groups"]) == (42, 2, 1)
    empty = G.kpis_from(summary.iloc[0:0], 10, histogram.iloc[0:0], 0, 0, 0)
    assert empty["active_share"] is None and empty["median_reply_minutes"] is None
