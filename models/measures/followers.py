"""Follower measures: pure functions of daily frames (KPIs, moving averages, event uplift, the drop
signal, rankings), shared by the rollup refresh and the query functions."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

# ---------------------------------------------------------------- pure measures


def moving_average(values: pd.Series, window: int = 7) -> pd.Series:
    """Trailing mean over `window` days; undefined until a full window has passed."""
    return values.rolling(window, min_periods=window).mean()


def _change(current: float, previous: float) -> float | None:
    if previous == 0:
        return None
    return (current - previous) / abs(previous)


def follower_kpis(daily: pd.DataFrame, as_of: date | pd.Timestamp | None = None) -> dict[str, float | int | None]:
    """Headline numbers as of the last day: cumulative, net today / 7 / 30 days vs the period before,
    and the 30-day unfollow rate (unfollows ÷ followers at the start of those 30 days)."""
    if daily.empty:
        return {}
    frame = daily.sort_values("day")
    if as_of is not None:
        frame = frame[frame["day"] <= pd.Timestamp(as_of)]
    if frame.empty:
        return {}
    net = frame["net_follows"].to_numpy()
    result: dict[str, float | int | None] = {
        "as_of": frame["day"].iloc[-1].date(),
        "cumulative": int(frame["cumulative"].iloc[-1]),
    }
    for label, days in (("today", 1), ("7d", 7), ("30d", 30)):
        current = int(net[-days:].sum())
        previous_slice = net[-2 * days : -days]
        previous = int(previous_slice.sum()) if len(previous_slice) == days else None
        result[f"net_{label}"] = current
        result[f"net_{label}_previous"] = previous
        result[f"net_{label}_change"] = _change(current, previous) if previous is not None else None
    last30 = frame.iloc[-30:]
    followers_before = int(last30["cumulative"].iloc[0] - last30["net_follows"].iloc[0])
    unfollows = int(last30["unfollows"].sum())
    result["unfollows_30d"] = unfollows
    result["unfollow_rate_30d"] = unfollows / followers_before if followers_before > 0 else None
    return result


UPLIFT_COLUMNS = ["event_id", "window_days", "window_net", "baseline_daily", "expected_net", "uplift",
                  "uplift_per_day"]


def event_uplift(daily_by_branch: pd.DataFrame, events: pd.DataFrame, baseline_days: int = 28) -> pd.DataFrame:
    """Each event's measured effect on its own branch: net follows in the event window minus what the
    branch's average day in the `baseline_days` before the event would have brought.

    Computed for all events at once from each branch's running totals (net to date, days to date) looked
    up as of the event's last day, the day before it and the day before its baseline."""
    if events.empty:
        return events.assign(**{c: pd.Series(dtype="float64") for c in UPLIFT_COLUMNS[1:]})
    frame = daily_by_branch.sort_values(["branch_id", "day"], kind="stable")
    totals = pd.DataFrame({
        "branch_id": frame["branch_id"].astype("int64").to_numpy(),
        "day": frame["day"].to_numpy().astype("datetime64[ns]"),
        "net_to_date": frame.groupby("branch_id", sort=False)["net_follows"].cumsum().astype(float).to_numpy(),
        "days_to_date": (frame.groupby("branch_id", sort=False).cumcount() + 1).to_numpy(),
    }).sort_values("day", kind="stable")
    start = pd.to_datetime(events["start_date"])
    bounds = pd.DataFrame({
        "event_id": events["event_id"].to_numpy(), "branch_id": events["branch_id"].astype("int64").to_numpy(),
        "end": pd.to_datetime(events["end_date"]).to_numpy().astype("datetime64[ns]"),
        "before": (start - pd.Timedelta(days=1)).to_numpy().astype("datetime64[ns]"),
        "baseline_from": (start - pd.Timedelta(days=baseline_days + 1)).to_numpy().astype("datetime64[ns]"),
    })
    at = {name: _as_of(bounds, name, totals) for name in ("end", "before", "baseline_from")}
    return events.merge(uplift_from_totals(bounds["event_id"], at["end"], at["before"], at["baseline_from"]),
                        on="event_id", how="left")


def _as_of(bounds: pd.DataFrame, column: str, totals: pd.DataFrame) -> pd.DataFrame:
    """Each event's branch totals on the last day with data at or before `bounds[column]` (0 before any)."""
    keys = bounds[["event_id", "branch_id", column]].rename(columns={column: "day"}).sort_values("day", kind="stable")
    found = pd.merge_asof(keys, totals, on="day", by="branch_id", direction="backward")
    found = found.set_index("event_id").reindex(bounds["event_id"])
    return found[["net_to_date", "days_to_date"]].fillna(0.0)


