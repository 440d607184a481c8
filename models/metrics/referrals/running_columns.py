"""The referral running totals held as columns in memory: a custom leaderboard period becomes one
vectorised subtraction instead of four index lookups per code owner.

`ReferralStaffRunning` keeps, per code owner (staff and branch) and campaign key, the cumulative counts on
each day with events. Loaded once per database and data version (one campaign key at a time, when first
asked for) and shared by every session of the process, the rows sit sorted by owner and day with one
composite key per row (`owner index * span + day offset`): the last row on or before a day for every owner
is one `numpy.searchsorted` over that key, and the period is the row at its end minus the row before its
start, exactly what `running_totals_statement` computes in SQL."""

from __future__ import annotations

import gc
import threading
import weakref
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Integer, cast, func, literal_column, select
from sqlmodel import Session

from models.referrals import InviteCode
from models.rollup_tables.referrals import ReferralStaffRunning
from models.scope import Scope
from models.system import DataVersion

COUNT_COLUMNS = ("events", "clicks", "invites", "participants", "live_conversions")
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
OUTPUT_COLUMNS = ["staff_id", "branch_id", "events", "clicks", "invites", "participants", "conversions",
                  "conversion_amount"]


@dataclass(frozen=True)
class RunningColumns:
    """One campaign key's running totals, rows sorted by owner then day. Owners (staff, branch) are
    sorted by branch so a scope's owners are found with one `isin` over a small array."""

    owner_staff: np.ndarray   # int64, one per owner
    owner_branch: np.ndarray  # int64, one per owner
    first_day: int            # ordinal of the earliest day stored
    span: int                 # days from the first to the last day stored, + 1
    keys: np.ndarray          # int64 per row: owner index * span + (day ordinal - first_day), ascending
    counts: np.ndarray        # int64 [rows, 5]: COUNT_COLUMNS cumulative
    amount: np.ndarray        # float64 per row: live conversion amount cumulative

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.owner_staff, self.owner_branch, self.keys, self.counts, self.amount))

    def rows_on_or_before(self, owners: np.ndarray, day: date) -> np.ndarray:
        """Per owner (index): the row of its last day with events on or before `day`, -1 when none."""
        offset = min(max(day.toordinal() - self.first_day, -1), self.span - 1)
        wanted = owners.astype(np.int64) * self.span + offset
        found = np.searchsorted(self.keys, wanted, side="right") - 1
        ok = found >= 0
        ok[ok] = self.keys[found[ok]] // self.span == owners[ok]
        return np.where(ok, found, -1)

    def _period_arrays(self, scope: Scope, start: date, end: date, staff_id: int | None):
        owners = np.arange(len(self.owner_staff), dtype=np.int64)
        if scope.branch_ids is not None:
            owners = owners[np.isin(self.owner_branch, np.fromiter(scope.branch_ids, dtype=np.int64))]
        if staff_id is not None:
            owners = owners[self.owner_staff[owners] == int(staff_id)]
        at_end = self.rows_on_or_before(owners, end)
        owners, at_end = owners[at_end >= 0], at_end[at_end >= 0]  # no row by the end: left out (an inner join)
        before = self.rows_on_or_before(owners, start - timedelta(days=1))
        has_before = before >= 0
        counts = self.counts[at_end] - np.where(has_before[:, None], self.counts[np.maximum(before, 0)], 0)
        amount = self.amount[at_end] - np.where(has_before, self.amount[np.maximum(before, 0)], 0.0)
        kept = counts[:, 0] > 0  # owners without events in the period are left out
        return owners[kept], counts[kept], amount[kept]

    def period(self, scope: Scope, start: date, end: date, staff_id: int | None = None) -> pd.DataFrame:
        """The same rows as `running_totals_statement(scope, start, end, key, staff_id)`."""
        owners, counts, amount = self._period_arrays(scope, start, end, staff_id)
        return pd.DataFrame({
            "staff_id": self.owner_staff[owners], "branch_id": self.owner_branch[owners],
            "events": counts[:, 0], "clicks": counts[:, 1], "invites": counts[:, 2],
            "participants": counts[:, 3], "conversions": counts[:, 4], "conversion_amount": amount,
        }, columns=OUTPUT_COLUMNS)

    def staff_totals(self, scope: Scope, start: date, end: date, staff_id: int | None = None) -> pd.DataFrame:
        """The leaderboard's counts per staff member (an owner whose codes belonged to two branches summed),
        the amount rounded to the fen: `staff_referral_totals`'s frame, built from the arrays directly."""
        owners, counts, amount = self._period_arrays(scope, start, end, staff_id)
        staff = self.owner_staff[owners]
        if len(np.unique(staff)) < len(staff):
            staff, where = np.unique(staff, return_inverse=True)
            summed, summed_amount = np.zeros((len(staff), counts.shape[1]), dtype=np.int64), np.zeros(len(staff))
            np.add.at(summed, where, counts)
            np.add.at(summed_amount, where, amount)
            counts, amount = summed, summed_amount
        return pd.DataFrame({"staff_id": staff, "clicks": counts[:, 1], "invites": counts[:, 2],
                             "participants": counts[:, 3], "conversions": counts[:, 4],
                             "conversion_amount": np.round(amount, 2)})


