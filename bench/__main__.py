"""`python -m bench` (or `manage.py bench`): measured page and query times against the performance targets.

    python -m bench --db demo-sqlite=sqlite:///data/bench_demo.db \\
                    --db large-sqlite=sqlite:///data/large.db --rss-db large-sqlite

Each database is labelled `<scale>-<backend>`; an empty one is seeded with the demo scale first.
Prints a table per database and writes everything to bench/results/bench-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
# Issue #20: a page's data layer cold < 500 ms at head office and < 200 ms for one branch; render cold < 1 s.
DATA_COLD_TARGET_S = {"head_office": 0.5, "branch": 0.2}
TARGETS = {"data_warm_s": 0.1, "render_cold_s": 1.0, "growth_x": 5.0, "rollup_vs_raw_x": 10.0,
           "rollup_vs_duckdb_x": 1.0, "ego_2hop_s": 0.5, "branch_graph_s": 2.0, "rss_mb": 2048,
           "daily_refresh_large_s": 60.0}
USERS = {"head_office": "demo_admin", "branch": "demo_president"}
PARTS = ("pages", "leaderboard", "fieldwork", "refresh", "graph")


def _quiet() -> None:
    """Bare-mode cache calls make Streamlit log a warning each; the table is what matters here."""
    import streamlit.logger

    warnings.filterwarnings("ignore")
    streamlit.logger.set_log_level("error")
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def _seed_if_empty(url: str) -> None:
    from models.db import make_engine
    from sample_data.generate import has_data, seed_database

    engine = make_engine(url)
    if not has_data(engine):
        print(f"seeding demo into {url}")
        seed_database(engine, "demo", 1, datetime(2026, 11, 22).date())
    engine.dispose()


def _scopes(url: str) -> dict[str, object]:
    from sqlalchemy import select
    from sqlmodel import Session

    from models.accounts import User
    from models.auth import scope_for_user
    from models.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        scopes = {label: scope_for_user(session, session.execute(select(User).where(User.username == name)).scalar_one())
                  for label, name in USERS.items()}
    engine.dispose()
    return scopes


def _graph_times(url: str, branch_scope, repeats: int) -> dict[str, float]:
    from sqlalchemy import func, select
    from sqlmodel import Session

    from models.customers import Customer
    from models.db import make_engine
    from models.graph import Relationship
    from models.metrics import graph as G

    engine = make_engine(url)
    out: dict[str, float] = {}
    with Session(engine) as session:
        branch_id = sorted(branch_scope.branch_ids)[0]
        busiest = session.execute(
            select(Relationship.customer_a_id).join(Customer, Customer.id == Relationship.customer_a_id)
            .where(Customer.branch_id == branch_id).group_by(Relationship.customer_a_id)
            .order_by(func.count().desc()).limit(1)).scalar()
        if busiest is None:
            return out
        ego, branch = [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            nodes, edges = G.ego_graph_frames(session, branch_scope, int(busiest), radius=2)
            ego_people = G.ego_network(G.build_graph(nodes, edges), int(busiest), radius=2).number_of_nodes()
            ego.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            nodes, edges = G.branch_graph_frames(session, branch_scope, branch_id)
            G.node_metrics(G.build_graph(nodes, edges))
            branch.append(time.perf_counter() - t0)
        out = {"ego_2hop_s": statistics.median(ego), "ego_2hop_people": ego_people,
               "branch_graph_s": statistics.median(branch), "branch_graph_people": len(nodes),
               "ego_center_customer_id": int(busiest)}
    engine.dispose()
    return out


def _fmt(value, target: float | None = None, unit: str = "s") -> str:
    if value is None:
        return "-"
    mark = "" if target is None else (" ok" if value <= target else " MISS")
    return f"{value * 1000:.0f}ms{mark}" if unit == "s" else f"{value:.1f}{unit}{mark}"


def print_table(label: str, rows: list[dict]) -> None:
    print(f"\n== {label}")
    print(f"{'page':<10} {'scope':<12} {'render cold':>16} {'render warm':>12} {'data cold':>16} {'data warm':>16} "
          f"{'cached':>8} {'queries':>7}  slowest cold queries")
    for row in rows:
        print(f"{row['page']:<10} {row['scope']:<12} {_fmt(row['render_cold_s'], TARGETS['render_cold_s']):>16} "
              f"{_fmt(row['render_warm_s']):>12} {_fmt(row['data_cold_s'], DATA_COLD_TARGET_S[row['scope']]):>16} "
              f"{_fmt(row['data_warm_s'], TARGETS['data_warm_s']):>16} {_fmt(row['data_cached_s']):>8} "
              f"{row['queries']:>7}  " + ", ".join(f"{name} {_fmt(seconds)}" for name, seconds
                                                   in list(row.get("per_query_cold_s", {}).items())[:3])
              + (f"  ERROR {row['error'][:80]}" if row["error"] else ""))


def growth(results: dict) -> list[dict]:
    """Large / demo per page, scope and backend for render cold and data cold / warm."""
    out = []
    by_key = {}
    for label, block in results["databases"].items():
        scale, _, backend = label.partition("-")
        for row in block.get("pages", []):
            by_key[(scale, backend, row["page"], row["scope"])] = row
    for (scale, backend, page, scope), large in by_key.items():
        demo = by_key.get(("demo", backend, page, scope))
        if scale != "large" or demo is None:
            continue
        entry = {"backend": backend, "page": page, "scope": scope}
        for metric in ("render_cold_s", "data_cold_s", "data_warm_s"):
            if large.get(metric) and demo.get(metric):
                entry[f"{metric}_x"] = large[metric] / demo[metric]
        out.append(entry)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", action="append", default=[], metavar="LABEL=URL",
                        help="a database to measure, LABEL like demo-sqlite or large-postgresql (repeatable)")
    parser.add_argument("--pages", default=",".join(__import__("bench.pages", fromlist=["PAGES"]).PAGES))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-render", action="store_true", help="skip the AppTest renders (data layer only)")
    parser.add_argument("--parts", default=",".join(PARTS),
                        help=f"what to measure, comma-separated (default all: {','.join(PARTS)})")
    parser.add_argument("--rss-db", help="LABEL of a database to serve with `streamlit run` for the RSS test")
    parser.add_argument("--rss-sessions", type=int, default=10)
    parser.add_argument("--out", help="JSON path (default: bench/results/bench-<timestamp>.json)")
    args = parser.parse_args(argv)
    parts = set(args.parts.split(","))
    if parts - set(PARTS):
        parser.error(f"unknown part(s): {', '.join(sorted(parts - set(PARTS)))}")
    _quiet()
    os.chdir(ROOT)
    databases = dict(item.split("=", 1) for item in args.db) or {"demo-sqlite": f"sqlite:///{ROOT}/data/bench_demo.db"}
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": {
            "cpus": os.cpu_count(), "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
            "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": os.getloadavg()},
        "targets": TARGETS, "databases": {},
    }
    from bench import daily_refresh, fieldwork_bench
    from bench.pages import time_page

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS / f"bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"

    def save() -> None:  # after every measurement, so a long run that is stopped still leaves its figures
        out.write_text(json.dumps(results, indent=2, default=str))

    for label, url in databases.items():
        _seed_if_empty(url)
        scopes = _scopes(url)
        block: dict = {"url": url.split("@")[-1], "pages": []}
        if "pages" in parts and not args.no_render:
            for page in args.pages.split(","):
                for scope_label, username in USERS.items():
                    timing = time_page(url, page, username, args.repeats)
                    row = {k: v for k, v in timing.__dict__.items() if k != "calls"}
                    row["scope"] = scope_label
                    block["pages"].append(row)
                    results["databases"][label] = block
                    save()
                    print(f"  {label} {page:<10} {scope_label:<12} render cold {_fmt(row['render_cold_s'])} "
                          f"data cold {_fmt(row['data_cold_s'])} warm {_fmt(row['data_warm_s'])}", flush=True)
            print_table(label, block["pages"])
        if "leaderboard" in parts:
            _leaderboard(block, url, scopes, args.repeats)
        if "fieldwork" in parts:
            block["field_work_write"] = fieldwork_bench.time_visit_write(url, args.repeats)
            print(fieldwork_bench.line(label, block["field_work_write"]))
        if "refresh" in parts:
            block["daily_refresh"] = daily_refresh.run(url)  # one new day for every branch, rolled back
            print(daily_refresh.report(block["daily_refresh"]))
        if "graph" in parts:
            _graph(block, url, scopes, args.repeats)
        results["databases"][label] = block
        save()
    results["growth"] = growth(results)
    for entry in results["growth"]:
        print(f"  growth {entry['backend']:<10} {entry['page']:<10} {entry['scope']:<12} "
              + "  ".join(f"{k} {v:.1f}x" for k, v in entry.items() if k.endswith("_x")))
    if args.rss_db:
        from bench.rss import serve_and_measure

        results["rss"] = serve_and_measure(databases[args.rss_db], args.rss_sessions)
        print(f"  RSS with {args.rss_sessions} sessions: {results['rss']}")
    save()
    print(f"\nwritten {out}")
    return 0


def _leaderboard(block: dict, url: str, scopes: dict, repeats: int) -> None:
    from sqlmodel import Session

    from bench import leaderboard
    from models.db import make_engine
    from models.metrics.referrals import referral_date_range

    engine = make_engine(url)
    with Session(engine) as session:
        _, last_day = referral_date_range(session, scopes["head_office"])
    block["leaderboard"] = leaderboard.compare(engine, scopes, last_day, repeats=repeats)
    engine.dispose()
    for row in block["leaderboard"]:
        print(f"  leaderboard {row['scope']:<12} {row['period_days']:>3} days raw GROUP BY {_fmt(row['raw_group_by_warm_s'])}  rollup "
              f"{_fmt(row['rollup_warm_s'])}  (in SQL {_fmt(row['running_sql_warm_s'])})  DuckDB {_fmt(row['duckdb_warm_s'])}  -> rollup {row['rollup_vs_raw_x']:.1f}x "
              f"vs raw, {row['rollup_vs_duckdb_x']:.1f}x vs DuckDB (target > {TARGETS['rollup_vs_duckdb_x']:.0f}x: "
              f"{'met' if row['rollup_vs_duckdb_x'] > TARGETS['rollup_vs_duckdb_x'] else 'MISSED'})  "
              f"(agree: {row['results_agree']})")
    lead = block["leaderboard"][0] if block["leaderboard"] else None
    if lead:
        print(f"  leaderboard memory: running-total columns {lead['columns_memory_bytes'] / 2**20:.1f} MB "
              f"(loaded in {_fmt(lead['columns_load_s'])}, once per data version) vs DuckDB "
              f"{lead['duckdb_memory_bytes'] / 2**20:.1f} MB (ingest {_fmt(lead['duckdb_ingest_s'])} after "
              f"{_fmt(lead['duckdb_read_rows_from_db_s'])} reading the raw rows)")


def _graph(block: dict, url: str, scopes: dict, repeats: int) -> None:
    try:
        block["graph"] = _graph_times(url, scopes["branch"], repeats)
        if block["graph"]:
            print(f"  graph: ego 2 hops {_fmt(block['graph']['ego_2hop_s'], TARGETS['ego_2hop_s'])}, branch graph "
                  f"with metrics {_fmt(block['graph']['branch_graph_s'], TARGETS['branch_graph_s'])} "
                  f"({block['graph']['branch_graph_people']:,} people)")
    except ImportError:
        block["graph"] = {}


if __name__ == "__main__":
    sys.exit(main())
