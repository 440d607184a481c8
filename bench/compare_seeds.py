"""Two seeded databases of the same backend, compared table by table and row by row (issue 20: a faster seed
must write the same rows). Rows are read in the order of every compared column, so the order they were written
in does not matter; columns that hold when the seed ran or a login's hash are left out.

    python -m bench.compare_seeds sqlite:///data/a.db sqlite:///data/b.db
"""

from __future__ import annotations

import argparse
import sys
from itertools import zip_longest

from sqlalchemy import create_engine, inspect, select
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from models.migrations import create_all  # noqa: F401  (imports every model module)

# When the seed ran (or a login's salted hash): differ between two runs of the same seed by design.
SKIPPED = {"password_hash", "updated_at", "computed_at", "fitted_at", "created_at", "last_login_at", "last_seen_at",
           "expires_at"}
SHOWN = 5


def _rows(conn, table, columns):
    statement = select(*[table.c[c] for c in columns]).order_by(*[table.c[c] for c in columns])
    return conn.execution_options(stream_results=True, yield_per=50_000).execute(statement)


def compare(url_a: str, url_b: str, without_ids: bool = False) -> int:
    """Print one line per table; return how many tables differ."""
    engine_a, engine_b = create_engine(url_a), create_engine(url_b)
    names_a = set(inspect(engine_a).get_table_names())
    names_b = set(inspect(engine_b).get_table_names())
    differing = 0
    for name in sorted(names_a ^ names_b):
        print(f"{name}: only in {'the first' if name in names_a else 'the second'} database")
        differing += 1
    with engine_a.connect() as conn_a, engine_b.connect() as conn_b:
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in names_a or table.name not in names_b:
                continue
            columns = [c.name for c in table.columns if c.name not in SKIPPED
                       and not (without_ids and c.name == "id" and c.autoincrement is not False and c.primary_key)]
            rows = mismatches = 0
            for row_a, row_b in zip_longest(_rows(conn_a, table, columns), _rows(conn_b, table, columns)):
                rows += 1
                if row_a != row_b:
                    mismatches += 1
                    if mismatches <= SHOWN:
                        print(f"  {table.name} row {rows}:\n    a={row_a}\n    b={row_b}")
            differing += bool(mismatches)
            print(f"{table.name}: {rows:,} rows, {'SAME' if not mismatches else f'{mismatches:,} DIFFER'}")
    print("identical" if not differing else f"{differing} table(s) differ")
    return differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("first")
    parser.add_argument("second")
    parser.add_argument("--without-ids", action="store_true",
                        help="leave out surrogate ids (PostgreSQL numbers an INSERT ... SELECT's rows in plan order)")
    args = parser.parse_args()
    return 1 if compare(args.first, args.second, args.without_ids) else 0


if __name__ == "__main__":
    sys.exit(main())
