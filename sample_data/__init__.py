"""Deterministic demo data: same scale, seed and end date give the same rows."""
