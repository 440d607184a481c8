"""Follower growth: daily figures, KPIs, event uplift, drop detection and branch ranking.

Queries aggregate in SQL and return tidy frames; the measures below them are pure functions of
those frames, so they are tested against figures computed by hand.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, case, cast, func, literal, select
from sqlmodel import Session

from models.followers import FollowerDaily, MarketingEvent
from models.metrics.org import read_frame
from models.org import Branch
from models.rollups import FollowerBranchDaily, FollowerDayTotal
from models.scope import Scope

DAILY_COLUMNS = ["day", "new_follows", "unfollows", "net_follows", "cumulative"]


# ---------------------------------------------------------------- queries


def follower_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """First and last day with follower figures inside the scope."""
    if scope.is_everything:
        return tuple(session.execute(select(func.min(FollowerDayTotal.day), func.max(FollowerDayTotal.day))).one())
    row = session.execute(
        select(func.min(FollowerDaily.day), func.max(FollowerDaily.day)).where(scope.clause(FollowerDaily.branch_id))
    ).one()
    return row[0], row[1]


def daily_followers(
    session: Session, scope: Scope, start: date, end: date, account_id: int | None = None
) -> pd.DataFrame:
    """The scope's daily totals (new, unfollows, net, cumulative) summed over its accounts; the whole bank's
    from the day-total rollup (one row per day instead of one per account and day)."""
    if scope.is_everything and account_id is None:
        totals = FollowerDayTotal
        statement = (
            select(cast(totals.day, String(10)).label("day"), totals.new_follows, totals.unfollows,
                   totals.net_follows, totals.cumulative)
            .where(totals.day.between(start, end)).order_by(totals.day)
        )
        return _typed_daily(_read_columns(session, statement))
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


def reads_rollup(scope: Scope) -> bool:
    """Scopes of more than one branch read the per-branch rollup (running totals and the stored drop
    signal); one branch keeps reading its own days, exactly as its page always has."""
    return scope.branch_ids is None or len(scope.branch_ids) > 1


def branch_period_totals(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per branch with figures in [start, end]: new, unfollows, net growth, followers at start and end.
    Two rollup rows per branch (its first and last day in the period): totals are running-total differences."""
    rows = FollowerBranchDaily.__table__
    first_day = (select(rows.c.day).where(rows.c.branch_id == Branch.id, rows.c.day >= start, rows.c.day <= end)
                 .order_by(rows.c.day).limit(1).scalar_subquery())
    last_day = (select(rows.c.day).where(rows.c.branch_id == Branch.id, rows.c.day >= start, rows.c.day <= end)
                .order_by(rows.c.day.desc()).limit(1).scalar_subquery())
    ends = (select(Branch.id.label("branch_id"), first_day.label("first_day"), last_day.label("last_day"))
            .where(scope.clause(Branch.id)).subquery())
    first, last = rows.alias("first_row"), rows.alias("last_row")
    statement = (
        select(
            ends.c.branch_id,
            (last.c.new_to_date - first.c.new_to_date + first.c.new_follows).label("new_follows"),
            (last.c.unfollows_to_date - first.c.unfollows_to_date + first.c.unfollows).label("unfollows"),
            (last.c.net_to_date - first.c.net_to_date + first.c.net_follows).label("net_growth"),
            (first.c.cumulative - first.c.net_follows).label("start_followers"),
            last.c.cumulative.label("end_followers"),
        )
        .select_from(ends)
        .join(first, and_(first.c.branch_id == ends.c.branch_id, first.c.day == ends.c.first_day))
        .join(last, and_(last.c.branch_id == ends.c.branch_id, last.c.day == ends.c.last_day))
        .order_by(ends.c.branch_id)
    )
    frame = read_frame(session, statement)
    columns = ["branch_id", "new_follows", "unfollows", "net_growth", "start_followers", "end_followers"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in columns})
    return frame[columns].astype("int64")


