"""The WeChat follower sync against the mock platform, on SQLite and PostgreSQL: what the platform says lands
in followerdaily and its rollups through the import pipeline; twice is once; a run killed half-way or stopped by
a quota resumes without gaps or duplicates; every documented failure is reported per account."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from mock_platform import CHINA
from models.auth import AuditLog
from models.connections import SyncState
from models.followers import FollowerDaily, OfficialAccount
from models.refresh import refresh_rollups
from models.sync import wechat
from models.sync.http import ApiClient
from models.sync.lock import SyncBusy, sync_lock
from models.sync.runner import run_sync
from tests.sync_fixtures import MOCK_NOW, add_wechat_accounts

YESTERDAY = date(2026, 11, 29)
SINCE_92 = YESTERDAY - timedelta(days=91)
DATA_TABLES = ("followerdaily", "followerbranchdaily", "followerdaytotal", "dataversion")


def _snapshot(engine) -> dict[str, list[tuple]]:
    with engine.connect() as conn:
        found = {}
        for table in DATA_TABLES:
            columns = [c for c in conn.execute(text(f"SELECT * FROM {table} WHERE 1=0")).keys()  # noqa: SIM118
                       if c not in ("id", "updated_at")]
            found[table] = sorted(tuple(str(v) for v in row)
                                  for row in conn.execute(text(f"SELECT {', '.join(columns)} FROM {table}")))
        return found


def _days(engine, account_key: str) -> list[tuple]:
    with Session(engine) as session:
        return list(session.execute(
            select(FollowerDaily.day, FollowerDaily.new_follows, FollowerDaily.unfollows, FollowerDaily.net_follows,
                   FollowerDaily.cumulative)
            .join(OfficialAccount, OfficialAccount.id == FollowerDaily.account_id)
            .where(OfficialAccount.wechat_id == account_key).order_by(FollowerDaily.day)).all())


def _expected(account, first: date, last: date) -> list[tuple]:
    rows = []
    day = max(first, account.start)
    while day <= last:
        moved = account.sources(day)
        new, cancel = sum(m[1] for m in moved), sum(m[2] for m in moved)
        rows.append((day, new, cancel, new - cancel, account.cumulate(day)))
        day += timedelta(days=1)
    return rows


def _sync(engine, **kwargs):
    return run_sync(engine, ["wechat"], now=MOCK_NOW, client=ApiClient(engine, backoff=0.01), **kwargs)


def test_sync_92_days_then_again_gives_the_same_database(empty_engine, mock_platform):
    accounts = add_wechat_accounts(empty_engine, mock_platform, 2)
    accounts[0].quiet_days.add(YESTERDAY - timedelta(days=10))  # an empty day: no getusersummary row
    results = _sync(empty_engine, since=SINCE_92)
    assert [r.outcome for r in results] == ["ok", "ok"], [r.line() for r in results]
    for account in accounts:
        assert _days(empty_engine, account.original_id) == _expected(account, SINCE_92, YESTERDAY)
    quiet = [row for row in _days(empty_engine, accounts[0].original_id) if row[0] == YESTERDAY - timedelta(days=10)]
    assert quiet[0][1:4] == (0, 0, 0)
    spans = [(date.fromisoformat(b["end_date"]) - date.fromisoformat(b["begin_date"])).days + 1
             for path, _, b in mock_platform.state.calls if path.startswith("getuser")]
    assert max(spans) <= 7 and len(spans) == 2 * 2 * 14  # 92 days = 14 windows of <= 7, two calls each
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM followerbranchdaily")).scalar() == 92
    first = _snapshot(empty_engine)
    with empty_engine.begin() as conn:  # the rollups the windows refreshed equal a full rebuild
        refresh_rollups(conn)
    assert _snapshot(empty_engine) == first  # next_day of each window's last day too (it was left empty)
    again = _sync(empty_engine, since=SINCE_92)
    assert all(r.ok and r.rows_written == 0 for r in again)
    assert _snapshot(empty_engine) == first
    calls_before = len(mock_platform.state.calls)
    up_to_date = _sync(empty_engine)  # no dates: from the day after the last complete day -> nothing to do
    assert all(r.ok and r.windows == 0 for r in up_to_date)
    assert len(mock_platform.state.calls) == calls_before and _snapshot(empty_engine) == first
    with Session(empty_engine) as session:
        states = session.execute(select(SyncState)).scalars().all()
        assert {s.last_complete_day for s in states} == {YESTERDAY}
        assert session.execute(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import")).scalar() > 0


def test_yesterday_waits_for_eight_o_clock_china_time_and_data_before_the_start_is_absent(empty_engine,
                                                                                        mock_platform):
    [account] = add_wechat_accounts(empty_engine, mock_platform, 1, start=YESTERDAY - timedelta(days=3))
    early = datetime(2026, 11, 30, 7, 59, tzinfo=CHINA)
    mock_platform.state.now = lambda: early
    results = run_sync(empty_engine, ["wechat"], since=YESTERDAY - timedelta(days=9), now=early,
                       client=ApiClient(empty_engine, backoff=0.01))
    assert results[0].ok and results[0].last_day == YESTERDAY - timedelta(days=1)
    assert [r[0] for r in _days(empty_engine, account.original_id)] == \
        [YESTERDAY - timedelta(days=3), YESTERDAY - timedelta(days=2), YESTERDAY - timedelta(days=1)]
    mock_platform.state.now = lambda: MOCK_NOW
    assert _sync(empty_engine)[0].ok
    assert _days(empty_engine, account.original_id)[-1][0] == YESTERDAY


def test_a_token_that_expires_mid_run_is_refreshed_once(empty_engine, mock_platform):
    [account] = add_wechat_accounts(empty_engine, mock_platform, 1)
    mock_platform.state.faults.expire_token_after_calls = 5
    client = ApiClient(empty_engine, backoff=0.01)
    results = run_sync(empty_engine, ["wechat"], since=SINCE_92, now=MOCK_NOW, client=client)
    assert results[0].ok
    assert client.token_fetches[account.original_id] == 2
    forced = [b for path, _, b in mock_platform.state.calls if path == "token"]
    assert [b["force_refresh"] for b in forced] == [False, True]
    assert _days(empty_engine, account.original_id) == _expected(account, SINCE_92, YESTERDAY)


def test_quota_on_one_account_stops_it_alone_and_the_next_run_resumes(empty_engine, mock_platform):
    accounts = add_wechat_accounts(empty_engine, mock_platform, 3)
    mock_platform.state.faults.quota_appids.add(accounts[1].appid)
    results = {r.account_key: r for r in _sync(empty_engine, since=SINCE_92)}
    assert results[accounts[1].original_id].outcome == "quota" and "45009" in results[accounts[1].original_id].detail
    assert results[accounts[0].original_id].ok and results[accounts[2].original_id].ok
    assert _days(empty_engine, accounts[1].original_id) == []
    assert len(_days(empty_engine, accounts[2].original_id)) == 92
    mock_platform.state.faults.quota_appids.clear()
    resumed = {r.account_key: r for r in _sync(empty_engine, since=SINCE_92)}
    assert all(r.ok for r in resumed.values())
    assert _days(empty_engine, accounts[1].original_id) == _expected(accounts[1], SINCE_92, YESTERDAY)


def test_a_request_over_seven_days_fails_loudly(empty_engine, mock_platform, monkeypatch):
    add_wechat_accounts(empty_engine, mock_platform, 1)
    monkeypatch.setattr(wechat, "MAX_SPAN_DAYS", 8)
    [result] = _sync(empty_engine, since=SINCE_92)
    assert result.outcome == "failed" and "61501" in result.detail


def test_slow_answers_are_retried_and_a_malformed_body_fails_that_account_clearly(empty_engine, mock_platform):
    accounts = add_wechat_accounts(empty_engine, mock_platform, 2)
    faults = mock_platform.state.faults
    faults.slow_calls, faults.slow_seconds = 2, 3.0  # over the 2 s timeout twice, then answered
    faults.busy_calls = 1
    faults.malformed_appids.add(accounts[1].appid)
    results = {r.account_key: r for r in _sync(empty_engine, since=YESTERDAY - timedelta(days=6))}
    assert results[accounts[0].original_id].ok
    assert len(_days(empty_engine, accounts[0].original_id)) == 7
    bad = results[accounts[1].original_id]
    assert bad.outcome == "failed" and "JSON" in bad.detail and "access_token" not in bad.detail


def test_a_run_killed_half_way_is_completed_by_the_next(empty_engine, mock_platform, monkeypatch):
    [account] = add_wechat_accounts(empty_engine, mock_platform, 1)
    real = wechat.commit_frame
    calls = {"n": 0}

    def dies_after_five(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 5:
            raise KeyboardInterrupt("killed")  # as a kill: not an error the runner may swallow
        return real(*args, **kwargs)

    monkeypatch.setattr(wechat, "commit_frame", dies_after_five)
    with pytest.raises(KeyboardInterrupt):
        _sync(empty_engine, since=SINCE_92)
    assert len(_days(empty_engine, account.original_id)) == 35  # five windows of seven days committed
    monkeypatch.setattr(wechat, "commit_frame", real)
    with Session(empty_engine) as session:  # the killed run's lock row / advisory lock is gone with it
        session.execute(text("DELETE FROM synclock"))
        session.commit()
    [result] = _sync(empty_engine)
    assert result.ok and result.first_day == SINCE_92 + timedelta(days=35)
    assert _days(empty_engine, account.original_id) == _expected(account, SINCE_92, YESTERDAY)


def test_a_second_sync_is_refused_while_one_runs(empty_engine, mock_platform):
    add_wechat_accounts(empty_engine, mock_platform, 1)
    with sync_lock(empty_engine), pytest.raises(SyncBusy):
        _sync(empty_engine)


def test_windows_handed_over_together_are_one_import_and_a_refused_one_fails_alone(empty_engine, mock_platform):
    """The group commit: three accounts' windows written while all three fetch go in as one import; a group
    with a window the checks refuse is written window by window, so only that account fails."""
    accounts = [a.original_id for a in add_wechat_accounts(empty_engine, mock_platform, 3)]
    writer = wechat.window_writer(empty_engine)

    def window(key: str, day: date, bad: bool = False):
        frame = pd.DataFrame({"day": [day], "new_follows": [5], "unfollows": [2], "net_follows": [3 + bad],
                              "cumulative": [100], "account": [key]})
        return wechat._Window(key, day, day, frame)

    def write_all(day: date, bad_key: str | None) -> dict[str, object]:
        outcome: dict[str, object] = {}
        ready = threading.Barrier(len(accounts))

        def one(key: str) -> None:
            with writer.fetching():
                ready.wait()
                try:
                    outcome[key] = writer.write(window(key, day, bad=key == bad_key))
                except Exception as exc:  # noqa: BLE001 - the refused account's error, checked below
                    outcome[key] = exc

        threads = [threading.Thread(target=one, args=(key,)) for key in accounts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return outcome

    def imports() -> list[str]:
        with Session(empty_engine) as session:
            return [f"{a.outcome} {a.detail}" for a in session.execute(
                select(AuditLog).where(AuditLog.action == "import").order_by(AuditLog.id)).scalars()]

    assert write_all(date(2026, 11, 1), None) == dict.fromkeys(accounts, 1)
    assert len(imports()) == 1 and "3 accounts" in imports()[0]  # one import for the three windows
    outcome = write_all(date(2026, 11, 2), accounts[1])
    assert outcome[accounts[0]] == outcome[accounts[2]] == 1
    assert "refused by the import checks" in str(outcome[accounts[1]])
    assert [days[-1][0] for days in map(lambda k: _days(empty_engine, k), accounts)] == \
        [date(2026, 11, 2), date(2026, 11, 1), date(2026, 11, 2)]
    with Session(empty_engine) as session:
        progress = dict(session.execute(select(SyncState.account_key, SyncState.last_complete_day)).all())
    assert progress == {accounts[0]: date(2026, 11, 2), accounts[1]: date(2026, 11, 1), accounts[2]: date(2026, 11, 2)}


def _last_vacuum(engine, table: str):
    with engine.connect() as conn:
        return conn.execute(text("SELECT last_vacuum FROM pg_stat_user_tables WHERE schemaname = current_schema() "
                                 "AND relname = :t"), {"t": table}).scalar()


def test_a_sync_that_wrote_rows_vacuums_after_it_and_one_that_wrote_none_does_not(empty_engine, mock_platform):
    """PostgreSQL: the rows a sync commits leave old versions and pages no longer all-visible behind them (the
    daily referral windows are rewritten whole); with autovacuum off or not yet round, pages would read the heap."""
    add_wechat_accounts(empty_engine, mock_platform, 1)
    postgres = empty_engine.dialect.name == "postgresql"
    assert not postgres or _last_vacuum(empty_engine, "followerdaily") is None
    results = _sync(empty_engine, since=YESTERDAY - timedelta(days=6))
    assert results[0].rows_written == 7, results[0].line()
    if not postgres:
        return  # SQLite has no visibility map: nothing to do, nothing to fail
    first = _last_vacuum(empty_engine, "followerdaily")
    assert first is not None and _last_vacuum(empty_engine, "followerbranchdaily") is not None
    again = _sync(empty_engine, since=YESTERDAY - timedelta(days=6))
    assert again[0].rows_written == 0, again[0].line()
    assert _last_vacuum(empty_engine, "followerdaily") == first
