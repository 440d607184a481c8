"""Backups: seed, back up, change, restore, and every table holds the backup's rows again; a backup taken while an
import writes holds whole transactions only; a damaged or foreign file is refused and changes nothing.

The seeded demo database of this worker is used in place (seeding another on PostgreSQL takes minutes): each test
restores it to the backup it took, so the tests after it see the demo as it was."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, func, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import manage
from models.accounts import AuditLog
from models.auth import audit
from models.backup import BackupError, backup, dumped_schema, restore
from models.customers import Customer
from models.followers import FollowerDaily
from models.system import DataVersion

VOLATILE = {"dataversion"}  # moved past both values by a restore, on purpose


def table_fingerprints(engine: Engine) -> dict[str, tuple[int, str]]:
    """Rows and a digest of their sorted contents, per table (the app's tables and alembic_version)."""
    inspector = inspect(engine)
    names = sorted(set(inspector.get_table_names()) - VOLATILE)
    fingerprints = {}
    with engine.connect() as conn:
        for name in names:
            key = inspector.get_pk_constraint(name)["constrained_columns"] or ["1"]
            order = ", ".join(f'"{column}"' if column != "1" else column for column in key)
            digest, rows = hashlib.sha256(), 0
            for row in conn.exec_driver_sql(f'SELECT * FROM "{name}" ORDER BY {order}'):
                digest.update(repr(tuple(row)).encode())
                rows += 1
            fingerprints[name] = (rows, digest.hexdigest())
    return fingerprints


def row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                for name in inspect(engine).get_table_names()}


def data_version(engine: Engine) -> int:
    with Session(engine) as session:
        return session.get(DataVersion, 1).version


def test_backup_change_restore_gives_back_every_row(demo_engine, tmp_path):
    before = table_fingerprints(demo_engine)
    assert sum(rows for rows, _ in before.values()) > 10_000 and "alembic_version" in before
    version_before = data_version(demo_engine)
    made = backup(demo_engine, tmp_path / "cockpit.backup")
    assert made.size_bytes > 0 and made.revision

    with Session(demo_engine) as session:  # a bad day: rows lost, rows changed, rows added
        session.exec(delete(FollowerDaily).where(FollowerDaily.day >= date(2026, 11, 1)))
        session.exec(update(Customer).values(name="改掉的名字"))
        audit(session, "someone", "oops", detail="after the backup")
        session.commit()
    assert row_counts(demo_engine)["followerdaily"] < before["followerdaily"][0]

    restored = restore(demo_engine, made.path)
    assert restored.revision == made.revision
    assert table_fingerprints(demo_engine) == before
    assert data_version(demo_engine) > version_before  # every process's cache goes stale


def test_a_backup_during_an_import_holds_whole_transactions(demo_engine, tmp_path):
    """A writer commits batches of 20 audit rows while the backup runs: the backup holds a multiple of 20."""
    with Session(demo_engine) as session:
        start = session.scalar(select(func.count()).select_from(AuditLog))
    safety = backup(demo_engine, tmp_path / "before.backup")
    stop = threading.Event()

    def write_batches() -> None:
        while not stop.is_set():
            with Session(demo_engine) as session:
                for _ in range(20):
                    audit(session, "importer", "import", detail="batch row")
                session.commit()

    writer = threading.Thread(target=write_batches)
    writer.start()
    try:
        during = backup(demo_engine, tmp_path / "during.backup")
    finally:
        stop.set()
        writer.join()
    restore(demo_engine, during.path)
    with Session(demo_engine) as session:
        held = session.scalar(select(func.count()).select_from(AuditLog))
    assert held >= start and (held - start) % 20 == 0
    restore(demo_engine, safety.path)


def test_a_file_that_is_not_our_backup_is_refused_and_changes_nothing(demo_engine, tmp_path):
    before = row_counts(demo_engine), data_version(demo_engine)
    junk = tmp_path / "holiday-photo.jpg"
    junk.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 4096)
    with pytest.raises(BackupError, match="not a backup"):
        restore(demo_engine, junk)
    with pytest.raises(BackupError, match="no backup file"):
        restore(demo_engine, tmp_path / "missing.backup")
    existing = tmp_path / "taken.backup"
    existing.write_text("keep me")
    with pytest.raises(BackupError, match="already exists"):
        backup(demo_engine, existing)
    assert existing.read_text() == "keep me"
    assert (row_counts(demo_engine), data_version(demo_engine)) == before


def test_manage_backup_and_restore_commands(demo_engine, tmp_path, monkeypatch, capsys):
    url = demo_engine.url.render_as_string(hide_password=False)
    monkeypatch.setattr(manage, "make_engine", lambda *a, **k: demo_engine)
    monkeypatch.setenv("DATABASE_URL", url)
    target = tmp_path / "daily" / f"cockpit-{datetime.now(UTC):%Y%m%d}.backup"
    assert manage.main(["backup", str(target)]) == 0
    assert "已备份 / backed up" in capsys.readouterr().out and target.is_file()
    with Session(demo_engine) as session:  # audited after the copy was taken
        assert session.scalar(select(func.count()).where(AuditLog.username == "manage.py", AuditLog.action == "backup"))
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert manage.main(["restore", str(target)]) == 1  # not at a terminal and no --yes: refused
    assert "--yes" in capsys.readouterr().err
    assert manage.main(["restore", str(target), "--yes"]) == 0
    assert "已恢复 / restored" in capsys.readouterr().out
    with Session(demo_engine) as session:
        actions = session.scalars(select(AuditLog.action).where(AuditLog.username == "manage.py")).all()
    assert "restore" in actions and "backup" not in actions  # the backup's own row postdates the copy


def test_the_schema_in_a_pg_dump_listing_is_read():
    listing = ["5; 2615 16385 SCHEMA - t_0123 postgres", "230; 1259 16390 TABLE t_0123 branch postgres"]
    assert dumped_schema(listing) == "t_0123"
    assert dumped_schema(["230; 1259 16390 TABLE public branch postgres"]) == ""


def test_every_table_is_covered(demo_engine):
    """The fingerprint reads every table in the database, so every table the models declare (a new one too)."""
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= set(row_counts(demo_engine))
