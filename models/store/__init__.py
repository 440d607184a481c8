"""The store's plumbing under every table user: frames out of SQL (`read_frame`), a column's first and last
value (`first_and_last`) and bulk rows into it (`bulk_insert`, `bulk_load`). Imports no table module, so seeds,
imports and refreshes can all use it."""

from models.store.bulk import bulk_insert, bulk_load, reset_sequences
from models.store.frames import read_frame
from models.store.spans import first_and_last

__all__ = ["bulk_insert", "bulk_load", "first_and_last", "read_frame", "reset_sequences"]
