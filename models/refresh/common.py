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
