"""Shared fixtures: every data-layer test runs on SQLite and on PostgreSQL, each run in its own schema."""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import make_engine
from models.migrations import create_all
from sample_data.generate import seed_database
from tests.sync_fixtures import mock_platform  # noqa: F401  (the mock WeChat/WeCom platform fixture)


def pytest_configure(config: pytest.Config) -> None:
    """In the controller, before the xdist workers start: mark ArviZ's once-a-day notice (pymc-marketing imports
    it) as shown today. Otherwise the first two workers to import it on a new day race to write its stamp file by
    renaming the same temporary file, and the loser's import fails with FileNotFoundError (seen in `make test`)."""
    if hasattr(config, "workerinput"):
        return
    from pathlib import Path

    from platformdirs import user_cache_dir

    folder = Path(user_cache_dir("arviz", "arviz"))
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / f"daily_warning.{os.getpid()}"
    stamp.write_text(date.today().isoformat())
    stamp.replace(folder / "daily_warning")


DEMO_END = date(2026, 11, 22)
DEMO_SEED = 1
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", "postgresql"]

_postgres_state: dict[str, object] = {}


def postgres_reachable() -> bool:
    if "ok" not in _postgres_state:
        try:
            probe = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with probe.connect() as conn:
                conn.execute(text("SELECT 1"))
            probe.dispose()
            _postgres_state["ok"] = True
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            _postgres_state["ok"] = False
            _postgres_state["why"] = str(exc).splitlines()[0]
    return bool(_postgres_state["ok"])


def require_backend(backend: str) -> None:
    """PostgreSQL missing is loud everywhere and fatal in CI."""
    if backend != "postgresql" or postgres_reachable():
        return
    message = f"PostgreSQL NOT REACHABLE at {POSTGRES_URL}: {_postgres_state.get('why')}"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI requires it)")
    warnings.warn(message, stacklevel=1)
    pytest.skip(message)


def pytest_terminal_summary(terminalreporter) -> None:
    if _postgres_state.get("ok") is False:
        terminalreporter.write_sep("!", "PostgreSQL was NOT reachable: data-layer tests ran on SQLite only", red=True)


def _new_engine(backend: str, tmp_dir) -> tuple[Engine, callable]:
    require_backend(backend)
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_dir}/test-{uuid.uuid4().hex[:8]}.db")
        return engine, engine.dispose
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(POSTGRES_URL, schema=schema)

    def cleanup() -> None:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()

    return engine, cleanup


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def empty_engine(backend: str, tmp_path) -> Iterator[Engine]:
    """A fresh database with every table and no rows, on each backend; at the head revision
    (create_all stamps an empty database), so the app's head check accepts it."""
    engine, cleanup = _new_engine(backend, tmp_path)
    create_all(engine)
    yield engine
    cleanup()


@pytest.fixture(scope="session")
def _seeded_demo_engines() -> Iterator[dict[str, Engine]]:
    """Each backend's seeded demo, kept for the whole session. pytest tears a parametrized session fixture
    down whenever the next test wants the other parameter, and seeding PostgreSQL again costs ~40 s each time."""
    engines: dict[str, tuple[Engine, callable]] = {}
    yield engines
    for _engine, cleanup in engines.values():
        cleanup()


@pytest.fixture(scope="session", params=BACKENDS)
def demo_engine(request, tmp_path_factory, _seeded_demo_engines) -> Iterator[Engine]:
    """The demo scale (seed 1, ending 2026-11-22), seeded once per backend and shared read-only;
    at the head revision, like every database the seed creates."""
    if request.param not in _seeded_demo_engines:
        engine, cleanup = _new_engine(request.param, tmp_path_factory.mktemp("demo"))
        seed_database(engine, "demo", DEMO_SEED, DEMO_END)
        _seeded_demo_engines[request.param] = (engine, cleanup)
    yield _seeded_demo_engines[request.param][0]


@pytest.fixture
def demo_session(demo_engine: Engine) -> Iterator[Session]:
    with Session(demo_engine) as session:
        yield session


@pytest.fixture(scope="session")
def demo_sqlite_url(tmp_path_factory) -> str:
    """A seeded SQLite file for page tests (AppTest reads DATABASE_URL)."""
    return seeded_demo_sqlite(tmp_path_factory.mktemp("pages") / "demo.db")


def seeded_demo_sqlite(path) -> str:
    """Seed the demo scale (seed 1, ending DEMO_END) into a new SQLite file and return its URL."""
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    seed_database(engine, "demo", DEMO_SEED, DEMO_END)
    engine.dispose()
    return url
