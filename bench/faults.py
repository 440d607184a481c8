"""Faults, checked for real: PostgreSQL restarted while a user clicks, the disk full during an import, an import
and a sync killed half-way. Each check prints what it did and what it saw; the README quotes the output.

    python -m bench.faults [--only restart,disk,kill,sync] [--keep]

It needs root (the disk check mounts a small tmpfs; the restart check runs its own throw-away PostgreSQL cluster
from Debian's binaries as the `postgres` user, so the machine's own server and everyone on it are never touched),
Chromium at /usr/bin/chromium for the restart check, and nothing else.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.load import AppProcess, mint_cookies  # noqa: E402
from bench.rss import CHROMIUM_ARGS, _free_port  # noqa: E402
from tests.e2e.conftest import SCRIPT_IDLE  # noqa: E402  (the browser tests' "script finished" probe)

PG_BIN = Path("/usr/lib/postgresql") / (sorted(os.listdir("/usr/lib/postgresql"))[-1] if Path("/usr/lib/postgresql").exists() else "15") / "bin"
SCREENSHOTS = ROOT / "bench" / "results"
ACCOUNTS = 120            # official accounts in the import checks' bank
DAYS = 365                # a year of follower days per account: 43,800 rows in one file


def say(line: str) -> None:
    print(line, flush=True)


def manage(database_url: str, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": database_url, "COCKPIT_LOG_LEVEL": "WARNING"},
                          timeout=timeout)


# --- a small bank for the import checks ---------------------------------------------------------------------------

def write_bank_files(folder: Path) -> dict[str, Path]:
    """Region, branches, official accounts, and one follower file with a year of every account's days."""
    files = {
        "region": "片区代码,片区名称\nR01,城区片区\n",
        "branch": "网点代码,网点名称,层级,上级网点代码,片区代码\nHO,总行,总行,,\nB1,一分行,分行,HO,R01\n"
                  + "".join(f"B1-{n:03d},第{n}支行,支行,B1,R01\n" for n in range(ACCOUNTS)),
        "official_account": "原始ID,公众号名称,网点代码\n"
                            + "".join(f"gh_f{n:05d},第{n}支行服务号,B1-{n:03d}\n" for n in range(ACCOUNTS)),
    }
    paths = {}
    for kind, body in files.items():
        paths[kind] = folder / f"{kind}.csv"
        paths[kind].write_text(body, encoding="utf-8")
    first = date(2025, 12, 1)
    lines = ["时间,新关注人数,取消关注人数,净增关注人数,累积关注人数,公众号"]
    for n in range(ACCOUNTS):
        total = 1000 + n
        for day in range(DAYS):
            new, gone = 3 + (n + day) % 7, (n * day) % 3
            total += new - gone
            lines.append(f"{first + timedelta(days=day)},{new},{gone},{new - gone},{total},gh_f{n:05d}")
    paths["follower_daily"] = folder / "followers_year.csv"
    paths["follower_daily"].write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def build_bank(database_url: str, files: dict[str, Path]) -> None:
    for step in (("migrate",), *(("import", kind, str(files[kind])) for kind in ("region", "branch", "official_account"))):
        done = manage(database_url, *step)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(step)} failed: {done.stderr[-800:]}")


