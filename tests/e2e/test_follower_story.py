"""In a real browser: the follower page tells seed 001's Mid-Autumn story, the overview shows alerts."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import choose, screenshot, sign_in_as_demo, wait_for_app

pytestmark = pytest.mark.e2e


def test_follower_page_shows_the_mid_autumn_story(tab, app_url):
    sign_in_as_demo(tab, app_url, "总行管理员")
    tab.get_by_role("link", name="粉丝增长").click()
    wait_for_app(tab)
    screenshot(tab, "followers_all_branches")
    choose(tab, "网点", "月河社区支行")
    choose(tab, "统计周期", "近365天")
    body = tab.inner_text("body")
    assert "中秋大闸蟹团购" in body
    assert "掉粉预警" in body
    assert "Traceback" not in body
    path = screenshot(tab, "followers_story_branch")
    assert path.stat().st_size > 50_000


def test_overview_shows_headline_and_alerts(tab, app_url):
    sign_in_as_demo(tab, app_url, "总行管理员")
    body = tab.inner_text("body")
    assert "粉丝增长" in body and "预警" in body
    assert "Traceback" not in body
    screenshot(tab, "overview")
