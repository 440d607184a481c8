"""AppTest helpers: pages run against a seeded demo SQLite file chosen through DATABASE_URL."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 90


class PageTest:
    """An AppTest that enters through app.py (as a user does) and then opens one page."""

    def __init__(self, relative_path: str) -> None:
        self.path = relative_path
        self.app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT)
        self.session_state = self.app.session_state
        self.query_params = self.app.query_params

    def run(self) -> AppTest:
        self.app.run()
        if self.path != "app.py" and not self.app.exception:
            self.app.switch_page(self.path).run()
        return self.app


def page(relative_path: str) -> PageTest:
    """A page given relative to the project root (e.g. "app_pages/followers.py"); call `.run()`."""
    return PageTest(relative_path)


def run_page(relative_path: str) -> AppTest:
    app = page(relative_path).run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def demo_env(monkeypatch, demo_sqlite_url):
    monkeypatch.setenv("DATABASE_URL", demo_sqlite_url)
    monkeypatch.chdir(PROJECT_ROOT)
    return demo_sqlite_url
