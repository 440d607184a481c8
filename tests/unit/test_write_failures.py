"""Which database errors are an outage, which a full disk, and what the person is told (never the SQL)."""

from __future__ import annotations

import sqlite3

import psycopg
import psycopg.errors
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from models.db import is_connection_lost, is_disk_full, write_failure


def _wrapped(kind, orig):
    return kind("INSERT INTO followerdaily VALUES (?)", {"phone": "13800138000"}, orig)


def test_a_restarting_postgresql_is_an_outage():
    for orig in (psycopg.OperationalError("server closed the connection unexpectedly"),
                 psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
                 psycopg.OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused'),
                 psycopg.errors.CannotConnectNow("the database system is starting up")):
        assert is_connection_lost(_wrapped(OperationalError, orig)), orig


def test_a_raw_driver_error_from_a_bulk_path_is_classified_too():
    assert is_connection_lost(psycopg.OperationalError("server closed the connection unexpectedly"))
    assert is_connection_lost(psycopg.errors.AdminShutdown("terminating connection due to administrator command"))
    assert not is_connection_lost(psycopg.errors.UniqueViolation("duplicate key"))
    assert not is_connection_lost(sqlite3.OperationalError("no such table: x"))


def test_bugs_and_refusals_are_not_outages():
    assert not is_connection_lost(_wrapped(ProgrammingError, psycopg.errors.UndefinedColumn("no column x")))
    assert not is_connection_lost(_wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")))
    assert not is_connection_lost(ZeroDivisionError())


def test_a_full_disk_on_either_backend():
    sqlite_full = _wrapped(OperationalError, sqlite3.OperationalError("database or disk is full"))
    postgres_full = _wrapped(OperationalError, psycopg.errors.DiskFull("could not extend file: No space left on device"))
    bare = sqlite3.OperationalError("database or disk is full")          # a bulk insert's raw cursor
    for exc in (sqlite_full, postgres_full, bare, OSError(28, "No space left on device")):
        assert is_disk_full(exc) and not is_connection_lost(exc)
        zh, en = write_failure(exc)
        assert "磁盘已满" in zh and "disk is full" in en and "nothing was written" in en


def test_the_person_never_sees_the_sql_or_its_values():
    for exc in (_wrapped(IntegrityError, psycopg.errors.UniqueViolation("duplicate key")),
                _wrapped(OperationalError, psycopg.OperationalError("server closed the connection unexpectedly"))):
        text = " ".join(write_failure(exc))
        assert "INSERT" not in text and "13800138000" not in text and "followerdaily" not in text
        assert "未写入任何数据" in text
