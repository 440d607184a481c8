"""The sync foundation on SQLite and PostgreSQL against the mock platform: secrets encrypted at rest, one
token shared by many calls, the platform's error codes, retries, and the lock that keeps two syncs apart."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.auth import AuditLog
from models.connections import AccessTokenCache, Credential
from models.scope import Scope
from models.settings import load_settings, settings
from models.sync.credentials import CredentialError, credential_refs, save_credential
from models.sync.http import (
    ApiClient,
    MalformedResponse,
    PlatformBug,
    PlatformUnavailable,
    QuotaReached,
)
from models.sync.lock import SyncBusy, sync_lock
from models.sync.secret_box import SecretUnreadable, decrypt, encrypt
from tests.sync_fixtures import add_wechat_accounts

SUMMARY = "/datacube/getusersummary"


def test_secret_box_round_trip_and_a_wrong_key_is_a_clear_error(tmp_path):
    mine = load_settings({}, tmp_path / "none.toml", tmp_path / "a" / "secret")
    other = load_settings({}, tmp_path / "none.toml", tmp_path / "b" / "secret")
    cipher = encrypt("AppSecret-123", mine)
    assert cipher != encrypt("AppSecret-123", mine) and "AppSecret-123" not in cipher
    assert decrypt(cipher, mine) == "AppSecret-123"
    with pytest.raises(SecretUnreadable) as caught:
        decrypt(cipher, other)
    assert "COCKPIT_SECRETS_KEY" in str(caught.value)
    assert "AppSecret-123" not in str(caught.value) and other.secrets_key not in str(caught.value)
    assert cipher not in str(caught.value)


def test_credentials_are_stored_encrypted_audited_without_the_secret(empty_engine, mock_platform):
    [account] = add_wechat_accounts(empty_engine, mock_platform, 1)
    with Session(empty_engine) as session:
        row = session.execute(select(Credential)).scalars().one()
        assert row.secret_cipher != account.secret and account.secret not in row.secret_cipher
        assert credential_refs(session, "wechat")[0].secret == account.secret
        assert account.secret not in repr(credential_refs(session, "wechat")[0])
        assert save_credential(session, Scope.head_office(), "tester", "wechat", account.original_id, "new-secret",
                               appid=account.appid) == "replaced"
        details = " ".join(session.execute(select(AuditLog.detail)).scalars())
        assert account.original_id in details and account.secret not in details and "new-secret" not in details
        with pytest.raises(CredentialError):
            save_credential(session, Scope.head_office(), "tester", "wechat", "gh_nosuchaccount", "x", appid="wx123456")
        with pytest.raises(PermissionError):
            save_credential(session, Scope.for_branches([1], role="president"), "p", "robot", "B1", "key")


def _ref(engine):
    with Session(engine) as session:
        return credential_refs(session, "wechat")[0]


WEEK = {"begin_date": "2026-11-20", "end_date": "2026-11-26"}


def test_one_token_serves_many_calls_and_a_token_dying_mid_run_is_refreshed_once(empty_engine, mock_platform):
    add_wechat_accounts(empty_engine, mock_platform, 1)
    ref = _ref(empty_engine)
    with ApiClient(empty_engine, backoff=0.01) as client:
        for _ in range(3):
            assert client.call(ref, SUMMARY, json=WEEK)["list"]
        assert client.token_fetches[ref.account_key] == 1
        mock_platform.state.faults.expire_token_after_calls = 1
        for _ in range(3):
            assert client.call(ref, SUMMARY, json=WEEK)["list"]
        assert client.token_fetches[ref.account_key] == 2
    with Session(empty_engine) as session:
        cached = session.get(AccessTokenCache, ref.id)
        assert cached is not None and decrypt(cached.token_cipher) == mock_platform.state.current_token(ref.appid)
    with ApiClient(empty_engine) as again:  # another process: the cached token, no new token request
        again.call(ref, SUMMARY, json=WEEK)
        assert again.token_fetches[ref.account_key] == 0


def test_platform_errors_become_exceptions_that_say_what_happened(empty_engine, mock_platform):
    add_wechat_accounts(empty_engine, mock_platform, 1)
    ref = _ref(empty_engine)
    faults = mock_platform.state.faults
    with ApiClient(empty_engine, backoff=0.01) as client:
        with pytest.raises(PlatformBug) as caught:  # 8 days: our bug, loud
            client.call(ref, SUMMARY, json={"begin_date": "2026-11-01", "end_date": "2026-11-08"})
        assert caught.value.errcode == 61501
        faults.busy_calls = 2
        assert client.call(ref, SUMMARY, json=WEEK)["list"]  # -1 twice, then data
        faults.busy_calls = 10
        with pytest.raises(PlatformUnavailable):
            client.call(ref, SUMMARY, json=WEEK)
        faults.busy_calls = 0
        faults.slow_calls, faults.slow_seconds = 1, 3.0  # over the 2 s timeout once, then answered
        assert client.call(ref, SUMMARY, json=WEEK)["list"]
        faults.quota_appids.add(ref.appid)
        with pytest.raises(QuotaReached) as quota:
            client.call(ref, SUMMARY, json=WEEK)
        assert quota.value.errcode == 45009
        faults.quota_appids.clear()
        faults.malformed_appids.add(ref.appid)
        with pytest.raises(MalformedResponse) as malformed:
            client.call(ref, SUMMARY, json=WEEK)
        assert "JSON" in str(malformed.value) and "access_token" not in str(malformed.value)


def test_calls_per_second_are_bounded(empty_engine, mock_platform, monkeypatch):
    import time

    add_wechat_accounts(empty_engine, mock_platform, 1)
    ref = _ref(empty_engine)
    monkeypatch.setenv("COCKPIT_SYNC_CALLS_PER_SECOND", "20")
    settings.cache_clear()
    with ApiClient(empty_engine) as client:
        client.token(ref)
        started = time.perf_counter()
        for _ in range(10):
            client.call(ref, SUMMARY, json=WEEK)
        assert time.perf_counter() - started >= 9 / 20 * 0.95


def test_a_second_sync_is_refused_while_one_holds_the_lock(empty_engine):
    with sync_lock(empty_engine), pytest.raises(SyncBusy), sync_lock(empty_engine):
        pass
    with sync_lock(empty_engine):  # released: the next one gets it
        pass


def test_the_lock_row_of_a_killed_sync_on_this_machine_is_taken_over(tmp_path):
    import socket
    from datetime import UTC, datetime, timedelta

    from models.connections import SyncLock
    from models.db import make_engine
    from models.migrations import create_all

    engine = make_engine(f"sqlite:///{tmp_path}/lock.db")
    create_all(engine)
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(SyncLock(name="sync", holder=f"{socket.gethostname()}:999999999",  # no such pid
                             acquired_at=now, expires_at=now + timedelta(hours=2)))
        session.commit()
    with sync_lock(engine):
        pass
    with Session(engine) as session:
        session.add(SyncLock(name="sync", holder="another-host:1", acquired_at=now, expires_at=now + timedelta(hours=2)))
        session.commit()
    with pytest.raises(SyncBusy), sync_lock(engine):
        pass
    engine.dispose()
