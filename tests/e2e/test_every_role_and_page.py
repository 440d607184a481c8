"""In a real browser, as every demo role: every page renders without an exception (screenshots at
1920x1080 and 390x844), a filter changes the overview, exports download, the language switches and
meeting mode runs its slideshow and hands out a self-contained meeting brief."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog
from models.db import make_engine
from tests.e2e.conftest import ARTIFACTS, screenshot, wait_for_app
from tests.e2e.test_follower_story import choose

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1920, "height": 1080}
PHONE = {"width": 390, "height": 844}
# demo accounts in sample_data/accounts.py, by id
ROLES = {"admin": 1, "city_president": 2, "president": 3, "staff": 4, "viewer": 5}


def open_as(chromium_browser, app_url: str, role: str, viewport=None):
    """A fresh browser context (its own cookies and session) signed in with the role's demo button."""
    context = chromium_browser.new_context(viewport=viewport or DESKTOP, locale="zh-CN", accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(app_url)
    wait_for_app(tab, signed_in=False)
    tab.locator(f".st-key-demo_login_{ROLES[role]} button").click()
    wait_for_app(tab)
    return context, tab, errors


def assert_clean(tab, where: str) -> str:
    body = tab.inner_text("body")
    assert tab.locator("[data-testid='stException']").count() == 0, f"exception on {where}"
    assert "Traceback" not in body, where
    return body


def nav_links(tab) -> list[tuple[str, str]]:
    links = tab.locator("[data-testid='stSidebarNav'] a")
    return [(links.nth(i).inner_text().strip().splitlines()[-1], links.nth(i).get_attribute("href") or "")
            for i in range(links.count())]


def slug(href: str) -> str:
    from urllib.parse import urlparse

    return urlparse(href).path.strip("/").rsplit("/", 1)[-1] or "overview"


@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_renders_for_every_role(chromium_browser, app_url, role):
    context, tab, errors = open_as(chromium_browser, app_url, role)
    try:
        links = nav_links(tab)
        assert len(links) >= 6, links
        assert {"任务", "营销目标"} <= {name for name, _ in links}, links
        assert any("我的外勤" in name for name, _ in links), "every role finds its field work (viewers read only)"
        if role == "admin":
            assert any("审计" in name for name, _ in links)
        else:
            assert not any("审计" in name or "用户管理" in name or "数据接入" in name for name, _ in links)
        reviews = any("规则与复核" in name for name, _ in links)  # the fraud review and reward rules page
        assert reviews == (role in ("admin", "city_president", "president")), links
        for position, (name, href) in enumerate(links):
            tab.locator("[data-testid='stSidebarNav'] a").nth(position).click()
            wait_for_app(tab)
            assert_clean(tab, f"{role} {name}")
            screenshot(tab, f"{role}_{slug(href)}_1920x1080")
            if role == "admin":   # every page at phone width too (the admin sees every page)
                tab.set_viewport_size(PHONE)
                tab.wait_for_timeout(1500)
                assert_clean(tab, f"{role} {name} phone")
                screenshot(tab, f"{role}_{slug(href)}_390x844")
                tab.set_viewport_size(DESKTOP)
                tab.wait_for_timeout(800)
        assert not errors, errors
    finally:
        context.close()


def test_filter_change_and_downloads_on_the_overview(chromium_browser, app_url, e2e_database_url):
    context, tab, errors = open_as(chromium_browser, app_url, "admin")
    try:
        choose(tab, "统计周期", "近90天")
        body = assert_clean(tab, "overview 90 days")
        assert "与上周相比" in body and "净增最多" in body
        assert re.search(r"当前范围：.*，\d{4}-\d{2}-\d{2} 至 \d{4}-\d{2}-\d{2}", body)
        with tab.expect_download() as info:
            tab.locator(".st-key-overview_top_csv button").click()
        download = info.value
        assert download.suggested_filename == "top_branches.csv"
        path = ARTIFACTS.parent / "downloads" / download.suggested_filename
        download.save_as(path)
        data = path.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf") and "网点".encode() in data
        wait_for_app(tab)
        with tab.expect_download(timeout=60_000) as info:
            tab.get_by_role("button", name="下载会议简报（HTML）").click()
        assert info.value.suggested_filename.startswith("meeting-brief-")
        wait_for_app(tab)
        assert_clean(tab, "after the brief download")
        engine = make_engine(e2e_database_url)
        with Session(engine) as session:   # the export is on the record, with the scope and period
            actions = session.execute(select(AuditLog.username, AuditLog.detail)
                                      .where(AuditLog.action == "export_meeting_brief")).all()
            tables = session.execute(select(AuditLog.username, AuditLog.detail)
                                     .where(AuditLog.action == "export")).all()
        engine.dispose()
        assert any(user == "demo_admin" and "全行" in detail for user, detail in actions), actions
        rows = data.decode("utf-8-sig").count("\n") - 1   # the header line and one line per row
        assert ("demo_admin", f"top_branches.csv rows={rows}") in tables, tables
        assert not errors, errors
    finally:
        context.close()


def test_language_switch_turns_the_whole_screen_english(chromium_browser, app_url):
    context, tab, errors = open_as(chromium_browser, app_url, "city_president")
    try:
        tab.locator("[data-testid='stSidebar'] label").filter(has_text="English").click()
        wait_for_app(tab)
        body = assert_clean(tab, "overview en")
        assert "Since last week" in body and "Alerts" in body and "Headlines" in body
        assert "与上周相比" not in body and "预警" not in body
        sidebar = tab.locator("[data-testid='stSidebar']").evaluate(
            "e => e.textContent + ' ' + [...e.querySelectorAll('input')].map(i => i.value + ' ' + (i.placeholder || ''))"
            ".join(' ')")
        assert "All branches" in sidebar and "Last 30 days" in sidebar and "全部网点" not in sidebar
        screenshot(tab, "city_president_overview_en_1920x1080")
        tab.locator("[data-testid='stSidebarNav'] a").filter(has_text="Follower growth").click()
        wait_for_app(tab)
        assert "Net follows" in assert_clean(tab, "followers en") or "Followers" in tab.inner_text("body")
        screenshot(tab, "city_president_followers_en_1920x1080")
        tab.locator("[data-testid='stSidebar'] label").filter(has_text="中文").click()   # leave the account as found
        wait_for_app(tab)
        assert "粉丝增长" in tab.inner_text("body")
        assert not errors, errors
    finally:
        context.close()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1920x1080", "390x844"])
def test_meeting_mode_for_the_viewer(chromium_browser, app_url, viewport):
    context, tab, errors = open_as(chromium_browser, app_url, "viewer", viewport)
    try:
        tab.get_by_role("button", name="会议模式").click()
        wait_for_app_main(tab)
        assert not tab.locator("[data-testid='stSidebar']").is_visible()
        body = assert_clean(tab, "meeting")
        assert re.search(r"第 1 / \d+ 页", body) and "本周要点" in body
        size = f"{viewport['width']}x{viewport['height']}"
        screenshot(tab, f"viewer_meeting_brief_{size}")
        # Pause first: a slide that advances under the click re-renders the controls and can swallow it.
        tab.locator(".st-key-meeting_toggle button").click()
        tab.wait_for_function("() => document.querySelector('.st-key-meeting_toggle').innerText.includes('播放')",
                              timeout=30_000)
        # The pause reran the script: until the run ends the download button may still hold the file id of the
        # run before, which Streamlit drops when this run finishes ("Deferred file ... not found", no download).
        wait_for_app(tab)
        with tab.expect_download(timeout=90_000) as info:
            tab.get_by_role("button", name="下载会议简报（HTML）").click()
        html = info.value.path().read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>") and "会议简报" in html
        assert not re.search(r"<script[^>]*\bsrc=", html) and "Plotly.newPlot" in html
        tab.locator(".st-key-meeting_toggle button").click()   # play again
        tab.wait_for_function("() => document.querySelector('.st-key-meeting_toggle').innerText.includes('暂停')",
                              timeout=30_000)
        tab.locator(".st-key-meeting_next button").click()
        tab.locator(".st-key-meeting_next button").click()
        tab.wait_for_function("() => /第 3 \\/ \\d+ 页/.test(document.body.innerText)", timeout=30_000)
        tab.wait_for_selector(".js-plotly-plot", timeout=30_000)
        tab.wait_for_timeout(1500)
        screenshot(tab, f"viewer_meeting_chart_{size}")
        if viewport is DESKTOP:   # playing: the next slide comes by itself
            tab.wait_for_function("() => /第 4 \\/ \\d+ 页/.test(document.body.innerText)", timeout=40_000)
            tab.locator(".st-key-meeting_toggle button").click()   # pause: the button now offers to play
            tab.wait_for_function("() => document.querySelector('.st-key-meeting_toggle').innerText.includes('播放')",
                                  timeout=30_000)
            shown = re.search(r"第 \d+ / \d+ 页", tab.inner_text("body")).group(0)
            tab.wait_for_timeout(16_000)   # longer than a slide's 15 s: paused, it stays put
            assert shown in tab.inner_text("body")
        tab.locator(".st-key-meeting_exit button").click()
        wait_for_app(tab)
        assert "会议模式" in assert_clean(tab, "after meeting")
        assert not errors, errors
    finally:
        context.close()


def wait_for_app_main(tab) -> None:
    """wait_for_app, then for the first slide."""
    wait_for_app(tab)
    tab.wait_for_function("() => /第 \\d+ \\/ \\d+ 页/.test(document.body.innerText)", timeout=60_000)
