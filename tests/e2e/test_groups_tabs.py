"""In a real browser: the groups page runs only its open tab (the others at head office read 0.3-0.6 s each),
and a click on another tab brings that tab's figures."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_app
from tests.e2e.test_every_role_and_page import assert_clean, open_as

pytestmark = pytest.mark.e2e


def test_a_tab_of_the_groups_page_renders_when_clicked(chromium_browser, app_url):
    context, tab, errors = open_as(chromium_browser, app_url, "admin")
    try:
        tab.get_by_role("link", name="社群活跃").click()
        wait_for_app(tab)
        body = assert_clean(tab, "groups")
        assert "未兑换积分（负债）" not in body, "the points tab has not run: it is not open"
        tab.get_by_role("tab", name="积分").click()
        wait_for_app(tab)
        expect(tab.get_by_text("未兑换积分（负债）")).to_be_visible(timeout=30_000)
        screenshot(tab, "groups_points_tab")
        tab.get_by_role("tab", name="员工服务（企业微信）").click()
        wait_for_app(tab)
        expect(tab.get_by_text("群主的客户群").first).to_be_visible(timeout=30_000)
        assert_clean(tab, "groups staff tab")
        screenshot(tab, "groups_staff_tab")
        assert not errors, errors
    finally:
        context.close()
