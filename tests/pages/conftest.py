"""AppTest helpers: pages run against a seeded demo SQLite file chosen through DATABASE_URL."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from models.db import make_engine
from sample_data.accounts import DEMO_PASSWORD
from sample_data.org import STORY_BRANCH_CODE
from tests.conftest import seeded_demo_sqlite

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    """Fill and submit the login form, as a user does."""
    app.text_input(key="login_username").input(username)
    app.text_input(key="login_password").input(password)
    next(b for b in app.button if b.label in ("登录", "Sign in")).click().run()
    return app


class PageTest:
    """An AppTest that enters through app.py as a user does: signs in with the login form (as
    `username`, a demo account; None stays signed out), then opens one page."""

    def __init__(self, relative_path: str, username: str | None = "demo_admin") -> None:
        self.path = relative_path
        self.username = username
        self.app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
        self.session_state = self.app.session_state
        self.query_params = self.app.query_params

    def run(self) -> AppTest:
        self.app.run()
        signed_out = any(getattr(w, "key", None) == "login_username" for w in self.app.text_input)
        if self.username and signed_out and not self.app.exception:
            sign_in(self.app, self.username, DEMO_PASSWORD)
        if self.path != "app.py" and self.username and not self.app.exception and not signed_out_now(self.app):
            self.app.switch_page(str(PROJECT_ROOT / self.path)).run()
        return self.app


def signed_out_now(app: AppTest) -> bool:
    return any(getattr(w, "key", None) == "login_username" for w in app.text_input)


def page(relative_path: str, username: str | None = "demo_admin") -> PageTest:
    """A page given relative to the project root (e.g. "app_pages/followers.py"); call `.run()`."""
    return PageTest(relative_path, username)


def run_page(relative_path: str, username: str = "demo_admin") -> AppTest:
    app = page(relative_path, username).run()
    assert not app.exception, app.exception
    return app


def open_tab(app: AppTest, key: str, label: str) -> AppTest:
    """Select a lazy tab (`st.tabs(..., key=key, on_change="rerun")`) the way a click does, and rerun: only
    the open tab's content runs, so a test reads another tab by opening it."""
    app.session_state[key] = label
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def demo_env(monkeypatch, demo_sqlite_url):
    monkeypatch.setenv("DATABASE_URL", demo_sqlite_url)
    monkeypatch.chdir(PROJECT_ROOT)
    return demo_sqlite_url


@pytest.fixture
def own_demo_env(monkeypatch, demo_sqlite_url, tmp_path):
    """A private copy of the demo database, for tests that lock, disable or re-role accounts."""
    copy = tmp_path / "demo.db"
    with sqlite3.connect(demo_sqlite_url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(PROJECT_ROOT)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def demo_with_hostile_names(path: Path, prefixes: list[str], tables: list[str]) -> tuple[str, int]:
    """A demo database at `path` whose every name in `tables` starts with one of `prefixes` (chosen by row
    id), and the story branch's id: whatever a page names is hostile."""
    url = seeded_demo_sqlite(path)
    with sqlite3.connect(path) as conn:
        story = conn.execute("SELECT id FROM branch WHERE code = ?", (STORY_BRANCH_CODE,)).fetchone()[0]
        cases = " ".join(f"WHEN {i} THEN ?" for i in range(len(prefixes)))
        for table in tables:
            conn.execute(f"UPDATE {table} SET name = (CASE id % {len(prefixes)} {cases} END) || name", prefixes)
    return url, int(story)


def signed_in_app(url: str, username: str, monkeypatch, branch: int | None = None) -> AppTest:
    """app.py on `url`, signed in through the form as `username`, on `branch` (None: the whole scope);
    the graph page opens in its person view."""
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(PROJECT_ROOT)
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
    if branch is not None:
        app.query_params["branch"] = str(branch)
    app.query_params["view"] = "ego"
    app.run()
    sign_in(app, username, DEMO_PASSWORD)
    assert not app.exception, app.exception
    return app
