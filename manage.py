"""Operator commands: migrate, seed, reset, info. `DATABASE_URL` chooses the store (SQLite file by default)."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from models.auth import audit, remove_demo_accounts
from models.backup import BackupError, backup, restore
from models.db import DatabaseUnavailable, check_connection, make_engine
from models.logs import configure_logging
from models.migrations import SchemaStatus, create_all, downgrade, drop_all, migrate, ready_at_head, schema_status
from models.readiness import production_problems
from models.settings import SettingsError, settings
from models.system import DataVersion
from sample_data.context import SCALES
from sample_data.generate import AlreadySeeded, has_data, seed_database


def cmd_seed(args: argparse.Namespace) -> int:
    engine = make_engine()
    check_connection(engine)
    if not args.reset:
        _report_migration(*migrate(engine))
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


def _report_migration(before: SchemaStatus, after: SchemaStatus, seconds: float | None = None) -> None:
    took = f" in {seconds:.1f}s" if seconds is not None else ""
    if before.current == after.current and before.state == after.state:
        print(f"数据库结构已是最新 / schema already at {', '.join(after.current) or '-'}")
    else:
        print(f"数据库结构已迁移 / schema migrated: {before.describe()} -> {', '.join(after.current) or '-'}{took}")


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the database to head (or `--revision`): empty, made before migrations, or behind."""
    engine = make_engine()
    check_connection(engine)
    if args.status:
        status = schema_status(engine)
        print(f"{engine.url.render_as_string(hide_password=True)}: {status.describe()}")
        return 0 if status.at_head else 1
    started = time.perf_counter()
    _report_migration(*migrate(engine, args.revision), time.perf_counter() - started)
    return 0


