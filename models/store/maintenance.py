"""After a whole rebuild commits: let PostgreSQL serve the new rows the way a production server would.

A freshly loaded or rebuilt PostgreSQL table has no visibility map until VACUUM visits it. Production servers
run autovacuum, which sets it in time; this one (and any server with autovacuum off or not yet round) does not,
and then every index-only scan a page relies on (the covering indexes of the rollups) visits the heap for each
row it returns ("Heap Fetches" in EXPLAIN), and the planner, knowing so, prefers reading whole tables. The seed
and `manage.py rollups` therefore VACUUM what they wrote, once, after their transaction commits (VACUUM cannot
run inside one). Planner statistics are already fresh then (the load and the rollups ANALYZE what they write),
so this is a plain VACUUM: with ANALYZE it cost three times as long at medium for the same plans.

The daily sync does the same after a run that wrote rows: each day rewrites the preset referral windows
(~500,000 rows at 1,000 branches) and adds to the daily rollups, and without a VACUUM the old row versions stay
and the touched pages lose their all-visible mark until autovacuum comes round, if it ever does.

SQLite has no visibility map, and the rollups' ANALYZE already gives it statistics: nothing to do there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger("cockpit.maintenance")


def vacuum_for_reads(engine: Engine, tables: Iterable[str] | None = None,
                     progress: Callable[[str], None] | None = None) -> list[str]:
    """VACUUM `tables` (names; None: every table of the engine's schema) on PostgreSQL, each in its own
    autocommit statement; returns the names vacuumed (none on SQLite)."""
    if engine.dialect.name != "postgresql":
        return []
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        present = set(inspect(conn).get_table_names())
        names = sorted(present if tables is None else {name for name in tables if name in present})
        preparer = conn.dialect.identifier_preparer
        for name in names:
            conn.exec_driver_sql(f"VACUUM {preparer.quote(name)}")
    if progress:
        progress(f"  VACUUM: {len(names)} tables in {time.perf_counter() - started:.1f}s")
    return names


def vacuum_after_seed(engine: Engine, progress: Callable[[str], None] | None = None) -> list[str]:
    """The seed's last step: every table was just loaded or rebuilt, so every table."""
    return vacuum_for_reads(engine, None, progress)


def vacuum_after_sync(engine: Engine) -> float | None:
    """After a sync run that wrote rows: every table, since the day's rows reach the raw tables and most rollups
    (1.4 s at large when little is left to clean; a clean table costs a visibility-map scan). Seconds taken, or
    None when it could not run: a failed VACUUM is logged and does not fail the sync, whose rows are committed."""
    if engine.dialect.name != "postgresql":
        return None
    started = time.perf_counter()
    try:
        vacuum_for_reads(engine)
    except SQLAlchemyError as exc:
        log.warning("VACUUM after the sync failed: %s", (str(exc).splitlines() or [""])[0][:200])
        return None
    seconds = time.perf_counter() - started
    log.info("VACUUM after the sync: %.1fs", seconds)
    return seconds
