"""Follower measures against figures worked out by hand in each test."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models.metrics import followers as F


def _daily(net: list[int], start: str = "2026-01-01", branch_id: int | None = None, new: list[int] | None = None,
           start_followers: int = 1000) -> pd.DataFrame:
    days = pd.date_range(start, periods=len(net), freq="D")
    new = new or [max(n, 0) + 5 for n in net]
    unfollows = [a - n for a, n in zip(new, net, strict=True)]
    frame = pd.DataFrame({"day": days, "new_follows": new, "unfollows": unfollows, "net_follows": net,
                          "cumulative": start_followers + np.cumsum(net)})
    if branch_id is not None:
        frame.insert(0, "branch_id", branch_id)
    return frame


def test_moving_average_waits_for_a_full_window():
    values = pd.Series([7, 14, 21, 0, 7, 14, 21, 28])
    average = F.moving_average(values, 7)
    assert average.iloc[:6].isna().all()
    assert average.iloc[6] == pytest.approx(84 / 7)  # 7+14+21+0+7+14+21 = 84
    assert average.iloc[7] == pytest.approx(105 / 7)  # drop 7, add 28


def test_kpis_compare_each_window_with_the_one_before():
    net = [1] * 30 + [2] * 23 + [3] * 6 + [10]  # 60 days
    kpis = F.follower_kpis(_daily(net, start_followers=1000))
    assert kpis["cumulative"] == 1000 + 30 + 46 + 18 + 10
    assert kpis["net_today"] == 10 and kpis["net_today_previous"] == 3
    assert kpis["net_7d"] == 3 * 6 + 10 and kpis["net_7d_previous"] == 2 * 7
    assert kpis["net_7d_change"] == pytest.approx((28 - 14) / 14)
    assert kpis["net_30d"] == 2 * 23 + 3 * 6 + 10 and kpis["net_30d_previous"] == 30


def test_unfollow_rate_is_unfollows_over_followers_before_the_window():
    net = [0] * 40
    new = [3] * 40  # so 3 unfollows a day
    kpis = F.follower_kpis(_daily(net, new=new, start_followers=900))
    assert kpis["unfollows_30d"] == 90
    assert kpis["unfollow_rate_30d"] == pytest.approx(90 / 900)


def test_uplift_is_window_net_minus_the_28_day_baseline():
    # 28 baseline days of net 10, then a 4-day event with net 60, 70, 80, 90.
    net = [10] * 28 + [60, 70, 80, 90] + [10] * 5
    daily = _daily(net, branch_id=7)
    events = pd.DataFrame({"event_id": [1], "branch_id": [7], "name": ["中秋大闸蟹团购"],
                           "start_date": [pd.Timestamp("2026-01-29")], "end_date": [pd.Timestamp("2026-02-01")]})
    result = F.event_uplift(daily, events).iloc[0]
    assert result["window_days"] == 4
    assert result["window_net"] == 300
    assert result["baseline_daily"] == 10
    assert result["uplift"] == 300 - 40
    assert result["uplift_per_day"] == 65


def test_uplift_uses_only_the_events_own_branch():
    daily = pd.concat([_daily([5] * 10, branch_id=1), _daily([500] * 10, branch_id=2)])
    events = pd.DataFrame({"event_id": [9], "branch_id": [1], "name": ["x"],
                           "start_date": [pd.Timestamp("2026-01-06")], "end_date": [pd.Timestamp("2026-01-07")]})
    assert F.event_uplift(daily, events).iloc[0]["uplift"] == 0


def test_a_sustained_net_loss_is_flagged_from_the_day_the_week_turns_negative():
    # 40 days of +10, then 15 days of -20. The 7-day sum turns negative on the 4th losing day:
    # 10*3 - 20*4 = -50 < 0 (3rd losing day: 10*4 - 60 = -20 < 0 as well; 2nd: 50 - 40 = 10).
    net = [10] * 40 + [-20] * 15
    drops = F.detect_drops(_daily(net, branch_id=3), min_days=5)
    assert len(drops) == 1
    episode = drops.iloc[0]
    # The below-baseline rule fires earlier: 7-day sum < 0.5 * 70 = 35 from the 2nd losing day (10 < 35).
    assert episode["start_day"] == pd.Timestamp("2026-01-01") + pd.Timedelta(days=41)
    assert episode["ongoing"] and episode["cause"] == "net_loss"
    assert episode["days"] == 14
    assert episode["worst_window_net"] == -140


def test_one_bad_day_is_not_an_alert():
    # Any week holding the bad day sums to 6*10 - 20 = 40: positive and above half the baseline (35).
    net = [10] * 40 + [-20] + [10] * 20
    assert F.detect_drops(_daily(net, branch_id=3), min_days=5).empty


def test_two_bad_days_pull_the_week_below_half_its_baseline():
    # A week holding both days sums to 5*10 - 40 = 10 < 35 for 6 consecutive windows.
    net = [10] * 40 + [-20, -20] + [10] * 20
    drops = F.detect_drops(_daily(net, branch_id=3), min_days=5)
    assert len(drops) == 1 and drops.iloc[0]["cause"] == "below_baseline" and drops.iloc[0]["days"] == 6


def test_ranking_orders_by_net_and_ties_share_the_better_rank():
    daily = pd.concat([
        _daily([5] * 10, branch_id=1, start_followers=100),
        _daily([5] * 10, branch_id=2, start_followers=1000),
        _daily([-1] * 10, branch_id=3, start_followers=50),
    ])
    branches = pd.DataFrame({"branch_id": [1, 2, 3], "branch_name": ["甲", "乙", "丙"], "region_name": ["东", "东", "西"]})
    ranking = F.rank_branches(daily, branches, date(2026, 1, 1), date(2026, 1, 10)).set_index("branch_id")
    assert ranking.loc[1, "net_growth"] == 50 and ranking.loc[3, "net_growth"] == -10
    assert ranking.loc[1, "rank_net"] == 1 and ranking.loc[2, "rank_net"] == 1 and ranking.loc[3, "rank_net"] == 3
    assert ranking.loc[1, "growth_rate"] == pytest.approx(50 / 100)
    assert ranking.loc[2, "growth_rate"] == pytest.approx(50 / 1000)
    assert list(ranking["rank_rate"]) == [1, 2, 3]
    regions = F.region_totals(ranking.reset_index()).set_index("region_name")
    assert regions.loc["东", "net_growth"] == 100
    assert regions.loc["东", "growth_rate"] == pytest.approx(100 / 1100)


def _drops_branch_by_branch(daily_by_branch, window=7, baseline_days=28, ratio=0.5, min_days=5):
    """The definition of a drop episode written plainly, one branch and one day at a time (the reference)."""
    columns = ["branch_id", "start_day", "end_day", "days", "ongoing", "episode_net", "worst_window_net", "cause"]
    episodes = []
    for branch_id, group in daily_by_branch.groupby("branch_id"):
        group = group.sort_values("day")
        net = group["net_follows"].astype(float).reset_index(drop=True)
        rolling = net.rolling(window, min_periods=window).sum()
        baseline = net.shift(window).rolling(baseline_days, min_periods=baseline_days // 2).median() * window
        negative = rolling < 0
        flagged = (negative | ((baseline > 0) & (rolling < ratio * baseline))).to_numpy()
        days = group["day"].reset_index(drop=True)
        run_start = None
        for i in range(len(flagged) + 1):
            is_flagged = i < len(flagged) and flagged[i]
            if is_flagged and run_start is None:
                run_start = i
            elif not is_flagged and run_start is not None:
                if i - run_start >= min_days:
                    span = slice(run_start, i)
                    episodes.append({
                        "branch_id": branch_id, "start_day": days[run_start], "end_day": days[i - 1],
                        "days": i - run_start, "ongoing": i == len(flagged), "episode_net": int(net[span].sum()),
                        "worst_window_net": int(rolling[span].min()),
                        "cause": "net_loss" if bool(negative[span].any()) else "below_baseline"})
                run_start = None
    return pd.DataFrame(episodes, columns=columns)


def test_drops_for_many_branches_at_once_equal_the_branch_by_branch_definition():
    rng = np.random.default_rng(7)
    frames = []
    for branch_id in range(1, 41):
        days = pd.date_range("2026-01-01", periods=int(rng.integers(20, 160)))
        trend = rng.normal(5, 4, len(days)).round()
        slump = rng.integers(0, len(days))
        trend[slump:slump + int(rng.integers(0, 25))] -= rng.integers(3, 12)
        frames.append(pd.DataFrame({"branch_id": branch_id, "day": days, "net_follows": trend.astype(int)}))
    daily = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=3)
    got = F.detect_drops(daily)
    expected = _drops_branch_by_branch(daily)
    assert len(expected) > 10
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)
    assert got["days"].dtype.kind == "i" and got["episode_net"].dtype.kind == "i"