def counts(database_url: str) -> dict[str, int]:
    """Rows of the tables an import writes, and the data version: what 'nothing half-written' compares."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = {table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
                 for table in ("followerdaily", "followerbranchdaily", "followerdaytotal")
                 if conn.dialect.has_table(conn, table)}
        found["data_version"] = conn.execute(text("SELECT COALESCE(MAX(version), 0) FROM dataversion")).scalar_one()
    engine.dispose()
    return found


def sqlite_integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


# --- 1. PostgreSQL restarted while a user clicks ----------------------------------------------------------------

class ThrowAwayPostgres:
    """A PostgreSQL cluster of its own (initdb in a temporary folder, its own port) that the check may stop and
    start at will."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "pgdata"
        self.port = _free_port()
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "postgres", "postgres")
        self._as_postgres(PG_BIN / "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str | Path) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, command)], check=True, capture_output=True)

    def start(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-w", "-o",
                          f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")


def check_postgres_restart(work: Path) -> bool:
    from playwright.sync_api import sync_playwright

    say("== PostgreSQL restarted while a user clicks")
    server = ThrowAwayPostgres(work / "pg")
    server.start()
    app = None
    try:
        started = time.perf_counter()
        done = manage(server.url, "seed", "--scale", "demo", "--if-empty", timeout=1800)
        if done.returncode != 0:
            raise RuntimeError(done.stderr[-800:])
        say(f"   own cluster on port {server.port}, demo seeded in {time.perf_counter() - started:.0f} s")
        app = AppProcess(server.url, {}, work)
        cookie = mint_cookies(server.url, ["demo_president"])[0]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
            context.add_cookies([{"name": "cockpit_session", "value": cookie, "url": app.base}])
            tab = context.new_page()
            tab.goto(f"{app.base}/followers")
            tab.get_by_role("heading", name="粉丝增长").wait_for(timeout=90_000)
            say("   signed in as demo_president (a session cookie), on 粉丝增长")

            server.stop()
            say("   PostgreSQL stopped (pg_ctl stop -m fast)")
            tab.get_by_role("link", name="社群活跃").click()
            message = tab.get_by_text("与数据库的连接中断")
            message.wait_for(timeout=60_000)
            tab.wait_for_function(SCRIPT_IDLE, timeout=60_000)
            traceback_shown = tab.locator("[data-testid='stException']").count()
            tab.screenshot(path=str(SCREENSHOTS / "fault-postgres-down.png"), full_page=True)
            say(f"   click on 社群活跃 while it is down: the page says "
                f"\"{message.first.inner_text()}\"; tracebacks shown: {traceback_shown}")

            down_for = 8
            time.sleep(down_for)
            server.start()
            back_at = time.perf_counter()
            say(f"   PostgreSQL started again after {down_for} s down")
            tab.get_by_role("heading", name="社群活跃").wait_for(timeout=60_000)
            recovered_s = time.perf_counter() - back_at
            tab.wait_for_function(SCRIPT_IDLE, timeout=90_000)
            figures = tab.locator("[data-testid='stMetric']").count()
            still_signed_in = tab.get_by_label("密码").count() == 0
            message_gone = tab.get_by_text("与数据库的连接中断").count() == 0
            tab.screenshot(path=str(SCREENSHOTS / "fault-postgres-back.png"), full_page=True)
            say(f"   without a reload or a sign-in, the page came back {recovered_s:.1f} s after the database; "
                f"still signed in: {still_signed_in}; message gone: {message_gone}; figures drawn: {figures}")
            tab.get_by_role("link", name="粉丝增长").click()
            tab.get_by_role("heading", name="粉丝增长").wait_for(timeout=60_000)
            say("   the next click works as before")
            browser.close()
        ok = traceback_shown == 0 and still_signed_in and message_gone and figures > 0
        say(f"   verdict: {'ok' if ok else 'FAILED'}")
        return ok
    finally:
        if app:
            app.stop()
        with contextlib.suppress(subprocess.CalledProcessError):   # already stopped
            server.stop()


# --- 2. the disk full during an import ----------------------------------------------------------------------------

def check_disk_full(work: Path) -> bool:
    say("== The disk full during an import (SQLite on a small tmpfs)")
    files = write_bank_files(work)
    disk = work / "disk"
    disk.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(disk)], check=True)
    try:
        database = disk / "cockpit.db"
        url = f"sqlite:///{database}"
        build_bank(url, files)
        before = counts(url)
        free = shutil.disk_usage(disk).free
        filler = disk / "filler"
        with filler.open("wb") as out:                 # leave 256 KB: the schema fits, a year of followers does not
            out.write(b"\0" * max(0, free - 256 * 1024))
        say(f"   bank of {ACCOUNTS} accounts imported; disk filled to {shutil.disk_usage(disk).free // 1024} KB free")
        done = manage(url, "import", "follower_daily", str(files["follower_daily"]))
        told = [line for line in done.stderr.splitlines() if line.startswith("✗")]
        after = counts(url)
        say(f"   manage.py import follower_daily ({DAYS * ACCOUNTS:,} rows): exit {done.returncode}")
        for line in told or done.stderr.strip().splitlines()[-6:]:
            say(f"     {line}")
        say(f"   rows before {before} / after {after}; integrity_check: {sqlite_integrity(database)}")
        unchanged = before == after and done.returncode == 1 and any("磁盘已满" in line for line in told)
        filler.unlink()
        again = manage(url, "import", "follower_daily", str(files["follower_daily"]))
        imported = counts(url)
        say(f"   space freed, the same command again: exit {again.returncode}, "
            f"followerdaily {imported['followerdaily']:,} rows")
        ok = unchanged and again.returncode == 0 and imported["followerdaily"] == DAYS * ACCOUNTS
        say(f"   verdict: {'ok' if ok else 'FAILED'}")
        return ok
    finally:
        subprocess.run(["umount", str(disk)], check=False)


