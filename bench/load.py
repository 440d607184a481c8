"""Load: signed-in users clicking through their pages, against one app process and against two behind nginx.

    python -m bench.load --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_medium \\
        --steps 10,25,50,75 --step-seconds 60

Each simulated user is a real Streamlit client: it opens the app's WebSocket (`/_stcore/stream`) with its own session
cookie (minted the way a sign-in mints it), asks for a page as the browser does when a link is clicked (a
`rerun_script` BackMsg naming the page) and times the answer until the script has finished. No browser: a Chromium
per user would measure the machine's memory, not the server's. Users are the demo accounts (head office, a city
branch, a branch president, a staff member, a viewer) in turn, each visiting its own pages in a random order with a
think time between clicks.

For each step (number of concurrent users) it prints pages served, the 50th/95th percentile answer time, errors,
and the RSS of each app process; "holds" is the largest step whose 95th percentile stays under 2 s with no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from websockets.exceptions import ConnectionClosed  # noqa: E402

from bench.rss import _free_port, _rss_mb  # noqa: E402

RESULTS = ROOT / "bench" / "results"
TARGET_P95_S = 2.0
TARGET_USERS_PER_PROCESS = 50
USERNAMES = ["demo_admin", "demo_city", "demo_president", "demo_staff", "demo_viewer"]
PAGE_TIMEOUT_S = 60.0


# --- the Streamlit wire protocol, as the browser speaks it --------------------------------------------------------

def _rerun_message(page_name: str) -> bytes:
    from streamlit.proto.BackMsg_pb2 import BackMsg

    message = BackMsg()
    state = message.rerun_script
    state.query_string = ""
    state.page_name = page_name
    state.page_script_hash = ""
    state.context_info.timezone = "Asia/Shanghai"
    state.context_info.locale = "zh-CN"
    return message.SerializeToString()


@dataclass
class PageAnswer:
    seconds: float
    ok: bool
    note: str = ""
    page: str = ""


@dataclass
class StepResult:
    users: int
    answers: list[PageAnswer] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)

    def times(self) -> list[float]:
        return [answer.seconds for answer in self.answers if answer.ok]

    def errors(self) -> list[str]:
        return [answer.note for answer in self.answers if not answer.ok]

    def percentile(self, q: float) -> float:
        values = sorted(self.times())
        if not values:
            return float("inf")
        return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]

    def slowest_pages(self, count: int = 3) -> list[tuple[str, float]]:
        """Each page's median answer, slowest first: where the time goes."""
        by_page: dict[str, list[float]] = {}
        for answer in self.answers:
            if answer.ok:
                by_page.setdefault(answer.page, []).append(answer.seconds)
        medians = {page: sorted(times)[len(times) // 2] for page, times in by_page.items()}
        return sorted(medians.items(), key=lambda item: -item[1])[:count]

    def holds(self) -> bool:
        return bool(self.answers) and not self.errors() and self.percentile(0.95) < TARGET_P95_S


class SimulatedUser:
    """One signed-in tab: a WebSocket with the user's cookie, page after page."""

    def __init__(self, base: str, cookie: str, pages: list[str], route: str | None) -> None:
        self.base = base.replace("http://", "ws://")
        self.cookie = cookie
        self.pages = pages
        self.route = route
        self.connection = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        cookies = f"cockpit_session={self.cookie}" + (f"; cockpit_route={self.route}" if self.route else "")
        self.connection = await connect(f"{self.base}/_stcore/stream", additional_headers={"Cookie": cookies},
                                        subprotocols=["streamlit"], max_size=256 << 20, open_timeout=30,
                                        ping_interval=None)

    async def open_page(self, page: str) -> PageAnswer:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        started = time.perf_counter()
        exception = ""
        try:
            await self.connection.send(_rerun_message(page))
            while True:
                raw = await asyncio.wait_for(self.connection.recv(), PAGE_TIMEOUT_S)
                message = ForwardMsg()
                message.ParseFromString(raw)
                kind = message.WhichOneof("type")
                if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                    element = message.delta.new_element
                    if element.WhichOneof("type") == "exception":
                        exception = f"{page}: {element.exception.type}: {element.exception.message[:120]}"
                    elif element.WhichOneof("type") == "text_input" and element.text_input.id.endswith("login_password"):
                        exception = f"{page}: the sign-in form, not the page (the cookie was refused)"
                elif kind == "script_finished":
                    status = ForwardMsg.ScriptFinishedStatus.Name(message.script_finished)
                    if status in ("FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"):
                        seconds = time.perf_counter() - started
                        return PageAnswer(seconds, not exception, exception, page or "overview")
                    if status == "FINISHED_WITH_COMPILE_ERROR":
                        return PageAnswer(time.perf_counter() - started, False, f"{page}: {status}")
        except TimeoutError:
            return PageAnswer(time.perf_counter() - started, False, f"{page}: no answer in {PAGE_TIMEOUT_S:.0f} s")
        except ConnectionClosed as error:
            return PageAnswer(time.perf_counter() - started, False, f"{page}: connection closed ({error.rcvd})")
        except Exception as error:  # noqa: BLE001 - a dropped socket is a finding, not a crash of the bench
            return PageAnswer(time.perf_counter() - started, False, f"{page}: {type(error).__name__}: {error}")

    async def close(self) -> None:
        if self.connection is not None:
            await self.connection.close()


async def _user_loop(user: SimulatedUser, until: float, think_s: tuple[float, float], result: StepResult,
                     rng: random.Random) -> None:
    try:
        await user.connect()
    except Exception as error:  # noqa: BLE001
        result.answers.append(PageAnswer(0.0, False, f"connect: {type(error).__name__}: {error}"))
        return
    try:
        first = await user.open_page("")            # the landing page (overview), as after a sign-in
        if time.perf_counter() < until:
            result.answers.append(first)
        while time.perf_counter() < until:
            await asyncio.sleep(rng.uniform(*think_s))
            if time.perf_counter() >= until:
                break
            answer = await user.open_page(rng.choice(user.pages))
            result.answers.append(answer)
            if not answer.ok and "connection" in answer.note:
                break
    finally:
        await user.close()


# --- accounts and cookies ----------------------------------------------------------------------------------------

def pages_by_user(database_url: str) -> dict[str, list[str]]:
    """Each demo account's pages, as the navigation gives them to its role (url paths)."""
    from sqlmodel import Session, select

    from models.accounts import User
    from models.db import make_engine

    engine = make_engine(database_url)
    with Session(engine) as session:
        roles = {user.username: user.role for user in session.exec(select(User).where(User.username.in_(USERNAMES)))}
    engine.dispose()
    common = ["", "followers", "groups", "campaign", "customers", "referrals", "graph"]
    by_role = {
        "admin": common + ["tasks", "targets", "rules", "users", "audit", "imports", "connections"],
        "president": common + ["fieldwork", "tasks", "targets", "rules"],
        "staff": common + ["fieldwork", "tasks"],
        "viewer": common,
    }
    return {name: by_role.get(role, common) for name, role in roles.items()}


def mint_cookies(database_url: str, usernames: list[str]) -> list[str]:
    """A session cookie per user, made as a sign-in makes it (start a session, redeem its handoff)."""
    from sqlmodel import Session, select

    from models.accounts import User
    from models.db import make_engine
    from models.login_sessions import redeem_handoff, start_session

    engine = make_engine(database_url)
    cookies = []
    with Session(engine) as session:
        ids = {user.username: user.id for user in session.exec(select(User).where(User.username.in_(USERNAMES)))}
        for name in usernames:
            started = start_session(session, ids[name])
            cookies.append(redeem_handoff(session, started.handoff))
    engine.dispose()
    return cookies


# --- servers ------------------------------------------------------------------------------------------------------

class AppProcess:
    def __init__(self, database_url: str, env: dict[str, str], log_dir: Path) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = (log_dir / f"app-{self.port}.log").open("a")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env={**os.environ, **env, "DATABASE_URL": database_url}, stdout=self.log,
            stderr=subprocess.STDOUT)
        _wait_healthy(self.base)

    def rss_mb(self) -> float:
        return _rss_mb(self.process.pid) if self.process.poll() is None else 0.0

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def _wait_healthy(base: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(f"{base}/_stcore/health", timeout=5):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{base} did not become healthy")


class Nginx:
    """Debian's nginx with the production site files (deploy/nginx/) in front of the given app ports."""

    def __init__(self, ports: list[int], folder: Path) -> None:
        import re

        binary = "/usr/sbin/nginx"
        site = ROOT / "deploy" / "nginx"
        upstream = re.search(r"upstream cockpit_app \{.*?\n\}", (site / "cockpit.conf").read_text(), re.S).group(0)
        servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in ports)
        upstream = re.sub(r"(    server 127\.0\.0\.1:\d+[^\n]*\n)+", servers, upstream)
        self.port = _free_port()
        for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / name).mkdir(exist_ok=True)
        config = folder / "nginx.conf"
        config.write_text(f"""
user root;
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi; uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
    include {site}/cockpit-http.conf;
{upstream}
    server {{
        listen 127.0.0.1:{self.port};
        include {site}/cockpit-locations.conf;
    }}
}}
""")
        self.process = subprocess.Popen([binary, "-c", str(config), "-p", str(folder), "-g", "daemon off;"])
        self.base = f"http://127.0.0.1:{self.port}"
        _wait_healthy(self.base)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# --- the run ------------------------------------------------------------------------------------------------------

