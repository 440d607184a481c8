"""Engine and sessions. `DATABASE_URL` chooses the store; SQLite under data/ is the default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "cockpit.db"


class DatabaseUnavailable(RuntimeError):
    """The configured store cannot be used; the message is for a person, not a log."""


def database_url() -> str:
    """The URL from the environment, or the embedded SQLite file."""
    return os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str | None = None, *, schema: str | None = None) -> Engine:
    """Build an engine for `url`; `schema` pins PostgreSQL's search_path (tests use one per run)."""
    url = url or database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(f"DATABASE_URL 格式不正确 / malformed DATABASE_URL: {url!r}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        connect_args = {"connect_timeout": 5}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, connect_args=connect_args)
    raise DatabaseUnavailable(
        f"不支持的数据库类型 / unsupported database: {backend}. 请使用 sqlite 或 postgresql+psycopg。"
    )


def check_connection(engine: Engine) -> None:
    """Raise DatabaseUnavailable with plain words when the store cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(
            f"无法连接数据库 / cannot reach the database ({engine.url.render_as_string(hide_password=True)}): {reason}"
        ) from exc
    except SQLAlchemyError as exc:
        raise DatabaseUnavailable(f"数据库错误 / database error: {exc}") from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error so nothing is half-written."""
    with Session(engine) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise
