"""`first_and_last`: the first and last value of a column (a day) under a filter, read so both databases
answer it from an index instead of scanning the table."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session


def first_and_last(session: Session, column, *where) -> tuple:
    """(MIN, MAX) of `column` among the rows matching `where`. One aggregate per sub-SELECT: SQLite answers
    a lone MIN or MAX by walking one end of an index on (filter columns, column), while MIN and MAX in
    the same SELECT make it scan every matching row (at head office, the whole table)."""
    def one_end(aggregate):
        return select(aggregate(column)).where(*where).scalar_subquery()

    row = session.execute(select(one_end(func.min), one_end(func.max))).one()
    return row[0], row[1]