# --- 3. an import killed half-way ---------------------------------------------------------------------------------

def check_killed_import(work: Path, database_url: str, label: str) -> bool:
    say(f"== An import killed half-way ({label})")
    files = write_bank_files(work)
    build_bank(database_url, files)
    before = counts(database_url)
    command = [sys.executable, "manage.py", "import", "follower_daily", str(files["follower_daily"])]
    env = {**os.environ, "DATABASE_URL": database_url, "COCKPIT_LOG_LEVEL": "WARNING"}
    ok = True
    delay = 1.0
    while True:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            process.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait()
            finished = False
        if finished:
            break
        now = counts(database_url)
        extra = f"; integrity_check: {sqlite_integrity(Path(database_url.removeprefix('sqlite:///')))}" \
            if database_url.startswith("sqlite") else ""
        if now == before:
            say(f"   killed (SIGKILL) after {delay:.1f} s: nothing written{extra}")
        elif now["followerdaily"] == DAYS * ACCOUNTS and now["data_version"] == before["data_version"] + 1:
            say(f"   killed (SIGKILL) after {delay:.1f} s: all {now['followerdaily']:,} rows there, data version "
                f"moved once (the commit had happened; the process was exiting){extra}")
            break
        else:
            ok = False
            say(f"   killed (SIGKILL) after {delay:.1f} s: HALF-WRITTEN {before} -> {now}{extra}")
        delay += 1.0                      # one second later each time: the last kill lands in the final second,
    after = counts(database_url)         # i.e. while the rows were being written and committed
    if process.returncode is not None and process.returncode >= 0:
        say(f"   left alone, the import finished in under {delay:.1f} s: followerdaily {after['followerdaily']:,} rows "
            f"(exit {process.returncode}); the last kill before it came within a second of its end")
    again = manage(database_url, "import", "follower_daily", str(files["follower_daily"]))
    unchanged = counts(database_url) == after
    say(f"   the same file once more: {again.stdout.strip().splitlines()[-1] if again.stdout.strip() else again.stderr[-200:]}"
        f"; rows unchanged: {unchanged}")
    ok &= after["followerdaily"] == DAYS * ACCOUNTS and unchanged
    say(f"   verdict: {'ok' if ok else 'FAILED'}")
    return ok


# --- 4. a sync killed half-way ------------------------------------------------------------------------------------

def _account_days(database_url: str) -> dict[str, list[tuple]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.wechat_id, f.day, f.new_follows, f.unfollows, f.cumulative FROM followerdaily f "
            "JOIN officialaccount a ON a.id = f.account_id ORDER BY a.wechat_id, f.day")).all()
    engine.dispose()
    found: dict[str, list[tuple]] = {}
    for key, day, new, gone, total in rows:
        found.setdefault(key, []).append((date.fromisoformat(str(day)[:10]), new, gone, total))
    return found


