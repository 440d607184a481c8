"""A whole rebuild (the seed's, `manage.py rollups`) drops the rollups' secondary indexes and skips the per-row
foreign-key checks for speed (issue 20): it must write the same rows as a rebuild that keeps both, and leave
the indexes and checks as it found them."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import inspect, select, text

from models.org import Branch
from models.refresh import refresh_rollups
from models.rollup_tables import ROLLUP_TABLES
from sample_data.generate import seed_database
from tests.conftest import DEMO_END, DEMO_SEED


def _rollup_rows(engine) -> dict[str, pd.DataFrame]:
    """Every rollup table's rows without their surrogate id (a rebuild numbers them anew), in one order."""
    frames = {}
    with engine.connect() as conn:
        for rollup in ROLLUP_TABLES:
            table = rollup.__table__
            columns = [c for c in table.columns if c.name != "id"]
            rows = conn.execute(select(*columns).order_by(*columns)).fetchall()
            frames[table.name] = pd.DataFrame(rows, columns=[c.name for c in columns])
    return frames


def test_a_whole_rebuild_writes_what_a_rebuild_branch_by_branch_writes_and_restores_indexes_and_checks(empty_engine):
    seed_database(empty_engine, "demo", DEMO_SEED, DEMO_END)  # the seed's rollups: a whole rebuild
    whole = _rollup_rows(empty_engine)

    names = inspect(empty_engine)
    for rollup in ROLLUP_TABLES:
        table = rollup.__table__
        present = {index["name"] for index in names.get_indexes(table.name)}
        assert {index.name for index in table.indexes} <= present, table.name

    with empty_engine.connect() as conn:
        if empty_engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        else:
            assert conn.execute(text("SHOW session_replication_role")).scalar() == "origin"
            # The load analyzed the raw tables (the rollup step's ANALYZE covers only the rollups): the rollups
            # and the graph metrics that follow are planned with statistics even where autovacuum is off.
            for raw in ("productevent", "customer", "referralevent"):
                assert conn.execute(text("SELECT count(*) FROM pg_stats WHERE tablename = :t"), {"t": raw}).scalar()
        branches = list(conn.execute(select(Branch.id)).scalars())

    # Naming every branch is not a whole rebuild: indexes kept, rows deleted and written branch by branch.
    refresh_rollups(empty_engine, branches, DEMO_END.replace(year=DEMO_END.year - 3), DEMO_END)
    by_branch = _rollup_rows(empty_engine)
    assert {name: len(frame) for name, frame in by_branch.items()} == {n: len(f) for n, f in whole.items()}
    for name, frame in whole.items():
        pd.testing.assert_frame_equal(by_branch[name], frame, check_dtype=False, obj=name)
