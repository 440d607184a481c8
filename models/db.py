"""Engine and sessions. `DATABASE_URL` chooses the store; SQLite under data/ is the default."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlmodel import Session, create_engine

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "data" / "cockpit.db"


class DatabaseUnavailable(RuntimeError):
    """The configured store cannot be used; the message is for a person, not a log."""


# PostgreSQL's SQLSTATEs (Appendix A of its manual): class 08 connection exception, 57P01-57P03 the server is
# shutting down, restarting or not yet accepting connections, 53100 disk full.
_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_DISK_FULL_SQLSTATE = "53100"
_CONNECTION_WORDS = ("server closed the connection", "connection refused", "could not connect", "connection is closed",
                     "terminating connection", "the database system is starting up", "the database system is shutting down",
                     "consuming input failed", "connection timeout expired")


def _driver_error(exc: BaseException) -> BaseException:
    """The driver's own exception: SQLAlchemy wraps it as `.orig`; the bulk paths (raw DB-API cursors) raise it bare."""
    return (exc.orig or exc) if isinstance(exc, DBAPIError) else exc


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(_driver_error(exc), "sqlstate", "") or "")


def _is_driver_error(exc: BaseException, *names: str) -> bool:
    return type(exc).__module__.split(".")[0] in ("psycopg", "sqlite3") and any(
        cls.__name__ in names for cls in type(exc).__mro__)


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL ('database or disk is full'), PostgreSQL's 53100, or the operating system's ENOSPC."""
    if isinstance(exc, OSError) and exc.errno == 28:
        return True
    words = str(_driver_error(exc)).lower()
    return _sqlstate(exc) == _DISK_FULL_SQLSTATE or "disk is full" in words or "no space left on device" in words


def is_connection_lost(exc: BaseException) -> bool:
    """The store went away or is restarting (not a bug in a query): the page says so and tries again by itself."""
    if is_disk_full(exc):
        return False
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated or isinstance(exc, InterfaceError):
            return True
        operational = isinstance(exc, OperationalError)
    elif _is_driver_error(exc, "OperationalError", "InterfaceError"):
        operational = True
    else:
        return False
    if _sqlstate(exc).startswith(_CONNECTION_SQLSTATES):
        return True
    words = str(_driver_error(exc)).lower()
    return operational and any(word in words for word in _CONNECTION_WORDS)


def write_failure(exc: BaseException) -> tuple[str, str]:
    """Why a write failed, in words for the person who asked for it (zh, en). The transaction was rolled back, so
    it always says nothing was written; the exception itself (SQL, parameters) goes to the log, never to them."""
    if is_disk_full(exc):
        return ("数据库所在磁盘已满，本次未写入任何数据。请系统管理员清理磁盘空间后重试。",
                "The database's disk is full; nothing was written. Ask the system administrator to free disk space, "
                "then try again.")
    if is_connection_lost(exc):
        return ("与数据库的连接中断，本次未写入任何数据。请稍后重试。",
                "The connection to the database was lost; nothing was written. Try again in a moment.")
    return (f"写入时出错（{type(exc).__name__}），本次未写入任何数据；详情已写入服务器日志。",
            f"The write failed ({type(exc).__name__}); nothing was written. The details are in the server's log.")


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
