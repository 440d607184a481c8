"""Splitting a period into whole months (read from the monthly rollup) and edge days (daily rollup)."""

from datetime import date

from models.rollup_tables.referrals import month_end, whole_months


def test_a_ninety_day_period_has_its_whole_months_inside():
    assert whole_months(date(2026, 8, 25), date(2026, 11, 22)) == (date(2026, 9, 1), date(2026, 10, 31))


def test_a_period_that_is_exactly_months_is_all_months():
    assert whole_months(date(2025, 12, 1), date(2026, 2, 28)) == (date(2025, 12, 1), date(2026, 2, 28))


def test_a_period_inside_one_month_has_no_whole_month():
    assert whole_months(date(2026, 11, 2), date(2026, 11, 22)) is None
    assert whole_months(date(2026, 2, 1), date(2026, 2, 27)) is None


def test_month_end_knows_february_and_december():
    assert month_end(date(2028, 2, 10)) == date(2028, 2, 29)
    assert month_end(date(2026, 12, 31)) == date(2026, 12, 31)
