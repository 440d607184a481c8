"""Fast bulk loading shared by every domain generator: COPY on PostgreSQL, executemany on SQLite."""

from __future__ import annotations

import io
import math

import pandas as pd
from sqlalchemy import Table, insert, text
from sqlalchemy.engine import Connection


def _pg_value(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text_value = str(value)
    return text_value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def bulk_insert(conn: Connection, table: Table, frame: pd.DataFrame, chunk_rows: int = 50_000) -> int:
    """Insert every row of `frame` (columns named as the table's) and return the row count."""
    if frame.empty:
        return 0
    columns = list(frame.columns)
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        column_sql = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({column_sql}) FROM STDIN') as copy:
            for start in range(0, len(frame), chunk_rows):
                chunk = frame.iloc[start : start + chunk_rows]
                buffer = io.StringIO()
                for row in chunk.itertuples(index=False, name=None):
                    buffer.write("\t".join(_pg_value(v) for v in row))
                    buffer.write("\n")
                copy.write(buffer.getvalue())
        return len(frame)
    for start in range(0, len(frame), chunk_rows):  # convert per chunk: dicts for every row at once cost GBs
        chunk = frame.iloc[start : start + chunk_rows]
        conn.execute(insert(table), chunk.astype(object).where(chunk.notna(), None).to_dict("records"))
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
