"""ASGI entry: Streamlit's own server for app.py, plus the two routes that set and delete the HttpOnly
session cookie (a Streamlit script cannot write a cookie). `streamlit run serve.py` finds `app` itself.

POST /_cockpit/session  body: a one-time handoff token from the signed-in page -> Set-Cookie
POST /_cockpit/signout  ends the cookie's session (if any) and deletes the cookie
Both accept same-origin requests only (Sec-Fetch-Site, else Origin against Host)."""

from __future__ import annotations

from functools import cache
from urllib.parse import urlsplit

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from streamlit import config

from models.db import database_url, make_engine
from models.login_sessions import COOKIE_NAME, HANDOFF_PATH, SIGNOUT_PATH, redeem_handoff, revoke_cookie
from models.logs import configure_logging
from models.readiness import production_problems
from models.settings import SettingsError, settings

MAX_BODY = 200


@cache
def _engine(url: str) -> Engine:
    return make_engine(url)


def _same_origin(request: Request) -> bool:
    """Refuse cross-site posts: another site must not plant its session in a user's browser."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("origin")
    return origin is not None and urlsplit(origin).netloc == request.headers.get("host")


def _secure(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip()
    return settings().cookie_secure or request.url.scheme == "https" or forwarded == "https"


def _redeem(handoff: str) -> str | None:
    with Session(_engine(database_url())) as session:
        return redeem_handoff(session, handoff)


def _revoke(cookie_value: str) -> None:
    with Session(_engine(database_url())) as session:
        revoke_cookie(session, cookie_value, "signed out")


async def set_session_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    handoff = (await request.body())[:MAX_BODY].decode("ascii", errors="replace").strip()
    cookie = await run_in_threadpool(_redeem, handoff) if handoff else None
    if cookie is None:
        return Response(status_code=400, headers={"Cache-Control": "no-store"})
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.set_cookie(COOKIE_NAME, cookie, max_age=int(settings().session_max_age.total_seconds()), path="/",
                        secure=_secure(request), httponly=True, samesite="lax")
    return response


async def clear_session_cookie(request: Request) -> Response:
    if not _same_origin(request):
        return Response(status_code=403)
    value = request.cookies.get(COOKIE_NAME)
    if value:
        await run_in_threadpool(_revoke, value)
    response = Response(status_code=204, headers={"Cache-Control": "no-store"})
    response.delete_cookie(COOKIE_NAME, path="/", secure=_secure(request), httponly=True, samesite="lax")
    return response


def session_routes() -> list[Route]:
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return [
        Route(prefix + HANDOFF_PATH, set_session_cookie, methods=["POST"]),
        Route(prefix + SIGNOUT_PATH, clear_session_cookie, methods=["POST"]),
    ]


def refuse_unready_production() -> None:
    """Under COCKPIT_ENV=production the server does not start while a problem stands (`manage.py check` lists
    the same ones): demo accounts, missing or placeholder secrets, a schema behind the code."""
    try:
        current = settings()
    except SettingsError as exc:
        raise SystemExit(f"cockpit refuses to start: {exc}") from None
    if not current.production:
        return
    problems = production_problems(_engine(database_url()), current)
    if problems:
        lines = "\n".join(f"  ✗ {problem}" for problem in problems)
        raise SystemExit(f"cockpit refuses to start (COCKPIT_ENV=production):\n{lines}")


def start_logging() -> None:
    current = settings()
    configure_logging(current.log_level, current.log_file or None)


start_logging()
refuse_unready_production()
app = st.App("app.py", routes=session_routes())
