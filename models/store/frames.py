"""`read_frame`: the one door from SQL to pandas, shared by every layer above the tables."""

from __future__ import annotations

import gc

import pandas as pd
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session


def read_frame(session: Session, statement) -> pd.DataFrame:
    """Run a SELECT and return its rows as a DataFrame with the statement's column names."""
    # Core execution: the ORM's result wrapper costs ~1 µs a row and these statements select columns only.
    connection = session.connection() if isinstance(session, OrmSession) else session  # a Connection as it is
    result = connection.execute(statement)
    columns = list(result.keys())
    # No garbage collection while the rows are turned into a frame: every object made is kept, and collection
    # passes over a big heap in the middle of a 20k-row read cost more than the read itself.
    collecting = gc.isenabled()
    gc.disable()
    try:
        # Plain tuples: pandas probes each SQLAlchemy Row for attributes, which cost ~20 µs a row.
        return pd.DataFrame.from_records([tuple(row) for row in result.fetchall()], columns=columns)
    finally:
        if collecting:
            gc.enable()
