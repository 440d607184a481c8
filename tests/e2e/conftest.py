"""A real `streamlit run` on a free port over a seeded demo database, and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from models.settings import settings
from sample_data.accounts import DEMO_PASSWORD
from tests.conftest import seeded_demo_sqlite

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_probe(script: str, log_name: str) -> Iterator[str]:
    """A small Streamlit script of the tests (not the app) on a free port, until the generator closes:
    for what only the browser's renderer shows (Markdown, Plotly.js)."""
    port = _free_port()
    ARTIFACTS.parent.mkdir(parents=True, exist_ok=True)
    with (ARTIFACTS.parent / f"{log_name}-{port}.log").open("a") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=5):
                    break
            except OSError:
                time.sleep(0.5)
        try:
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is missing at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("Chromium not installed: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    return seeded_demo_sqlite(tmp_path_factory.mktemp("e2e") / "demo.db")


class StreamlitServer:
    """`streamlit run serve.py` (app.py plus the session-cookie routes) on a fixed free port; started again
    (same port) if it has gone away, so one lost process (the machine is shared) fails one test at most,
    not the rest of the session. `env` adds settings (e.g. a short COCKPIT_IDLE_MINUTES)."""

    def __init__(self, database_url: str, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DATABASE_URL": database_url, **(env or {})}
        self.log_path = ARTIFACTS.parent / f"streamlit-{self.port}.log"   # a file: a pipe nobody reads fills up
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = self.log_path.open("a")
        self.process: subprocess.Popen | None = None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def ensure(self) -> str:
        if self.process is not None and self.process.poll() is None and self.healthy():
            return self.base
        self.stop()
        self.log.write(f"--- starting streamlit on port {self.port}\n")
        self.log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=PROJECT_ROOT, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.healthy():
                return self.base
            time.sleep(0.5)
        self.stop()
        pytest.fail("streamlit did not start: " + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.process = None


def private_values(database_url: str) -> dict[str, str]:
    """What must never reach a log: every phone number of the demo data, the demo password, the secrets."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        phones = [row[0] for table in ("customer", "staff")
                  for row in conn.execute(text(f"SELECT phone FROM {table} WHERE phone <> ''"))]
    engine.dispose()
    values = {f"phone {phone}": phone for phone in phones}
    values["the demo password"] = DEMO_PASSWORD
    values["the session secret"] = settings().session_secret
    return values


def assert_log_keeps_private_values(log_path: Path, database_url: str) -> None:
    log = log_path.read_text(encoding="utf-8", errors="replace")
    assert '"event":' in log, "the server logged no event: is JSON logging on?"
    leaked = [name for name, value in private_values(database_url).items() if value and value in log]
    assert not leaked, f"{log_path} holds {leaked[:5]}"


@pytest.fixture(scope="session")
def streamlit_server(e2e_database_url, chromium_path) -> Iterator[StreamlitServer]:
    """The e2e run's server. At the end its whole log (JSON event lines, Streamlit's own output) is searched for
    every demo phone number, the demo password and the session secret: none may be there."""
    server = StreamlitServer(e2e_database_url)
    server.ensure()
    yield server
    server.stop()
    server.log.close()
    assert_log_keeps_private_values(server.log_path, e2e_database_url)


@pytest.fixture
def app_url(streamlit_server) -> str:
    """The running app's address, checked (and restarted if need be) before each test."""
    return streamlit_server.ensure()


@pytest.fixture(scope="session")
def chromium_browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


SCRIPT_IDLE = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    return app && app.getAttribute('data-test-script-state') === 'notRunning'
        && !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-stale="true"]');
}"""


def wait_for_app(page, signed_in: bool = True) -> None:
    """Wait until Streamlit has finished running the script (no stale elements left) and drawn the charts.
    The sidebar only has to exist: at phone width it is collapsed, in meeting mode hidden."""
    page.wait_for_selector("[data-testid='stSidebarNav']" if signed_in else "[data-testid='stForm']", timeout=30_000,
                           state="attached")
    page.wait_for_timeout(500)
    page.wait_for_function(SCRIPT_IDLE, timeout=90_000)
    page.wait_for_timeout(1200)


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in_as_demo(tab, app_url: str, name: str) -> None:
    tab.goto(app_url)
    wait_for_app(tab, signed_in=False)
    tab.get_by_role("button", name=f"以「{name}」身份进入").first.click()
    wait_for_app(tab)


def choose(tab, label: str, option: str) -> None:
    """Pick `option` in the sidebar selectbox labelled `label`, the way a user does."""
    box = tab.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text=label)
    box.scroll_into_view_if_needed()   # at the sidebar's bottom edge the click's own scroll closed the list at once
    tab.wait_for_timeout(300)
    box.click()
    tab.get_by_role("option", name=option).click()
    wait_for_app(tab)


@pytest.fixture
def tab(chromium_browser):
    """A fresh browser context at 1920x1080 in Chinese; fails the test on any page error."""
    context = chromium_browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors
