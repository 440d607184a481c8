"""Graph metrics kept in step: per-customer centrality and community (`NodeMetric`, measured in worker
processes) and ties per branch (`NetworkSummary`, recounted by imports)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.customers import Customer
from models.graph import NetworkSummary, NodeMetric, Relationship
from models.measures.graph import GRAPH_SEED, WELL_TIED_MIN_TIES, build_graph, node_metrics
from models.scope import Scope
from models.store.bulk import bulk_insert, derived_rebuild, indexes_built_after
from models.store.frames import read_frame
from models.system import DataVersion

# ================================================================ batch: precompute NodeMetric


METRICS_BATCH_BRANCHES = 40


def _metric_inputs(session: Session, branch_ids: list[int]) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Nodes and ties of several branches in two queries, split per branch in the order
    `branch_graph_frames` gives (so the seeded measures come out the same)."""
    nodes = read_frame(session, select(Customer.id.label("customer_id"), Customer.branch_id, Customer.is_prospect)
                       .where(Customer.branch_id.in_(branch_ids)).order_by(Customer.id))
    edges = read_frame(session, select(Relationship.branch_id, Relationship.customer_a_id, Relationship.customer_b_id,
                                       Relationship.kind, Relationship.weight)
                       .where(Relationship.branch_id.in_(branch_ids))
                       .order_by(Relationship.customer_a_id, Relationship.customer_b_id, Relationship.kind))
    nodes["is_prospect"] = nodes["is_prospect"].astype(bool)
    edges["weight"] = edges["weight"].astype(float)
    node_groups = dict(tuple(nodes.groupby("branch_id", sort=False)))
    edge_groups = dict(tuple(edges.groupby("branch_id", sort=False)))
    empty_edges = edges.iloc[0:0]
    return {b: (node_groups[b], edge_groups.get(b, empty_edges)) for b in branch_ids if b in node_groups}


def branch_metrics(branch_id: int, nodes: pd.DataFrame, edges: pd.DataFrame, seed: int = GRAPH_SEED) -> pd.DataFrame:
    """One branch's NodeMetric rows (pure: runs in a worker process)."""
    metrics = node_metrics(build_graph(nodes, edges), seed=seed)
    prospect = nodes.set_index("customer_id")["is_prospect"]
    metrics["is_prospect"] = prospect.reindex(metrics["customer_id"]).fillna(False).astype(bool).to_numpy()
    metrics["customer_ties"] = metrics["degree"] * metrics["customer_neighbour_share"].fillna(0.0)
    metrics["branch_id"] = int(branch_id)
    return metrics


def _branch_metrics_task(task: tuple[int, pd.DataFrame, pd.DataFrame, int]) -> tuple[int, pd.DataFrame]:
    branch_id, nodes, edges, seed = task
    return branch_id, branch_metrics(branch_id, nodes, edges, seed)


def _ties_of(conn, branch_id: int) -> int:
    """Ties recorded by one branch (what NetworkSummary.ties holds)."""
    return int(conn.execute(select(func.count()).select_from(Relationship)
                            .where(Relationship.branch_id == branch_id)).scalar_one())


def _store_branch_metrics(engine: Engine, branch_id: int, metrics: pd.DataFrame) -> int:
    """Replace one branch's NodeMetric rows and its NetworkSummary row in one transaction."""
    computed_at = datetime.now(UTC)
    metrics = metrics.assign(computed_at=computed_at)
    well_tied = int((metrics["is_prospect"] & (metrics["customer_ties"] >= WELL_TIED_MIN_TIES)).sum())
    table = NodeMetric.__table__
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.branch_id == branch_id))
        # Column by column as tuples (COPY on PostgreSQL): a dict per person cost more than measuring them
        people = bulk_insert(conn, table, metrics[[c for c in metrics.columns if c in table.c]])
        ties = _ties_of(conn, branch_id)
        conn.execute(delete(NetworkSummary.__table__).where(NetworkSummary.__table__.c.branch_id == branch_id))
        conn.execute(insert(NetworkSummary.__table__).values(
            branch_id=branch_id, ties=ties, people_measured=people, prospects_well_tied=well_tied,
            computed_at=computed_at))
    return people


def _store_metrics_batch(conn, measured: list[tuple[int, pd.DataFrame]], computed_at: datetime) -> int:
    """Several branches' NodeMetric and NetworkSummary rows, in the order given: the rows and figures
    `_store_branch_metrics` writes branch by branch (ties counted in one query)."""
    if not measured:
        return 0
    branch_ids = [branch_id for branch_id, _ in measured]
    table, summary = NodeMetric.__table__, NetworkSummary.__table__
    rows = pd.concat([metrics for _, metrics in measured], ignore_index=True).assign(computed_at=computed_at)
    conn.execute(delete(table).where(table.c.branch_id.in_(branch_ids)))
    bulk_insert(conn, table, rows[[c for c in rows.columns if c in table.c]])
    ties = dict(conn.execute(select(Relationship.branch_id, func.count()).where(Relationship.branch_id.in_(branch_ids))
                             .group_by(Relationship.branch_id)).all())
    conn.execute(delete(summary).where(summary.c.branch_id.in_(branch_ids)))
    conn.execute(insert(summary), [
        {"branch_id": branch_id, "ties": int(ties.get(branch_id, 0)), "people_measured": len(metrics),
         "prospects_well_tied": int((metrics["is_prospect"] & (metrics["customer_ties"] >= WELL_TIED_MIN_TIES)).sum()),
         "computed_at": computed_at}
        for branch_id, metrics in measured])
    return len(rows)


