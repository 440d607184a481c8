"""Where each account's sync stands (`SyncState`): read before a run, written at its start, after every
window (inside the window's transaction) and at its end."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.connections import SyncOutcome, SyncState

# Fetching runs in many threads (accounts, corps and sources at once); writing one at a time: two writers
# of one branch would refresh the same rollup rows, or insert the same new row, at once (SQLite writes one
# transaction at a time anyway; on PostgreSQL the second would hit a unique key).
WRITE_LOCK = threading.Lock()


@dataclass
class AccountResult:
    """One account's run, for the log line, the exit code and the admin page."""

    source: str
    account_key: str
    outcome: str = SyncOutcome.OK
    detail: str = ""
    first_day: date | None = None
    last_day: date | None = None
    rows_written: int = 0
    calls: int = 0
    windows: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == SyncOutcome.OK

    def line(self) -> str:
        days = f"{self.first_day}..{self.last_day}" if self.first_day else "-"
        return (f"{self.source} {self.account_key}: {self.outcome} days={days} windows={self.windows} "
                f"rows={self.rows_written} calls={self.calls}{f' ({self.detail})' if self.detail else ''}")


def _row(session: Session, source: str, account_key: str) -> SyncState:
    row = session.execute(select(SyncState).where(SyncState.source == source, SyncState.account_key == account_key)) \
        .scalars().first()
    return row or SyncState(source=source, account_key=account_key)


def last_complete_day(engine: Engine, source: str, account_key: str) -> date | None:
    with Session(engine) as session:
        return _row(session, source, account_key).last_complete_day


def mark_started(engine: Engine, source: str, account_key: str) -> None:
    with Session(engine) as session:
        row = _row(session, source, account_key)
        row.last_started_at, row.outcome, row.detail = datetime.now(UTC), SyncOutcome.RUNNING, ""
        session.add(row)
        session.commit()


def advance(session: Session, source: str, account_key: str, day: date) -> None:
    """Inside a window's transaction: the account is complete up to `day` (never moves back)."""
    row = _row(session, source, account_key)
    if row.last_complete_day is None or day > row.last_complete_day:
        row.last_complete_day = day
    session.add(row)
    session.flush()


def mark_finished(engine: Engine, result: AccountResult) -> None:
    with Session(engine) as session:
        row = _row(session, result.source, result.account_key)
        now = datetime.now(UTC)
        row.last_finished_at, row.outcome, row.detail = now, result.outcome, result.detail[:500]
        row.rows_written, row.calls_made = result.rows_written, result.calls
        if result.ok:
            row.last_success_at = now
        session.add(row)
        session.commit()
