"""The same staff leaderboard three ways: a plain GROUP BY over the raw referral events, the rollup
path the page uses, and DuckDB over the same raw rows (read out of the database into DuckDB).

A preset period reads its stored window; any other period subtracts running totals held as numpy columns
(`models.metrics.referrals.running_columns`), loaded once per data version: their load time and memory are
reported beside DuckDB's ingest time and memory, neither counted in the per-query figures."""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta

import duckdb
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.metrics import referrals as R
from models.metrics.referrals.running_columns import forget_running_columns, held_bytes, running_columns
from models.referrals import ReferralEvent
from models.rollup_tables.referrals import ALL_CAMPAIGNS
from models.scope import Scope
from models.store.frames import read_frame

DUCKDB_LEADERBOARD = """
SELECT staff_id,
       SUM(CASE WHEN stage = 'click' THEN 1 ELSE 0 END) AS clicks,
       SUM(CASE WHEN stage = 'register' THEN 1 ELSE 0 END) AS invites,
       SUM(CASE WHEN stage = 'participate' THEN 1 ELSE 0 END) AS participants,
       SUM(CASE WHEN stage = 'convert' AND reversed_on IS NULL THEN 1 ELSE 0 END) AS conversions,
       SUM(CASE WHEN stage = 'convert' AND reversed_on IS NULL THEN amount ELSE 0 END) AS conversion_amount
FROM events
WHERE day BETWEEN ? AND ? {branch_filter}
GROUP BY staff_id
"""


def _timed(function, repeats: int) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    result = function()
    cold = time.perf_counter() - t0
    runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        function()
        runs.append(time.perf_counter() - t0)
    return cold, statistics.median(runs), result


def compare(engine, scopes: dict[str, Scope], end: date, periods: tuple[int, ...] = (90, 61, 200),
            repeats: int = 3) -> list[dict]:
    """Per scope and period length ending on `end`: 90 days is a preset (its stored window answers), 61 and
    200 days are not (the running totals answer: held as columns, and for comparison subtracted in SQL)."""
    with Session(engine) as session:
        t0 = time.perf_counter()
        raw_rows = read_frame(session, select(ReferralEvent.staff_id, ReferralEvent.branch_id, ReferralEvent.day,
                                              ReferralEvent.stage, ReferralEvent.reversed_on, ReferralEvent.amount))
        load_s = time.perf_counter() - t0
    raw_rows["day"] = pd.to_datetime(raw_rows["day"]).dt.date
    con = duckdb.connect()
    t0 = time.perf_counter()
    con.register("events_frame", raw_rows)
    con.execute("CREATE TABLE events AS SELECT * FROM events_frame")
    ingest_s = time.perf_counter() - t0
    del raw_rows
    duck_bytes = int(con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0] or 0)
    forget_running_columns()
    with Session(engine) as session:
        t0 = time.perf_counter()
        running_columns(session, ALL_CAMPAIGNS)
        columns_load_s = time.perf_counter() - t0
    columns_bytes = held_bytes()
    out = []
    for days, (label, scope) in ((days, item) for days in periods for item in scopes.items()):
        start = end - timedelta(days=days - 1)
        with Session(engine) as session:
            raw_cold, raw_warm, raw = _timed(lambda scope=scope, start=start: R.staff_referral_totals_raw(session, scope, start, end), repeats)
            roll_cold, roll_warm, rolled = _timed(lambda scope=scope, start=start: R.staff_referral_totals(session, scope, start, end), repeats)
            sql_cold = sql_warm = None
            if days not in R.LEADERBOARD_WINDOWS:  # before the columns: the running totals subtracted in SQL
                sql_cold, sql_warm, _ = _timed(lambda scope=scope, start=start: read_frame(
                    session, R.running_totals_statement(scope, start, end, ALL_CAMPAIGNS)), repeats)
        if scope.branch_ids is None:
            sql, params = DUCKDB_LEADERBOARD.format(branch_filter=""), [start, end]
        else:
            ids = sorted(scope.branch_ids)
            sql = DUCKDB_LEADERBOARD.format(branch_filter=f"AND branch_id IN ({', '.join('?' for _ in ids)})")
            params = [start, end, *ids]
        duck_cold, duck_warm, duck = _timed(lambda sql=sql, params=params: con.execute(sql, params).df(), repeats)
        same = (len(raw) == len(rolled) == len(duck)
                and int(raw["conversions"].sum()) == int(rolled["conversions"].sum()) == int(duck["conversions"].sum()))
        out.append({
            "scope": label, "period_days": days, "staff_rows": len(rolled), "results_agree": bool(same),
            "raw_group_by_cold_s": raw_cold, "raw_group_by_warm_s": raw_warm,
            "rollup_cold_s": roll_cold, "rollup_warm_s": roll_warm,
            "running_sql_cold_s": sql_cold, "running_sql_warm_s": sql_warm,
            "duckdb_cold_s": duck_cold, "duckdb_warm_s": duck_warm,
            "duckdb_read_rows_from_db_s": load_s, "duckdb_ingest_s": ingest_s, "duckdb_memory_bytes": duck_bytes,
            "columns_load_s": columns_load_s, "columns_memory_bytes": columns_bytes,
            "rollup_vs_raw_x": raw_warm / roll_warm if roll_warm else None,
            "rollup_vs_duckdb_x": duck_warm / roll_warm if roll_warm else None,
        })
    con.close()
    return out
