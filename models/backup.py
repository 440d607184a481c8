"""Backups an operator can trust: `backup(engine, path)` and `restore(engine, path)`.

SQLite: the online backup API (https://www.sqlite.org/backup.html). One step copies every page under one read
transaction, so a backup taken while users click and an import writes holds the database as it was at one moment
(in WAL mode readers never block the writer, and the writer never tears the copy).
PostgreSQL: `pg_dump --format=custom` of the app's schema (one snapshot: pg_dump runs in a single repeatable-read
transaction, https://www.postgresql.org/docs/15/app-pgdump.html) and `pg_restore --clean --if-exists
--single-transaction` (all or nothing: a failed restore leaves the database as it was). The schema object itself is
left out of the restore list, so a restore never drops the schema and the grants an operator gave the app's role.

After a restore the data version moves past both the live and the restored value: every app process's cached
results go stale at once, without serving a cache entry filed under the restored number.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says what to do and names no password."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    backend: str
    size_bytes: int
    revision: str


def backend_of(engine: Engine) -> str:
    return engine.url.get_backend_name()


def schema_revision(engine: Engine) -> str:
    """The Alembic revision the database is at ('' for a database without one)."""
    with engine.connect() as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar() or ""
        except Exception:  # noqa: BLE001 - no version table: not a cockpit database yet
            return ""


def backup(engine: Engine, path: Path | str) -> BackupResult:
    """Write a consistent copy of the database to `path` (a new file; an existing one is refused)."""
    path = Path(path)
    if path.exists():
        raise BackupError(f"备份文件已存在，不会覆盖 / the backup file already exists and is not overwritten: {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    backend = backend_of(engine)
    revision = schema_revision(engine)
    if not revision:
        raise BackupError("数据库没有版本记录，请先运行 manage.py migrate / the database has no schema version: "
                          "run `python manage.py migrate` first")
    partial = path.with_name(path.name + ".partial")
    try:
        if backend == "sqlite":
            _sqlite_backup(_sqlite_file(engine), partial)
        elif backend == "postgresql":
            _pg_dump(engine, partial)
        else:
            raise BackupError(f"不支持的数据库 / unsupported database: {backend}")
        partial.replace(path)   # a backup file is either whole or absent
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path, backend, path.stat().st_size, revision)


def restore(engine: Engine, path: Path | str) -> BackupResult:
    """Replace the database's contents with the backup at `path`, all or nothing."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件 / no backup file at {path}")
    backend = backend_of(engine)
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_MAGIC))
    expected = SQLITE_MAGIC if backend == "sqlite" else PG_CUSTOM_MAGIC
    if not head.startswith(expected):
        raise BackupError(f"这不是本系统 {backend} 数据库的备份文件 / {path} is not a backup of a {backend} database "
                          "made by `manage.py backup`")
    before = _data_version(engine)
    if backend == "sqlite":
        _sqlite_restore(path, _sqlite_file(engine))
    else:
        _pg_restore(engine, path)
    engine.dispose()   # pooled connections may hold pages or plans of the replaced tables
    _move_data_version_past(engine, before)
    return BackupResult(path, backend, path.stat().st_size, schema_revision(engine))


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("内存数据库无法备份 / an in-memory database cannot be backed up")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)   # pages=-1: one step, one read transaction, one moment
        copy.execute("PRAGMA journal_mode=DELETE")   # one self-contained file, no -wal beside it
        if copy.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("备份文件校验失败 / the backup failed its integrity check")


def _sqlite_restore(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as backup_file:
        try:
            healthy = backup_file.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        except sqlite3.DatabaseError:
            healthy = False
        if not healthy:
            raise BackupError(f"备份文件已损坏 / the backup file {source} is damaged")
        with closing(sqlite3.connect(target, timeout=30)) as live:
            backup_file.backup(live)   # one step under the live file's write lock: readers see before or after


def _libpq_environment(engine: Engine) -> tuple[list[str], dict[str, str], str]:
    """Connection arguments for pg_dump/pg_restore; the password travels in the environment, never argv."""
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    arguments = ["--host", url.host or "localhost", "--port", str(url.port or 5432),
                 "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    environment = {**os.environ, "PGCONNECT_TIMEOUT": "10"}
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar()
    if not schema:
        raise BackupError("无法确定数据库模式 / the database's schema could not be determined")
    return arguments, environment, schema


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name}，请安装 postgresql-client / {name} not found: install postgresql-client "
                          "(the same major version as the server)")
    return found


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        lines = [line for line in finished.stderr.splitlines() if line.strip()][-3:]
        raise BackupError(f"{what}失败 / {what} failed: " + " | ".join(lines))


def _pg_dump(engine: Engine, target: Path) -> None:
    arguments, environment, schema = _libpq_environment(engine)
    _run([_pg_tool("pg_dump"), *arguments, "--format=custom", "--schema", schema, "--file", str(target)],
         environment, "pg_dump 备份")


def _pg_restore(engine: Engine, source: Path) -> None:
    arguments, environment, schema = _libpq_environment(engine)
    listing = subprocess.run([_pg_tool("pg_restore"), "--list", str(source)], capture_output=True, text=True,
                             check=False)
    if listing.returncode != 0:
        raise BackupError(f"无法读取备份文件 / the backup file cannot be read: {listing.stderr.strip()[:200]}")
    entries = [line for line in listing.stdout.splitlines() if line.strip() and not line.startswith(";")]
    dumped = dumped_schema(entries)
    if dumped and dumped != schema:
        raise BackupError(f"备份来自数据库模式 {dumped}，当前为 {schema} / the backup holds schema {dumped}, "
                          f"this database uses {schema}")
    kept = [line for line in entries if " SCHEMA " not in line]
    with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as handle:
        handle.write("\n".join(kept) + "\n")
    try:
        _run([_pg_tool("pg_restore"), *arguments, "--clean", "--if-exists", "--single-transaction", "--no-owner",
              "--exit-on-error", "--use-list", handle.name, str(source)], environment, "pg_restore 恢复")
    finally:
        Path(handle.name).unlink(missing_ok=True)


def dumped_schema(entries: list[str]) -> str:
    """The schema a pg_dump archive holds, from its table of contents (`... SCHEMA - name owner`)."""
    for line in entries:
        tokens = line.split()
        if "SCHEMA" in tokens:
            at = tokens.index("SCHEMA")
            if len(tokens) > at + 2:
                return tokens[at + 2]
    return ""


def _data_version(engine: Engine) -> int:
    with engine.connect() as conn:
        try:
            return int(conn.execute(text("SELECT version FROM dataversion WHERE id = 1")).scalar() or 0)
        except Exception:  # noqa: BLE001 - a database without the table has no cache to invalidate
            return 0


def _move_data_version_past(engine: Engine, before: int) -> None:
    with engine.begin() as conn:
        restored = int(conn.execute(text("SELECT version FROM dataversion WHERE id = 1")).scalar() or 0)
        conn.execute(text("UPDATE dataversion SET version = :v WHERE id = 1"), {"v": max(before, restored) + 1})
