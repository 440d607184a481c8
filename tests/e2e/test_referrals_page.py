"""In a real browser: the referral leaderboard renders, pins the signed-in staff member, shows the ledger."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import choose, screenshot, sign_in_as_demo, wait_for_app

pytestmark = pytest.mark.e2e


def test_referral_leaderboard_pins_me_and_shows_the_ledger(tab, app_url):
    sign_in_as_demo(tab, app_url, "总行管理员")
    tab.get_by_role("link", name="推荐排行榜").click()
    wait_for_app(tab)
    body = tab.inner_text("body")
    assert "推荐排行榜" in body and "奖励台账" in body
    assert "Traceback" not in body
    assert "我是" not in body, "nobody picks who they are"
    tab.wait_for_timeout(2000)
    screenshot(tab, "referrals_leaderboard")
    president = tab.context.browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
    president.goto(app_url)
    wait_for_app(president, signed_in=False)
    president.locator(".st-key-demo_login_3 button").click()  # demo_president, linked to a staff record
    wait_for_app(president)
    president.get_by_role("link", name="推荐排行榜").click()
    wait_for_app(president)
    assert "我的名次" in president.inner_text("body")
    president.context.close()
    tab.wait_for_timeout(2000)
    screenshot(tab, "referrals_me_pinned")
    tab.get_by_role("tab", name="奖励台账").click()
    wait_for_app(tab)
    tab.wait_for_timeout(1500)
    assert "下载奖励台账" in tab.inner_text("body")
    screenshot(tab, "referrals_ledger")
    choose(tab, "统计周期", "近365天")
    assert "Traceback" not in tab.inner_text("body")
