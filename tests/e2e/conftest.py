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

from models.db import make_engine
from sample_data.generate import seed_database
from tests.conftest import DEMO_END, DEMO_SEED

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Debian's Chromium is missing at /usr/bin/chromium (apt-get install -y chromium)")
        pytest.skip("Chromium not installed: apt-get install -y chromium")
    return CHROMIUM


@pytest.fixture(scope="session")
def e2e_database_url(tmp_path_factory) -> str:
    db_path = tmp_path_factory.mktemp("e2e") / "demo.db"
    url = f"sqlite:///{db_path}"
    engine = make_engine(url)
    seed_database(engine, "demo", DEMO_SEED, DEMO_END)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def app_url(e2e_database_url, chromium_path) -> Iterator[str]:
    url = e2e_database_url
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    log_path = ARTIFACTS.parent / f"streamlit-{port}.log"   # a file, not a pipe nobody reads (it would fill up)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        pytest.fail("streamlit did not start: " + log_path.read_text())
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


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