def uplift_from_totals(event_ids: pd.Series, at_end: pd.DataFrame, before: pd.DataFrame,
                       baseline_from: pd.DataFrame) -> pd.DataFrame:
    """Uplift figures from running totals as of the event's end, the day before it and the day before
    its baseline: a window's net and day count are differences of two totals."""
    window_days = (at_end["days_to_date"].to_numpy() - before["days_to_date"].to_numpy()).astype("int64")
    baseline_count = before["days_to_date"].to_numpy() - baseline_from["days_to_date"].to_numpy()
    has_window = window_days > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        window_net = np.where(has_window, at_end["net_to_date"].to_numpy() - before["net_to_date"].to_numpy(), np.nan)
        baseline_daily = np.where(baseline_count > 0, (before["net_to_date"].to_numpy()
                                                       - baseline_from["net_to_date"].to_numpy()) / baseline_count, np.nan)
        expected = np.where(has_window, baseline_daily * window_days, np.nan)
        uplift = window_net - expected
        per_day = np.where(has_window, uplift / np.where(has_window, window_days, 1), np.nan)
    return pd.DataFrame({"event_id": np.asarray(event_ids), "window_days": window_days, "window_net": window_net,
                         "baseline_daily": baseline_daily, "expected_net": expected, "uplift": uplift,
                         "uplift_per_day": per_day})


