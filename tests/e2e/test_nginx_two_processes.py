"""Two app processes on one PostgreSQL database behind nginx (Debian's package, the site files in deploy/nginx/):
two users signed in on different processes; an import is seen by the other process at once (the data version);
a process killed mid-session: its user lands on the other process, still signed in, on the page they were on."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from components.data import DATA_VERSION_TTL_SECONDS
from models.auth import create_account
from models.db import make_engine
from models.importing import commit
from models.migrations import migrate
from tests.conftest import POSTGRES_URL, require_backend
from tests.e2e.conftest import PROJECT_ROOT, StreamlitServer, _free_port, screenshot, wait_for_app
from tests.e2e.test_sessions import assert_signed_in_as, sign_in_with_form

pytestmark = pytest.mark.e2e

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = PROJECT_ROOT / "deploy" / "nginx"
PASSWORD = "two-processes-42"


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _follower_file(*rows: str) -> bytes:
    return _csv("时间,新关注人数,取消关注人数,净增关注人数,累积关注人数,公众号", *rows)


@pytest.fixture
def shared_database():
    """A PostgreSQL schema both processes use: a branch, its account's follower days, two admins."""
    require_backend("postgresql")
    schema = f"t_nginx_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    url_text = url.render_as_string(hide_password=False)
    engine = make_engine(url_text)
    migrate(engine)
    for kind, data in [
        ("region", _csv("片区代码,片区名称", "R01,城区片区")),
        ("branch", _csv("网点代码,网点名称,层级,上级网点代码,片区代码", "HO,总行,总行,,", "B1,一分行,分行,HO,R01",
                        "B1-01,一支行,支行,B1,R01")),
        ("official_account", _csv("原始ID,公众号名称,网点代码", "gh_b101,一支行服务号,B1-01")),
        ("follower_daily", _follower_file("2026-11-20,10,2,8,1008,gh_b101", "2026-11-21,5,0,5,1013,gh_b101")),
    ]:
        with Session(engine) as session:
            assert commit(kind, data, f"{kind}.csv", session, "setup").committed, kind
    with Session(engine) as session:
        for name in ("alice", "bob"):
            create_account(session, "setup", name, PASSWORD, "admin", display_name=f"{name} 总行")
    yield {"url": url_text, "engine": engine}
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _upstream_block(ports: list[int]) -> str:
    """The production site's upstream block (deploy/nginx/cockpit.conf) with this test's ports."""
    site = (SITE / "cockpit.conf").read_text(encoding="utf-8")
    block = re.search(r"upstream cockpit_app \{.*?\n\}", site, re.S).group(0)
    servers = "".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;\n" for port in ports)
    return re.sub(r"(    server 127\.0\.0\.1:\d+[^\n]*\n)+", servers, block)


@pytest.fixture
def nginx_in_front(tmp_path):
    if not Path(NGINX).exists():
        if os.environ.get("CI"):
            pytest.fail("nginx is missing (apt-get install -y nginx)")
        pytest.skip("nginx not installed: apt-get install -y nginx")
    started: list[subprocess.Popen] = []

    def start(app_ports: list[int]) -> str:
        port = _free_port()
        for folder in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (tmp_path / folder).mkdir(exist_ok=True)
        config = tmp_path / "nginx.conf"
        config.write_text(f"""
user root;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {tmp_path}/access.log;
    client_body_temp_path {tmp_path}/body; proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi; uwsgi_temp_path {tmp_path}/uwsgi; scgi_temp_path {tmp_path}/scgi;
    include {SITE}/cockpit-http.conf;
{_upstream_block(app_ports)}
    server {{
        listen 127.0.0.1:{port};
        add_header X-Cockpit-Upstream $upstream_addr always;   # the test's window on the routing
        include {SITE}/cockpit-locations.conf;
    }}
}}
""", encoding="utf-8")
        checked = subprocess.run([NGINX, "-t", "-c", str(config), "-p", str(tmp_path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stderr
        started.append(subprocess.Popen([NGINX, "-c", str(config), "-p", str(tmp_path), "-g", "daemon off;"]))
        base = f"http://127.0.0.1:{port}"
        for _ in range(50):
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=5):
                    return base
            except OSError:
                time.sleep(0.2)
        raise AssertionError("nginx did not answer: " + (tmp_path / "error.log").read_text())

    yield start
    for process in started:
        process.send_signal(signal.SIGQUIT)
        process.wait(timeout=10)


def route_to(base: str, port: int) -> str:
    """A route cookie value that nginx's consistent hash sends to the app process on `port`."""
    for attempt in range(200):
        value = f"route-{attempt}"
        request = urllib.request.Request(f"{base}/_stcore/health", headers={"Cookie": f"cockpit_route={value}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            if response.headers["X-Cockpit-Upstream"].endswith(f":{port}"):
                return value
    raise AssertionError(f"no route value reaches port {port}")


def cumulative_shown(tab) -> str:
    metric = tab.locator("[data-testid='stMetric']").filter(has_text="累计关注").first
    return metric.locator("[data-testid='stMetricValue']").inner_text()


def test_two_processes_behind_nginx_share_data_and_survive_a_killed_process(
        shared_database, nginx_in_front, chromium_browser):
    shared = {"COCKPIT_SESSION_SECRET": secrets.token_urlsafe(48),
              "STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_urlsafe(32)}   # every process: the same two
    first, second = (StreamlitServer(shared_database["url"], shared) for _ in range(2))
    contexts = []
    try:
        first.ensure()
        second.ensure()
        base = nginx_in_front([first.port, second.port])
        tabs = {}
        for name, server in (("alice", first), ("bob", second)):
            context = chromium_browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
            context.add_cookies([{"name": "cockpit_route", "value": route_to(base, server.port), "url": base}])
            contexts.append(context)
            tabs[name] = context.new_page()
            sign_in_with_form(tabs[name], base, name, PASSWORD)
            assert_signed_in_as(tabs[name], f"{name} 总行")
            tabs[name].goto(f"{base}/followers")
            wait_for_app(tabs[name])
        assert cumulative_shown(tabs["bob"]) == "1,013"

        with Session(shared_database["engine"]) as session:   # a new day arrives (a sync or an import)
            assert commit("follower_daily", _follower_file("2026-11-22,40,3,37,1050,gh_b101"), "day.csv", session,
                          "alice").committed
        time.sleep(DATA_VERSION_TTL_SECONDS)   # each process re-reads the data version at most once a second
        tabs["bob"].reload()
        wait_for_app(tabs["bob"])
        assert cumulative_shown(tabs["bob"]) == "1,050", "the other process sees the import at once"

        first.process.kill()   # alice's process dies mid-session
        first.process.wait(timeout=10)
        alice = tabs["alice"]
        alice.reload()
        wait_for_app(alice)
        assert_signed_in_as(alice, "alice 总行")   # on bob's process now, signed in by the lasting session
        assert "/followers" in alice.url and cumulative_shown(alice) == "1,050"
        screenshot(alice, "nginx-failover-still-signed-in")
    finally:
        for context in contexts:
            context.close()
        for server in (first, second):
            server.stop()
            server.log.close()
