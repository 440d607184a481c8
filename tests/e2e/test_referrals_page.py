"""In a real browser: the referral leaderboard renders with its tabs and the overview shows referrals."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e


@pytest.fixture
def tab(chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, errors


def test_referral_leaderboard_renders(tab, app_url):
    tab.goto(f"{app_url}/referrals")
    wait_for_app(tab)
    body = tab.inner_text("body")
    assert "推荐排行榜" in body and "奖励台账" in body
    assert "Traceback" not in body
    tab.wait_for_timeout(3000)
    screenshot(tab, "referrals_leaderboard")
    me_box = tab.locator("[data-testid='stSelectbox']").filter(has_text="我是")
    me_box.click()
    tab.get_by_role("option").nth(5).click()
    wait_for_app(tab)
    tab.wait_for_timeout(2500)
    assert "我的名次" in tab.inner_text("body")
    screenshot(tab, "referrals_me_pinned")
    tab.get_by_role("tab", name="奖励台账").click()
    wait_for_app(tab)
    tab.wait_for_timeout(2000)
    screenshot(tab, "referrals_ledger")
