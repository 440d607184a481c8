"""Schema versions with Alembic: which revision a database is at, and how it reaches head.

A database is in one of five states: empty (no table of ours), unversioned (made by `create_all`
before migrations existed: recognised as the baseline, then upgraded), behind, at head, or unknown
(a revision this code does not know: newer code migrated it). The app serves only a database at
head; `python manage.py migrate` brings any other state there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table on SQLModel.metadata)
from models.db import PROJECT_ROOT, DatabaseUnavailable

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"
BASELINE = "0001_baseline"
VERSION_TABLE = "alembic_version"
MIGRATE_COMMAND = "python manage.py migrate"
_PG_LOCK_CLASS = 7_150_015  # with the schema's hash: two operators migrating one schema wait for each other

EMPTY, UNVERSIONED, BEHIND, AT_HEAD, UNKNOWN = "empty", "unversioned", "behind", "at_head", "unknown"


class SchemaNotAtHead(DatabaseUnavailable):
    """The database's schema is not the one this code reads; the message names the command to run."""


class SchemaMismatch(DatabaseUnavailable):
    """An unversioned database whose tables are not the baseline's: stamping it would hide the gap."""


@dataclass(frozen=True)
class SchemaStatus:
    state: str
    current: tuple[str, ...]
    heads: tuple[str, ...]

    @property
    def at_head(self) -> bool:
        return self.state == AT_HEAD

    def describe(self) -> str:
        current = ", ".join(self.current) or "-"
        return f"{self.state} (current {current}; head {', '.join(self.heads)})"


def alembic_config(extra_version_locations: Sequence[Path | str] = ()) -> Config:
    """Alembic's settings without alembic.ini, so that running a migration never reconfigures logging."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if extra_version_locations:
        locations = [str(MIGRATIONS_DIR / "versions"), *map(str, extra_version_locations)]
        config.set_main_option("version_locations", os.pathsep.join(locations))
    config.attributes["configure_logger"] = False
    return config


@lru_cache(maxsize=1)
def _default_script() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _script(config: Config | None) -> ScriptDirectory:
    return _default_script() if config is None else ScriptDirectory.from_config(config)


def head_revisions(config: Config | None = None) -> tuple[str, ...]:
    return tuple(sorted(_script(config).get_heads()))


def _our_tables(names: set[str]) -> set[str]:
    return names & set(SQLModel.metadata.tables)


def schema_status(engine: Engine, config: Config | None = None) -> SchemaStatus:
    """Where the database stands against the revisions this code ships."""
    script = _script(config)
    heads = tuple(sorted(script.get_heads()))
    with engine.connect() as conn:
        current = tuple(sorted(MigrationContext.configure(conn).get_current_heads()))
        tables = set(inspect(conn).get_table_names())
    if not current:
        return SchemaStatus(UNVERSIONED if _our_tables(tables) else EMPTY, current, heads)
    known = {rev.revision for rev in script.walk_revisions()}
    if not set(current) <= known:
        return SchemaStatus(UNKNOWN, current, heads)
    return SchemaStatus(AT_HEAD if current == heads else BEHIND, current, heads)


def not_at_head_message(status: SchemaStatus) -> str:
    """Chinese first, then English; names the one command that fixes it."""
    current, head = ", ".join(status.current) or "-", ", ".join(status.heads)
    if status.state == UNKNOWN:
        return (f"数据库结构版本 {current} 比本程序新（本程序最新为 {head}）。请部署新版程序，"
                f"或用新版程序执行降级。 / The database schema is at revision {current}, which this code does "
                f"not know (its head is {head}): deploy the newer code, or downgrade with it.")
    if status.state == UNVERSIONED:
        return (f"数据库是在启用结构迁移之前创建的，尚无版本记录。请先运行 `{MIGRATE_COMMAND}`。 / The database "
                f"was created before schema migrations and has no version yet. Run `{MIGRATE_COMMAND}` first.")
    return (f"数据库结构需要升级（当前版本 {current}，最新版本 {head}）。请先运行 `{MIGRATE_COMMAND}`。 / "
            f"The database schema is behind this code (at {current}, head is {head}). "
            f"Run `{MIGRATE_COMMAND}` first.")


def require_head(engine: Engine, config: Config | None = None) -> SchemaStatus:
    """Refuse a database behind (or ahead of) the code before a page fails on a missing column."""
    status = schema_status(engine, config)
    if not status.at_head:
        raise SchemaNotAtHead(not_at_head_message(status))
    return status


def _migration_engine(engine: Engine) -> Engine | None:
    """SQLite migrates on its own connection: foreign keys off (batch mode copies and drops tables),
    and a real BEGIN so that DDL rolls back with the rest (pysqlite would commit it at once)."""
    if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return None
    sqlite = create_engine(engine.url, connect_args={"check_same_thread": False, "timeout": 30}, poolclass=StaticPool)

    @event.listens_for(sqlite, "connect")
    def _connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(sqlite, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return sqlite


@contextmanager
def migration_connection(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole migration run: it commits whole or not at all."""
    sqlite = _migration_engine(engine)
    try:
        with (sqlite or engine).begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:lock_class, hashtext(current_schema()))"),
                             {"lock_class": _PG_LOCK_CLASS})
            yield conn
            if conn.dialect.name == "sqlite":
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise DatabaseUnavailable(
                        f"迁移后外键不一致，已回滚 / foreign keys broken after the migration, rolled back: {broken[:5]}"
                    )
    finally:
        if sqlite is not None:
            sqlite.dispose()


def _run(conn: Connection, config: Config, action: Callable[[Config], None]) -> None:
    config.attributes["connection"] = conn
    try:
        action(config)
    finally:
        config.attributes.pop("connection", None)


