"""The 213N measures against figures worked out by hand on tiny frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from models import campaign as M
from models.metrics import campaign as C

FESTIVAL = date(2026, 2, 17)
CAMPAIGN = {"season": 2026, "spring_festival": pd.Timestamp("2026-02-17"), "start_date": pd.Timestamp("2026-01-13"),
            "end_date": pd.Timestamp("2026-03-03")}


def ts(text: str | None):
    return pd.Timestamp(text) if text else pd.NaT


@pytest.mark.parametrize("year, expected", [
    (2024, date(2024, 2, 10)), (2025, date(2025, 1, 29)), (2026, date(2026, 2, 17)),
    (2027, date(2027, 2, 6)), (2028, date(2028, 1, 26)), (2030, date(2030, 2, 3)),
])
def test_spring_festival_matches_the_lunar_calendar(year, expected):
    assert M.spring_festival(year) == expected


def test_season_dates_put_township_events_on_days_six_to_eight():
    dates = M.season_dates(2026)
    assert dates["spring_festival"] == date(2026, 2, 17)
    assert dates["events_start"] == date(2026, 2, 22)  # 正月初六
    assert dates["events_end"] == date(2026, 2, 24)  # 正月初八
    assert dates["start_date"] == date(2026, 1, 13)
    assert dates["end_date"] == date(2026, 3, 3)  # 元宵 (正月十五)
    assert M.new_years_eve(date(2027, 2, 6)) == date(2027, 2, 5)


def test_countdown_counts_days_to_festival_and_end():
    got = C.countdown(CAMPAIGN, date(2026, 2, 10))
    assert got == {"days_to_festival": 7, "days_to_end": 21, "lunar_offset": -7, "day_of_campaign": 29}


def test_run_rate_needed_spreads_the_gap_over_the_days_left():
    assert C.days_remaining(date(2026, 2, 20), date(2026, 3, 3)) == 11
    assert C.days_remaining(date(2026, 3, 5), date(2026, 3, 3)) == 0
    assert C.run_rate_needed(1_000_000, 400_000, 20) == 30_000
    assert C.run_rate_needed(1_000_000, 1_200_000, 20) == 0.0
    assert C.run_rate_needed(1_000_000, 400_000, 0) is None


def daily(rows: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"day": pd.to_datetime(list(rows)), "amount": list(rows.values())})


def test_pace_counts_quiet_days_as_zero_and_projection_extrapolates_it():
    frame = daily({"2026-01-10": 999.0, "2026-02-01": 70_000.0, "2026-02-05": 20_000.0, "2026-02-07": 50_000.0})
    # window 2026-02-01..2026-02-07 = 7 days holding 140,000
    assert C.recent_pace(frame, date(2026, 1, 13), date(2026, 2, 7)) == pytest.approx(20_000.0)
    # young campaign: only the 3 days since it began count (start 2026-02-05)
    assert C.recent_pace(frame, date(2026, 2, 5), date(2026, 2, 7)) == pytest.approx(70_000.0 / 3)
    assert C.projection(140_000.0, 20_000.0, 24) == 620_000.0
    got = C.progress(frame, 1_000_000.0, CAMPAIGN, date(2026, 2, 7))
    # 2026-01-10 is before the campaign opened: not counted
    assert got["deposited"] == 140_000.0
    assert got["deposited_today"] == 50_000.0
    assert got["days_remaining"] == 24
    assert got["run_rate_needed"] == pytest.approx(860_000 / 24)
    assert got["projection"] == pytest.approx(140_000 + 20_000 * 24)
    assert got["attainment"] == pytest.approx(0.14)


def entries_frame(rows: list[dict]) -> pd.DataFrame:
    columns = {"entry_id": None, "customer_id": None, "staff_id": 1, "customer_staff_id": 1, "staff_name": "甲",
               "village_id": 1,
               "village_name": "李家村", "branch_name": "新丰支行", "customer_name": "", "phone": "13800001234",
               "foreman_customer_id": None, "returned_on": None, "leaves_on": None, "sent_on": None, "delivered": True,
               "replied_on": None, "visit1_date": None, "visit2_date": None, "visit3_date": None,
               "last_year_deposits": 0.0, "collection_target": None}
    frame = pd.DataFrame([{**columns, **row} for row in rows])
    for column in ("returned_on", "leaves_on", "sent_on", "replied_on", "visit1_date", "visit2_date", "visit3_date"):
        frame[column] = pd.to_datetime(frame[column])
    frame["collection_target"] = frame["collection_target"].astype("float64")
    frame["foreman_customer_id"] = frame["foreman_customer_id"].astype("Int64")
    return frame


def test_reply_rate_and_conversion_of_repliers_versus_the_silent():
    entries = entries_frame([
        {"entry_id": 1, "customer_id": 11, "sent_on": "2026-01-20", "replied_on": "2026-01-21"},
        {"entry_id": 2, "customer_id": 12, "sent_on": "2026-01-20", "replied_on": "2026-01-20"},
        {"entry_id": 3, "customer_id": 13, "sent_on": "2026-01-20", "replied_on": "2026-02-12"},  # after as_of
        {"entry_id": 4, "customer_id": 14, "sent_on": "2026-01-20"},
        {"entry_id": 5, "customer_id": 15},  # never sent
        {"entry_id": 6, "customer_id": 16, "sent_on": "2026-01-22", "delivered": False},
    ])
    deposits = daily({"2026-02-01": 5_000.0, "2026-02-03": 8_000.0, "2026-02-15": 9_000.0}).assign(
        customer_id=[11, 13, 16])
    got = C.sms_funnel(entries, deposits, date(2026, 2, 10))
    assert (got["sent"], got["delivered"], got["replied"]) == (5, 4, 2)
    assert got["reply_rate"] == pytest.approx(2 / 5)
    assert got["replier_conversion"] == pytest.approx(1 / 2)  # 11 converted, 12 not
    assert got["silent_conversion"] == pytest.approx(1 / 3)  # of 13, 14, 16 only 13 by as_of


def test_visit_windows_and_statuses():
    # festival 2026-02-17: round 2 window is 2026-02-16 (除夕) .. 2026-02-21 (初五)
    entries = entries_frame([
        {"entry_id": 1, "customer_id": 1, "returned_on": "2026-02-01", "leaves_on": "2026-03-01",
         "visit1_date": "2026-02-03", "visit2_date": "2026-02-22"},
        {"entry_id": 2, "customer_id": 2, "returned_on": "2026-02-10", "leaves_on": "2026-02-25",
         "visit1_date": "2026-02-13"},
        {"entry_id": 3, "customer_id": 3, "leaves_on": "2026-03-01"},
        {"entry_id": 4, "customer_id": 4, "returned_on": "2026-02-23", "leaves_on": "2026-03-10",
         "visit1_date": "2026-02-28"},  # visit after as_of: not known yet
    ])
    status = C.visit_status(entries, FESTIVAL, date(2026, 2, 27)).set_index(["entry_id", "visit_round"])["status"]
    assert status[(1, 1)] == "on_time"  # deadline = return + 2 = 02-03
    assert status[(1, 2)] == "late"  # 02-22 is 初六
    assert status[(1, 3)] == "due"  # window 02-26 .. 02-28
    assert status[(2, 1)] == "late"
    assert status[(2, 2)] == "missed"
    assert status[(2, 3)] == "missed"  # deadline 02-24
    assert all(status[(3, r)] == "not_returned" for r in (1, 2, 3))
    assert status[(4, 1)] == "missed"  # deadline 02-25 passed, visit on 02-28 not yet made
    assert status[(4, 2)] == "not_returned"  # came home after the New Year window
    assert status[(4, 3)] == "upcoming"  # window opens 03-07
    early = C.visit_status(entries, FESTIVAL, date(2026, 2, 11)).set_index(["entry_id", "visit_round"])["status"]
    assert early[(2, 1)] == "due" and early[(2, 2)] == "upcoming" and early[(1, 2)] == "upcoming"
    summary = C.visit_summary(C.visit_status(entries, FESTIVAL, date(2026, 2, 27))).set_index("visit_round")
    assert summary.loc[1, ["on_time", "late", "missed", "done"]].tolist() == [1, 1, 1, 2]
    assert summary.loc[1, "on_time_rate"] == pytest.approx(0.5)
    assert summary.loc[2, "not_returned"] == 2


def test_visit_next_ranks_by_expected_deposit_reply_ties_and_wait():
    entries = entries_frame([
        # target 30,000, 5,000 in: 25,000 x 1.5 (replied) x 1 x (1 + 0.1 x 2) = 45,000
        {"entry_id": 1, "customer_id": 1, "returned_on": "2026-02-08", "leaves_on": "2026-03-01",
         "visit1_date": "2026-02-08", "collection_target": 30_000.0, "replied_on": "2026-01-20", "sent_on": "2026-01-20"},
        # last year 40,000, foreman tie, returned today: 40,000 x 1 x 1.25 x 1 = 50,000
        {"entry_id": 2, "customer_id": 2, "returned_on": "2026-02-10", "leaves_on": "2026-03-01",
         "last_year_deposits": 40_000.0, "foreman_customer_id": 99},
        # typical 20,000, returned 7 days ago (cap 5): 20,000 x 1.5 = 30,000, round 1 overdue
        {"entry_id": 3, "customer_id": 3, "returned_on": "2026-02-03", "leaves_on": "2026-03-01"},
        # already gone
        {"entry_id": 4, "customer_id": 4, "returned_on": "2026-02-01", "leaves_on": "2026-02-09"},
        # other staff member
        {"entry_id": 5, "customer_id": 5, "staff_id": 2, "returned_on": "2026-02-09", "leaves_on": "2026-03-01"},
    ])
    as_of = date(2026, 2, 10)
    status = C.visit_status(entries, FESTIVAL, as_of)
    deposits = daily({"2026-02-09": 5_000.0}).assign(customer_id=[1])
    ties = C.key_person_ties(entries, pd.DataFrame(columns=["village_id", "contact_date", "outcome"]).astype(
        {"contact_date": "datetime64[ns]"}), as_of)
    got = C.visit_next(entries, status, deposits, ties, as_of, typical_deposit=20_000.0)
    assert 1 not in set(got["entry_id"])  # nothing due for a worker already visited in round 1
    mine = got[got["staff_id"] == 1].set_index("entry_id")
    assert list(mine.index) == [2, 3]
    assert mine.loc[2, "priority"] == pytest.approx(50_000.0)
    assert mine.loc[3, "priority"] == pytest.approx(30_000.0) and bool(mine.loc[3, "overdue"])
    assert list(got.loc[got["staff_id"] == 2, "rank"]) == [1]
    later = C.visit_next(entries, C.visit_status(entries, FESTIVAL, date(2026, 2, 16)), deposits, ties,
                         date(2026, 2, 16), typical_deposit=20_000.0).set_index("entry_id")
    assert later.loc[1, "visit_round"] == 2
    assert later.loc[1, "priority"] == pytest.approx(25_000 * 1.5 * 1.5)  # 8 days home, capped at 5


def test_season_comparison_on_the_same_lunar_day():
    this = daily({"2026-02-07": 100.0, "2026-02-12": 200.0, "2026-02-14": 400.0})  # offsets -10, -5, -3
    last_campaign = {"season": 2025, "spring_festival": pd.Timestamp("2025-01-29"),
                     "start_date": pd.Timestamp("2024-12-25"), "end_date": pd.Timestamp("2025-02-12")}
    last = daily({"2025-01-19": 150.0, "2025-01-24": 50.0, "2025-01-25": 700.0, "2025-02-01": 100.0})  # -10,-5,-4,+3
    got = C.season_comparison(this, CAMPAIGN, last, last_campaign, date(2026, 2, 12))  # offset -5
    assert got["lunar_offset"] == -5
    assert got["this_to_date"] == 300.0 and got["last_to_date"] == 200.0
    assert got["change"] == pytest.approx(0.5)
    assert got["last_share_by_now"] == pytest.approx(200 / 1000)
    assert C.seasonal_projection(got["this_to_date"], got["last_share_by_now"]) == pytest.approx(1500.0)
    assert C.seasonal_projection(300.0, None) is None
    curves = C.comparison_curves(this, CAMPAIGN, last, last_campaign, date(2026, 2, 12))
    this_curve = curves[curves["which"] == "this"].set_index("lunar_offset")["cumulative"]
    assert this_curve.index.max() == -5 and this_curve[-5] == 300.0 and this_curve[-35] == 0.0
    assert curves[curves["which"] == "last"].set_index("lunar_offset")["cumulative"][14] == 1000.0


def test_lagging_means_behind_peers_on_the_same_day():
    table = pd.DataFrame({"village_name": list("ABC"), "deposit_target": [100.0, 100.0, 200.0],
                          "deposited": [50.0, 20.0, 130.0]})
    table["attainment"] = table["deposited"] / table["deposit_target"]
    table["gap"] = table["deposit_target"] - table["deposited"]
    # overall 200/400 = 0.5; threshold 0.4 -> only B (0.2)
    assert list(C.lagging(table)["village_name"]) == ["B"]


def test_default_as_of_is_today_in_season_else_the_middle_of_the_latest():
    seasons = pd.DataFrame({"season": [2025, 2026], "start_date": pd.to_datetime(["2024-12-25", "2026-01-13"]),
                            "end_date": pd.to_datetime(["2025-02-12", "2026-03-03"])})
    assert C.default_as_of(seasons, date(2026, 2, 1)) == (2026, date(2026, 2, 1))
    assert C.default_as_of(seasons, date(2026, 11, 22)) == (2026, date(2026, 2, 6))  # 49 days / 2 = 24.5
    assert C.default_as_of(seasons.iloc[0:0], date(2026, 11, 22)) == (None, None)


def test_events_to_come_reveal_nothing_on_a_replayed_day():
    events = pd.DataFrame({"event_date": pd.to_datetime(["2026-02-22", "2026-02-24"]), "attendees": [100, 200],
                           "qualifying_depositors": [5, 9], "new_deposits": [80_000.0, 150_000.0]})
    shown = C.events_as_of(events, date(2026, 2, 23))
    assert list(shown["held"]) == [True, False]
    assert shown["attendees"].iloc[0] == 100 and pd.isna(shown["attendees"].iloc[1])
    got = C.events_summary(events, date(2026, 2, 23))
    assert (got["held"], got["attendees"], got["new_deposits"]) == (1, 100, 80_000.0)
