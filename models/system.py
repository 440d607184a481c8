"""Bookkeeping the app needs about its own data: the data version that caches key on."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """A counter bumped by every seed and import, so cached query results go stale at once."""

    id: int = Field(default=1, primary_key=True)
    version: int = 0
    seeded_scale: str = Field(default="", max_length=16)
    seed: int | None = None
    updated_at: datetime | None = None
