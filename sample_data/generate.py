"""Build every domain's demo rows in dependency order and load them in one transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from models.migrations import create_all
from models.org import Branch
from models.refresh import refresh_rollups
from models.refresh.customers import SeedCustomerRows
from models.refresh.graph import BackgroundMetrics
from models.store.bulk import bulk_insert, bulk_load, reset_sequences
from models.store.maintenance import vacuum_after_seed
from models.system import DataVersion
from sample_data.accounts import generate_demo_accounts
from sample_data.campaign import generate_campaign
from sample_data.context import SCALES, GenContext
from sample_data.customers import generate_customers
from sample_data.followers import generate_followers
from sample_data.graph import generate_graph
from sample_data.groups import generate_groups
from sample_data.org import generate_org
from sample_data.products import generate_product_events
from sample_data.referrals import generate_referrals
from sample_data.staff_activity import generate_staff_activity

DomainGenerator = Callable[[GenContext], dict[str, pd.DataFrame]]

# Order matters: a generator may read the frames of those before it (ctx.frames).
GENERATORS: list[tuple[str, DomainGenerator]] = [
    ("org", generate_org),
    ("customers", generate_customers),
    ("product events", generate_product_events),
    ("followers", generate_followers),
    ("groups", generate_groups),
    ("graph", generate_graph),
    ("accounts", generate_demo_accounts),
    ("campaign", generate_campaign),
    ("referrals", generate_referrals),
    ("staff activity", generate_staff_activity),
]

# Derived tables computed from the loaded rows, in order: hook(engine, progress=..., seed_rows=...). The graph metrics
# (NodeMetric, NetworkSummary) are not among them: measured from the generated frames in a worker process
# while these run (no rollup reads them), they are stored after.
POST_SEED_HOOKS: list[tuple[str, Callable[..., object]]] = [
    ("rollups", refresh_rollups),
]


class AlreadySeeded(RuntimeError):
    """The database holds data; seeding again would mix two worlds."""


def default_end_date() -> date:
    return date.today() - timedelta(days=1)


def generate_frames(scale: str, seed: int, end: date, progress: Callable[[str], None] | None = None) -> dict[str, pd.DataFrame]:
    """Every table's rows as DataFrames, deterministic for (scale, seed, end)."""
    if scale not in SCALES:
        raise ValueError(f"未知规模 / unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    ctx = GenContext(scale=SCALES[scale], seed=seed, end=end)
    for name, generator in GENERATORS:
        started = time.perf_counter()
        ctx.frames.update(generator(ctx))
        if progress:
            progress(f"generated {name} in {time.perf_counter() - started:.1f}s")
    return ctx.frames


def has_data(engine: Engine) -> bool:
    create_all(engine)
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(Branch)).scalar())


def seed_database(
    engine: Engine, scale: str = "demo", seed: int = 1, end: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill an empty database; returns rows written per table. Refuses a database that has data."""
    end = end or default_end_date()
    if has_data(engine):
        raise AlreadySeeded("数据库已有数据，请先运行 `python manage.py reset` / database already holds data; reset first")
    frames = generate_frames(scale, seed, end, progress)
    metrics = BackgroundMetrics.from_frames(frames)
    try:
        counts = _load_and_roll_up(engine, frames, scale, seed, progress)
    except BaseException:
        metrics.cancel()
        raise
    started = time.perf_counter()
    metrics.finish(engine, progress=progress)
    if progress:
        progress(f"computed graph metrics in {time.perf_counter() - started:.1f}s (after the rollups)")
    started = time.perf_counter()
    vacuum_after_seed(engine, progress=progress)  # PostgreSQL: visibility maps for index-only scans (autovacuum may be off)
    if progress:
        progress(f"computed vacuum in {time.perf_counter() - started:.1f}s")
    return counts


def _load_and_roll_up(engine: Engine, frames: dict[str, pd.DataFrame], scale: str, seed: int,
                      progress: Callable[[str], None] | None) -> dict[str, int]:
    counts: dict[str, int] = {}
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name in frames]
    started = time.perf_counter()
    with bulk_load(engine, {table: len(frames[table.name]) for table in tables}, progress) as conn:
        for table in tables:
            frame = frames[table.name]
            table_started = time.perf_counter()
            counts[table.name] = bulk_insert(conn, table, frame[[c for c in frame.columns if c in table.c]])
            if progress and counts[table.name] >= 100_000:
                progress(f"  loaded {table.name} ({counts[table.name]:,} rows) in {time.perf_counter() - table_started:.1f}s")
        reset_sequences(conn, tables)
        conn.execute(DataVersion.__table__.delete())
        conn.execute(
            DataVersion.__table__.insert().values(
                id=1, version=1, seeded_scale=scale, seed=seed, updated_at=datetime.now(UTC)
            )
        )
    if progress:
        progress(f"loaded {sum(counts.values()):,} rows in {time.perf_counter() - started:.1f}s")
    seed_rows = SeedCustomerRows.from_frames(frames)  # the customer rollups take these from memory
    frames.clear()  # stored (and the graph's inputs copied): free them before the rollups
    for name, hook in POST_SEED_HOOKS:
        started = time.perf_counter()
        hook(engine, progress=progress, seed_rows=seed_rows)
        if progress:
            progress(f"computed {name} in {time.perf_counter() - started:.1f}s")
    return counts
