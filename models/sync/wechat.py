"""Official-account followers from the WeChat data API into `followerdaily`, through the import pipeline.

Per account: getusersummary (new_user / cancel_user per day and user_source: summed over the sources) and
getusercumulate (cumulate_user per day), in windows of at most 7 days, from the day after the last complete
day to the last complete day on the platform (yesterday, once it is 08:00 in China). Windows are written by
`commit_frame("follower_daily", ...)`: the same validation, rollup refresh, audit and data version as a file,
with each account's progress recorded in the same transaction, so a run killed half-way resumes where it
stopped. The windows that many accounts' threads hand over while one is being written go in together
(`WindowWriter`: a group commit; a refused group is retried window by window).

https://developers.weixin.qq.com/doc/offiaccount/Analytics/User_Analysis_Data_Interface.html
(begin_date / end_date yyyy-MM-dd, maximum span 7 days; "query the previous day's data after 08:00";
list items {ref_date, user_source, new_user, cancel_user} and {ref_date, cumulate_user}).
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from time import monotonic as time_now

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.connections import CredentialKind
from models.followers import FollowerDaily, OfficialAccount
from models.importing.pipeline import commit_frame
from models.sync.http import ApiClient, CredentialRef, MalformedResponse, PlatformBug
from models.sync.state import WRITE_LOCK, AccountResult, advance, last_complete_day

SOURCE = "wechat"
CREDENTIAL_KIND = CredentialKind.WECHAT
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_SPAN_DAYS = 7        # "maximum time span 7": begin..end holds at most 7 days
COMPLETE_AT = time(8, 0)  # the previous day is complete after 08:00 China time
FIRST_SYNC_DAYS = 90     # an account never synced nor imported starts this many days back
SUMMARY = "/datacube/getusersummary"
CUMULATE = "/datacube/getusercumulate"
SYNC_USER = "sync:wechat"
GROUP_WAIT_SECONDS = 0.5  # how long a writer waits for the windows of the other fetching threads
log = logging.getLogger("cockpit.sync")


def latest_complete_day(now: datetime) -> date:
    """The newest day the platform has complete at `now`: yesterday from 08:00 China time, else the day before."""
    local = now.astimezone(CHINA)
    return local.date() - timedelta(days=1 if local.time() >= COMPLETE_AT else 2)


def windows(first: date, last: date, span: int = MAX_SPAN_DAYS) -> list[tuple[date, date]]:
    """[first, last] cut into consecutive windows of at most `span` days (begin and end inclusive)."""
    found = []
    begin = first
    while begin <= last:
        end = min(begin + timedelta(days=span - 1), last)
        found.append((begin, end))
        begin = end + timedelta(days=1)
    return found


def _items(body: dict, path: str, fields: tuple[str, ...]) -> pd.DataFrame:
    items = body.get("list")
    if not isinstance(items, list) or not all(isinstance(i, dict) and set(fields) <= i.keys() for i in items):
        raise MalformedResponse(f"{path}: 缺少 list 或字段 {', '.join(fields)} / the answer lacks list or "
                                f"the fields {', '.join(fields)}", path=path)
    frame = pd.DataFrame(items, columns=list(fields))
    try:
        frame["ref_date"] = pd.to_datetime(frame["ref_date"], format="%Y-%m-%d").dt.date
        for column in fields[1:]:
            frame[column] = pd.to_numeric(frame[column], errors="raise").astype("int64")
    except (ValueError, TypeError):
        raise MalformedResponse(f"{path}: 日期或数字无法识别 / a date or number does not parse", path=path) from None
    return frame


def daily_rows(summary: dict, cumulate: dict, account_key: str, begin: date, end: date) -> pd.DataFrame:
    """One row per day of the window that getusercumulate reports: the new and cancelled follows summed over
    user_source (a day no source moved has no getusersummary row: 0 and 0), net, cumulative."""
    moves = _items(summary, SUMMARY, ("ref_date", "new_user", "cancel_user"))
    totals = _items(cumulate, CUMULATE, ("ref_date", "cumulate_user")).drop_duplicates("ref_date")
    outside = [d for d in pd.concat([moves["ref_date"], totals["ref_date"]]) if not begin <= d <= end]
    if outside:
        raise PlatformBug(f"the platform answered day {outside[0]} outside {begin}..{end}", path=SUMMARY)
    per_day = moves.groupby("ref_date", as_index=False)[["new_user", "cancel_user"]].sum()
    orphan = set(per_day["ref_date"]) - set(totals["ref_date"])
    if orphan:
        raise MalformedResponse(f"{SUMMARY}: day {min(orphan)} has follows but no cumulate_user", path=SUMMARY)
    rows = totals.merge(per_day, on="ref_date", how="left").fillna({"new_user": 0, "cancel_user": 0})
    rows = rows.sort_values("ref_date")
    return pd.DataFrame({
        "day": rows["ref_date"].to_numpy(),
        "new_follows": rows["new_user"].astype("int64").to_numpy(),
        "unfollows": rows["cancel_user"].astype("int64").to_numpy(),
        "net_follows": (rows["new_user"] - rows["cancel_user"]).astype("int64").to_numpy(),
        "cumulative": rows["cumulate_user"].to_numpy(),
        "account": account_key,
    })


def _imported_until(engine: Engine, account_key: str) -> date | None:
    """The newest day a file import (or an earlier sync) stored for the account."""
    with Session(engine) as session:
        return session.execute(select(func.max(FollowerDaily.day)).join(
            OfficialAccount, OfficialAccount.id == FollowerDaily.account_id)
            .where(OfficialAccount.wechat_id == account_key)).scalar()


def first_day_to_fetch(engine: Engine, account_key: str, last: date) -> date:
    done = last_complete_day(engine, SOURCE, account_key) or _imported_until(engine, account_key)
    return done + timedelta(days=1) if done else last - timedelta(days=FIRST_SYNC_DAYS - 1)


@dataclass(eq=False)
class _Window:
    """One account's window waiting to be written: its rows (empty: before the account's start) and, once
    written, how many rows were new or changed, or the error that stopped it."""

    account: str
    begin: date
    end: date
    frame: pd.DataFrame
    done: threading.Event = field(default_factory=threading.Event)
    rows_written: int = 0
    error: BaseException | None = None

    @property
    def label(self) -> str:
        return f"api:wechat {self.account} {self.begin}~{self.end}"


class _BatchRefused(Exception):
    """A window of a group was refused by the import checks: each is written on its own instead."""


class WindowWriter:
    """Group commit of the accounts' windows. The fetching threads hand over their windows; whichever thread
    gets the write lock next commits everything handed over meanwhile as ONE import (one validation, one
    follower-rollup refresh of the branches and days touched, one data-version bump), each account's progress
    recorded inside that same transaction, so a run killed half-way still resumes exactly where each account
    stood. A group refused by the checks (or failing in the database) is retried window by window, so only
    the account at fault fails. Each thread waits for its own window to be written before it goes on."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._pending: list[_Window] = []
        self._changed = threading.Condition()
        self._fetching = 0  # threads inside `sync_account` of this database: the windows still to come

    @contextmanager
    def fetching(self):
        """Around one account's fetch-and-write: while it runs, a writer may wait a moment for its window."""
        with self._changed:
            self._fetching += 1
        try:
            yield self
        finally:
            with self._changed:
                self._fetching -= 1
                self._changed.notify_all()

    def write(self, window: _Window) -> int:
        with self._changed:
            self._pending.append(window)
            self._changed.notify_all()
        with WRITE_LOCK:
            with self._changed:  # gather: wait (briefly) until every fetching thread has handed its window over
                deadline = time_now() + GROUP_WAIT_SECONDS
                while self._pending and len(self._pending) < self._fetching and time_now() < deadline:
                    self._changed.wait(deadline - time_now())
                batch, self._pending = self._pending, []
            if batch:
                self._write_batch(batch)
        window.done.wait()
        if window.error is not None:
            raise window.error
        return window.rows_written

    def _write_batch(self, batch: list[_Window]) -> None:
        try:
            if len(batch) > 1:
                try:
                    self._commit(batch)
                    return
                except _BatchRefused:
                    pass
                except Exception:  # noqa: BLE001 - a database error: each window alone finds whose it is
                    log.warning("wechat group of %d windows failed; writing them one by one", len(batch), exc_info=True)
            for window in batch:
                try:
                    self._commit([window])
                except Exception as exc:  # noqa: BLE001 - recorded for that account's thread to raise
                    window.error = exc
        except BaseException as exc:  # a kill: the threads waiting on this group hear it too, none waits forever
            for window in batch:
                if not window.done.is_set() and window.error is None:
                    window.error = exc
            raise
        finally:
            for window in batch:
                window.done.set()

    def _commit(self, batch: list[_Window]) -> None:
        frames = [w.frame for w in batch if not w.frame.empty]

        def progress(session: Session) -> None:
            for window in batch:
                advance(session, SOURCE, window.account, window.end)

        with Session(self._engine) as session:
            if not frames:  # before the accounts' start: nothing to store, the days are done
                progress(session)
                session.commit()
                return
            label = batch[0].label if len(batch) == 1 else (
                f"api:wechat {len(batch)} accounts {min(w.begin for w in batch)}~{max(w.end for w in batch)}: "
                + " ".join(w.account for w in batch))
            imported = commit_frame("follower_daily", pd.concat(frames, ignore_index=True), label, session,
                                    SYNC_USER, before_commit=progress)
            if not imported.committed:
                if len(batch) > 1:
                    raise _BatchRefused(label)
                rejects = imported.preview.rejects
                why = imported.preview.refusal.en if imported.preview.refusal else \
                    "; ".join(f"{r.column}: {r.reason_en}" for r in rejects.head(3).itertuples())
                raise PlatformBug(f"{batch[0].begin}~{batch[0].end} refused by the import checks: {why}", path=SUMMARY)
            if len(batch) == 1:
                batch[0].rows_written = imported.preview.new + imported.preview.changed
                return
            written = pd.concat([f for f in (imported.preview.new_rows, imported.preview.changed_rows)
                                 if f is not None and not f.empty] or [pd.DataFrame({"account_id": []})])
            per_account = written["account_id"].value_counts()
            ids = _account_ids(session, [w.account for w in batch])
            for window in batch:
                window.rows_written = int(per_account.get(ids.get(window.account), 0))


