"""`push-brief` against the mock group robot, on SQLite and PostgreSQL: a dry run sends nothing; a real push
reaches the robot with the branch's brief; 21 messages to one robot in a minute wait for the minute (a fake
clock, no real waiting); the robot's own 45009 is waited out; an invalid key fails that branch only; every
message is audited without the key."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import partial

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from components.push import compose_brief
from manage import main
from models.auth import AuditLog
from models.org import Branch, BranchLevel
from models.push import runner
from models.push.runner import PUSH_ACTION, push_briefs
from models.push.wecom import Throttle
from models.scope import Scope
from models.sync.credentials import save_credential
from models.sync.http import ApiClient
from models.sync.runner import run_sync
from tests.sync_fixtures import MOCK_NOW, add_wechat_accounts

COMPOSE = partial(compose_brief, language="zh", public_url="https://cockpit.bank.example")
KEY = "8f2c1a77-robot-key-Zq9"


class FakeClock:
    """monotonic seconds that only `sleep` moves; `now()` the same instant as a China-time datetime."""

    def __init__(self) -> None:
        self.seconds = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.seconds

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.seconds += seconds

    def now(self) -> datetime:
        return MOCK_NOW + timedelta(seconds=self.seconds - 1000.0)


def _branches(engine, codes: list[str]) -> None:
    with Session(engine) as session:
        session.add_all([Branch(code=code, name=f"{code} 支行", level=BranchLevel.SUB_BRANCH) for code in codes])
        session.commit()


def _robot(engine, code: str, key: str) -> None:
    with Session(engine) as session:
        save_credential(session, Scope.head_office(), "tester", "robot", code, key)


def _audited(engine) -> list[AuditLog]:
    with Session(engine) as session:
        return list(session.execute(select(AuditLog).where(AuditLog.action == PUSH_ACTION)
                                    .order_by(AuditLog.id)).scalars())


def _push(engine, clock: FakeClock | None = None, **kwargs):
    clock = clock or FakeClock()
    return push_briefs(engine, COMPOSE, clock=clock.monotonic, sleep=clock.sleep, backoff=0.01, now=MOCK_NOW,
                       **kwargs)


def test_dry_run_sends_nothing_and_audits_nothing(empty_engine, mock_platform):
    _branches(empty_engine, ["B01", "B02"])
    for code in ("B01", "B02"):
        _robot(empty_engine, code, KEY)
    mock_platform.state.robot_keys.add(KEY)
    results = _push(empty_engine, dry_run=True)
    assert [(r.branch_code, r.outcome) for r in results] == [("B01", "dry_run"), ("B02", "dry_run")]
    assert "B01 支行" in results[0].content and "B02 支行" in results[1].content
    assert all(r.bytes == len(r.content.encode("utf-8")) for r in results)
    assert mock_platform.state.robot_messages == [] and mock_platform.state.robot_refusals == []
    assert _audited(empty_engine) == []


def test_a_real_push_reaches_the_robot_with_the_brief(empty_engine, mock_platform):
    add_wechat_accounts(empty_engine, mock_platform, 1)   # branch gh_test-B, one official account
    synced = run_sync(empty_engine, ["wechat"], since=date(2026, 11, 1), now=MOCK_NOW,
                      client=ApiClient(empty_engine, backoff=0.01))
    assert all(r.ok for r in synced)
    _robot(empty_engine, "gh_test-B", KEY)
    mock_platform.state.robot_keys.add(KEY)
    results = _push(empty_engine)
    assert [(r.branch_code, r.outcome, r.attempts) for r in results] == [("gh_test-B", "ok", 1)]
    [(key, content, _)] = mock_platform.state.robot_messages
    assert key == KEY
    assert "## gh＿test 支行 · 晨报 2026-11-29" in content   # the name's "_" neutralised, the latest synced day
    assert "数据截至 2026-11-29" in content and "同步" in content
    assert "本周" in content and "**预警**" in content
    assert "https://cockpit.bank.example/?branch=" in content
    assert len(content.encode("utf-8")) == results[0].bytes <= 4096


def test_21_messages_to_one_robot_in_a_minute_the_21st_waits(empty_engine, mock_platform):
    codes = [f"R{index:02d}" for index in range(21)]   # a region's 21 branches share one group robot
    _branches(empty_engine, codes)
    for code in codes:
        _robot(empty_engine, code, KEY)
    clock = FakeClock()
    mock_platform.state.robot_keys.add(KEY)
    mock_platform.state.now = clock.now
    results = _push(empty_engine, clock)
    assert [r.outcome for r in results] == ["ok"] * 21
    assert mock_platform.state.robot_refusals == []          # the robot never had to refuse one
    received = [at for _, _, at in mock_platform.state.robot_messages]
    assert len(received) == 21
    assert received[20] - received[0] >= timedelta(seconds=60)   # the 21st waited for the minute
    assert received[19] - received[0] < timedelta(seconds=1)     # the first 20 went at once
    assert sum(clock.slept) == pytest.approx(60.0)


def test_the_robots_own_frequency_refusal_is_waited_out(empty_engine, mock_platform, monkeypatch):
    codes = [f"F{index:02d}" for index in range(21)]
    _branches(empty_engine, codes)
    for code in codes:
        _robot(empty_engine, code, KEY)
    clock = FakeClock()
    mock_platform.state.robot_keys.add(KEY)
    mock_platform.state.now = clock.now
    # a second process sending to the same robot, as far as this run knows: our throttle lets all 21 go
    monkeypatch.setattr(runner, "Sender", partial(runner.Sender, throttle=Throttle(per_minute=100)))
    results = _push(empty_engine, clock)
    assert [r.outcome for r in results] == ["ok"] * 21
    assert [code for _, code, _ in mock_platform.state.robot_refusals] == [45009]
    assert sorted(r.attempts for r in results) == [1] * 20 + [2]
    assert clock.slept and max(clock.slept) >= 59


def test_one_invalid_robot_fails_alone_and_every_message_is_audited_without_the_key(empty_engine, mock_platform,
                                                                                   caplog):
    _branches(empty_engine, ["A01", "B02", "C03"])
    bad_key = "0000-removed-robot-Xy7"
    _robot(empty_engine, "A01", KEY)
    _robot(empty_engine, "B02", bad_key)   # the robot was removed from its group: 93000
    _robot(empty_engine, "C03", KEY)
    mock_platform.state.robot_keys.add(KEY)
    results = _push(empty_engine, branch_codes=["A01", "B02", "C03", "Z99"])
    outcomes = {r.branch_code: r for r in results}
    assert {code: r.outcome for code, r in outcomes.items()} == {"A01": "ok", "B02": "failed", "C03": "ok",
                                                                 "Z99": "failed"}
    assert "93000" in outcomes["B02"].detail and outcomes["B02"].attempts == 1   # not retried: it cannot help
    assert "no stored group robot" in outcomes["Z99"].detail
    assert len(mock_platform.state.robot_messages) == 2
    rows = _audited(empty_engine)
    assert sorted((row.outcome, row.detail.split(":")[0]) for row in rows) == [
        ("failed", "B02"), ("failed", "Z99"), ("ok", "A01"), ("ok", "C03")]
    assert all(f"bytes={outcomes[row.detail.split(':')[0]].bytes}" in row.detail for row in rows)
    everything = " ".join(row.detail for row in rows) + caplog.text + " ".join(r.line() for r in results)
    assert KEY not in everything and bad_key not in everything


def test_the_robot_refuses_an_oversized_message_and_an_unknown_key(mock_platform):
    mock_platform.state.robot_keys.add(KEY)
    url = f"{mock_platform.url}/cgi-bin/webhook/send"
    big = {"msgtype": "markdown", "markdown": {"content": "晨" * 1366}}    # 4098 bytes
    assert httpx.post(url, params={"key": KEY}, json=big).json()["errcode"] == 40058
    assert httpx.post(url, params={"key": "nope"}, json=big).json()["errcode"] == 93000
    fits = {"msgtype": "markdown", "markdown": {"content": "晨" * 1365}}   # 4095 bytes
    assert httpx.post(url, params={"key": KEY}, json=fits).json()["errcode"] == 0


def test_manage_push_brief_exits_1_when_a_branch_failed(empty_engine, mock_platform, monkeypatch, capsys):
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("the command reads DATABASE_URL; its PostgreSQL path is the runner's, tested above")
    _branches(empty_engine, ["A01", "B02"])
    _robot(empty_engine, "A01", KEY)
    _robot(empty_engine, "B02", "0000-removed-robot-Xy7")
    mock_platform.state.robot_keys.add(KEY)
    monkeypatch.setenv("DATABASE_URL", empty_engine.url.render_as_string(hide_password=False))
    assert main(["push-brief", "--dry-run"]) == 0
    assert mock_platform.state.robot_messages == []
    assert "===== A01" in capsys.readouterr().out
    assert main(["push-brief"]) == 1
    captured = capsys.readouterr()
    said = [line for line in captured.err.splitlines() if not line.startswith("{")]   # not the JSON log lines
    assert any("B02: failed" in line for line in said) and not any("A01" in line for line in said)
    assert KEY not in captured.out + captured.err
    assert main(["push-brief", "--branch-code", "A01"]) == 0


def test_a_busy_robot_is_retried_with_backoff(empty_engine, mock_platform):
    _branches(empty_engine, ["A01"])
    _robot(empty_engine, "A01", KEY)
    mock_platform.state.robot_keys.add(KEY)
    mock_platform.state.faults.busy_calls = 2          # errcode -1 twice, then the message goes
    clock = FakeClock()
    [result] = _push(empty_engine, clock)
    assert (result.outcome, result.attempts) == ("ok", 3)
    assert clock.slept == pytest.approx([0.01, 0.02])  # exponential backoff
    assert len(mock_platform.state.robot_messages) == 1