def _metrics_stored(engine: Engine) -> None:
    """After new figures: tell the page caches (data version) and refresh the planner's statistics."""
    with engine.begin() as conn:  # pages cache on the data version: let them see the new figures
        conn.execute(update(DataVersion.__table__).values(version=DataVersion.__table__.c.version + 1,
                                                          updated_at=datetime.now(UTC)))
        # Fresh statistics: without them SQLite walks every branch to find the top 20 people.
        for table in (NodeMetric.__table__, NetworkSummary.__table__):
            conn.exec_driver_sql(f'ANALYZE "{table.name}"')


def compute_node_metrics(engine: Engine, scope: Scope | None = None, seed: int = GRAPH_SEED,
                         progress: Callable[[str], None] | None = None, workers: int | None = None) -> int:
    """Measure every branch's network in scope and replace its NodeMetric rows; returns rows written.

    Branches are read in batches (two queries per batch) and measured in `workers` processes (default:
    one per core) while this process writes; one transaction per branch, so a reader always sees a
    whole branch from one computation."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    scope = scope or Scope.head_office()
    with Session(engine) as session:
        branch_ids = [int(b) for b in session.execute(
            select(Customer.branch_id).where(scope.clause(Customer.branch_id)).distinct().order_by(Customer.branch_id)
        ).scalars()]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    batches = [branch_ids[i : i + METRICS_BATCH_BRANCHES] for i in range(0, len(branch_ids), METRICS_BATCH_BRANCHES)]
    parallel = workers > 1 and len(batches) > 1
    pool = ProcessPoolExecutor(max_workers=workers) if parallel else None
    written = done = 0
    try:
        for batch in batches:
            with Session(engine) as session:
                inputs = _metric_inputs(session, batch)
            tasks = [(b, nodes, edges, seed) for b, (nodes, edges) in inputs.items()]
            results = pool.map(_branch_metrics_task, tasks, chunksize=4) if pool else map(_branch_metrics_task, tasks)
            for branch_id, metrics in results:
                written += _store_branch_metrics(engine, branch_id, metrics)
                done += 1
                if progress and (done % 50 == 0 or done == len(branch_ids)):
                    progress(f"graph metrics: {done}/{len(branch_ids)} branches, {written:,} people")
    finally:
        if pool:
            pool.shutdown()
    if written:
        _metrics_stored(engine)
    return written


def refresh_network_ties(conn, branch_ids) -> None:
    """For importers of relationships: recount the ties of the branches touched, in their transaction
    (the people measured stay as the last `graph-metrics` run left them)."""
    table = NetworkSummary.__table__
    for branch_id in sorted({int(b) for b in branch_ids}):
        ties = _ties_of(conn, branch_id)
        if conn.execute(select(table.c.branch_id).where(table.c.branch_id == branch_id)).first() is None:
            conn.execute(insert(table).values(branch_id=branch_id, ties=ties))
        else:
            conn.execute(update(table).where(table.c.branch_id == branch_id).values(ties=ties))


# ================================================================ the seed: measured while it loads


def metric_inputs_from_frames(customers: pd.DataFrame, relationships: pd.DataFrame) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Every branch's nodes and ties from a seed's generated frames, exactly as `_metric_inputs` reads
    them back from the database (same columns, types, order and per-branch split), so that measuring
    before the rows are stored gives the same figures."""
    nodes = (customers[["id", "branch_id", "is_prospect"]].rename(columns={"id": "customer_id"})
             .sort_values("customer_id", kind="stable").reset_index(drop=True))
    edges = (relationships[["branch_id", "customer_a_id", "customer_b_id", "kind", "weight"]]
             .sort_values(["customer_a_id", "customer_b_id", "kind"], kind="stable").reset_index(drop=True))
    nodes["is_prospect"] = nodes["is_prospect"].astype(bool)
    edges["weight"] = edges["weight"].astype(float)
    node_groups = dict(tuple(nodes.groupby("branch_id", sort=False)))
    edge_groups = dict(tuple(edges.groupby("branch_id", sort=False)))
    empty_edges = edges.iloc[0:0]
    return {b: (node_groups[b], edge_groups.get(b, empty_edges)) for b in sorted(node_groups)}


def _worker_context():
    """Workers that start from a fresh interpreter (forkserver where there is one), not a fork of a seed
    holding every generated table: each receives only its branch's two small frames."""
    import multiprocessing

    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _finished(result):
    """A future that already holds its result (a branch measured in this process)."""
    from concurrent.futures import Future

    future = Future()
    future.set_result(result)
    return future


