"""Follower growth: daily figures, KPIs, event uplift, drop detection and branch ranking.

Queries aggregate in SQL and return tidy frames; the measures below them are pure functions of
those frames, so they are tested against figures computed by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, func, select
from sqlmodel import Session

from models.followers import FollowerDaily, MarketingEvent
from models.metrics.org import read_frame
from models.org import Branch
from models.scope import Scope

DAILY_COLUMNS = ["day", "new_follows", "unfollows", "net_follows", "cumulative"]


# ---------------------------------------------------------------- queries


def follower_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """First and last day with follower figures inside the scope."""
    row = session.execute(
        select(func.min(FollowerDaily.day), func.max(FollowerDaily.day)).where(scope.clause(FollowerDaily.branch_id))
    ).one()
    return row[0], row[1]


def daily_followers(
    session: Session, scope: Scope, start: date, end: date, account_id: int | None = None
) -> pd.DataFrame:
    """The scope's daily totals (new, unfollows, net, cumulative) summed over its accounts."""
    statement = (
        select(
            _day_text(),
            func.sum(FollowerDaily.new_follows).label("new_follows"),
            func.sum(FollowerDaily.unfollows).label("unfollows"),
            func.sum(FollowerDaily.net_follows).label("net_follows"),
            func.sum(FollowerDaily.cumulative).label("cumulative"),
        )
        .where(scope.clause(FollowerDaily.branch_id), FollowerDaily.day.between(start, end))
        .group_by(FollowerDaily.day)
        .order_by(FollowerDaily.day)
    )
    if account_id is not None:
        statement = statement.where(FollowerDaily.account_id == int(account_id))
    return _typed_daily(_read_columns(session, statement))


def daily_followers_by_branch(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per branch and day: the grain for ranking, drop detection and event uplift."""
    statement = (
        select(
            FollowerDaily.branch_id,
            _day_text(),
            func.sum(FollowerDaily.new_follows).label("new_follows"),
            func.sum(FollowerDaily.unfollows).label("unfollows"),
            func.sum(FollowerDaily.net_follows).label("net_follows"),
            func.sum(FollowerDaily.cumulative).label("cumulative"),
        )
        .where(scope.clause(FollowerDaily.branch_id), FollowerDaily.day.between(start, end))
        .group_by(FollowerDaily.branch_id, FollowerDaily.day)
        .order_by(FollowerDaily.branch_id, FollowerDaily.day)
    )
    return _typed_daily(_read_columns(session, statement), extra=["branch_id"])


def marketing_events(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Events that overlap the period, with their branch's name."""
    statement = (
        select(
            MarketingEvent.id.label("event_id"), MarketingEvent.branch_id, Branch.name.label("branch_name"),
            MarketingEvent.name, MarketingEvent.kind, MarketingEvent.start_date, MarketingEvent.end_date,
            MarketingEvent.partner, MarketingEvent.cost,
        )
        .join(Branch, Branch.id == MarketingEvent.branch_id)
        .where(scope.clause(MarketingEvent.branch_id), MarketingEvent.start_date <= end, MarketingEvent.end_date >= start)
        .order_by(MarketingEvent.start_date, MarketingEvent.id)
    )
    frame = read_frame(session, statement)
    for column in ("start_date", "end_date"):
        frame[column] = pd.to_datetime(frame[column]) if not frame.empty else pd.Series(dtype="datetime64[ns]")
    return frame


def _day_text():
    """The day as ISO text: pandas parses a column of it at once, where the driver's per-row date objects
    cost seconds for a bank's 100,000 branch-days."""
    return cast(FollowerDaily.day, String(10)).label("day")


def _read_columns(session: Session, statement) -> pd.DataFrame:
    """`read_frame` for long results: rows transposed into columns before pandas sees them."""
    result = session.execute(statement)
    names = list(result.keys())
    rows = result.fetchall()
    if not rows:
        return pd.DataFrame(columns=names)
    return pd.DataFrame(dict(zip(names, (list(column) for column in zip(*rows, strict=True)), strict=True)))


def _typed_daily(frame: pd.DataFrame, extra: list[str] | None = None) -> pd.DataFrame:
    columns = (extra or []) + DAILY_COLUMNS
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns}).assign(
            day=pd.Series(dtype="datetime64[ns]")
        )[columns]
    frame["day"] = pd.to_datetime(frame["day"], format="ISO8601")
    for column in columns:
        if column != "day":
            frame[column] = frame[column].astype("int64")
    return frame[columns]


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


