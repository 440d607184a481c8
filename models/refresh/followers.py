"""Follower rollups: branch days with running totals and the drop signal, and the bank's day totals."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection

from models.followers import FollowerDaily
from models.measures.followers import drop_days
from models.refresh.common import as_date, window_clause
from models.rollup_tables.followers import FollowerBranchDaily, FollowerDayTotal
from models.store.bulk import bulk_insert
from models.store.frames import read_frame

_NAMES = ["branch_id", "day", "new_follows", "unfollows", "net_follows", "cumulative"]
# Rows before the first rebuilt day that the drop signal of a rebuilt day reads: the 7-day rolling net and the
# 28-day median baseline before that window (7 + 28 - 1 rows), with room to spare.
SIGNAL_ROWS = 40
_CARRIED = ["days_to_date", "new_to_date", "unfollows_to_date", "net_to_date", "flagged", "run_start", "run_days",
            "run_net", "run_worst_net", "run_any_negative"]


def refresh_follower_rollups(conn: Connection, branch_ids, start: date | None, end: date | None) -> dict[str, int]:
    """Rebuild the follower rollups: for the given branches, their rows from `start` to their last day (a
    day's figures move the running totals and the drop signal of every later day), and the bank's day totals
    of [start, end]. Without `start`, from each branch's whole history; with it, from the days from `start`
    on, the stored rows of the SIGNAL_ROWS days before them (what the drop signal reads) and the stored row
    before them (the running totals and the flagged run carried on), not the history."""
    branch_table, total_table = FollowerBranchDaily.__table__, FollowerDayTotal.__table__
    raw = FollowerDaily.__table__
    if start is None:
        frame = _raw_days(conn, branch_ids, None)
        branch_start, context, carry = None, None, None
    else:
        branch_start = _previous_day(conn, branch_ids, start)
        frame = _raw_days(conn, branch_ids, branch_start)
        context, carry = _stored_before(conn, branch_ids, branch_start)
    conn.execute(delete(branch_table).where(window_clause(branch_table.c.branch_id, branch_table.c.day, branch_ids,
                                                    branch_start, None)))
    written = 0
    if not frame.empty:
        if context is not None and not context.empty:
            frame = pd.concat([context, frame], ignore_index=True)
        written = bulk_insert(conn, branch_table, _follower_branch_days(frame, drop_days, branch_start, carry))
    conn.execute(delete(total_table).where(window_clause(total_table.c.day, total_table.c.day, None, start, end)))
    conn.execute(insert(total_table).from_select(
        ["day", "new_follows", "unfollows", "net_follows", "cumulative"],
        select(raw.c.day, func.sum(raw.c.new_follows), func.sum(raw.c.unfollows), func.sum(raw.c.net_follows),
               func.sum(raw.c.cumulative))
        .where(window_clause(raw.c.day, raw.c.day, None, start, end)).group_by(raw.c.day)))
    return {branch_table.name: written, total_table.name: conn.execute(
        select(func.count()).select_from(total_table)
        .where(window_clause(total_table.c.day, total_table.c.day, None, start, end))).scalar_one()}


def _raw_days(conn: Connection, branch_ids, start: date | None) -> pd.DataFrame:
    """The branches' follower figures per branch and day (summed over accounts) from `start` on."""
    raw = FollowerDaily.__table__
    return _daily(read_frame(conn, select(
        raw.c.branch_id, raw.c.day, *[func.sum(raw.c[c]).label(c) for c in _NAMES[2:]])
        .where(window_clause(raw.c.branch_id, raw.c.day, branch_ids, start, None))
        .group_by(raw.c.branch_id, raw.c.day).order_by(raw.c.branch_id, raw.c.day)).reindex(columns=_NAMES))


def _daily(frame: pd.DataFrame) -> pd.DataFrame:
    """Days as timestamps and the follower figures as integers, as the drop signal reads them."""
    if not frame.empty:
        frame["day"] = pd.to_datetime(frame["day"])
        for column in _NAMES[2:]:
            frame[column] = frame[column].astype("int64")
    return frame


def _previous_day(conn: Connection, branch_ids, start: date) -> date:
    """Where the branch rows are rebuilt from: `start`, or the branches' last day before it, whose `next_day`
    changes when days are added after it (a sync appending yesterday; a file of later days). Read from the
    stored rows' index (each branch's last row before `start`), as a whole-history read found it."""
    table = FollowerBranchDaily.__table__
    last = (select(table.c.branch_id, func.max(table.c.day).label("day"))
            .where(window_clause(table.c.branch_id, table.c.day, branch_ids, None, None), table.c.day < start)
            .group_by(table.c.branch_id).subquery())
    earliest = conn.execute(select(func.min(last.c.day))).scalar()
    return start if earliest is None else min(start, as_date(earliest))


def _stored_before(conn: Connection, branch_ids, start: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The branches' stored rows before `start`: the last SIGNAL_ROWS of each (their daily figures, for the
    drop signal) and the last one's running totals and flagged run (carried on)."""
    table = FollowerBranchDaily.__table__
    columns = [*_NAMES, *_CARRIED, "position"]

    def last_rows(*where) -> pd.DataFrame:  # each branch's last SIGNAL_ROWS stored rows before `start` among `where`
        ranked = (select(table, func.row_number().over(partition_by=table.c.branch_id, order_by=table.c.day.desc())
                         .label("position")).where(table.c.day < start, *where)).subquery()
        return read_frame(conn, select(*[ranked.c[c] for c in columns]).where(ranked.c.position <= SIGNAL_ROWS))

    stored = last_rows(window_clause(table.c.branch_id, table.c.day, branch_ids, None, None),
                       table.c.day >= start - timedelta(days=SIGNAL_ROWS * 3))
    short = set(stored.groupby("branch_id").size().loc[lambda n: n < SIGNAL_ROWS].index) if not stored.empty else set()
    if short:  # a branch with gaps in its days: its rows before the window too (the signal counts rows, not days)
        stored = pd.concat([stored[~stored["branch_id"].isin(short)],
                            last_rows(table.c.branch_id.in_(sorted(int(b) for b in short)))], ignore_index=True)
    if stored.empty:
        return pd.DataFrame(columns=_NAMES), pd.DataFrame(columns=["branch_id", *_CARRIED])
    stored = _daily(stored)
    carry = stored[stored["position"] == 1][["branch_id", *_CARRIED]]
    return stored[_NAMES], carry


def _follower_branch_days(frame, drop_days, start: date | None, carry: pd.DataFrame | None = None):
    """The FollowerBranchDaily rows of `frame` (per branch and day) from `start` on. Without `carry`, `frame`
    is every day of each branch's history; with it (the stored row before `start` per branch: running totals
    and flagged run), `frame` holds the days the drop signal reads before `start`, and the totals and a run
    going on at `start` carry on from that row."""

    frame = frame.sort_values(["branch_id", "day"], kind="stable").reset_index(drop=True)
    signal = drop_days(frame)  # same order: sorted by branch and day
    if carry is not None:
        kept = (frame["day"] >= pd.Timestamp(start)).to_numpy()
        frame, signal = frame[kept].reset_index(drop=True), signal[kept].reset_index(drop=True)
        flagged, branch = signal["flagged"], signal["branch_id"]
        signal["run"] = (flagged.ne(flagged.shift()) | branch.ne(branch.shift())).cumsum()
    per_branch = frame.groupby("branch_id", sort=False)
    run = signal.loc[signal["flagged"], "run"]
    flagged_rows = signal[signal["flagged"]]
    per_run = flagged_rows.groupby(run, sort=False)
    out = pd.DataFrame({
        "branch_id": frame["branch_id"], "day": frame["day"],
        "next_day": per_branch["day"].shift(-1),
        "new_follows": frame["new_follows"], "unfollows": frame["unfollows"], "net_follows": frame["net_follows"],
        "cumulative": frame["cumulative"],
        "days_to_date": per_branch.cumcount() + 1,
        "new_to_date": per_branch["new_follows"].cumsum(), "unfollows_to_date": per_branch["unfollows"].cumsum(),
        "net_to_date": per_branch["net_follows"].cumsum(),
        "rolling_net": signal["rolling"].round().astype("Int64"),
        "baseline_net": signal["baseline"].astype(float),
        "flagged": signal["flagged"].astype(bool), "negative": signal["negative"].astype(bool),
    })
    out["run_start"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out.loc[flagged_rows.index, "run_start"] = per_run["day"].transform("first")
    out["run_days"] = 0
    out.loc[flagged_rows.index, "run_days"] = per_run.cumcount() + 1
    out["run_net"] = 0
    out.loc[flagged_rows.index, "run_net"] = per_run["net"].cumsum().astype("int64")
    out["run_worst_net"] = pd.Series(pd.NA, index=out.index, dtype="Int64")
    out.loc[flagged_rows.index, "run_worst_net"] = per_run["rolling"].cummin().round().astype("int64")
    out["run_any_negative"] = False
    out.loc[flagged_rows.index, "run_any_negative"] = per_run["negative"].cummax().astype(bool)
    out["run_any_negative"] = out["run_any_negative"].astype(bool)
    out["baseline_net"] = np.where(out["baseline_net"].isna(), np.nan, out["baseline_net"])
    if carry is not None:
        return _carried_on(out, signal["run"], carry).reset_index(drop=True)
    if start is not None:
        out = out[out["day"] >= pd.Timestamp(start)]
    return out.reset_index(drop=True)


def _carried_on(out: pd.DataFrame, run: pd.Series, carry: pd.DataFrame) -> pd.DataFrame:
    """`out` (rows from the first rebuilt day, totals and runs counted from it) carried on from each branch's
    stored row before it: its totals added, and a flagged run it ends continued by the rows of the same run."""
    before = out[["branch_id"]].merge(carry, on="branch_id", how="left")
    before.index = out.index
    for column in ("days_to_date", "new_to_date", "unfollows_to_date", "net_to_date", "run_days", "run_net"):
        before[column] = pd.to_numeric(before[column]).fillna(0).astype("int64")
    was_flagged = before["flagged"].fillna(False).astype(bool)
    for column in ("days_to_date", "new_to_date", "unfollows_to_date", "net_to_date"):
        out[column] = out[column] + before[column]
    # The rows of each branch's first run, when that run is flagged and the stored row before it was too.
    first_run = run.eq(run.groupby(out["branch_id"], sort=False).transform("first"))
    going_on = (first_run & out["flagged"] & was_flagged).to_numpy()
    if going_on.any():
        on = before[going_on]
        out.loc[going_on, "run_start"] = pd.to_datetime(on["run_start"]).to_numpy()
        out.loc[going_on, "run_days"] = out.loc[going_on, "run_days"] + on["run_days"]
        out.loc[going_on, "run_net"] = out.loc[going_on, "run_net"] + on["run_net"]
        worst = pd.to_numeric(on["run_worst_net"]).astype("Int64")
        out.loc[going_on, "run_worst_net"] = np.fmin(out.loc[going_on, "run_worst_net"].astype("float64"),
                                                     worst.astype("float64")).round().astype("Int64")
        out.loc[going_on, "run_any_negative"] = out.loc[going_on, "run_any_negative"] | \
            on["run_any_negative"].fillna(False).astype(bool)
    return out