class BackgroundMetrics:
    """A seed's graph metrics measured in a worker process while the seed loads the rows and builds the
    rollups (which never read NodeMetric or NetworkSummary), then stored by `finish`.

    One worker while the seed runs (the seed needs the other core); `finish` shares the branches still
    waiting with more workers, writes the figures in branch order and tells the pages, as
    `compute_node_metrics` does."""

    IN_FLIGHT_PER_WORKER = 2

    def __init__(self, inputs: dict[int, tuple[pd.DataFrame, pd.DataFrame]], seed: int = GRAPH_SEED):
        self.inputs = inputs
        self.branch_ids = list(inputs)
        self.seed = seed
        if len(self.branch_ids) <= METRICS_BATCH_BRANCHES:
            # A small seed (demo, tests) is measured here and now, as `compute_node_metrics` measures one batch:
            # a worker would cost more than it saves, and a fresh interpreter cannot start under every parent
            # (pytest-xdist's workers, whose main module it cannot re-import).
            self.pools = []
            self.futures = {b: _finished(_branch_metrics_task(self._task(b))) for b in self.branch_ids}
            return
        self.pools = [self._pool()]
        # Submitted at once: the pool pickles a task only when its worker is ready for it.
        self.futures = {b: self.pools[0].submit(_branch_metrics_task, self._task(b)) for b in self.branch_ids}

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame], seed: int = GRAPH_SEED) -> BackgroundMetrics:
        return cls(metric_inputs_from_frames(frames["customer"], frames["relationship"]), seed)

    @staticmethod
    def _pool():
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=1, mp_context=_worker_context())

    def _task(self, branch_id: int) -> tuple[int, pd.DataFrame, pd.DataFrame, int]:
        nodes, edges = self.inputs[branch_id]
        return branch_id, nodes, edges, self.seed

    def finish(self, engine: Engine, progress: Callable[[str], None] | None = None, workers: int | None = None,
               batch_branches: int = METRICS_BATCH_BRANCHES) -> int:
        """Wait for the figures (what is left measured in `workers` processes) and store them; rows written."""
        import os

        workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
        total = len(self.branch_ids)
        if progress:
            measured = sum(future.done() for future in self.futures.values())
            progress(f"graph metrics: {measured}/{total} branches measured during the load and rollups")
        computed_at = datetime.now(UTC)
        table = NodeMetric.__table__
        try:
            # One transaction (whole branches from one computation, as always); derived rows, so no per-row
            # key checks, and into an empty table (a fresh seed) the indexes are built once after the rows.
            with derived_rebuild(engine) as conn:
                empty = conn.execute(select(func.count()).select_from(table)).scalar_one() == 0
                with indexes_built_after(conn, [table], whole=empty):
                    written, ready = self._store_as_measured(conn, computed_at, workers, batch_branches, progress)
        finally:
            self.cancel()
        if progress and ready:
            progress(f"graph metrics: {total}/{total} branches, {written:,} people")
        if written:
            _metrics_stored(engine)
        return written

    def _store_as_measured(self, conn, computed_at: datetime, workers: int, batch_branches: int,
                           progress: Callable[[str], None] | None) -> tuple[int, list]:
        """Write the branches in order as their figures come (a batch at a time), feeding the workers."""
        from concurrent.futures import FIRST_COMPLETED, wait

        total = len(self.branch_ids)
        # Branches not yet started are taken back and fed to every worker, a few at a time.
        waiting = [b for b, future in self.futures.items() if future.cancel()]
        while len(self.pools) < workers and len(waiting) > len(self.pools):
            self.pools.append(self._pool())
        in_flight = {id(pool): [] for pool in self.pools}

        def feed() -> None:
            for pool in self.pools:
                mine = in_flight[id(pool)] = [f for f in in_flight[id(pool)] if not f.done()]
                while waiting and len(mine) < self.IN_FLIGHT_PER_WORKER:
                    b = waiting.pop(0)
                    self.futures[b] = pool.submit(_branch_metrics_task, self._task(b))
                    mine.append(self.futures[b])

        written = stored = 0
        ready: list[tuple[int, pd.DataFrame]] = []
        for b in self.branch_ids:  # in branch order, as `compute_node_metrics` writes them
            while b in waiting or not self.futures[b].done():
                feed()
                wait([f for f in self.futures.values() if not f.done()], return_when=FIRST_COMPLETED)
            ready.append(self.futures.pop(b).result())
            del self.inputs[b]
            if len(ready) >= batch_branches:
                written += _store_metrics_batch(conn, ready, computed_at)
                stored += len(ready)
                ready = []
                if progress:
                    progress(f"graph metrics: {stored}/{total} branches, {written:,} people")
            feed()
        written += _store_metrics_batch(conn, ready, computed_at)
        return written, ready

    def cancel(self) -> None:
        """Stop the workers (after `finish`, or when the seed failed)."""
        for pool in self.pools:
            pool.shutdown(wait=True, cancel_futures=True)
