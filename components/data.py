"""The page's door to the data layer: engine, scope, cached queries keyed by scope and data version."""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from components.i18n import t
from models.auth import scope_for_user, user_by_id
from models.db import DatabaseUnavailable, check_connection, database_url, is_connection_lost, make_engine
from models.metrics.org import data_version as read_data_version
from models.migrations import MIGRATE_COMMAND, SchemaNotAtHead, create_all, require_head
from models.scope import Scope, ScopeError

QUERY_TTL_SECONDS = 600
DATA_VERSION_TTL_SECONDS = 1
DATABASE_RETRY_SECONDS = 3
OUTAGE_SHOWN_KEY = "_database_outage_shown_at"
SIGNED_IN_KEY = "_signed_in_user_id"


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    engine = make_engine(url)
    check_connection(engine)
    create_all(engine)
    require_head(engine)  # a database behind head is refused before a page fails on a missing column
    return engine


def engine() -> Engine:
    return _engine_for(database_url())


def set_signed_in_user(user_id: int | None) -> None:
    """The login gate (components.auth) records here whom it let in on this run, after checking the
    session against its table; pages and downloads read it through `signed_in_user_id`."""
    if user_id is None:
        st.session_state.pop(SIGNED_IN_KEY, None)
    else:
        st.session_state[SIGNED_IN_KEY] = int(user_id)


def signed_in_user_id() -> int | None:
    return st.session_state.get(SIGNED_IN_KEY)


def page_scope() -> Scope:
    """The signed-in user's scope, rebuilt from the database on every run; never from a widget,
    the URL or an editable session value. A page reached without a session stops here."""
    user_id = signed_in_user_id()
    with Session(engine()) as session:
        user = user_by_id(session, user_id) if user_id is not None else None
        if user is not None:
            return scope_for_user(session, user)
    st.warning(t("auth.expired"))
    st.stop()


@st.cache_data(ttl=DATA_VERSION_TTL_SECONDS, show_spinner=False)
def _data_version(url: str) -> int:
    """One row read at most once a second per process: another process's import shows on the next click."""
    with Session(_engine_for(url)) as session:
        return read_data_version(session)


def data_version() -> int:
    return _data_version(database_url())


def refresh_data_version() -> None:
    """After an import in this process: forget the cached version so every page re-reads at once."""
    _data_version.clear()


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False, max_entries=2048)
def _cached_call(module: str, name: str, url: str, version: int, scope: Scope, filters: tuple) -> Any:
    function = getattr(importlib.import_module(module), name)
    with Session(_engine_for(url)) as session:
        return function(session, scope, **dict(filters))


def query(function: Callable[..., Any], scope: Scope, **filters: Any) -> Any:
    """Call a data-layer function `(session, scope, **filters)`; cached per scope, filters and data
    version, so one user's result is never served to a scope that may not see it."""
    return _cached_call(
        function.__module__, function.__qualname__, database_url(), data_version(), scope,
        tuple(sorted(filters.items())),
    )


@st.cache_data(ttl=QUERY_TTL_SECONDS, show_spinner=False, max_entries=512)
def _cached_derivation(module: str, name: str, url: str, version: int, key: tuple, _args: tuple, _kwargs: dict) -> Any:
    return getattr(importlib.import_module(module), name)(*_args, **_kwargs)


def derived(function: Callable[..., Any], key: tuple, *args: Any, **kwargs: Any) -> Any:
    """A pure function over frames that cached queries returned, computed once per data version and `key` and shared
    by every session (a page's heavy pandas step: hundreds of ms at every rerun otherwise). `key` must name everything
    the arguments were read for (scope, filters, day): the arguments themselves are not hashed."""
    return _cached_derivation(function.__module__, function.__qualname__, database_url(), data_version(), key,
                              args, kwargs)


def fresh_query(function: Callable[..., Any], scope: Scope, **filters: Any) -> Any:
    """Uncached call, for what must be current to the second (the audit log)."""
    with Session(engine()) as session:
        return function(session, scope, **filters)


def deferred_query(function: Callable[..., Any], scope: Scope, **filters: Any) -> Callable[[], Any]:
    """The call, to be made later off the script's thread (a download's deferred file, built when clicked): the
    engine is taken now, in the run; the call itself touches no Streamlit state and no cache."""
    return partial(_call_on, engine(), function, scope, filters)


def _call_on(database: Engine, function: Callable[..., Any], scope: Scope, filters: dict[str, Any]) -> Any:
    with Session(database) as session:
        return function(session, scope, **filters)


log = logging.getLogger("cockpit.app")


def require_database() -> None:
    """Stop the page with plain words when the store is unreachable or empty; never a traceback. The page runs
    before anyone signs in, so it names no URL, host, port or version: those go to the server's log."""
    try:
        engine()
    except SchemaNotAtHead as exc:
        log.error("database schema not at head: %s", exc)
        st.error(t("error.schema_not_at_head", command=MIGRATE_COMMAND))
        st.stop()
    except DatabaseUnavailable as exc:
        log.error("database unavailable: %s", exc)
        st.session_state[OUTAGE_SHOWN_KEY] = time.monotonic()
        st.error(f"**{t('error.db_unavailable')}**\n\n{t('error.db_hint')}")
        _wait_for_database()
        st.stop()
    if data_version() == 0:
        st.warning(t("error.empty_db"))
        st.stop()


def refuse(exc: ScopeError) -> None:
    st.error(f"{t('error.scope_refused')} ({exc})")
    st.stop()


@st.fragment(run_every=DATABASE_RETRY_SECONDS)
def _wait_for_database() -> None:
    """Under the outage message: look for the database every few seconds and rerun the whole page once it answers,
    so nobody has to reload (a reload would be a new connection) or sign in again. Never sooner than the retry
    interval after the message: a failure that SELECT 1 does not see would otherwise rerun the page in a tight loop."""
    if time.monotonic() - st.session_state.get(OUTAGE_SHOWN_KEY, 0.0) < DATABASE_RETRY_SECONDS:
        st.caption(t("error.db_retrying", seconds=DATABASE_RETRY_SECONDS))   # drawn with the message: not yet
        return
    try:
        check_connection(engine())
    except DatabaseUnavailable:
        st.caption(t("error.db_retrying", seconds=DATABASE_RETRY_SECONDS))
        return
    st.rerun()


@contextmanager
def database_outage_guard() -> Iterator[None]:
    """Around the whole script: a database that goes away mid-session (restart, failover, network) gives a plain
    message instead of a traceback, keeps the user signed in (the session state is untouched) and recovers by
    itself. Anything else is a bug and is raised as before."""
    try:
        yield
    except Exception as exc:
        if not is_connection_lost(exc):
            raise
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        log.error("database connection lost: %s: %s", type(exc).__name__, reason)
        st.session_state[OUTAGE_SHOWN_KEY] = time.monotonic()
        st.error(f"**{t('error.db_lost')}**\n\n{t('error.db_lost_hint')}")
        _wait_for_database()
        st.stop()
