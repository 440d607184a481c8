"""Pure parts of the WeCom sync: comparing member lists, naming and kinding groups, reading daily statistics."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from models.sync.http import MalformedResponse, PlatformBug
from models.sync.wecom import behavior_rows, day_start, group_day_rows, windows
from models.sync.wecom_groups import group_code, guess_kind, member_changes

D = date(2026, 11, 29)
COLUMNS = ["group", "customer_code", "joined_on"]


def frame(*rows) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=COLUMNS)


def as_set(changes: pd.DataFrame) -> set[tuple]:
    return {tuple(r) for r in changes.astype(object).where(changes.notna(), None).itertuples(index=False)}


def test_a_member_present_yesterday_and_gone_today_left_today():
    stays = frame(("G1", "C1", date(2026, 10, 1)), ("G1", "C2", date(2026, 11, 2)))
    present = frame(("G1", "C2", date(2026, 11, 2)))
    assert as_set(member_changes(stays, present, D)) == {("G1", "C1", date(2026, 10, 1), D)}


def test_a_new_member_starts_a_stay_on_the_day_they_joined():
    present = frame(("G1", "C1", date(2026, 11, 20)), ("G2", "C1", date(2026, 11, 29)))
    assert as_set(member_changes(frame(), present, D)) == {("G1", "C1", date(2026, 11, 20), None),
                                                           ("G2", "C1", date(2026, 11, 29), None)}


def test_the_same_lists_again_change_nothing():
    stays = frame(("G1", "C1", date(2026, 10, 1)))
    assert member_changes(stays, stays.copy(), D).empty
    # after the first diff is stored, the second diff of the same snapshot is empty
    present = frame(("G1", "C2", date(2026, 11, 28)))
    first = member_changes(stays, present, D)
    stored = pd.concat([stays, first[first["left_on"].isna()][COLUMNS]])
    stored = stored[~stored["customer_code"].isin(first.loc[first["left_on"].notna(), "customer_code"])]
    assert member_changes(stored, present, D).empty


def test_a_group_that_was_not_fetched_keeps_its_stays_and_a_leave_never_precedes_the_join():
    stays = frame(("G1", "C1", date(2026, 10, 1)), ("G9", "C3", date(2026, 10, 1)), ("G1", "C4", date(2026, 11, 30)))
    present = frame(("G1", "C5", date(2026, 11, 1)))
    assert as_set(member_changes(stays, present, D)) == {
        ("G1", "C1", date(2026, 10, 1), D), ("G1", "C4", date(2026, 11, 30), date(2026, 11, 30)),
        ("G1", "C5", date(2026, 11, 1), None)}


def test_group_codes_fit_the_column_and_kinds_come_from_the_name():
    assert group_code("wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA") == "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA"
    long = "wr" + "x" * 40
    assert len(group_code(long)) == 32 and group_code(long) == group_code(long) != group_code(long + "y")
    assert guess_kind("湖畔小区邻里群") == "community"
    assert guess_kind("新客户服务群3") == "new_customer_service"
    assert guess_kind("网球爱好者") == "interest"
    assert guess_kind("") == guess_kind("城南支行客户群") == "branch_named"


def test_daily_statistics_fill_missing_days_with_zeros_and_refuse_days_outside_the_window():
    body = {"behavior_data": [{"stat_time": day_start(D), "chat_cnt": 3, "message_cnt": 9, "reply_percentage": 50.0,
                               "avg_reply_time": 4, "new_apply_cnt": 1, "new_contact_cnt": 1,
                               "negative_feedback_cnt": 0}]}
    rows = behavior_rows(body, "u1", date(2026, 11, 28), D)
    assert [(r["day"], r["chat_cnt"], r["reply_percentage"]) for r in rows] == [(date(2026, 11, 28), 0, None),
                                                                               (D, 3, 50.0)]
    with pytest.raises(PlatformBug):
        behavior_rows(body, "u1", date(2026, 11, 27), date(2026, 11, 28))
    with pytest.raises(MalformedResponse):
        group_day_rows({"items": [{"stat_time": day_start(D)}]}, "u1", D, D)
    with pytest.raises(MalformedResponse):
        behavior_rows({"behavior_data": [{"stat_time": day_start(D), "chat_cnt": "many"}]}, "u1", D, D)


def test_windows_hold_at_most_thirty_days():
    found = windows(date(2026, 8, 30), D, 30)
    assert [((e - b).days + 1) for b, e in found] == [30, 30, 30, 2]
    assert found[0][0] == date(2026, 8, 30) and found[-1][1] == D
