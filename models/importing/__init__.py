"""Imports in the formats the bank's systems really export; no streamlit here.

`preview(kind, data, filename, session)` says what a file would do; `commit(...)` writes it in one
transaction with idempotent upserts on natural keys. Kinds live in `kinds.py` (one spec each)."""

from models.importing.kinds import KINDS, register
from models.importing.pipeline import ImportResult, Preview, commit, preview, template_bytes
from models.importing.readers import FileRefused

__all__ = ["KINDS", "FileRefused", "ImportResult", "Preview", "commit", "preview", "register", "template_bytes"]
