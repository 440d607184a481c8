"""Imports in the formats the bank's systems really export; no streamlit here.

`preview(kind, data, filename, session)` says what a file would do; `commit(...)` writes it in one
transaction with idempotent upserts on natural keys. Kinds live in `kinds.py` (one spec each)."""

from models.importing.kinds import KINDS, register
from models.importing.pipeline import (
           ImportResult,
           Preview,
           commit,
           commit_frame,
           preview,
           preview_frame,
           template_bytes,
)
from models.importing.readers import FileRefused

__all__ = ["KINDS", "FileRefused", "ImportResult", "Preview", "commit", "commit_frame", "preview", "preview_frame", "register",
           "template_bytes"]
