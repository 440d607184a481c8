"""Schema migrations on SQLite and PostgreSQL: a database made before migrations reaches head with
every row, the models and head never drift apart, and the newest revision goes down and up again."""

from __future__ import annotations

import hashlib
import shutil
import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, inspect, select, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from models import migrations
from models.db import make_engine
from models.migrations import (
    AT_HEAD,
    BASELINE,
    BEHIND,
    EMPTY,
    MIGRATE_COMMAND,
    UNKNOWN,
    UNVERSIONED,
    VERSION_TABLE,
    SchemaMismatch,
    SchemaNotAtHead,
    alembic_config,
    baseline_columns,
    create_all,
    downgrade,
    migrate,
    require_head,
    schema_status,
    upgrade,
)
from tests.conftest import _new_engine

LEGACY_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_create_all.db"


def open_fixture() -> Engine:
    """The committed fixture, read-only (make_engine would switch it to WAL and so change the file)."""
    return create_engine(f"sqlite:///file:{LEGACY_FIXTURE}?mode=ro&uri=true")


@pytest.fixture
def new_database(backend: str, tmp_path):
    """A factory of empty databases on the test's backend (a SQLite file, or a PostgreSQL schema)."""
    cleanups = []

    def make() -> Engine:
        engine, cleanup = _new_engine(backend, tmp_path)
        cleanups.append(cleanup)
        return engine

    yield make
    for cleanup in reversed(cleanups):
        cleanup()


# --- rows and their checksums ------------------------------------------------------------------

def _canonical(value) -> str:
    """One spelling per value on both backends (PostgreSQL returns aware datetimes, SQLite naive UTC)."""
    if value is None:
        return "∅"
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float | Decimal):
        return format(float(value), ".12g")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_checksums(conn: Connection, columns_by_table: dict[str, tuple[str, ...]]) -> dict[str, tuple[int, str]]:
    """(row count, sha256 of the sorted rows) per table, over the given columns."""
    reflected = MetaData()
    reflected.reflect(conn, only=sorted(columns_by_table))
    out = {}
    for name, columns in sorted(columns_by_table.items()):
        table = reflected.tables[name]
        rows = sorted("|".join(_canonical(v) for v in row)
                      for row in conn.execute(select(*[table.c[c] for c in columns])))
        out[name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def fixture_checksums() -> dict[str, tuple[int, str]]:
    engine = open_fixture()
    try:
        with engine.connect() as conn:
            return table_checksums(conn, baseline_columns())
    finally:
        engine.dispose()


def checksums(engine: Engine) -> dict[str, tuple[int, str]]:
    with engine.connect() as conn:
        return table_checksums(conn, baseline_columns())


# --- a database made by today's code, on each backend -------------------------------------------

def _copy_fixture_rows(target: Engine) -> None:
    """Fill a PostgreSQL schema at the baseline with the SQLite fixture's rows (parents first)."""
    source = open_fixture()
    with source.connect() as src, target.begin() as dst:
        dst.execute(text("SET LOCAL TIME ZONE 'UTC'"))
        src_tables, dst_tables = MetaData(), MetaData()
        src_tables.reflect(src)
        dst_tables.reflect(dst)
        for table in dst_tables.sorted_tables:
            if table.name == VERSION_TABLE:
                continue
            source_table = src_tables.tables[table.name]
            rows = [dict(r._mapping) for r in src.execute(select(source_table).order_by(*source_table.primary_key))]
            dst.execute(table.insert(), rows)
            if "id" in table.c and table.c.id.autoincrement and list(table.primary_key.columns) == [table.c.id]:
                dst.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), (SELECT MAX(id) FROM "
                                 f'"{table.name}"))'), {"t": f'"{table.name}"'})
    source.dispose()


def legacy_database(backend: str, new_database, tmp_path, versioned: bool) -> Engine:
    """Today's database with rows in every table: a copy of the SQLite fixture (made by create_all),
    or a PostgreSQL schema built by the baseline revision and filled with the same rows.
    `versioned` stamps it at the baseline (an older revision); otherwise it has no alembic_version."""
    if backend == "sqlite":
        copy = tmp_path / f"legacy-{'v' if versioned else 'u'}.db"
        shutil.copyfile(LEGACY_FIXTURE, copy)
        engine = make_engine(f"sqlite:///{copy}")
        if versioned:
            migrate(engine, BASELINE)
        return engine
    engine = new_database()
    upgrade(engine, BASELINE)
    _copy_fixture_rows(engine)
    if not versioned:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {VERSION_TABLE}"))
    return engine


def model_diff(engine: Engine) -> list:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return compare_metadata(context, SQLModel.metadata)


