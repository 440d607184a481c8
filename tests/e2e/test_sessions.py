"""A sign-in outlives a reload, a new tab and a server restart; sign-out, a tampered cookie, an idle
session and a revoked one all lead back to the login page, and the refused cookies are audited."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.auth import change_account, create_account, sign_out_everywhere
from models.db import make_engine
from models.login_sessions import COOKIE_NAME
from sample_data.accounts import DEMO_PASSWORD
from tests.e2e.conftest import StreamlitServer, screenshot, wait_for_app

pytestmark = pytest.mark.e2e

SIGNED_IN = "[data-testid='stSidebarNav']"
LOGIN_FORM = "[data-testid='stForm']"


def sign_in_with_form(tab, app_url: str, username: str, password: str = DEMO_PASSWORD) -> dict:
    """Sign in as a user does and wait until the browser holds the session cookie; returns it."""
    tab.goto(app_url)
    wait_for_app(tab, signed_in=False)
    tab.get_by_label("用户名").fill(username)
    tab.get_by_label("密码").fill(password)
    tab.get_by_role("button", name="登录", exact=True).click()
    wait_for_app(tab)
    return wait_for_cookie(tab)


def session_cookie(tab) -> dict | None:
    return next((c for c in tab.context.cookies() if c["name"] == COOKIE_NAME), None)


def wait_for_cookie(tab, present: bool = True, timeout: float = 20) -> dict | None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        cookie = session_cookie(tab)
        if (cookie is not None) == present:
            return cookie
        tab.wait_for_timeout(250)
    raise AssertionError(f"session cookie {'never set' if present else 'still there'}")


def assert_signed_in_as(tab, name: str) -> None:
    tab.wait_for_selector(SIGNED_IN, timeout=30_000, state="attached")
    assert name in tab.inner_text("[data-testid='stSidebar']")


def assert_login_page(tab) -> None:
    tab.wait_for_selector(LOGIN_FORM, timeout=30_000)
    assert tab.locator(SIGNED_IN).count() == 0


def audit_rows(database_url: str, since, action: str = "session") -> list[tuple[str, str, str]]:
    engine = make_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(select(AuditLog.username, AuditLog.outcome, AuditLog.detail)
                               .where(AuditLog.action == action, AuditLog.id > since)).all()
    engine.dispose()
    return [tuple(row) for row in rows]


def last_audit_id(database_url: str) -> int:
    engine = make_engine(database_url)
    with Session(engine) as session:
        newest = session.execute(select(AuditLog.id).order_by(AuditLog.id.desc()).limit(1)).scalar() or 0
    engine.dispose()
    return int(newest)


def test_sign_in_survives_reload_new_tab_and_server_restart(tab, app_url, streamlit_server):
    cookie = sign_in_with_form(tab, app_url, "demo_president")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["secure"]   # plain http on 127.0.0.1; Secure under https
    assert tab.evaluate("document.cookie").find(COOKIE_NAME) == -1   # page scripts cannot read it

    tab.reload()
    wait_for_app(tab)
    assert_signed_in_as(tab, "月河社区支行行长")
    screenshot(tab, "session-after-reload")

    second = tab.context.new_page()
    second.goto(app_url)
    wait_for_app(second)
    assert_signed_in_as(second, "月河社区支行行长")
    second.close()

    streamlit_server.stop()
    streamlit_server.ensure()
    tab.reload()
    wait_for_app(tab)
    assert_signed_in_as(tab, "月河社区支行行长")


def test_sign_out_then_reload_gives_the_login_page(tab, app_url):
    sign_in_with_form(tab, app_url, "demo_staff")
    tab.get_by_role("button", name="退出登录").click()
    assert_login_page(tab)
    wait_for_cookie(tab, present=False)
    tab.reload()
    wait_for_app(tab, signed_in=False)
    assert_login_page(tab)


def test_tampered_cookie_gives_the_login_page_and_is_audited(tab, app_url, e2e_database_url):
    cookie = sign_in_with_form(tab, app_url, "demo_viewer")
    since = last_audit_id(e2e_database_url)
    token, signature = cookie["value"].rsplit(".", 1)
    forged = ("A" if token[0] != "A" else "B") + token[1:] + "." + signature
    tab.context.add_cookies([{**cookie, "value": forged}])
    tab.reload()
    wait_for_app(tab, signed_in=False)
    assert_login_page(tab)
    assert ("anonymous", "failed", "tampered cookie") in audit_rows(e2e_database_url, since)
    wait_for_cookie(tab, present=False)   # the refused cookie is deleted, so the next reload is quiet


def test_sessions_revoked_by_an_admin_or_a_password_change_give_the_login_page(tab, app_url, e2e_database_url):
    engine = make_engine(e2e_database_url)
    with Session(engine) as session:
        if session.execute(select(User.id).where(User.username == "e2e_revoked")).first() is None:
            create_account(session, "e2e", "e2e_revoked", "first-password-1", "viewer", display_name="撤销测试")
        user_id = session.execute(select(User.id).where(User.username == "e2e_revoked")).scalar_one()

    sign_in_with_form(tab, app_url, "e2e_revoked", "first-password-1")
    with Session(engine) as session:
        assert sign_out_everywhere(session, "demo_admin", user_id) == 1
    since = last_audit_id(e2e_database_url)
    tab.reload()
    wait_for_app(tab, signed_in=False)
    assert_login_page(tab)
    assert ("e2e_revoked", "failed", "revoked session") in audit_rows(e2e_database_url, since)

    sign_in_with_form(tab, app_url, "e2e_revoked", "first-password-1")
    with Session(engine) as session:
        change_account(session, "demo_admin", user_id, new_password="second-password-2")
    tab.reload()
    wait_for_app(tab, signed_in=False)
    assert_login_page(tab)
    engine.dispose()


@pytest.fixture(scope="module")
def short_idle_server(e2e_database_url, chromium_path):
    """A second server whose idle limit is 15 seconds (COCKPIT_IDLE_MINUTES=0.25)."""
    server = StreamlitServer(e2e_database_url, env={"COCKPIT_IDLE_MINUTES": "0.25"})
    server.ensure()
    yield server
    server.stop()
    server.log.close()


def test_idle_past_the_limit_gives_the_login_page(tab, short_idle_server, e2e_database_url):
    base = short_idle_server.ensure()
    sign_in_with_form(tab, base, "demo_city")
    tab.reload()
    wait_for_app(tab)
    assert_signed_in_as(tab, "当前用户")
    since = last_audit_id(e2e_database_url)
    tab.wait_for_timeout(20_000)
    tab.reload()
    wait_for_app(tab, signed_in=False)
    assert_login_page(tab)
    assert ("demo_city", "failed", "idle session") in audit_rows(e2e_database_url, since)


def test_on_a_phone_the_sign_in_also_survives_a_reload(chromium_browser, app_url):
    """At phone width the sidebar (which carries the handoff element) starts collapsed."""
    context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                           is_mobile=True, has_touch=True)
    phone = context.new_page()
    try:
        sign_in_with_form(phone, app_url, "demo_president")
        phone.reload()
        wait_for_app(phone)   # waits for the signed-in navigation
        assert phone.locator("input[type='password']").count() == 0   # (the overview has forms of its own)
        screenshot(phone, "session-after-reload-phone")
    finally:
        context.close()