def check_killed_sync(work: Path, accounts_count: int = 20) -> bool:
    """`manage.py sync wechat` against our mock of the WeChat API, killed with SIGKILL at growing delays: every
    account's stored days are always a gap-free run of whole 7-day windows equal to the platform's; the next run
    completes them; a run after that changes nothing."""
    from cryptography.fernet import Fernet

    from mock_platform import CHINA, MockServer, PlatformState
    from models.db import make_engine
    from models.settings import settings
    from tests.sync_fixtures import add_wechat_accounts

    say(f"== A sync killed half-way (SQLite, {accounts_count} official accounts, 92 days, the mock WeChat API)")
    last = date(2026, 11, 29)
    first = last - timedelta(days=91)
    database_url = f"sqlite:///{work / 'cockpit.db'}"
    env = {**os.environ, "DATABASE_URL": database_url, "COCKPIT_SECRETS_KEY": Fernet.generate_key().decode(),
           "COCKPIT_SYNC_CALLS_PER_SECOND": "10", "COCKPIT_LOG_LEVEL": "WARNING"}
    os.environ["COCKPIT_SECRETS_KEY"] = env["COCKPIT_SECRETS_KEY"]
    settings.cache_clear()
    state = PlatformState(now=lambda: datetime(2026, 11, 30, 8, 30, tzinfo=CHINA))
    with MockServer(state) as server:
        env["WECHAT_API_BASE"] = server.url
        manage(database_url, "migrate")
        engine = make_engine(database_url)
        accounts = add_wechat_accounts(engine, server, accounts_count, start=first - timedelta(days=30),
                                       prefix="gh_kill")
        engine.dispose()
        expected = {}
        for account in accounts:
            rows, day = [], first
            while day <= last:
                moved = account.sources(day)
                new, gone = sum(m[1] for m in moved), sum(m[2] for m in moved)
                rows.append((day, new, gone, account.cumulate(day)))
                day += timedelta(days=1)
            expected[account.original_id] = rows
        command = [sys.executable, "manage.py", "sync", "wechat", "--since", str(first), "--until", str(last)]
        ok = True
        for delay in (3.0, 6.0, 9.0):
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                process.wait(timeout=delay)
                say(f"   the run finished within {delay:.0f} s: no kill")
                break
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
            stored = _account_days(database_url)
            whole = all(len(days) % 7 == 0 or len(days) == len(expected[key]) for key, days in stored.items())
            prefix = all(days == expected[key][:len(days)] for key, days in stored.items())
            ok &= whole and prefix
            done = sum(len(days) for days in stored.values())
            say(f"   killed (SIGKILL) after {delay:.0f} s: {done:,} of {len(expected) * 92:,} account-days stored; "
                f"whole windows only: {whole}; gap-free and equal to the platform's: {prefix}")
        finished = subprocess.run([*command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        stored = _account_days(database_url)
        complete = stored == expected
        say(f"   the same command again: exit {finished.returncode}; "
            f"every account's 92 days equal the platform's: {complete}")
        again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        unchanged = _account_days(database_url) == stored
        say(f"   once more: exit {again.returncode}; nothing changed: {unchanged}")
    ok &= finished.returncode == 0 and complete and again.returncode == 0 and unchanged
    say(f"   verdict: {'ok' if ok else 'FAILED'}")
    return ok


def _postgres_schema_url(schema: str) -> str:
    from sqlalchemy import create_engine, text

    base = os.environ.get("FAULTS_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{base}?options=-csearch_path%3D{schema}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="restart,disk,kill,sync")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, databases)")
    args = parser.parse_args(argv)
    if os.geteuid() != 0:
        say("run as root: the checks mount a tmpfs and run a PostgreSQL cluster as the postgres user")
        return 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="cockpit-faults-"))
    os.chmod(work, 0o755)
    wanted = set(args.only.split(","))
    say(f"fault checks · {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC · work folder {work}")
    results = {}
    try:
        if "restart" in wanted:
            results["restart"] = check_postgres_restart(work / "restart")
        if "disk" in wanted:
            (work / "disk-check").mkdir()
            results["disk"] = check_disk_full(work / "disk-check")
        if "kill" in wanted:
            (work / "kill-sqlite").mkdir()
            results["kill sqlite"] = check_killed_import(work / "kill-sqlite",
                                                         f"sqlite:///{work / 'kill-sqlite' / 'cockpit.db'}", "SQLite")
            (work / "kill-postgres").mkdir()
            results["kill postgresql"] = check_killed_import(work / "kill-postgres", _postgres_schema_url("faults_kill"),
                                                             "PostgreSQL")
        if "sync" in wanted:
            (work / "kill-sync").mkdir()
            results["killed sync"] = check_killed_sync(work / "kill-sync")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    say("== summary: " + ", ".join(f"{name} {'ok' if ok else 'FAILED'}" for name, ok in results.items()))
    return 0 if all(results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