async def run_step(base: str, users: int, seconds: float, think_s: tuple[float, float], cookies: list[str],
                   pages: list[list[str]], processes: list[AppProcess], seed: int) -> StepResult:
    result = StepResult(users)
    rng = random.Random(seed)
    until = time.perf_counter() + seconds
    routes = [f"load-{seed}-{index}" for index in range(users)]    # nginx hashes the route cookie over processes
    simulated = [SimulatedUser(base, cookies[index], pages[index], routes[index]) for index in range(users)]
    tasks = []
    for index, user in enumerate(simulated):               # users arrive over the first tenth of the step
        tasks.append(asyncio.create_task(_user_loop(user, until, think_s, result, random.Random(seed * 1000 + index))))
        await asyncio.sleep(min(0.2, seconds / 10 / max(users, 1)) + rng.random() * 0.01)

    async def sample_memory() -> None:
        while time.perf_counter() < until:
            result.rss_mb.append(max(process.rss_mb() for process in processes))
            await asyncio.sleep(2)

    await asyncio.gather(sample_memory(), *tasks)
    return result


async def warm_up(base: str, cookies: list[str], pages: list[list[str]]) -> StepResult:
    """Each account opens each of its pages once, one after another: the cold answers (empty result cache) that the
    first user of the morning waits for; the steps after it measure the steady state."""
    result = StepResult(1)
    for cookie, own_pages in zip(cookies, pages, strict=True):
        user = SimulatedUser(base, cookie, own_pages, None)
        await user.connect()
        try:
            for page in own_pages:
                result.answers.append(await user.open_page(page))
        finally:
            await user.close()
    return result


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def measure(database_url: str, processes_count: int, steps: list[int], seconds: float,
            think_s: tuple[float, float]) -> dict:
    log_dir = Path(tempfile.mkdtemp(prefix="cockpit-load-"))
    env = {"COCKPIT_SESSION_SECRET": os.environ.get("COCKPIT_SESSION_SECRET") or secrets.token_urlsafe(48),
           "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_urlsafe(32), "COCKPIT_LOG_FILE": str(log_dir / "app.jsonl")}
    os.environ["COCKPIT_SESSION_SECRET"] = env["COCKPIT_SESSION_SECRET"]
    from models.settings import settings

    settings.cache_clear()
    accounts = pages_by_user(database_url)
    names = [name for name in USERNAMES if name in accounts]
    processes = [AppProcess(database_url, env, log_dir) for _ in range(processes_count)]
    front = Nginx([process.port for process in processes], log_dir) if processes_count > 1 else None
    base = front.base if front else processes[0].base
    label = f"{processes_count} process" + ("es behind nginx" if front else "")
    report = {"setup": label, "steps": []}
    try:
        idle = [round(process.rss_mb()) for process in processes]
        print(f"\n== {label} · idle RSS {idle} MB · load {_load_average()}")
        cold = asyncio.run(warm_up(base, mint_cookies(database_url, names), [accounts[name] for name in names]))
        report["cold"] = {"pages": len(cold.answers), "p50_s": round(cold.percentile(0.5), 2),
                          "max_s": round(max(cold.times() or [0.0]), 2), "errors": cold.errors()[:5]}
        print(f"cold (every page once per account, empty cache): {report['cold']['pages']} pages, "
              f"median {report['cold']['p50_s']} s, slowest {report['cold']['max_s']} s, errors {len(cold.errors())}; "
              + ", ".join(f"{page} {seconds:.2f}" for page, seconds in cold.slowest_pages(4)))
        for example in cold.errors()[:5]:
            print(f"{'':>8}error: {example}")
        print(f"{'users':>6} {'pages':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'errors':>7} {'RSS MB/process':>15}  verdict")
        for users in steps:
            usernames = [names[index % len(names)] for index in range(users)]
            cookies = mint_cookies(database_url, usernames)
            pages = [accounts[name] for name in usernames]
            step = asyncio.run(run_step(base, users, seconds, think_s, cookies, pages, processes, users))
            peak = max(step.rss_mb or [0.0])
            times = step.times()
            row = {"users": users, "pages": len(step.answers), "p50_s": round(step.percentile(0.5), 2),
                   "p95_s": round(step.percentile(0.95), 2), "max_s": round(max(times), 2) if times else None,
                   "errors": len(step.errors()), "error_examples": sorted(set(step.errors()))[:5],
                   "rss_peak_mb": round(peak), "holds": step.holds(), "load": _load_average(),
                   "slowest_pages": [(page, round(seconds, 2)) for page, seconds in step.slowest_pages()]}
            report["steps"].append(row)
            print(f"{users:>6} {row['pages']:>6} {row['p50_s']:>7} {row['p95_s']:>7} {row['max_s'] or '-':>7} "
                  f"{row['errors']:>7} {row['rss_peak_mb']:>15}  {'holds' if row['holds'] else 'BREAKS'}")
            print(f"{'':>8}slowest pages (median s): "
                  + ", ".join(f"{page} {seconds}" for page, seconds in row["slowest_pages"]))
            for example in row["error_examples"]:
                print(f"{'':>8}error: {example}")
            if not step.holds() and step.percentile(0.95) > 4 * TARGET_P95_S:
                break                                      # far past the knee: more users only measure a queue
        held = [row["users"] for row in report["steps"] if row["holds"]]
        report["holds_users"] = max(held) if held else 0
        per_process = report["holds_users"] / processes_count
        verdict = "met" if per_process >= TARGET_USERS_PER_PROCESS else "missed"
        print(f"holds {report['holds_users']} users with p95 < {TARGET_P95_S:.0f} s "
              f"({per_process:.0f} per process; target {TARGET_USERS_PER_PROCESS} per process: {verdict})")
        report["verdict"] = verdict
    finally:
        if front:
            front.stop()
        for process in processes:
            process.stop()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), required=not os.environ.get("DATABASE_URL"))
    parser.add_argument("--steps", default="10,25,50,75,100")
    parser.add_argument("--step-seconds", type=float, default=60)
    parser.add_argument("--think", default="3,8", help="seconds between a user's clicks, min,max")
    parser.add_argument("--processes", default="1,2", help="setups to measure: 1 = one process, 2 = two behind nginx")
    args = parser.parse_args(argv)
    steps = [int(value) for value in args.steps.split(",")]
    think = tuple(float(value) for value in args.think.split(","))
    started = datetime.now(UTC)
    print(f"load bench · {started:%Y-%m-%d %H:%M} UTC · {platform.node()} · {os.cpu_count()} cores · "
          f"load at start {_load_average()}")
    reports = [measure(args.database_url, int(count), steps, args.step_seconds, think)
               for count in args.processes.split(",")]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"load-{started:%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps({"started": started.isoformat(), "cores": os.cpu_count(), "reports": reports}, indent=2))
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