def _account_ids(session: Session, keys: list[str]) -> dict[str, int]:
    """Account key (original ID, or name as the import also accepts) -> official account id."""
    table = OfficialAccount
    found = dict(session.execute(select(table.wechat_id, table.id).where(table.wechat_id.in_(keys))).all())
    rest = [k for k in keys if k not in found]
    if rest:
        found.update(dict(session.execute(select(table.name, table.id).where(table.name.in_(rest))).all()))
    return found


_WRITERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def window_writer(engine: Engine) -> WindowWriter:
    """The one writer per database that every fetching thread hands its windows to."""
    with _WRITERS_LOCK:
        writer = _WRITERS.get(engine)
        if writer is None:
            writer = _WRITERS[engine] = WindowWriter(engine)
        return writer


def sync_account(engine: Engine, client: ApiClient, credential: CredentialRef, since: date | None,
                 until: date | None, now: datetime, on_window: Callable[[], None] | None = None) -> AccountResult:
    """Fetch and store one account's days; raises the platform's exceptions (the runner records them)."""
    account = credential.account_key
    last = min(until, latest_complete_day(now)) if until else latest_complete_day(now)
    first = since or first_day_to_fetch(engine, account, last)
    result = AccountResult(SOURCE, account)
    with window_writer(engine).fetching() as writer:
        for begin, end in windows(first, last, MAX_SPAN_DAYS):
            body = {"begin_date": begin.isoformat(), "end_date": end.isoformat()}
            frame = daily_rows(client.call(credential, SUMMARY, json=body),
                               client.call(credential, CUMULATE, json=body), account, begin, end)
            result.rows_written += writer.write(_Window(account, begin, end, frame))
            result.first_day = result.first_day or begin
            result.last_day = end
            result.windows += 1
            if on_window is not None:
                on_window()
    return result