def epoch_day(column, dialect: str):
    """Days since 1970-01-01 as an integer computed by the database: no date objects per row."""
    if dialect == "postgresql":
        return column - literal_column("DATE '1970-01-01'")
    return cast(func.julianday(column) - 2440587.5, Integer)


def load_running_columns(session: Session, key: int) -> RunningColumns:
    """Read one campaign key's running totals (owners limited to those holding a code there, as the SQL
    path joins them) into sorted columns."""
    r = ReferralStaffRunning
    connection = session.connection()
    day = epoch_day(r.day, connection.dialect.name)
    collecting = gc.isenabled()
    gc.disable()  # millions of tuples made and kept: collection passes would cost more than the read
    try:
        # The driver's own tuples (no SQLAlchemy Row per row): every column is a plain number.
        rows = connection.execute(select(r.staff_id, r.branch_id, day, r.events, r.clicks, r.invites,
                                         r.participants, r.live_conversions, r.live_amount)
                                  .where(r.campaign_key == key)).cursor.fetchall()
        owners_with_codes = connection.execute(
            select(InviteCode.staff_id, InviteCode.branch_id).distinct()).cursor.fetchall()
        return _columns(rows, owners_with_codes)
    finally:
        if collecting:
            gc.enable()


def _columns(rows: list[tuple], owners_with_codes: list[tuple]) -> RunningColumns:
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return RunningColumns(empty, empty, 0, 1, empty, np.zeros((0, len(COUNT_COLUMNS)), dtype=np.int64),
                              np.zeros(0, dtype=np.float64))
    staff, branch, days, *values = zip(*rows, strict=True)
    staff = np.fromiter(staff, dtype=np.int64, count=len(rows))
    branch = np.fromiter(branch, dtype=np.int64, count=len(rows))
    ordinals = np.fromiter(days, dtype=np.int64, count=len(rows)) + EPOCH_ORDINAL
    counts = np.column_stack([np.fromiter(v, dtype=np.int64, count=len(rows)) for v in values[:-1]])
    amount = np.fromiter(values[-1], dtype=np.float64, count=len(rows))
    coded = np.fromiter((int(b) << 32 | int(s) for s, b in owners_with_codes), dtype=np.int64,
                        count=len(owners_with_codes))
    keep = np.isin(branch << 32 | staff, coded)
    staff, branch, ordinals, counts, amount = staff[keep], branch[keep], ordinals[keep], counts[keep], amount[keep]
    order = np.lexsort((ordinals, staff, branch))  # by branch, then staff, then day
    staff, branch, ordinals, counts, amount = staff[order], branch[order], ordinals[order], counts[order], amount[order]
    new_owner = np.ones(len(staff), dtype=bool)
    new_owner[1:] = (staff[1:] != staff[:-1]) | (branch[1:] != branch[:-1])
    owner_index = np.cumsum(new_owner) - 1
    first_day = int(ordinals.min()) if len(ordinals) else 0
    span = int(ordinals.max()) - first_day + 1 if len(ordinals) else 1
    return RunningColumns(staff[new_owner], branch[new_owner], first_day, span,
                          owner_index * span + (ordinals - first_day), counts, amount)


# Per engine (the app keeps one per database; tests one per schema): the data version the columns were
# loaded at and the columns per campaign key. An engine that goes away takes its columns with it.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _version_stamp(session: Session) -> tuple:
    """The data version and when it moved: a version number reused after a rolled-back write (or a new
    seed of the same database) still differs in its time."""
    row = session.connection().execute(
        select(DataVersion.version, DataVersion.updated_at).where(DataVersion.id == 1)).first()
    return (row[0], row[1]) if row else (0, None)


def running_columns(session: Session, key: int) -> RunningColumns:
    """The columns of one campaign key for the session's database at its current data version, loaded on
    the first request after every write that bumps the version and shared by every session after."""
    engine, stamp = session.get_bind(), _version_stamp(session)
    with _LOCK:
        held = _CACHE.get(engine)
        if held is None or held[0] != stamp:
            held = (stamp, {})
            _CACHE[engine] = held
        columns = held[1].get(key)
        if columns is None:  # loaded under the lock: two sessions asking at once read the table once
            columns = load_running_columns(session, key)
            held[1][key] = columns
    return columns


def held_running_columns(session: Session, key: int) -> RunningColumns | None:
    """The columns of one campaign key if they are already held at the current data version (no load)."""
    engine, stamp = session.get_bind(), _version_stamp(session)
    with _LOCK:
        held = _CACHE.get(engine)
        return held[1].get(key) if held is not None and held[0] == stamp else None


def forget_running_columns() -> None:
    """Drop every held column (tests that write rollups without bumping the data version)."""
    with _LOCK:
        _CACHE.clear()


def held_bytes() -> int:
    """Memory held by the columns of every engine and campaign key (the bench reports it)."""
    with _LOCK:
        return sum(c.nbytes for _, by_key in _CACHE.values() for c in by_key.values())
