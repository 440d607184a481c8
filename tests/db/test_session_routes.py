"""The two routes of serve.py: a same-origin handoff becomes an HttpOnly, SameSite=Lax cookie (Secure
under https) once; cross-site posts are refused; sign-out ends the cookie's session and deletes it."""

from __future__ import annotations

import warnings

import pytest
from sqlmodel import Session
from starlette.applications import Starlette

import serve
from models.accounts import User, UserSession
from models.auth import hash_password
from models.login_sessions import COOKIE_NAME, HANDOFF_PATH, SIGNOUT_PATH, start_session
from models.settings import settings

with warnings.catch_warnings():   # starlette 1.x suggests httpx2 for its test client; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Content-Type": "text/plain"}


@pytest.fixture
def routes(empty_engine, monkeypatch):
    monkeypatch.setenv("COCKPIT_SESSION_SECRET", "route-test-secret-0123456789abcdefghij")
    settings.cache_clear()
    monkeypatch.setattr(serve, "_engine", lambda _url: empty_engine)
    with Session(empty_engine) as session:
        user = User(username="route_user", password_hash=hash_password("x" * 8), role="viewer")
        session.add(user)
        session.commit()
        user_id = user.id
    yield empty_engine, user_id
    settings.cache_clear()


def _handoff(engine, user_id: int) -> tuple[int, str]:
    with Session(engine) as session:
        started = start_session(session, user_id)
    return started.session_id, started.handoff


def _client(base: str = "http://testserver") -> TestClient:
    return TestClient(Starlette(routes=serve.session_routes()), base_url=base)


def test_a_same_origin_handoff_sets_an_httponly_lax_cookie_once(routes):
    engine, user_id = routes
    _, handoff = _handoff(engine, user_id)
    client = _client()
    answer = client.post(HANDOFF_PATH, content=handoff, headers=SAME_ORIGIN)
    assert answer.status_code == 204
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE_NAME}=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie and handoff not in cookie
    assert client.post(HANDOFF_PATH, content=handoff, headers=SAME_ORIGIN).status_code == 400


def test_under_https_the_cookie_is_secure(routes):
    engine, user_id = routes
    _, handoff = _handoff(engine, user_id)
    answer = _client("https://testserver").post(HANDOFF_PATH, content=handoff, headers=SAME_ORIGIN)
    assert answer.status_code == 204 and "Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("headers", [
    {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "http://evil.example"}, {},
])
def test_cross_site_posts_are_refused(routes, headers):
    engine, user_id = routes
    _, handoff = _handoff(engine, user_id)
    client = _client()
    assert client.post(HANDOFF_PATH, content=handoff, headers=headers).status_code == 403
    assert client.post(SIGNOUT_PATH, headers=headers).status_code == 403
    assert client.post(HANDOFF_PATH, content=handoff, headers={"Origin": "http://testserver"}).status_code == 204


def test_sign_out_ends_the_cookies_session_and_deletes_the_cookie(routes):
    engine, user_id = routes
    session_id, handoff = _handoff(engine, user_id)
    client = _client()
    client.post(HANDOFF_PATH, content=handoff, headers=SAME_ORIGIN)
    answer = client.post(SIGNOUT_PATH, headers=SAME_ORIGIN)
    assert answer.status_code == 204 and 'Max-Age=0' in answer.headers["set-cookie"]
    with Session(engine) as session:
        row = session.get(UserSession, session_id)
        assert row.revoked_at is not None and row.revoked_reason == "signed out"