def event_uplift(daily_by_branch: pd.DataFrame, events: pd.DataFrame, baseline_days: int = 28) -> pd.DataFrame:
    """Each event's measured effect on its own branch: net follows in the event window minus what the
    branch's average day in the `baseline_days` before the event would have brought."""
    columns = ["event_id", "window_days", "window_net", "baseline_daily", "expected_net", "uplift", "uplift_per_day"]
    if events.empty:
        return events.assign(**{c: pd.Series(dtype="float64") for c in columns[1:]})
    series = {
        branch_id: group.set_index("day")["net_follows"].sort_index()
        for branch_id, group in daily_by_branch.groupby("branch_id")
    }
    rows = []
    for event in events.itertuples(index=False):
        net = series.get(event.branch_id, pd.Series(dtype="int64"))
        start, end = pd.Timestamp(event.start_date), pd.Timestamp(event.end_date)
        window = net[(net.index >= start) & (net.index <= end)]
        baseline = net[(net.index >= start - pd.Timedelta(days=baseline_days)) & (net.index < start)]
        window_days = len(window)
        baseline_daily = float(baseline.mean()) if len(baseline) else np.nan
        window_net = float(window.sum()) if window_days else np.nan
        expected = baseline_daily * window_days if window_days else np.nan
        uplift = window_net - expected
        rows.append({
            "event_id": event.event_id, "window_days": window_days, "window_net": window_net,
            "baseline_daily": baseline_daily, "expected_net": expected, "uplift": uplift,
            "uplift_per_day": uplift / window_days if window_days else np.nan,
        })
    return events.merge(pd.DataFrame(rows, columns=columns), on="event_id", how="left")


def detect_drops(
    daily_by_branch: pd.DataFrame, window: int = 7, baseline_days: int = 28, ratio: float = 0.5, min_days: int = 5
) -> pd.DataFrame:
    """Episodes of lost momentum per branch: days when the rolling `window`-day net is negative, or
    below `ratio` × the branch's own baseline (its median day over the `baseline_days` before that
    window, times `window`; the median keeps one big event from inflating it), lasting at least
    `min_days` in a row. `ongoing` means the episode runs to the branch's last day."""
    columns = ["branch_id", "start_day", "end_day", "days", "ongoing", "episode_net", "worst_window_net", "cause"]
    if daily_by_branch.empty:
        return pd.DataFrame(columns=columns)
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
    rows = pd.DataFrame({"branch_id": branch, "day": frame["day"], "net": net, "rolling": rolling,
                         "negative": negative, "last": last_of_branch, "run": run})[flagged.to_numpy()]
    runs = rows.groupby("run", sort=True).agg(
        branch_id=("branch_id", "first"), start_day=("day", "first"), end_day=("day", "last"),
        days=("day", "size"), ongoing=("last", "last"), episode_net=("net", "sum"),
        worst_window_net=("rolling", "min"), any_negative=("negative", "any"))
    runs = runs[runs["days"] >= min_days]
    if runs.empty:
        return pd.DataFrame(columns=columns)
    episodes = runs.assign(
        days=runs["days"].astype(int), ongoing=runs["ongoing"].astype(bool),
        episode_net=runs["episode_net"].astype(int), worst_window_net=runs["worst_window_net"].astype(int),
        cause=np.where(runs["any_negative"], "net_loss", "below_baseline"))
    return episodes[columns].reset_index(drop=True)


def rank_branches(daily_by_branch: pd.DataFrame, branches: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Per branch in [start, end]: new, unfollows, net growth, followers at start and end, growth rate,
    and ranks (1 = best; ties share the better rank)."""
    period = daily_by_branch[(daily_by_branch["day"] >= pd.Timestamp(start)) & (daily_by_branch["day"] <= pd.Timestamp(end))]
    if period.empty:
        return pd.DataFrame(columns=["branch_id", "branch_name", "region_name", "new_follows", "unfollows",
                                     "net_growth", "start_followers", "end_followers", "growth_rate",
                                     "rank_net", "rank_rate"])
    period = period.sort_values(["branch_id", "day"])
    grouped = period.groupby("branch_id")
    summary = pd.DataFrame({
        "new_follows": grouped["new_follows"].sum(),
        "unfollows": grouped["unfollows"].sum(),
        "net_growth": grouped["net_follows"].sum(),
        "start_followers": grouped["cumulative"].first() - grouped["net_follows"].first(),
        "end_followers": grouped["cumulative"].last(),
    }).reset_index()
    summary["growth_rate"] = np.where(
        summary["start_followers"] > 0, summary["net_growth"] / summary["start_followers"].where(summary["start_followers"] > 0), np.nan
    )
    summary["rank_net"] = summary["net_growth"].rank(ascending=False, method="min").astype(int)
    summary["rank_rate"] = summary["growth_rate"].rank(ascending=False, method="min").astype("Int64")
    names = branches[["branch_id", "branch_name", "region_name"]]
    ranked = summary.merge(names, on="branch_id", how="left").sort_values(["rank_net", "branch_id"])
    return ranked[["branch_id", "branch_name", "region_name", "new_follows", "unfollows", "net_growth",
                   "start_followers", "end_followers", "growth_rate", "rank_net", "rank_rate"]].reset_index(drop=True)


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


def current_drop_alerts(session: Session, scope: Scope) -> pd.DataFrame:
    """Branches whose drop episode is still running on the last day with data, with branch names."""
    first, last = follower_date_range(session, scope)
    if last is None:
        return pd.DataFrame(columns=["branch_id", "branch_name", "start_day", "days", "episode_net"])
    by_branch = daily_followers_by_branch(session, scope, lookback_start(last, 70), last)
    drops = detect_drops(by_branch)
    ongoing = drops[drops["ongoing"] & (drops["end_day"] == pd.Timestamp(last))]
    names = read_frame(session, select(Branch.id.label("branch_id"), Branch.name.label("branch_name"))
                       .where(scope.clause(Branch.id)))
    return ongoing.merge(names, on="branch_id", how="left").sort_values("start_day").reset_index(drop=True)
