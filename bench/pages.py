"""Per page: full AppTest render (cold and warm) and the data layer behind it (the exact query calls the
page made, replayed: cold = new engine and no result cache, the median of `repeats` such runs; warm =
repeated on one engine; cached = through the page's query cache)."""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from sqlmodel import Session

from models.db import make_engine

RENDER_TIMEOUT_S = 300
PAGES = ["overview", "followers", "groups", "referrals", "campaign", "graph"]


@dataclass
class RecordedCall:
    module: str
    name: str
    scope: Any
    filters: tuple


@dataclass
class PageTiming:
    page: str
    scope: str
    render_cold_s: float | None = None
    render_warm_s: float | None = None
    data_cold_s: float | None = None
    data_warm_s: float | None = None
    data_cached_s: float | None = None
    queries: int = 0
    slowest_query: str = ""
    slowest_query_s: float = 0.0
    per_query_cold_s: dict[str, float] = field(default_factory=dict)  # module.function -> cold seconds
    error: str = ""
    calls: list[RecordedCall] = field(default_factory=list, repr=False)


def _install_recorder(sink: list[RecordedCall]):
    """Wrap the page's cached-query door so the calls a render makes are known and can be replayed."""
    import components.data as data

    original = data._cached_call

    def recording(module, name, url, version, scope, filters):
        sink.append(RecordedCall(module, name, scope, filters))
        return original(module, name, url, version, scope, filters)

    data._cached_call = recording
    return lambda: setattr(data, "_cached_call", original)


def _call(session: Session, call: RecordedCall):
    import importlib

    function = getattr(importlib.import_module(call.module), call.name)
    return function(session, call.scope, **dict(call.filters))


def _cold_run(url: str, calls: list[RecordedCall]) -> tuple[float, dict[str, float], object]:
    """Every call once through a new engine (new connections: empty database caches, nothing held)."""
    engine = make_engine(url)
    per_call: dict[str, float] = {}
    started = time.perf_counter()
    with Session(engine) as session:
        for call in calls:
            t0 = time.perf_counter()
            _call(session, call)
            name = f"{call.module.rsplit('.', 1)[-1]}.{call.name}"  # groups.overview_headline, not overview_headline
            per_call[name] = per_call.get(name, 0.0) + time.perf_counter() - t0
    return time.perf_counter() - started, per_call, engine


def data_layer(url: str, calls: list[RecordedCall], repeats: int) -> tuple[float, float, float, dict[str, float]]:
    """Cold: the median over `repeats` runs, each through a new engine (a single cold run on a shared machine
    swings by 2x with the load). Warm: the median over `repeats` of the same calls again on one engine.
    Cached: the median through the page's cache (st.cache_data keyed by scope, filters, data version)."""
    import components.data as data

    cold_runs, per_call_runs, engine = [], [], None
    for _ in range(max(1, repeats)):
        if engine is not None:
            engine.dispose()
        total, per_call, engine = _cold_run(url, calls)
        cold_runs.append(total)
        per_call_runs.append(per_call)
    cold = statistics.median(cold_runs)
    per_call = {name: statistics.median(run[name] for run in per_call_runs) for name in per_call_runs[0]}
    warm_runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        with Session(engine) as session:
            for call in calls:
                _call(session, call)
        warm_runs.append(time.perf_counter() - t0)
    engine.dispose()
    os.environ["DATABASE_URL"] = url
    version = data.data_version()
    for call in calls:  # fill the cache once
        data._cached_call(call.module, call.name, url, version, call.scope, call.filters)
    cached_runs = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for call in calls:
            data._cached_call(call.module, call.name, url, data.data_version(), call.scope, call.filters)
        cached_runs.append(time.perf_counter() - t0)
    return cold, statistics.median(warm_runs), statistics.median(cached_runs), per_call


def time_page(url: str, page: str, username: str, repeats: int = 3) -> PageTiming:
    """Sign in as `username` through the login form, then time the page's own run."""
    from tests.pages.conftest import PageTest

    os.environ["DATABASE_URL"] = url
    timing = PageTiming(page=page, scope=username)
    test = PageTest("app.py", username)
    test.app.default_timeout = RENDER_TIMEOUT_S
    app = test.run()  # sign in (lands on the default page)
    if app.exception:
        timing.error = str(app.exception)[:300]
        return timing
    calls: list[RecordedCall] = []
    st.cache_data.clear()
    restore = _install_recorder(calls)
    try:
        from tests.pages.conftest import PROJECT_ROOT

        t0 = time.perf_counter()
        app.switch_page(str(PROJECT_ROOT / "app_pages" / f"{page}.py")).run()
        timing.render_cold_s = time.perf_counter() - t0
        if app.exception:
            timing.error = str(app.exception)[:300]
        t0 = time.perf_counter()
        app.run()
        timing.render_warm_s = time.perf_counter() - t0
    except RuntimeError as exc:  # AppTest gave up waiting: record it, measure the data layer anyway
        timing.error = f"render: {exc}"[:300]
    finally:
        restore()
    seen: set[tuple] = set()
    unique = []
    for call in calls:
        key = (call.module, call.name, call.scope, call.filters)
        if key not in seen:
            seen.add(key)
            unique.append(call)
    timing.calls = unique
    timing.queries = len(unique)
    if unique:
        timing.data_cold_s, timing.data_warm_s, timing.data_cached_s, per_call = data_layer(url, unique, repeats)
        timing.per_query_cold_s = dict(sorted(per_call.items(), key=lambda item: -item[1]))
        if per_call:
            timing.slowest_query, timing.slowest_query_s = next(iter(timing.per_query_cold_s.items()))
    return timing