def test_the_history_is_one_line_from_the_baseline():
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions())
    assert len(script.get_heads()) == 1, "two heads: merge them (alembic merge) or rebase the newer revision"
    assert revisions[-1].revision == BASELINE and revisions[-1].down_revision is None
    for revision in revisions:
        assert Path(revision.path).stem == revision.revision, "name each revision file after its id"


def test_the_fixture_is_what_create_all_made_before_migrations():
    engine = open_fixture()
    try:
        assert schema_status(engine).state == UNVERSIONED
        counts = fixture_checksums()
        assert set(counts) == set(baseline_columns())
        assert all(rows > 0 for rows, _ in counts.values()), "every table of the fixture holds rows"
    finally:
        engine.dispose()


@pytest.mark.parametrize("versioned", [False, True], ids=["made-before-migrations", "at-baseline"])
def test_a_database_of_today_reaches_head_with_every_row(backend, new_database, tmp_path, versioned):
    engine = legacy_database(backend, new_database, tmp_path, versioned)
    at_baseline = AT_HEAD if migrations.head_revisions() == (BASELINE,) else BEHIND
    assert schema_status(engine).state == (at_baseline if versioned else UNVERSIONED)
    before, after = migrate(engine)
    assert after.state == AT_HEAD
    assert checksums(engine) == fixture_checksums()
    assert model_diff(engine) == []
    engine.dispose()


def test_an_empty_database_created_at_head_equals_one_upgraded_from_nothing(new_database):
    created, replayed = new_database(), new_database()
    assert create_all(created) is True
    upgrade(replayed, "heads")
    assert schema_status(created).state == schema_status(replayed).state == AT_HEAD
    with created.connect() as a, replayed.connect() as b:
        assert _schema(a) == _schema(b)


def _schema(conn: Connection) -> dict:
    """Everything reflection sees of a schema: columns, keys, constraints, indexes."""
    inspector = inspect(conn)
    shape = {}
    for name in sorted(inspector.get_table_names()):
        if name == VERSION_TABLE:
            continue
        shape[name] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in inspector.get_columns(name)],
            "primary_key": inspector.get_pk_constraint(name)["constrained_columns"],
            "foreign_keys": sorted((fk["name"] or "", tuple(fk["constrained_columns"]), fk["referred_table"],
                                    tuple(fk["referred_columns"])) for fk in inspector.get_foreign_keys(name)),
            "unique": sorted((uc["name"] or "", tuple(uc["column_names"])) for uc in inspector.get_unique_constraints(name)),
            "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                              for ix in inspector.get_indexes(name)),
        }
    return shape


def test_autogenerate_finds_no_difference_between_the_models_and_head(new_database):
    """A model changed without its revision fails here: write the revision (README, Migrations)."""
    engine = new_database()
    upgrade(engine, "heads")
    assert model_diff(engine) == []


def test_every_revision_goes_up_down_and_up_again(new_database):
    engine = new_database()
    script = ScriptDirectory.from_config(alembic_config())
    for revision in reversed(list(script.walk_revisions())):
        upgrade(engine, revision.revision)
        downgrade(engine, "-1")
        assert schema_status(engine).current == ((revision.down_revision,) if revision.down_revision else ())
        upgrade(engine, revision.revision)
        assert schema_status(engine).current == (revision.revision,)
    assert model_diff(engine) == []


