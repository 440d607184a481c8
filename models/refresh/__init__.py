"""Rollup refresh: rebuilds the rollup tables from the raw rows, for the branches and days a write touched.

Sits above the tables and the measures and below the query functions: importers, seeds and forms call
`refresh_rollups` / `refresh_for_rows` inside their own transaction."""

from models.refresh.rollups import refresh_for_rows, refresh_rollups

__all__ = ["refresh_for_rows", "refresh_rollups"]
