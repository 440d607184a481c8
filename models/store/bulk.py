"""Fast bulk loading for seeds, imports and rollup refreshes: COPY on PostgreSQL (binary where pg_binary builds
every column, text otherwise), executemany on SQLite.

Columns are converted to Python values one column at a time (vectorised; dates through their few
distinct values), never cell by cell through pandas. `bulk_load` wraps a whole seed: secondary
indexes are dropped before the load and built after it, and each backend is told that this is a
bulk load (SQLite: no fsync, in-memory journal, no per-row foreign-key lookups; PostgreSQL: no
synchronous commit, more memory to build indexes).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Table, text
from sqlalchemy.engine import Connection, Engine

from models.store.pg_binary import HEADER as BINARY_HEADER
from models.store.pg_binary import TRAILER as BINARY_TRAILER
from models.store.pg_binary import column_kinds, encode_rows

# Tables smaller than this keep their indexes during a load: rebuilding them costs more than it saves.
REBUILD_INDEXES_FROM_ROWS = 200_000


def _is_missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _holds_dates(series: pd.Series) -> bool:
    if series.dtype != object:
        return False
    present = series.dropna()
    return not present.empty and isinstance(present.iloc[0], date)


def _column_values(conn: Connection, table: Table, name: str, series: pd.Series) -> list:
    """One column as a list of driver-ready Python values (None for missing)."""
    dialect = conn.dialect
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and not isinstance(dtype, pd.BooleanDtype):
        return series.tolist()
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        return series.tolist()
    if pd.api.types.is_float_dtype(dtype) and not pd.api.types.is_extension_array_dtype(dtype):
        values = series.to_numpy()
        mask = np.isnan(values)
        if not mask.any():
            return values.tolist()
        out = values.astype(object)
        out[mask] = None
        return out.tolist()
    if pd.api.types.is_string_dtype(dtype) and not _holds_dates(series):
        return series.to_numpy(dtype=object, na_value=None).tolist()
    if isinstance(dtype, pd.Int64Dtype | pd.BooleanDtype):
        return series.to_numpy(dtype=object, na_value=None).tolist()
    # Dates and datetimes: map the few distinct values once.
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect) if dialect.name == "sqlite" else None
    mapped: list = []
    for value in (uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)):
        if _is_missing(value):
            mapped.append(None)
            continue
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        elif isinstance(value, np.generic):
            value = value.item()
        if processor is not None and isinstance(value, (date, datetime, bool)):
            value = processor(value)
        mapped.append(value)
    mapped.append(None)  # code -1: missing
    lookup = np.empty(len(mapped), dtype=object)
    lookup[:] = mapped
    return lookup[codes].tolist()


def _row_chunks(conn: Connection, table: Table, frame: pd.DataFrame, chunk_rows: int) -> Iterator[list[tuple]]:
    for start in range(0, len(frame), chunk_rows):
        chunk = frame.iloc[start : start + chunk_rows]
        columns = [_column_values(conn, table, name, chunk[name]) for name in chunk.columns]
        yield list(zip(*columns, strict=True))


class _NoBinaryForm(Exception):
    """A chunk's value has no binary form here (pg_binary): the table is copied as text instead."""


def _encoded_ahead(frame: pd.DataFrame, kinds: list[str], chunk_rows: int) -> Iterator[bytes | None]:
    """The frame's chunks in binary form, each built on a thread while the one before is being sent: numpy and
    the socket both release the GIL, so the client's encoding overlaps the server's COPY instead of idling it."""
    starts = range(0, len(frame), chunk_rows)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-encode") as encoder:
        pending = None
        for start in starts:
            following = encoder.submit(encode_rows, frame.iloc[start : start + chunk_rows], kinds)
            if pending is not None:
                yield pending.result()
            pending = following
        if pending is not None:
            yield pending.result()


def _copy_binary(conn: Connection, table: Table, frame: pd.DataFrame, copy_sql: str, chunk_rows: int) -> bool:
    """COPY the frame in PostgreSQL's binary format, built with numpy (pg_binary); False when the table has a
    column it does not build, or a value it cannot (then nothing was written: a savepoint holds the attempt)."""
    kinds = column_kinds(table, list(frame.columns))
    if kinds is None:
        return False
    savepoint = conn.begin_nested()
    try:
        with conn.connection.driver_connection.cursor() as cursor, \
                cursor.copy(copy_sql.replace("FROM STDIN", "FROM STDIN (FORMAT BINARY)")) as copy:
            copy.write(BINARY_HEADER)
            for rows in _encoded_ahead(frame, kinds, chunk_rows):
                if rows is None:
                    raise _NoBinaryForm
                copy.write(rows)
            copy.write(BINARY_TRAILER)
    except _NoBinaryForm:
        savepoint.rollback()
        return False
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    return True


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame, chunk_rows: int = 250_000) -> int:
    """Insert every row of `frame` (columns named as the table's) and return the row count."""
    if frame.empty:
        return 0
    columns = list(frame.columns)
    column_sql = ", ".join(f'"{c}"' for c in columns)
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        copy_sql = f'COPY "{table.name}" ({column_sql}) FROM STDIN'
        if _copy_binary(conn, table, frame, copy_sql, chunk_rows):
            return len(frame)
        with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for rows in _row_chunks(conn, table, frame, chunk_rows):
                for row in rows:
                    copy.write_row(row)
        return len(frame)
    placeholders = ", ".join("?" for _ in columns)
    cursor = raw.cursor()
    try:
        for rows in _row_chunks(conn, table, frame, chunk_rows):
            cursor.executemany(f'INSERT INTO "{table.name}" ({column_sql}) VALUES ({placeholders})', rows)
    finally:
        cursor.close()
    return len(frame)


def reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """After explicit ids were loaded, move PostgreSQL's id sequences past them."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" not in table.c:
            continue
        conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"
            )
        )


def _skip_pg_fk_triggers(conn: Connection) -> None:
    """Generated rows are consistent by construction: skip the per-row foreign-key triggers for this
    transaction when the role may (superuser); otherwise load with them, only slower."""
    savepoint = conn.begin_nested()
    try:
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        savepoint.commit()
    except Exception:  # noqa: BLE001 - not permitted: keep the checks
        savepoint.rollback()


# SQLite's helper threads for big sorts (index builds, ORDER BY and GROUP BY over millions of rows): off by
# default; a whole load or rebuild may use every core (the sorter splits its runs among them).
SQLITE_SORT_THREADS = os.cpu_count() or 1

# SQLite's page cache for a rebuild (KiB, negative as PRAGMA cache_size takes it): the default 2 MB makes
# every INSERT ... SELECT into an indexed table of millions of rows read its pages again and again.
REBUILD_CACHE_KIB = 500_000


@contextmanager
def derived_rebuild(engine: Engine) -> Iterator[Connection]:
    """One transaction for rewriting tables derived from rows already in the database (the rollups): their
    keys come from those rows, which were checked when written, so the per-row foreign-key checks are
    skipped (PostgreSQL: a superuser's session_replication_role; SQLite: foreign_keys off, which only
    takes effect outside a transaction), and SQLite gets a page cache that holds the tables being rebuilt."""
    with engine.connect() as conn:
        sqlite = engine.dialect.name == "sqlite"
        if sqlite:
            cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql(f"PRAGMA cache_size=-{REBUILD_CACHE_KIB}")
            conn.exec_driver_sql(f"PRAGMA threads={SQLITE_SORT_THREADS}")
            conn.commit()
        try:
            with conn.begin():
                if not sqlite:
                    _skip_pg_fk_triggers(conn)
                yield conn
        finally:
            if sqlite:  # the connection goes back to the pool as it came
                conn.exec_driver_sql(f"PRAGMA cache_size={cache}")
                conn.exec_driver_sql("PRAGMA threads=0")
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


@contextmanager
def indexes_built_after(conn: Connection, tables: Iterable[Table], whole: bool) -> Iterator[None]:
    """When `whole` (every row of `tables` is deleted and written again), their secondary indexes are dropped
    for the writes and built once after them, sorted in one pass, instead of updated row by row (an index in
    another order than the rows arrive in, bigger than the cache, is read and written a page per row). In the
    caller's transaction: a failure rolls the drop back with the rows."""
    indexes = [index for table in tables for index in table.indexes] if whole else []
    for index in indexes:
        index.drop(conn, checkfirst=False)
    yield
    for index in indexes:
        index.create(conn, checkfirst=False)


def _analyze_loaded(conn: Connection, tables: list[Table], progress: Callable[[str], None] | None) -> None:
    """PostgreSQL: planner statistics for the loaded tables before anything reads them (autovacuum may be off
    or not yet round): without them every join of the rollups that follow is planned for an empty table."""
    if conn.dialect.name != "postgresql":
        return
    started = time.perf_counter()
    for table in tables:
        conn.exec_driver_sql(f'ANALYZE "{table.name}"')
    if progress:
        progress(f"analyzed {len(tables)} tables in {time.perf_counter() - started:.1f}s")


@contextmanager
def bulk_load(
    engine: Engine, sizes: dict[Table, int], progress: Callable[[str], None] | None = None,
) -> Iterator[Connection]:
    """One transaction for a whole load. Big tables lose their secondary indexes for the load and get
    them back (built once, sorted) before the commit, so a failed load leaves nothing behind."""
    rebuilt = [index for table, rows in sizes.items() if rows >= REBUILD_INDEXES_FROM_ROWS for index in table.indexes]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("PRAGMA journal_mode=MEMORY")
            conn.exec_driver_sql("PRAGMA synchronous=OFF")
            conn.exec_driver_sql("PRAGMA cache_size=-1000000")
            conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
            conn.exec_driver_sql(f"PRAGMA threads={SQLITE_SORT_THREADS}")
            conn.commit()
        try:
            with conn.begin():
                if not sqlite:
                    conn.exec_driver_sql("SET LOCAL synchronous_commit = off")
                    conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
                    _skip_pg_fk_triggers(conn)
                for index in rebuilt:
                    index.drop(conn, checkfirst=False)
                yield conn
                if progress and rebuilt:
                    progress(f"building {len(rebuilt)} indexes after the load")
                for index in rebuilt:
                    index.create(conn, checkfirst=False)
                _analyze_loaded(conn, list(sizes), progress)
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA journal_mode=WAL")
                conn.exec_driver_sql("PRAGMA synchronous=NORMAL")
                conn.exec_driver_sql("PRAGMA threads=0")
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
