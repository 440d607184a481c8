"""On a phone (390x844, Chromium): the demo staff member opens 我的外勤, records a home visit in a few taps and
sees it at once: the worker leaves the list to visit, the visit is under 已登记的走访 and the visits-done figure
moves. Nothing on the page is wider than the phone. Screenshots in test-artifacts/screenshots/."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, wait_for_app
from tests.e2e.test_every_role_and_page import PHONE, assert_clean, open_as

pytestmark = pytest.mark.e2e

DAY_OF_MONTH = "18"  # 2026-02-18 (the page opens on 2026-02-06): two of the staff member's workers are due
WIDER_THAN_THE_PHONE = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def done_figure(tab):
    return tab.locator("[data-testid='stMetric']").filter(has_text="已走访").locator("[data-testid='stMetricValue']")


def visits_done(tab) -> int:
    return int(re.sub(r"\D", "", done_figure(tab).inner_text()))


def pick(tab, form, label: str, option: str) -> None:
    """Tap a selectbox of the form and then its option, as a thumb does (the list opens below the box)."""
    box = form.locator("[data-testid='stSelectbox']").filter(has_text=label)
    box.scroll_into_view_if_needed()
    tab.wait_for_timeout(300)
    box.click()
    tab.get_by_role("option", name=option).click()
    expect(box.get_by_role("combobox")).to_have_value(option)


def test_a_staff_member_records_a_visit_from_the_phone(chromium_browser, app_url):
    context, tab, errors = open_as(chromium_browser, app_url, "staff", viewport=PHONE)
    try:
        tab.goto(f"{app_url}/fieldwork")
        wait_for_app(tab)
        assert_clean(tab, "field work")
        tab.get_by_text("营销季与日期").click()
        tab.get_by_role("spinbutton", name="day, 工作日期").click()   # the date field's day segment
        tab.keyboard.type(DAY_OF_MONTH)
        tab.keyboard.press("Escape")   # close the calendar: the day is taken
        wait_for_app(tab)
        tab.get_by_text("营销季与日期").click()   # fold the settings away again
        wait_for_app(tab)
        screenshot(tab, "fieldwork_staff_day_390x844")
        body = assert_clean(tab, "field work on the day")
        assert "今天该走访谁" in body and "原因：" in body
        assert tab.evaluate(WIDER_THAN_THE_PHONE) == 0, "the page scrolls sideways on a phone"
        screenshot(tab, "fieldwork_staff_list_390x844")
        before = visits_done(tab)

        card = tab.locator("[class*='st-key-fw_card_']").first   # the first worker to visit
        worker = card.locator("[data-testid='stMarkdownContainer'] strong").first.inner_text().split(". ", 1)[1]
        card.get_by_text("登记走访").click()
        wait_for_app(tab)   # opening the card may rerun the page; a rerun would close a dropdown opened meanwhile
        form = card.locator("[data-testid='stForm']")
        pick(tab, form, "走访结果", "承诺存款")
        pick(tab, form, "存款意向", "愿意存")
        form.get_by_label("意向金额（元）").fill("30000")
        form.get_by_label("备注").fill("初八来网点存，带家人一起")
        screenshot(tab, "fieldwork_staff_form_390x844")
        form.get_by_role("button", name="保存").click()
        tab.get_by_text("已保存，数字已更新。").wait_for(timeout=90_000)   # the write, then the rerun it asks for
        wait_for_app(tab)
        expect(done_figure(tab)).to_have_text(str(before + 1), timeout=30_000)
        assert_clean(tab, "field work after the visit")
        recorded = (tab.locator("[class*='st-key-fw_recorded_']").filter(has_text=f"{worker} · 第2轮")
                    .filter(has_text="承诺存款"))
        assert recorded.count() >= 1, "the visit is listed under the visits recorded"
        assert tab.evaluate(WIDER_THAN_THE_PHONE) == 0
        screenshot(tab, "fieldwork_staff_saved_390x844")
        for label, name in (("短信回复", "sms"), ("关怀", "care")):   # the other two lists fit the phone too
            tab.get_by_role("tab", name=label).click()
            tab.wait_for_timeout(800)
            assert tab.evaluate(WIDER_THAN_THE_PHONE) == 0, label
            screenshot(tab, f"fieldwork_staff_{name}_390x844")
        assert not errors, errors
    finally:
        context.close()