def create_schema_at_head(engine: Engine, config: Config | None = None) -> bool:
    """An empty database gets today's tables and the head stamp in one step (Alembic's cookbook way,
    much faster than replaying every revision; a test proves both give the same schema).
    Returns False, touching nothing, when the database already has tables of ours."""
    if schema_status(engine, config).state != EMPTY:  # the usual case: read, take no write lock
        return False
    script = _script(config)
    with migration_connection(engine) as conn:
        if MigrationContext.configure(conn).get_current_heads() or _our_tables(set(inspect(conn).get_table_names())):
            return False  # another process created it meanwhile
        SQLModel.metadata.create_all(conn)
        MigrationContext.configure(conn).stamp(script, "heads")
    return True


def _column_shapes(conn: Connection, table: str) -> dict[str, tuple[str, bool]]:
    """Each column's kind (Integer, String, Date, ...; the same word on SQLite and PostgreSQL) and nullability."""
    return {c["name"]: (c["type"]._type_affinity.__name__, bool(c["nullable"]))
            for c in inspect(conn).get_columns(table)}


@lru_cache(maxsize=1)
def baseline_shapes() -> dict[str, dict[str, tuple[str, bool]]]:
    """Every table of the baseline revision with its columns' shapes, read from the revision itself
    (replayed on an in-memory SQLite), so the check never drifts from the migration it guards."""
    config = alembic_config()
    memory = create_engine("sqlite://", poolclass=StaticPool)
    try:
        with memory.begin() as conn:
            _run(conn, config, lambda cfg: command.upgrade(cfg, BASELINE))
            return {name: _column_shapes(conn, name)
                    for name in inspect(conn).get_table_names() if name != VERSION_TABLE}
    finally:
        memory.dispose()


def baseline_columns() -> dict[str, tuple[str, ...]]:
    """Every table of the baseline revision and its column names, sorted."""
    return {table: tuple(sorted(columns)) for table, columns in baseline_shapes().items()}


def baseline_differences(conn: Connection) -> list[str]:
    """What keeps an unversioned database from being the baseline (empty when it is): a missing
    table, a missing or extra column, a column of another kind or nullability."""
    present = set(inspect(conn).get_table_names())
    problems: list[str] = []
    for table, expected in baseline_shapes().items():
        if table not in present:
            problems.append(f"缺少表 / missing table {table}")
            continue
        found = _column_shapes(conn, table)
        missing, extra = sorted(set(expected) - set(found)), sorted(set(found) - set(expected))
        if missing or extra:
            problems.append(f"{table}: 缺少列 / missing columns {missing}, 多余列 / extra columns {extra}")
        problems += [f"{table}.{name}: {found[name]} ≠ {shape} (类型或可空 / kind or nullability)"
                     for name, shape in expected.items() if name in found and found[name] != shape]
    return problems


def stamp_unversioned_as_baseline(conn: Connection, config: Config) -> None:
    """A database made by `create_all` before migrations is the baseline, once its tables say so."""
    problems = baseline_differences(conn)
    if problems:
        raise SchemaMismatch(
            "数据库没有版本记录，且表结构与基线版本不一致，无法自动升级 / the database has no version and its tables "
            f"differ from the baseline {BASELINE}, so it cannot be migrated automatically:\n- " + "\n- ".join(problems)
        )
    MigrationContext.configure(conn).stamp(_script(config), BASELINE)


def migrate(engine: Engine, revision: str = "heads", config: Config | None = None) -> tuple[SchemaStatus, SchemaStatus]:
    """Bring any database to `revision` (default: head) in one transaction; returns (before, after).
    Empty: create at head and stamp. Unversioned: check it is the baseline, stamp it, upgrade."""
    config = config or alembic_config()
    before = schema_status(engine, config)
    if before.state == UNKNOWN:
        raise SchemaNotAtHead(not_at_head_message(before))
    if before.state == EMPTY and revision in ("head", "heads"):
        create_schema_at_head(engine, config)
    else:
        upgrade(engine, revision, config, stamp_unversioned=before.state == UNVERSIONED)
    return before, schema_status(engine, config)


def upgrade(engine: Engine, revision: str = "heads", config: Config | None = None, *,
            stamp_unversioned: bool = False) -> None:
    """Replay the revisions up to `revision`, in one transaction (`migrate` decides when to call it)."""
    config = config or alembic_config()
    with migration_connection(engine) as conn:
        if stamp_unversioned and not MigrationContext.configure(conn).get_current_heads():
            stamp_unversioned_as_baseline(conn, config)
        _run(conn, config, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str, config: Config | None = None) -> tuple[SchemaStatus, SchemaStatus]:
    """Step back to `revision` ("-1" for one step); for an operator undoing a release."""
    config = config or alembic_config()
    before = schema_status(engine, config)
    if before.state == UNVERSIONED:
        raise SchemaNotAtHead(not_at_head_message(before))
    with migration_connection(engine) as conn:
        _run(conn, config, lambda cfg: command.downgrade(cfg, revision))
    return before, schema_status(engine, config)


def ready_at_head(engine: Engine, config: Config | None = None) -> SchemaStatus:
    """What every reader calls before its first query: an empty database is created at head; any
    other must already be there, or SchemaNotAtHead says which command to run."""
    create_schema_at_head(engine, config)
    return require_head(engine, config)


def create_all(engine: Engine) -> bool:
    """Give an empty database today's tables, stamped at the head revision; True when it did.
    A database that has tables is left alone: only migrations change it (`python manage.py migrate`)."""
    return create_schema_at_head(engine)


def drop_all(engine: Engine) -> None:
    """Drop every table and the schema version, so that `create_all` starts from nothing."""
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
