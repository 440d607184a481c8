"""The pure parts of the WeChat sync: 7-day windows, the 08:00 China-time cut-off, summing user sources, and
answers that are not what the documentation describes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.sync.http import MalformedResponse, PlatformBug, RateLimiter
from models.sync.wechat import CHINA, daily_rows, latest_complete_day, windows


def test_windows_cover_the_range_in_spans_of_at_most_seven_days_without_gaps():
    first, last = date(2026, 8, 30), date(2026, 11, 29)
    found = windows(first, last)
    assert found[0][0] == first and found[-1][1] == last
    assert all((end - begin).days + 1 <= 7 for begin, end in found)
    assert all(found[i + 1][0] == found[i][1] + timedelta(days=1) for i in range(len(found) - 1))
    assert len(found) == 14  # 92 days
    assert windows(last, last) == [(last, last)]
    assert windows(last + timedelta(days=1), last) == []


def test_yesterday_is_complete_only_from_eight_o_clock_china_time():
    assert latest_complete_day(datetime(2026, 11, 30, 8, 0, tzinfo=CHINA)) == date(2026, 11, 29)
    assert latest_complete_day(datetime(2026, 11, 30, 7, 59, tzinfo=CHINA)) == date(2026, 11, 28)
    # 23:30 UTC on the 29th is 07:30 on the 30th in China: the 29th is not complete yet
    assert latest_complete_day(datetime(2026, 11, 29, 23, 30, tzinfo=UTC)) == date(2026, 11, 28)
    assert latest_complete_day(datetime(2026, 11, 30, 0, 15, tzinfo=UTC)) == date(2026, 11, 29)


def _summary(*items):
    return {"list": [dict(zip(("ref_date", "user_source", "new_user", "cancel_user"), i, strict=True)) for i in items]}


def _cumulate(*items):
    return {"list": [{"ref_date": d, "user_source": 0, "cumulate_user": c} for d, c in items]}


def test_sources_are_summed_per_day_and_a_day_without_moves_is_zero():
    rows = daily_rows(_summary(("2026-11-01", 0, 3, 5), ("2026-11-01", 30, 149, 1), ("2026-11-03", 17, 4, 0)),
                      _cumulate(("2026-11-01", 1146), ("2026-11-02", 1146), ("2026-11-03", 1150)),
                      "gh_a", date(2026, 11, 1), date(2026, 11, 7))
    assert rows[["new_follows", "unfollows", "net_follows", "cumulative"]].values.tolist() == \
        [[152, 6, 146, 1146], [0, 0, 0, 1146], [4, 0, 4, 1150]]
    assert list(rows["day"]) == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert set(rows["account"]) == {"gh_a"}
    empty = daily_rows({"list": []}, {"list": []}, "gh_a", date(2026, 11, 1), date(2026, 11, 7))
    assert empty.empty


def test_answers_unlike_the_documentation_fail_clearly():
    window = (date(2026, 11, 1), date(2026, 11, 7))
    with pytest.raises(MalformedResponse, match="cumulate_user"):
        daily_rows(_summary(("2026-11-01", 0, 1, 0)), {"list": [{"ref_date": "2026-11-01"}]}, "gh_a", *window)
    with pytest.raises(MalformedResponse):
        daily_rows({"items": []}, _cumulate(), "gh_a", *window)
    with pytest.raises(MalformedResponse, match="no cumulate_user"):
        daily_rows(_summary(("2026-11-02", 0, 1, 0)), _cumulate(("2026-11-01", 5)), "gh_a", *window)
    with pytest.raises(PlatformBug, match="outside"):
        daily_rows(_summary(), _cumulate(("2026-11-09", 5)), "gh_a", *window)
    with pytest.raises(MalformedResponse, match="parse"):
        daily_rows(_summary(("2026-11-01", 0, "many", 0)), _cumulate(("2026-11-01", 5)), "gh_a", *window)


def test_the_rate_limiter_spaces_calls_across_threads():
    import time
    from concurrent.futures import ThreadPoolExecutor

    limiter = RateLimiter(100)
    started = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: limiter.acquire(), range(21)))
    assert time.perf_counter() - started >= 0.19