def drop_days(
    daily_by_branch: pd.DataFrame, window: int = 7, baseline_days: int = 28, ratio: float = 0.5
) -> pd.DataFrame:
    """The day-by-day drop signal behind `detect_drops`, one row per branch and day (sorted by branch and
    day): `rolling` net of the last `window` days, the branch's `baseline` (median day over the
    `baseline_days` before that window, times `window`), whether the day is `flagged` (rolling net
    negative, or below `ratio` × baseline) and `negative`, `run` numbering the flagged / unflagged runs,
    `last` marking the branch's last day. The follower rollup stores it per branch over the whole history."""
    frame = daily_by_branch.sort_values(["branch_id", "day"], kind="stable").reset_index(drop=True)
    branch = frame["branch_id"]
    net = frame["net_follows"].astype(float)
    per_branch = net.groupby(branch, sort=False)
    rolling = per_branch.rolling(window, min_periods=window).sum().reset_index(level=0, drop=True).sort_index()
    shifted = per_branch.shift(window)
    baseline = (shifted.groupby(branch, sort=False).rolling(baseline_days, min_periods=baseline_days // 2).median()
                .reset_index(level=0, drop=True).sort_index() * window)
    negative = rolling < 0
    flagged = negative | ((baseline > 0) & (rolling < ratio * baseline))
    run = (flagged.ne(flagged.shift()) | branch.ne(branch.shift())).cumsum()
    last_of_branch = branch.ne(branch.shift(-1))
    return pd.DataFrame({"branch_id": branch, "day": frame["day"], "net": net, "rolling": rolling,
                         "baseline": baseline, "flagged": flagged, "negative": negative, "last": last_of_branch,
                         "run": run})


DROP_COLUMNS = ["branch_id", "start_day", "end_day", "days", "ongoing", "episode_net", "worst_window_net", "cause"]


def detect_drops(
    daily_by_branch: pd.DataFrame, window: int = 7, baseline_days: int = 28, ratio: float = 0.5, min_days: int = 5
) -> pd.DataFrame:
    """Episodes of lost momentum per branch: days when the rolling `window`-day net is negative, or
    below `ratio` × the branch's own baseline (its median day over the `baseline_days` before that
    window, times `window`; the median keeps one big event from inflating it), lasting at least
    `min_days` in a row. `ongoing` means the episode runs to the branch's last day."""
    if daily_by_branch.empty:
        return pd.DataFrame(columns=DROP_COLUMNS)
    days = drop_days(daily_by_branch, window, baseline_days, ratio)
    rows = days[days["flagged"].to_numpy()]
    runs = rows.groupby("run", sort=True).agg(
        branch_id=("branch_id", "first"), start_day=("day", "first"), end_day=("day", "last"),
        days=("day", "size"), ongoing=("last", "last"), episode_net=("net", "sum"),
        worst_window_net=("rolling", "min"), any_negative=("negative", "any"))
    runs = runs[runs["days"] >= min_days]
    if runs.empty:
        return pd.DataFrame(columns=DROP_COLUMNS)
    episodes = runs.assign(
        days=runs["days"].astype(int), ongoing=runs["ongoing"].astype(bool),
        episode_net=runs["episode_net"].astype(int), worst_window_net=runs["worst_window_net"].astype(int),
        cause=np.where(runs["any_negative"], "net_loss", "below_baseline"))
    return episodes[DROP_COLUMNS].reset_index(drop=True)


RANKING_COLUMNS = ["branch_id", "branch_name", "region_name", "new_follows", "unfollows", "net_growth",
                   "start_followers", "end_followers", "growth_rate", "rank_net", "rank_rate"]


def rank_branches(daily_by_branch: pd.DataFrame, branches: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Per branch in [start, end]: new, unfollows, net growth, followers at start and end, growth rate,
    and ranks (1 = best; ties share the better rank)."""
    period = daily_by_branch[(daily_by_branch["day"] >= pd.Timestamp(start)) & (daily_by_branch["day"] <= pd.Timestamp(end))]
    if period.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    period = period.sort_values(["branch_id", "day"])
    grouped = period.groupby("branch_id")
    summary = pd.DataFrame({
        "new_follows": grouped["new_follows"].sum(),
        "unfollows": grouped["unfollows"].sum(),
        "net_growth": grouped["net_follows"].sum(),
        "start_followers": grouped["cumulative"].first() - grouped["net_follows"].first(),
        "end_followers": grouped["cumulative"].last(),
    }).reset_index()
    return rank_period_totals(summary, branches)


def rank_period_totals(summary: pd.DataFrame, branches: pd.DataFrame) -> pd.DataFrame:
    """The ranking from per-branch period totals (`branch_period_totals` or the sums of the daily frame)."""
    if summary.empty:
        return pd.DataFrame(columns=RANKING_COLUMNS)
    summary = summary.copy()
    summary["growth_rate"] = np.where(
        summary["start_followers"] > 0, summary["net_growth"] / summary["start_followers"].where(summary["start_followers"] > 0), np.nan
    )
    summary["rank_net"] = summary["net_growth"].rank(ascending=False, method="min").astype(int)
    summary["rank_rate"] = summary["growth_rate"].rank(ascending=False, method="min").astype("Int64")
    names = branches[["branch_id", "branch_name", "region_name"]]
    ranked = summary.merge(names, on="branch_id", how="left").sort_values(["rank_net", "branch_id"])
    return ranked[RANKING_COLUMNS].reset_index(drop=True)


def region_totals(ranking: pd.DataFrame) -> pd.DataFrame:
    """Each region's sum of its branches, and its growth rate over the summed starting followers."""
    if ranking.empty:
        return pd.DataFrame(columns=["region_name", "branches", "net_growth", "start_followers", "end_followers", "growth_rate"])
    totals = (
        ranking.assign(region_name=ranking["region_name"].fillna("—"))
        .groupby("region_name")
        .agg(branches=("branch_id", "count"), new_follows=("new_follows", "sum"), unfollows=("unfollows", "sum"),
             net_growth=("net_growth", "sum"), start_followers=("start_followers", "sum"),
             end_followers=("end_followers", "sum"))
        .reset_index()
    )
    totals["growth_rate"] = totals["net_growth"] / totals["start_followers"].where(totals["start_followers"] > 0)
    return totals.sort_values("net_growth", ascending=False).reset_index(drop=True)


def lookback_start(start: date, days: int = 35) -> date:
    """How far before a period to read so that baselines exist on its first day."""
    return start - timedelta(days=days)


def with_moving_average(daily: pd.DataFrame, window: int = 7) -> pd.DataFrame:
    """Add `net_ma7`: the trailing mean of net follows (read days before the period so day one has it)."""
    frame = daily.sort_values("day").copy()
    frame["net_ma7"] = moving_average(frame["net_follows"], window)
    return frame


def drops_in_period(drops: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Episodes that touch [start, end]."""
    if drops.empty:
        return drops
    return drops[(drops["end_day"] >= pd.Timestamp(start)) & (drops["start_day"] <= pd.Timestamp(end))]


def events_to_mark(uplift: pd.DataFrame, limit: int = 8) -> pd.DataFrame:
    """The events worth drawing on a busy chart: the `limit` largest measured uplifts."""
    if len(uplift) <= limit:
        return uplift
    return uplift.sort_values("uplift", ascending=False, na_position="last").head(limit).sort_values("start_date")
