"""Operator commands: seed, reset, info. `DATABASE_URL` chooses the store (SQLite file by default)."""

from __future__ import annotations

import argparse
import sys
from datetime import date

from sqlalchemy import func, select

from models.db import DatabaseUnavailable, check_connection, create_all, drop_all, make_engine
from sample_data.context import SCALES
from sample_data.generate import AlreadySeeded, has_data, seed_database


def cmd_seed(args: argparse.Namespace) -> int:
    engine = make_engine()
    check_connection(engine)
    if args.if_empty and has_data(engine):
        print("数据库已有数据，跳过初始化 / database already has data; not seeding")
        return 0
    if args.reset:
        drop_all(engine)
    end = date.fromisoformat(args.end) if args.end else None
    try:
        counts = seed_database(engine, args.scale, args.seed, end, progress=print)
    except AlreadySeeded as exc:
        print(exc, file=sys.stderr)
        return 2
    for table, rows in counts.items():
        print(f"  {table:<20} {rows:>12,}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    engine = make_engine()
    check_connection(engine)
    if not args.yes:
        answer = input("删除全部数据？/ Delete ALL data? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("已取消 / cancelled")
            return 1
    drop_all(engine)
    create_all(engine)
    print("数据库已清空 / database reset")
    return 0


def cmd_info(_args: argparse.Namespace) -> int:
    from sqlmodel import SQLModel

    engine = make_engine()
    check_connection(engine)
    create_all(engine)
    print(engine.url.render_as_string(hide_password=True))
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            print(f"  {table.name:<24} {conn.execute(select(func.count()).select_from(table)).scalar():>12,}")
    return 0


def cmd_graph_metrics(_args: argparse.Namespace) -> int:
    from models.metrics.graph import compute_node_metrics

    engine = make_engine()
    check_connection(engine)
    create_all(engine)
    rows = compute_node_metrics(engine, progress=print)
    print(f"关系网络指标已更新 / graph metrics written for {rows:,} people")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description="社交银行驾驶舱 / social-banking cockpit")
    commands = parser.add_subparsers(dest="command", required=True)

    seed = commands.add_parser("seed", help="fill the database with deterministic demo data")
    seed.add_argument("--scale", choices=sorted(SCALES), default="demo")
    seed.add_argument("--seed", type=int, default=1)
    seed.add_argument("--end", help="last day of data, YYYY-MM-DD (default: yesterday)")
    seed.add_argument("--if-empty", action="store_true", help="do nothing when the database already has data")
    seed.add_argument("--reset", action="store_true", help="drop everything first")
    seed.set_defaults(handler=cmd_seed)

    reset = commands.add_parser("reset", help="drop and recreate every table")
    reset.add_argument("--yes", action="store_true", help="do not ask")
    reset.set_defaults(handler=cmd_reset)

    info = commands.add_parser("info", help="show the database and its row counts")
    info.set_defaults(handler=cmd_info)

    graph_metrics = commands.add_parser("graph-metrics", help="recompute the relationship-graph metrics of every branch")
    graph_metrics.set_defaults(handler=cmd_graph_metrics)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except DatabaseUnavailable as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
