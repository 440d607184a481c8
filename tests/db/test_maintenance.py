"""After a seed (a whole rebuild), PostgreSQL's visibility maps are set, as a production server's autovacuum
would set them: the pages' index-only scans then read the index alone, not the heap row by row."""

from __future__ import annotations

from sqlalchemy import text

from models.rollup_tables import ROLLUP_TABLES
from models.store.maintenance import vacuum_for_reads

_PAGES_AND_VISIBLE = text("SELECT relname, relpages, relallvisible FROM pg_class "
                          "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'")


def _visibility(engine) -> dict[str, tuple[int, int]]:
    with engine.connect() as conn:
        return {name: (pages, visible) for name, pages, visible in conn.execute(_PAGES_AND_VISIBLE)}


def test_a_seed_leaves_every_rollup_and_raw_table_all_visible(demo_engine):
    if demo_engine.dialect.name != "postgresql":
        assert vacuum_for_reads(demo_engine) == []  # SQLite: no visibility map, nothing to do
        return
    visibility = _visibility(demo_engine)
    written = {name: seen for name, seen in visibility.items() if seen[0] > 0}
    for name in [rollup.__table__.name for rollup in ROLLUP_TABLES] + ["nodemetric", "followerdaily", "groupdaily"]:
        pages, visible = written[name]
        assert visible == pages, f"{name}: {visible} of {pages} pages all-visible"


def test_vacuum_names_only_the_tables_it_is_given_and_skips_unknown_ones(empty_engine):
    names = vacuum_for_reads(empty_engine, ["branchweekcard", "no_such_table"])
    assert names == ([] if empty_engine.dialect.name == "sqlite" else ["branchweekcard"])