def drop_episodes(session: Session, scope: Scope, start: date, end: date, min_days: int = 5) -> pd.DataFrame:
    """Drop episodes that touch [start, end], as known on `end`, from the rollup's stored signal: only the
    flagged days of the period are read. The signal is judged over each branch's whole history, so an
    episode that began before a short read window shows its true first day and length (the per-frame
    `detect_drops` sees only the days it is given)."""
    rows = FollowerBranchDaily.__table__
    statement = (
        select(rows.c.branch_id, rows.c.day, rows.c.next_day, rows.c.run_start, rows.c.run_days, rows.c.run_net,
               rows.c.run_worst_net, rows.c.run_any_negative)
        .where(scope.clause(rows.c.branch_id), rows.c.flagged == True, rows.c.day.between(start, end))  # noqa: E712
        .order_by(rows.c.branch_id, rows.c.day)
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame(columns=DROP_COLUMNS)
    for column in ("day", "next_day", "run_start"):
        frame[column] = pd.to_datetime(frame[column])
    latest = frame.groupby(["branch_id", "run_start"], sort=False).tail(1)
    return _episodes_from_runs(latest[latest["run_days"] >= min_days], end)


def _episodes_from_runs(latest: pd.DataFrame, end: date) -> pd.DataFrame:
    """Episodes from each run's latest stored row on or before `end` (its figures are the run's to date)."""
    if latest.empty:
        return pd.DataFrame(columns=DROP_COLUMNS)
    ongoing = latest["next_day"].isna() | (latest["next_day"] > pd.Timestamp(end))
    episodes = pd.DataFrame({
        "branch_id": latest["branch_id"].astype("int64"), "start_day": latest["run_start"], "end_day": latest["day"],
        "days": latest["run_days"].astype(int), "ongoing": ongoing.astype(bool),
        "episode_net": latest["run_net"].astype(int), "worst_window_net": latest["run_worst_net"].astype(int),
        "cause": np.where(latest["run_any_negative"].astype(bool), "net_loss", "below_baseline"),
    })
    return episodes.sort_values(["branch_id", "start_day"]).reset_index(drop=True)


def drops_running_on_day(session: Session, scope: Scope, day: date, min_days: int = 5) -> pd.DataFrame:
    """Episodes whose latest flagged day is `day` (running then), from that day's rollup rows only."""
    rows = FollowerBranchDaily.__table__
    statement = (
        select(rows.c.branch_id, rows.c.day, rows.c.next_day, rows.c.run_start, rows.c.run_days, rows.c.run_net,
               rows.c.run_worst_net, rows.c.run_any_negative)
        .where(scope.clause(rows.c.branch_id), rows.c.day == day, rows.c.flagged == True,  # noqa: E712
               rows.c.run_days >= min_days)
    )
    frame = read_frame(session, statement)
    for column in ("day", "next_day", "run_start"):
        frame[column] = pd.to_datetime(frame[column]) if not frame.empty else pd.Series(dtype="datetime64[ns]")
    return _episodes_from_runs(frame, day)


def event_uplift_from_rollup(session: Session, scope: Scope, start: date, end: date,
                             baseline_days: int = 28) -> pd.DataFrame:
    """`marketing_events` of the period with `event_uplift`'s figures, from the branches' running totals as of
    three days per event (three index lookups each) instead of every branch's days. The event window stops at
    `end`, as on the page; the baseline is read in full even for events that began long before `start`."""
    events = marketing_events(session, scope, start, end)
    if events.empty:
        return event_uplift(pd.DataFrame(columns=["branch_id", *DAILY_COLUMNS]), events, baseline_days)
    rows = FollowerBranchDaily.__table__
    dialect = session.get_bind().dialect.name

    def as_of(day):
        return (select(rows.c.id).where(rows.c.branch_id == MarketingEvent.branch_id, rows.c.day <= day)
                .order_by(rows.c.day.desc()).limit(1).scalar_subquery())

    window_end = case((MarketingEvent.end_date > end, literal(end)), else_=MarketingEvent.end_date)
    bounds = {"end": window_end, "before": _days_before(MarketingEvent.start_date, 1, dialect),
              "baseline_from": _days_before(MarketingEvent.start_date, baseline_days + 1, dialect)}
    found = (select(MarketingEvent.id.label("event_id"), *[as_of(day).label(name) for name, day in bounds.items()])
             .where(scope.clause(MarketingEvent.branch_id), MarketingEvent.start_date <= end,
                    MarketingEvent.end_date >= start).subquery())
    columns = [found.c.event_id]
    joined = found
    for name in bounds:
        row = rows.alias(f"{name}_row")
        columns += [row.c.net_to_date.label(f"{name}_net"), row.c.days_to_date.label(f"{name}_days")]
        joined = joined.join(row, row.c.id == found.c[name], isouter=True)
    totals = read_frame(session, select(*columns).select_from(joined))
    totals = totals.set_index("event_id").reindex(events["event_id"]).astype(float).fillna(0.0)
    at = {name: pd.DataFrame({"net_to_date": totals[f"{name}_net"].to_numpy(),
                              "days_to_date": totals[f"{name}_days"].to_numpy()}) for name in bounds}
    figures = uplift_from_totals(events["event_id"], at["end"], at["before"], at["baseline_from"])
    return events.merge(figures, on="event_id", how="left")


def _days_before(column, days: int, dialect: str):
    if dialect == "postgresql":
        return column - days
    return func.date(column, f"-{days} days")


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


def current_drop_alerts(session: Session, scope: Scope) -> pd.DataFrame:
    """Branches whose drop episode is still running on the last day with data, with branch names."""
    first, last = follower_date_range(session, scope)
    if last is None:
        return pd.DataFrame(columns=["branch_id", "branch_name", "start_day", "days", "episode_net"])
    if reads_rollup(scope):
        drops = drops_running_on_day(session, scope, last)
    else:
        drops = detect_drops(daily_followers_by_branch(session, scope, lookback_start(last, 70), last))
    ongoing = drops[drops["ongoing"] & (drops["end_day"] == pd.Timestamp(last))]
    names = read_frame(session, select(Branch.id.label("branch_id"), Branch.name.label("branch_name"))
                       .where(scope.clause(Branch.id)))
    return ongoing.merge(names, on="branch_id", how="left").sort_values("start_day").reset_index(drop=True)
