"""Small SQL helpers shared by the rollup refreshes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime

from sqlalchemy import and_, case, func, true


def count_if(condition, value=1):
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def window_clause(branch_column, day_column, branch_ids: Iterable[int] | None, start: date | None, end: date | None):
    conditions = [true()]
    if branch_ids is not None:
        conditions.append(branch_column.in_(sorted({int(b) for b in branch_ids})))
    if start is not None:
        conditions.append(day_column >= start)
    if end is not None:
        conditions.append(day_column <= end)
    return and_(*conditions)


def as_date(value) -> date | None:
    """A day as a driver or pandas hands it back (SQLite gives an aggregate's day as ISO text; pandas a
    Timestamp) as a `date`; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    return value.date() if isinstance(value, datetime) else value


IN_LIST_MAX = 5_000  # values in one IN list at most: within every backend's bound parameters (SQLite 32,766)


def chunked(values: list) -> Iterator[list]:
    """`values` in lists of at most IN_LIST_MAX, for IN lists of any length."""
    return (values[i:i + IN_LIST_MAX] for i in range(0, len(values), IN_LIST_MAX))


def read_in_stored_order(conn, rows, whole: bool):
    """`rows` (a SELECT of one big table) as a subquery for an aggregate over it. In a whole rebuild on SQLite it
    is fenced (LIMIT -1 OFFSET 0: not flattened), so the table is read in its stored order and the GROUP BY
    sorts, instead of SQLite walking an index on the grouped day and looking up each row elsewhere in the
    table: a page read per row once the table outgrows the page cache (groupdaily at large: 150x medium's time
    for 13x its rows). Elsewhere (and on PostgreSQL) a plain subquery, merged into the aggregate as before."""
    if whole and conn.dialect.name == "sqlite":
        rows = rows.offset(0)
    return rows.subquery()
