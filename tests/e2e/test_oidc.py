"""OIDC with st.login against a local mock provider: a known e-mail gets its account's scope,
an unknown one gets nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.e2e.conftest import PROJECT_ROOT, _free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def oidc_app_url(e2e_database_url, chromium_path, tmp_path_factory):
    from oidc_provider_mock import run_server_in_thread

    with run_server_in_thread(port=0) as provider:
        port = _free_port()
        secrets = tmp_path_factory.mktemp("oidc") / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
            'cookie_secret = "test-cookie-secret-0123456789abcdef"\n'
            'client_id = "cockpit"\nclient_secret = "cockpit-secret"\n'
            f'server_metadata_url = "http://localhost:{provider.server_port}/.well-known/openid-configuration"\n',
            encoding="utf-8",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.port", str(port),
             "--server.headless", "true", "--secrets.files", str(secrets)],
            cwd=PROJECT_ROOT, env={**os.environ, "DATABASE_URL": e2e_database_url},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        base = f"http://localhost:{port}"
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        yield base
        process.terminate()
        process.wait(timeout=10)


def _sign_in_with_provider(chromium_browser, base: str, email: str):
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    tab = context.new_page()
    tab.goto(base)
    tab.get_by_role("button", name="使用单位账号登录（OIDC）").click()
    tab.wait_for_selector("input[name='sub']", timeout=30_000)
    tab.fill("input[name='sub']", email)
    tab.get_by_role("button", name="Authorize").click()
    tab.wait_for_url(f"{base}/**", timeout=30_000)
    return context, tab


def test_known_email_signs_in_with_its_accounts_scope(chromium_browser, oidc_app_url):
    context, tab = _sign_in_with_provider(chromium_browser, oidc_app_url, "demo_president@bank.example.cn")
    tab.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
    tab.wait_for_timeout(2000)
    sidebar = tab.inner_text("[data-testid='stSidebar']")
    assert "月河社区支行行长" in sidebar
    assert "审计日志" not in sidebar
    context.close()


def test_unknown_email_gets_no_access(chromium_browser, oidc_app_url):
    context, tab = _sign_in_with_provider(chromium_browser, oidc_app_url, "stranger@example.org")
    tab.wait_for_selector("text=该单位账号未在系统中开通", timeout=30_000)
    assert tab.locator("[data-testid='stSidebarNav']").count() == 0
    context.close()
