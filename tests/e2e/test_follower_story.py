"""In a real browser: the follower page tells seed 001's Mid-Autumn story, the overview shows alerts."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models.db import make_engine
from sample_data.org import STORY_BRANCH_CODE
from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def _story_branch_id(database_url: str) -> int:
    engine = make_engine(database_url)
    with engine.connect() as conn:
        branch_id = conn.execute(text("SELECT id FROM branch WHERE code = :c"), {"c": STORY_BRANCH_CODE}).scalar_one()
    engine.dispose()
    return branch_id


@pytest.fixture
def tab(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors


def test_follower_page_shows_the_mid_autumn_story(tab, app_url, e2e_database_url):
    tab.goto(f"{app_url}/followers?days=365")
    wait_for_app(tab)
    screenshot(tab, "followers_all_branches")
    tab.goto(f"{app_url}/followers?days=365&branch={_story_branch_id(e2e_database_url)}")
    wait_for_app(tab)
    body = tab.inner_text("body")
    assert "中秋大闸蟹团购" in body
    assert "掉粉预警" in body
    assert "Traceback" not in body
    path = screenshot(tab, "followers_story_branch")
    assert path.stat().st_size > 50_000


def test_overview_shows_headline_and_alerts(tab, app_url):
    tab.goto(app_url)
    wait_for_app(tab)
    body = tab.inner_text("body")
    assert "粉丝增长" in body and "预警" in body
    assert "Traceback" not in body
    screenshot(tab, "overview")
