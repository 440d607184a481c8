"""In a real browser: 规则与复核 shows the fraud review work list with its decision form and the reward
rule editor (desktop and phone width, screenshots); a president gets the review without the rule editor.
The writes themselves are exercised through the forms in tests/pages/test_rules_page.py (this server's
database is shared by every e2e test, so this test only reads)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, sign_in_as_demo, wait_for_app

pytestmark = pytest.mark.e2e


def open_tab(tab, name: str) -> str:
    tab.get_by_role("tab", name=name).click()
    wait_for_app(tab)
    tab.wait_for_timeout(2500)  # the work list and the rule table are canvas grids: let them draw
    body = tab.inner_text("body")
    assert "Traceback" not in body and tab.locator("[data-testid='stException']").count() == 0
    return body


def test_review_list_and_rule_editor_for_an_admin_and_a_president(tab, app_url):
    sign_in_as_demo(tab, app_url, "总行管理员")
    tab.locator("[data-testid='stSidebarNav'] a", has_text="规则与复核").click()
    wait_for_app(tab)
    body = open_tab(tab, "风险复核")
    assert "本期风险提示" in body and "选择一条风险提示" in body and "提交复核结论" in body
    screenshot(tab, "rules_review_list_1920x1080")
    body = open_tab(tab, "奖励规则")
    assert "设定新费率" in body and "保存规则" in body
    assert tab.locator("[data-testid='stDataFrame']").count() >= 1, "the rule table"
    screenshot(tab, "rules_editor_1920x1080")
    body = open_tab(tab, "季度结账")
    assert "已结账" in body or "结账" in body
    screenshot(tab, "rules_quarters_1920x1080")
    tab.set_viewport_size({"width": 390, "height": 844})
    body = open_tab(tab, "风险复核")
    assert "提交复核结论" in body
    screenshot(tab, "rules_review_list_390x844")

    president = tab.context.browser.new_context(viewport={"width": 1920, "height": 1080}, locale="zh-CN").new_page()
    president.goto(app_url)
    wait_for_app(president, signed_in=False)
    president.locator(".st-key-demo_login_3 button").click()  # demo_president
    wait_for_app(president)
    president.locator("[data-testid='stSidebarNav'] a", has_text="规则与复核").click()
    wait_for_app(president)
    body = open_tab(president, "风险复核")
    assert "提交复核结论" in body
    body = open_tab(president, "奖励规则")
    assert "只有总行管理员可以修改奖励规则" in body and "保存规则" not in body
    screenshot(president, "rules_president_rules_tab")
    president.context.close()
