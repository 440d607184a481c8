"""After a seed (a whole rebuild), PostgreSQL's visibility maps are set, as a production server's autovacuum
would set them: the pages' index-only scans then read the index alone, not the heap row by row.

VACUUM marks a page all-visible only when no transaction of the same database could still miss its rows. The
test suite's schemas share one database with the other xdist worker, whose open transactions hold that horizon
back, so the seed under test runs in a database of its own."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from models.db import make_engine
from models.rollup_tables import ROLLUP_TABLES
from models.store.maintenance import vacuum_for_reads
from sample_data.generate import seed_database
from tests.conftest import DEMO_END, DEMO_SEED, POSTGRES_URL, require_backend

_PAGES_AND_VISIBLE = text("SELECT relname, relpages, relallvisible FROM pg_class "
                          "WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'")


def _visibility(engine) -> dict[str, tuple[int, int]]:
    with engine.connect() as conn:
        return {name: (pages, visible) for name, pages, visible in conn.execute(_PAGES_AND_VISIBLE)}


@pytest.fixture
def private_postgres() -> Iterator[Engine]:
    """An empty PostgreSQL database that no other process connects to."""
    require_backend("postgresql")
    name = f"t_vacuum_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_seed_leaves_every_rollup_and_raw_table_all_visible(private_postgres):
    seed_database(private_postgres, "demo", DEMO_SEED, DEMO_END)
    visibility = _visibility(private_postgres)
    written = {name: seen for name, seen in visibility.items() if seen[0] > 0}
    for name in [rollup.__table__.name for rollup in ROLLUP_TABLES] + ["nodemetric", "followerdaily", "groupdaily"]:
        pages, visible = written[name]
        assert visible == pages, f"{name}: {visible} of {pages} pages all-visible"


def test_vacuum_names_only_the_tables_it_is_given_and_skips_unknown_ones(empty_engine):
    names = vacuum_for_reads(empty_engine, ["branchweekcard", "no_such_table"])
    assert names == ([] if empty_engine.dialect.name == "sqlite" else ["branchweekcard"])