def cmd_downgrade(args: argparse.Namespace) -> int:
    """Step the schema back (to undo a release); the newer code must not run against it afterwards."""
    engine = make_engine()
    check_connection(engine)
    if not args.yes:
        answer = input(f"降级到 {args.revision}，可能删除列或表中的数据？/ Downgrade to {args.revision}; this may drop "
                       "columns or tables with their data? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("已取消 / cancelled")
            return 1
    before, after = downgrade(engine, args.revision)
    print(f"数据库结构已降级 / schema downgraded: {before.describe()} -> {after.describe()}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """A consistent copy of the database, safe to take while users work and imports run."""
    engine = make_engine()
    check_connection(engine)
    started = time.perf_counter()
    try:
        result = backup(engine, args.path)
    except BackupError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    _audit_operation(engine, "backup", f"{result.path} ({result.size_bytes:,} bytes, revision {result.revision})")
    print(f"已备份 / backed up: {result.path} · {result.size_bytes / 1e6:,.1f} MB · {result.backend} · "
          f"schema {result.revision} · {time.perf_counter() - started:.1f}s")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """Replace every row with the backup's, all or nothing; the schema is then brought to head."""
    engine = make_engine()
    check_connection(engine)
    if not args.yes:
        if not sys.stdin.isatty():
            print("错误 / error: 恢复会覆盖当前全部数据，非交互运行请加 --yes / restoring replaces every row: "
                  "add --yes when not at a terminal", file=sys.stderr)
            return 1
        where = engine.url.render_as_string(hide_password=True)
        answer = input(f"用 {args.path} 覆盖 {where} 的全部数据？/ Replace every row of {where} with {args.path}? [y/N] ")
        if answer.strip().lower() not in {"y", "yes"}:
            print("已取消 / cancelled")
            return 1
    started = time.perf_counter()
    try:
        result = restore(engine, args.path)
    except BackupError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 1
    _report_migration(*migrate(engine), 0.0)
    _audit_operation(engine, "restore", f"{result.path} (revision {result.revision})")
    print(f"已恢复 / restored from {result.path} · schema {result.revision} · {time.perf_counter() - started:.1f}s")
    return 0


def _audit_operation(engine, action: str, detail: str) -> None:
    with Session(engine) as session:
        audit(session, "manage.py", action, detail=detail)
        session.commit()


def cmd_check(_args: argparse.Namespace) -> int:
    """Production readiness (the same checks serve.py makes under COCKPIT_ENV=production); exit 1 on a problem."""
    problems = production_problems(make_engine(), settings())
    for problem in problems:
        print(f"✗ {problem}", file=sys.stderr)
    if not problems:
        print("可以上线 / ready for production: secrets set, schema at head, no demo accounts")
    return 1 if problems else 0


def cmd_remove_demo_accounts(_args: argparse.Namespace) -> int:
    engine = make_engine()
    check_connection(engine)
    with Session(engine) as session:
        removed = remove_demo_accounts(session, "manage.py")
    print(f"已停用演示账号 / demo accounts deactivated: {', '.join(removed) or '-'}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    """The same validation as the users page (models.auth.create_account): a staff login needs its
    employee number."""
    import getpass

    from sqlmodel import Session

    from models.auth import AccountError, create_account
    from models.org import Branch

    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    password = args.password or getpass.getpass("密码 / password: ")
    with Session(engine) as session:
        branch_id = None
        if args.branch_code:
            branch = session.execute(select(Branch).where(Branch.code == args.branch_code)).scalars().first()
            if branch is None:
                print(f"未知网点代码 / unknown branch code {args.branch_code!r}", file=sys.stderr)
                return 2
            branch_id = branch.id
        try:
            create_account(session, "manage.py", args.username, password, args.role, branch_id,
                           employee_no=args.employee_no or "", display_name=args.name or "", email=args.email or "")
        except AccountError as exc:
            print(exc, file=sys.stderr)
            return 2
    print(f"已创建用户 / created {args.username} ({args.role})")
    return 0


def cmd_info(_args: argparse.Namespace) -> int:
    from sqlmodel import SQLModel

    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    print(engine.url.render_as_string(hide_password=True))
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            print(f"  {table.name:<24} {conn.execute(select(func.count()).select_from(table)).scalar():>12,}")
    return 0


def cmd_graph_metrics(_args: argparse.Namespace) -> int:
    from models.refresh.graph import compute_node_metrics

    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    rows = compute_node_metrics(engine, progress=print)
    print(f"关系网络指标已更新 / graph metrics written for {rows:,} people")
    return 0


def cmd_campaign(args: argparse.Namespace) -> int:
    """Print where the 213N campaign stands on a day (default: the end of the data)."""
    from sqlmodel import Session

    from models.metrics.campaign import overview_headline
    from models.scope import Scope

    engine = make_engine()
    check_connection(engine)
    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    with Session(engine) as session:
        headline = overview_headline(session, Scope.head_office(), as_of)
    if headline is None:
        print("没有返乡农民工营销季数据 / no migrant campaign season in the database")
        return 1
    state = "进行中 / running" if headline["running"] else "已结束 / closed"
    print(f"{headline['season']} 季 / season ({state}), as of {headline['as_of']}")
    print(f"  距春节 / days to festival {headline['days_to_festival']:>6}   距结束 / days to end {headline['days_to_end']:>6}")
    print(f"  存款 / deposits {headline['deposited']:>14,.0f}   目标 / target {headline['target']:>14,.0f}"
          f"   完成率 / attainment {headline['attainment'] or 0:.1%}")
    if headline["run_rate_needed"] is not None:
        print(f"  日均需 / run-rate needed {headline['run_rate_needed']:>12,.0f}   按当前速度 / at current pace "
              f"{headline['projection']:>14,.0f}")
    if headline.get("seasonal_projection"):
        print(f"  按去年同期节奏 / on last season's shape {headline['seasonal_projection']:>14,.0f}")
    print(f"  落后村 / lagging villages {headline['lagging_villages']} of {headline['villages']}")
    for village in headline["worst_villages"]:
        print(f"    {village['village_name']} ({village['branch_name']}): {village['attainment']:.0%}, gap {village['gap']:,.0f}")
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import files of one kind, one transaction per file; exit 1 when any file is refused."""
    from pathlib import Path

    from sqlmodel import Session

    from models.db import write_failure
    from models.importing import KINDS, commit

    if args.kind not in KINDS:
        print(f"未知类型 / unknown kind {args.kind!r}; choose one of: {', '.join(KINDS)}", file=sys.stderr)
        return 2
    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    options = {"account": args.account} if args.account else {}
    refused = 0
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"✗ {name}: 文件不存在 / no such file", file=sys.stderr)
            refused += 1
            continue
        try:
            with Session(engine) as session:
                result = commit(args.kind, path.read_bytes(), path.name, session, args.user, options,
                                dry_run=args.dry_run)
        except Exception as exc:  # noqa: BLE001 - rolled back: the reason in words here, the details in the log
            logging.getLogger("cockpit.imports").exception("import of %s failed", path.name)
            zh, en = write_failure(exc)
            print(f"✗ {path.name}: {zh} / {en}", file=sys.stderr)
            refused += 1
            continue
        found = result.preview
        if found.refusal is not None:
            print(f"✗ {path.name}: {found.refusal}", file=sys.stderr)
            refused += 1
            continue
        state = "预检 / dry run" if args.dry_run else ("已导入 / imported" if result.committed else "已拒绝 / refused")
        print(f"{'✓' if found.ok else '✗'} {path.name}: {state}  {found.counts()}")
        for row in found.rejects.head(args.show).itertuples():
            print(f"    第{row.row}行 / row {row.row}  [{row.column}] {row.reason_zh} / {row.reason_en}"
                  + (f"  ({row.value})" if row.value else ""), file=sys.stderr)
        if len(found.rejects) > args.show:
            print(f"    … {len(found.rejects) - args.show} more", file=sys.stderr)
        refused += 0 if found.ok else 1
    return 1 if refused else 0


def cmd_compute_rewards(args: argparse.Namespace) -> int:
    from sqlmodel import Session

    from models.auth import audit
    from models.metrics.referrals import ReferralInputError, write_reward_ledger
    from models.referral_export import ledger_totals, reward_ledger_workbook
    from models.scope import Scope

    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    try:
        with Session(engine) as session:
            ledger = write_reward_ledger(session, Scope.head_office(), args.quarter.upper())
            audit(session, "manage.py", "compute_rewards", detail=f"{args.quarter.upper()} {len(ledger)} rows")
            session.commit()
    except ReferralInputError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    totals = ledger_totals(ledger)
    print(f"{args.quarter.upper()}: {len(ledger)} 名员工 / staff, {totals['effective_customers']:.0f} 有效户 / effective "
          f"customers, {totals['amount']:,.2f} 元 / yuan, {totals['flagged_exclusions']:.0f} 暂缓 / withheld")
    if args.export:
        with open(args.export, "wb") as handle:
            handle.write(reward_ledger_workbook(ledger, args.quarter.upper()))
        print(f"已导出 / exported: {args.export}")
    return 0


def cmd_clv(args: argparse.Namespace) -> int:
    """Fit the lifetime-value models on the product events and store every customer's scores (issue 18)."""
    started = time.perf_counter()
    from models.clv_scoring import run_clv  # PyMC takes seconds to import: only this command pays for it

    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    print(f"模型库已载入 / PyMC-Marketing loaded in {time.perf_counter() - started:.1f}s")
    try:
        run = run_clv(engine, date.fromisoformat(args.cutoff) if args.cutoff else None, progress=print)
    except ValueError as reason:
        print(f"无法拟合 / cannot fit: {reason}", file=sys.stderr)
        return 1
    print(f"客户终身价值已更新 / lifetime value stored for {run.customers:,} customers (cut-off {run.cutoff}) "
          f"in {time.perf_counter() - started:.1f}s")
    return 0


def cmd_rollups(args: argparse.Namespace) -> int:
    """Rebuild the daily rollups from the raw events (all, or some branches / days)."""
    import time

    from models.refresh import refresh_rollups

    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    branches = [int(b) for b in args.branch_ids.split(",")] if args.branch_ids else None
    started = time.perf_counter()
    written = refresh_rollups(engine, branches, date.fromisoformat(args.start) if args.start else None,
                              date.fromisoformat(args.end) if args.end else None, progress=print)
    if not (branches or args.start or args.end):  # a whole rebuild: PostgreSQL's visibility maps, after the commit
        from models.rollup_tables import ROLLUP_TABLES
        from models.store.maintenance import vacuum_for_reads

        vacuum_for_reads(engine, [rollup.__table__.name for rollup in ROLLUP_TABLES], progress=print)
    with engine.begin() as conn:  # pages (and the running totals held as columns) cache on the data version
        conn.execute(update(DataVersion.__table__).values(version=DataVersion.__table__.c.version + 1,
                                                          updated_at=datetime.now(UTC)))
    print(f"汇总表已重建 / rollups rebuilt ({sum(written.values()):,} rows) in {time.perf_counter() - started:.1f}s")
    return 0


def cmd_connect(args: argparse.Namespace) -> int:
    """Store a platform secret, encrypted; read from a prompt without echo, or from standard input."""
    import getpass

    from sqlmodel import Session

    from models.scope import Scope
    from models.sync.credentials import CredentialError, save_credential

    key = {"wechat": args.account, "wecom": args.corp_id, "robot": args.branch_code}[args.kind]
    prompt = {"wechat": "AppSecret: ", "wecom": "Secret (客户联系 / customer contact): ",
              "robot": "Webhook key: "}[args.kind]
    secret = sys.stdin.readline().strip() if args.secret_stdin else getpass.getpass(prompt)
    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    try:
        with Session(engine) as session:
            what = save_credential(session, Scope.head_office(), args.user, args.kind, key, secret,
                                   appid=args.appid or "")
    except CredentialError as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    print(f"已保存（加密）/ stored, encrypted: {args.kind} {key} ({what})")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    """Fetch the platforms' new days; exit 0 when every account succeeded, 1 when any failed (others stored)."""
    import logging

    from tqdm import tqdm

    from models.sync.lock import SyncBusy
    from models.sync.runner import SOURCES, UnknownSource, run_sync

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    sources = list(SOURCES) if args.source == "all" else [args.source]
    bar = tqdm(unit="account", disable=not sys.stderr.isatty(), desc="sync")
    try:
        results = run_sync(engine, sources, date.fromisoformat(args.since) if args.since else None,
                           date.fromisoformat(args.until) if args.until else None, args.account or None,
                           progress=lambda _result: bar.update(1), total=lambda n: bar.reset(total=n))
    except (SyncBusy, UnknownSource) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    finally:
        bar.close()
    failed = [r for r in results if not r.ok]
    print(f"同步完成 / sync done: {len(results) - len(failed)} ok, {len(failed)} failed")
    for result in failed:
        print(f"✗ {result.line()}", file=sys.stderr)
    return 1 if failed else 0


def cmd_push_brief(args: argparse.Namespace) -> int:
    """Send each branch with a group robot its morning brief in WeCom; exit 0 when all went, 1 when any failed."""
    import logging
    from functools import partial

    from components.push import compose_brief
    from models.push.runner import push_briefs
    from models.settings import settings
    from models.sync.lock import SyncBusy

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    engine = make_engine()
    check_connection(engine)
    ready_at_head(engine)
    public_url = settings().public_url
    if not public_url:
        print("提示 / note: COCKPIT_PUBLIC_URL 未设置，晨报不带链接 / not set: the brief carries no link", file=sys.stderr)
    compose = partial(compose_brief, language=args.language, public_url=public_url)
    try:
        results = push_briefs(engine, compose, args.branch_code or None, dry_run=args.dry_run,
                              end=date.fromisoformat(args.end) if args.end else None)
    except SyncBusy as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 2
    if args.dry_run:
        for result in results:
            print(f"===== {result.branch_code} ({result.bytes} bytes) =====" if result.content else
                  f"===== {result.line()} =====")
            if result.content:
                print(result.content)
    failed = [r for r in results if not r.ok]
    state = "预览 / dry run" if args.dry_run else "推送完成 / pushed"
    print(f"{state}: {len(results) - len(failed)} ok, {len(failed)} failed")
    for result in failed:
        print(f"✗ {result.line()}", file=sys.stderr)
    if not results:
        print("没有保存群机器人的网点 / no branch has a stored group robot (manage.py connect robot)", file=sys.stderr)
    return 1 if failed else 0


def cmd_bench(args: argparse.Namespace) -> int:
    from bench.__main__ import main as bench_main

    return bench_main(args.bench_args)


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

    migration = commands.add_parser("migrate", help="bring the database schema to the newest revision (head)")
    migration.add_argument("--revision", default="heads", help="a revision id to stop at (default: head)")
    migration.add_argument("--status", action="store_true", help="only show the revision; exit 1 when not at head")
    migration.set_defaults(handler=cmd_migrate)

    down = commands.add_parser("downgrade", help="step the schema back, e.g. `downgrade -1` (operators undoing a release)")
    down.add_argument("revision", help="a revision id, or -1 for one step back")
    down.add_argument("--yes", action="store_true", help="do not ask")
    down.set_defaults(handler=cmd_downgrade)

    backup_command = commands.add_parser("backup", help="write a consistent backup of the database to PATH")
    backup_command.add_argument("path", help="a new file (SQLite copy, or pg_dump custom format)")
    backup_command.set_defaults(handler=cmd_backup)

    restore_command = commands.add_parser("restore", help="replace every row with a backup's (all or nothing)")
    restore_command.add_argument("path")
    restore_command.add_argument("--yes", action="store_true", help="do not ask")
    restore_command.set_defaults(handler=cmd_restore)

    check = commands.add_parser("check", help="production readiness: secrets, schema at head, no demo accounts")
    check.set_defaults(handler=cmd_check)

    demo_off = commands.add_parser("remove-demo-accounts", help="deactivate every demo account (before going live)")
    demo_off.set_defaults(handler=cmd_remove_demo_accounts)

    reset = commands.add_parser("reset", help="drop and recreate every table")
    reset.add_argument("--yes", action="store_true", help="do not ask")
    reset.set_defaults(handler=cmd_reset)

    user = commands.add_parser("create-user", help="create a login (the first admin, presidents, staff, viewers)")
    user.add_argument("--username", required=True)
    user.add_argument("--role", required=True, choices=["admin", "president", "staff", "viewer"])
    user.add_argument("--password", help="omit to be asked without echo")
    user.add_argument("--name", help="display name")
    user.add_argument("--email")
    user.add_argument("--branch-code", help="the branch a president / staff / viewer is scoped to")
    user.add_argument("--employee-no", help="link the login to its staff record (required for --role staff)")
    user.set_defaults(handler=cmd_create_user)

    campaign = commands.add_parser("campaign", help="where the migrant-worker (213N) campaign stands on a day")
    campaign.add_argument("--as-of", help="the day, YYYY-MM-DD (default: today)")
    campaign.set_defaults(handler=cmd_campaign)

    importer = commands.add_parser("import", help="import files of one kind (one transaction per file)")
    importer.add_argument("kind", help="follower_daily, branch, staff, village, customer, key_person, ...")
    importer.add_argument("files", nargs="+")
    importer.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    importer.add_argument("--account", help="official account (ID or name) for follower files without that column")
    importer.add_argument("--user", default="manage.py", help="who to record in the audit log")
    importer.add_argument("--show", type=int, default=20, help="rejected rows to print per file")
    importer.set_defaults(handler=cmd_import)

    info = commands.add_parser("info", help="show the database and its row counts")
    info.set_defaults(handler=cmd_info)

    graph_metrics = commands.add_parser("graph-metrics", help="recompute the relationship-graph metrics of every branch")
    graph_metrics.set_defaults(handler=cmd_graph_metrics)

    rewards = commands.add_parser("compute-rewards", help="compute a quarter's referral reward ledger")
    rewards.add_argument("--quarter", required=True, help="e.g. 2026Q3")
    rewards.add_argument("--export", help="also write the ledger to this .xlsx file")
    rewards.set_defaults(handler=cmd_compute_rewards)

    clv_command = commands.add_parser("clv", help="fit customer lifetime value (BG/NBD + Gamma-Gamma) and store the scores")
    clv_command.add_argument("--cutoff", help="last day of history to fit, YYYY-MM-DD (default: the last event day)")
    clv_command.set_defaults(handler=cmd_clv)

    rollups = commands.add_parser("rollups", help="rebuild the daily rollup tables from the raw events")
    rollups.add_argument("--branch-ids", help="comma-separated branch ids (default: all)")
    rollups.add_argument("--start", help="first day, YYYY-MM-DD (default: open)")
    rollups.add_argument("--end", help="last day, YYYY-MM-DD (default: open)")
    rollups.set_defaults(handler=cmd_rollups)

    connect = commands.add_parser("connect", help="store a platform secret (encrypted): WeChat, WeCom or a group robot")
    kinds = connect.add_subparsers(dest="kind", required=True)
    wechat = kinds.add_parser("wechat", help="an official account's AppSecret")
    wechat.add_argument("--account", required=True, help="the account's original id, gh_...")
    wechat.add_argument("--appid", required=True, help="the account's AppID, wx...")
    wecom = kinds.add_parser("wecom", help="a WeCom corp's customer-contact secret")
    wecom.add_argument("--corp-id", required=True)
    robot = kinds.add_parser("robot", help="a branch's WeCom group-robot webhook key")
    robot.add_argument("--branch-code", required=True)
    for parser_ in (wechat, wecom, robot):
        parser_.set_defaults(account=None, corp_id=None, branch_code=None, appid=None)
        parser_.add_argument("--secret-stdin", action="store_true", help="read the secret from standard input")
        parser_.add_argument("--user", default="manage.py", help="who to record in the audit log")
    connect.set_defaults(handler=cmd_connect)

    sync = commands.add_parser("sync", help="fetch the new days from WeChat / WeCom (daily at 08:15 China time)")
    sync.add_argument("source", choices=["wechat", "wecom", "all"])
    sync.add_argument("--since", help="first day, YYYY-MM-DD (default: the day after each account's last complete day)")
    sync.add_argument("--until", help="last day, YYYY-MM-DD (default: yesterday, complete after 08:00 China time)")
    sync.add_argument("--account", action="append", help="only this account (gh_... or corp id); repeatable")
    sync.set_defaults(handler=cmd_sync)

    push = commands.add_parser("push-brief", help="send each branch's morning brief to its WeCom group robot")
    push.add_argument("--branch-code", action="append", help="only this branch (repeatable; default: every branch "
                      "with a stored robot)")
    push.add_argument("--dry-run", action="store_true", help="print the messages, send nothing")
    push.add_argument("--language", choices=["zh", "en"], default="zh", help="the brief's language (default zh)")
    push.add_argument("--end", help="the brief's last day, YYYY-MM-DD (default: each branch's latest day with data)")
    push.set_defaults(handler=cmd_push_brief)

    bench = commands.add_parser("bench", help="measure page and query times (see python -m bench --help)")
    bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    bench.set_defaults(handler=cmd_bench)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        configure_logging(settings().log_level, settings().log_file or None)
        return args.handler(args)
    except (DatabaseUnavailable, SettingsError) as exc:
        print(f"错误 / error: {exc}", file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
