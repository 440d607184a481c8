"""A field-work write end to end: record one home visit (validation, the visit row, the campaign list
rollups of that branch from the visit's day on, the data version, the audit line) as head office, then roll it
back (SQLite: on a copy of the file), so the measured database is left as it was. Target: a write answers within FIELD_WORK_WRITE_TARGET_S.

    python -m bench.fieldwork_bench --db sqlite:///data/bench_demo.db [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

from sqlalchemy import and_, select
from sqlmodel import Session

from models.campaign import MigrantCampaign, NameListEntry, Visit
from models.db import make_engine
from models.fieldwork import record_visit
from models.scope import Scope

FIELD_WORK_WRITE_TARGET_S = 0.5


def _free_entry(session: Session) -> tuple[int, int, object, object] | None:
    """An entry of the latest season with round 3 not yet visited: (entry, round, visit day, today)."""
    season = session.execute(select(MigrantCampaign).order_by(MigrantCampaign.start_date.desc()).limit(1)).scalar()
    if season is None:
        return None
    taken = select(Visit.id).where(and_(Visit.entry_id == NameListEntry.id, Visit.visit_round == 3)).exists()
    entry_id = session.execute(select(NameListEntry.id).where(NameListEntry.campaign_id == season.id, ~taken)
                               .order_by(NameListEntry.id).limit(1)).scalar()
    if entry_id is None:
        return None
    middle = season.start_date + (season.end_date - season.start_date) / 2
    return int(entry_id), 3, middle, season.end_date


def time_visit_write(url: str, repeats: int = 3) -> dict:
    """Median seconds of `record_visit` and the visit's day. PostgreSQL: each run inside a transaction that
    is rolled back (the write's commit releases a savepoint); SQLite (whose driver does not nest them): on a
    copy of the file, deleted afterwards."""
    copy = None
    if url.startswith("sqlite:///"):
        handle, copy = tempfile.mkstemp(suffix=".db")
        os.close(handle)
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        url = f"sqlite:///{copy}"
    engine = make_engine(url)
    runs = []
    try:
        for _ in range(repeats):
            with engine.connect() as conn:
                outer = conn.begin()
                session = Session(bind=conn, join_transaction_mode="create_savepoint")
                found = _free_entry(session)
                if found is None:
                    return {}
                entry_id, visit_round, day, today = found
                started = time.perf_counter()
                record_visit(session, Scope.head_office(), "bench", entry_id, visit_round, day, "target_set",
                             today=today)
                runs.append(time.perf_counter() - started)
                session.close()
                outer.rollback()
    finally:
        engine.dispose()
        if copy:
            os.remove(copy)
    return {"visit_write_s": statistics.median(runs), "visit_write_cold_s": runs[0], "visit_day": str(day),
            "target_s": FIELD_WORK_WRITE_TARGET_S}


def line(label: str, result: dict) -> str:
    if not result:
        return f"  field-work write {label}: no season with a free visit round"
    verdict = "met" if result["visit_write_s"] < FIELD_WORK_WRITE_TARGET_S else "MISSED"
    return (f"  field-work write {label}: record a visit (one branch's list rollups from {result['visit_day']}) "
            f"{result['visit_write_s'] * 1000:.0f} ms median (first {result['visit_write_cold_s'] * 1000:.0f} ms); "
            f"target < {FIELD_WORK_WRITE_TARGET_S * 1000:.0f} ms: {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", required=True, help="database URL (repeatable)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    for url in args.db:
        print(line(url.split("@")[-1], time_visit_write(url, args.repeats)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
