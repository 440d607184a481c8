"""Never two syncs at once. PostgreSQL: a session-level advisory lock held on one connection for the whole run
(released by the server if the process dies). SQLite: a `synclock` row with an expiry; a row past its expiry
belongs to a sync that died and is taken over."""

from __future__ import annotations

import os
import socket
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from models.connections import SyncLock

LOCK_NAME = "sync"
SQLITE_LOCK_LIFETIME = timedelta(hours=2)


class SyncBusy(RuntimeError):
    """Another sync holds the lock."""


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:128]


def _dead_here(holder: str) -> bool:
    """Is `holder` ("host:pid") a process of this machine that no longer runs?"""
    host, _, pid = holder.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@contextmanager
def _postgres_lock(engine: Engine, name: str) -> Iterator[None]:
    key = zlib.crc32(f"cockpit.{name}".encode())
    with engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar() or ""
        got = connection.execute(text("SELECT pg_try_advisory_lock(:a, :b)"),
                                 {"a": key - 2**31, "b": zlib.crc32(schema.encode()) - 2**31}).scalar()
        connection.commit()
        if not got:
            raise SyncBusy("另一个同步正在运行 / another sync is running (PostgreSQL advisory lock held)")
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:a, :b)"),
                               {"a": key - 2**31, "b": zlib.crc32(schema.encode()) - 2**31})
            connection.commit()


@contextmanager
def _row_lock(engine: Engine, name: str, lifetime: timedelta) -> Iterator[None]:
    table = SyncLock.__table__
    now = datetime.now(UTC)
    holder = _holder()
    with engine.begin() as connection:
        connection.execute(delete(table).where(table.c.name == name, table.c.expires_at < now))
        held = connection.execute(select(table.c.holder).where(table.c.name == name)).scalar()
        if held is not None and _dead_here(held):  # a sync killed on this machine: its row is void
            connection.execute(delete(table).where(table.c.name == name, table.c.holder == held))
        try:
            connection.execute(insert(table).values(name=name, holder=holder, acquired_at=now,
                                                    expires_at=now + lifetime))
        except IntegrityError:
            raise SyncBusy("另一个同步正在运行 / another sync is running (lock row held)") from None
    try:
        yield
    finally:
        with engine.begin() as connection:
            connection.execute(delete(table).where(table.c.name == name, table.c.holder == holder))


@contextmanager
def sync_lock(engine: Engine, name: str = LOCK_NAME, lifetime: timedelta = SQLITE_LOCK_LIFETIME) -> Iterator[None]:
    """Hold the sync lock for the block; `SyncBusy` at once when another sync holds it."""
    if engine.dialect.name == "postgresql":
        with _postgres_lock(engine, name):
            yield
    else:
        with _row_lock(engine, name, lifetime):
            yield


def extend_row_lock(engine: Engine, name: str = LOCK_NAME, lifetime: timedelta = SQLITE_LOCK_LIFETIME) -> None:
    """A long run on SQLite pushes its lock's expiry on (no-op on PostgreSQL)."""
    if engine.dialect.name == "postgresql":
        return
    table = SyncLock.__table__
    with engine.begin() as connection:
        connection.execute(update(table).where(table.c.name == name, table.c.holder == _holder())
                           .values(expires_at=datetime.now(UTC) + lifetime))