def test_the_newest_revision_downgrades_with_data_and_upgrades_again(backend, new_database, tmp_path):
    engine = legacy_database(backend, new_database, tmp_path, versioned=False)
    migrate(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    downgrade(engine, "-1")
    status = schema_status(engine)
    assert status.current == ((previous,) if previous else ())
    if previous:
        assert status.state == BEHIND
        with pytest.raises(SchemaNotAtHead, match=MIGRATE_COMMAND):
            require_head(engine)
    with engine.connect() as conn:
        survivors = set(inspect(conn).get_table_names()) & set(baseline_columns())
    upgrade(engine, "heads")
    assert schema_status(engine).state == AT_HEAD
    assert model_diff(engine) == []
    now, original = (checksums(engine) if survivors else {}), fixture_checksums()
    assert {t: now[t] for t in survivors} == {t: original[t] for t in survivors}


EXTRA_REVISION = '''
"""Test-only revision: rebuilds `branch` (referenced by most tables) with a new column."""
import sqlalchemy as sa
from alembic import op

revision = "9999_test_extra"
down_revision = {head!r}


def upgrade():
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("branch", recreate=recreate) as batch:
        batch.add_column(sa.Column("test_note", sa.String(40), nullable=True))


def downgrade():
    with op.batch_alter_table("branch") as batch:
        batch.drop_column("test_note")
'''


def test_a_database_behind_head_is_refused_then_upgraded_with_every_row(backend, new_database, tmp_path):
    """Against a newer revision (written here, on top of the real head) today's head is behind."""
    engine = legacy_database(backend, new_database, tmp_path, versioned=False)
    migrate(engine)
    extra = tmp_path / "extra_versions"
    extra.mkdir()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    (extra / "9999_test_extra.py").write_text(textwrap.dedent(EXTRA_REVISION.format(head=head)))
    config = alembic_config([extra])
    status = schema_status(engine, config)
    assert status.state == BEHIND and status.current == (head,)
    with pytest.raises(SchemaNotAtHead, match="python manage.py migrate"):
        require_head(engine, config)
    before, after = migrate(engine, config=config)
    assert after.current == ("9999_test_extra",) and after.state == AT_HEAD
    with engine.connect() as conn:
        assert "test_note" in {c["name"] for c in inspect(conn).get_columns("branch")}
    assert checksums(engine) == fixture_checksums()
    downgrade(engine, "-1", config)
    assert schema_status(engine).state == AT_HEAD
    with engine.connect() as conn:
        assert "test_note" not in {c["name"] for c in inspect(conn).get_columns("branch")}
    assert checksums(engine) == fixture_checksums()


def test_a_database_without_version_that_is_not_the_baseline_is_refused(tmp_path):
    copy = tmp_path / "odd.db"
    shutil.copyfile(LEGACY_FIXTURE, copy)
    engine = make_engine(f"sqlite:///{copy}")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE auditlog"))
        conn.execute(text("ALTER TABLE region ADD COLUMN local_note VARCHAR(10)"))
        conn.execute(text("ALTER TABLE campaign RENAME COLUMN description TO old_description"))
        conn.execute(text("ALTER TABLE campaign ADD COLUMN description INTEGER"))
    with pytest.raises(SchemaMismatch) as refused:
        migrate(engine)
    assert "missing table auditlog" in str(refused.value)
    assert "extra columns ['local_note']" in str(refused.value)
    assert "campaign.description: ('Integer', True)" in str(refused.value), "a column of another kind"
    assert schema_status(engine).state == UNVERSIONED
    engine.dispose()


def test_a_database_at_a_revision_this_code_does_not_know_is_refused(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999_from_newer_code'"))
    status = schema_status(empty_engine)
    assert status.state == UNKNOWN
    with pytest.raises(SchemaNotAtHead, match="9999_from_newer_code"):
        require_head(empty_engine)
    with pytest.raises(SchemaNotAtHead):
        migrate(empty_engine)


def test_fixture_databases_are_stamped_at_head(empty_engine):
    assert schema_status(empty_engine).state == AT_HEAD
    assert create_all(empty_engine) is False


def test_states_from_empty_to_head(new_database):
    engine = new_database()
    assert schema_status(engine).state == EMPTY
    with pytest.raises(SchemaNotAtHead):
        require_head(engine)
    before, after = migrate(engine)
    assert (before.state, after.state) == (EMPTY, AT_HEAD)
    assert migrate(engine)[0].state == AT_HEAD


FAILING_REVISION = '''
"""Test-only revision that fails halfway: after its first change."""
import sqlalchemy as sa
from alembic import op

revision = "9998_test_fails"
down_revision = {head!r}


def upgrade():
    with op.batch_alter_table("region") as batch:
        batch.add_column(sa.Column("half_done", sa.String(10), nullable=True))
    op.execute("UPDATE region SET half_done = 'x'")
    raise RuntimeError("the second step of this revision fails")


def downgrade():
    pass
'''


def test_a_failing_migration_leaves_the_database_as_it_was(backend, new_database, tmp_path):
    """One transaction per run, SQLite included: no half-applied revision, no stamp without its tables."""
    engine = legacy_database(backend, new_database, tmp_path, versioned=False)
    extra = tmp_path / "failing_versions"
    extra.mkdir()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    (extra / "9998_test_fails.py").write_text(textwrap.dedent(FAILING_REVISION.format(head=head)))
    with pytest.raises(RuntimeError, match="second step"):
        migrate(engine, config=alembic_config([extra]))
    assert schema_status(engine).state == UNVERSIONED, "the baseline stamp rolled back with the rest"
    migrate(engine)
    with pytest.raises(RuntimeError, match="second step"):  # now the revision's DDL comes first
        migrate(engine, config=alembic_config([extra]))
    assert schema_status(engine).state == AT_HEAD
    with engine.connect() as conn:
        assert "half_done" not in {c["name"] for c in inspect(conn).get_columns("region")}
    assert checksums(engine) == fixture_checksums()
