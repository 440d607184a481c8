"""`manage.py connect` and `manage.py sync`: the secret comes from standard input and is never printed, logged
or audited; the sync exits 0 when every account succeeded and 1 when one failed (the others stored)."""

from __future__ import annotations

import io
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import Session

from manage import main
from mock_platform import CHINA, WechatAccount
from models.auth import AuditLog
from models.connections import Credential
from models.db import make_engine
from models.followers import OfficialAccount
from models.migrations import create_all
from models.org import Branch, BranchLevel
from models.sync.runner import UnknownSource, run_sync
from models.sync.wechat import latest_complete_day

SECRET = "cli-AppSecret-0123456789abcdef"


@pytest.fixture
def cli_db(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    create_all(engine)
    with Session(engine) as session:
        branch = Branch(code="B1", name="一支行", level=BranchLevel.SUB_BRANCH)
        session.add(branch)
        session.flush()
        for index in range(2):
            session.add(OfficialAccount(branch_id=branch.id, wechat_id=f"gh_cli{index}", name=f"服务号{index}"))
        session.commit()
    yield engine
    engine.dispose()


def _connect(monkeypatch, *args: str, secret: str = SECRET) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(secret + "\n"))
    return main(["connect", *args, "--secret-stdin"])


def test_connect_stores_the_secret_encrypted_and_never_shows_it(cli_db, monkeypatch, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    assert _connect(monkeypatch, "wechat", "--account", "gh_cli0", "--appid", "wxcli0000000000") == 0
    assert _connect(monkeypatch, "robot", "--branch-code", "B1", secret="robot-key-42") == 0
    assert _connect(monkeypatch, "wecom", "--corp-id", "ww0123456789abcdef", secret="corp-secret-7") == 0
    assert _connect(monkeypatch, "wechat", "--account", "gh_unknown", "--appid", "wxcli0000000000") == 2
    output = capsys.readouterr()
    with Session(cli_db) as session:
        ciphers = session.execute(select(Credential.secret_cipher)).scalars().all()
        audit = " ".join(session.execute(select(AuditLog.detail)).scalars())
    everything = output.out + output.err + caplog.text + audit
    for secret in (SECRET, "robot-key-42", "corp-secret-7"):
        assert secret not in everything
        assert all(secret not in cipher for cipher in ciphers)
    assert len(ciphers) == 3 and "stored, encrypted" in output.out and "gh_cli0" in audit


def test_sync_command_exit_codes(cli_db, monkeypatch, mock_platform, capsys):
    mock_platform.state.now = lambda: datetime.now(CHINA)
    last = latest_complete_day(datetime.now(UTC))
    accounts = [mock_platform.state.add_wechat(WechatAccount(f"gh_cli{i}", f"wxcli{i:010d}", f"s-{i}-secret",
                                                             start=last - timedelta(days=30)))
                for i in range(2)]
    for account in accounts:
        assert _connect(monkeypatch, "wechat", "--account", account.original_id, "--appid", account.appid,
                        secret=account.secret) == 0
    since = (last - timedelta(days=9)).isoformat()
    mock_platform.state.faults.quota_appids.add(accounts[1].appid)
    assert main(["sync", "wechat", "--since", since]) == 1
    assert "1 ok, 1 failed" in capsys.readouterr().out
    mock_platform.state.faults.quota_appids.clear()
    assert main(["sync", "all", "--account", "gh_cli1"]) == 0
    with cli_db.connect() as conn:
        counts = dict(conn.execute(text(
            "SELECT a.wechat_id, COUNT(*) FROM followerdaily f JOIN officialaccount a ON a.id = f.account_id "
            "GROUP BY a.wechat_id")).all())
    # the quota-stopped account had stored nothing: its first run fetches from its start (within 90 days)
    assert counts == {"gh_cli0": 10, "gh_cli1": 31}
    assert main(["sync", "wechat", "--account", "gh_nobody"]) == 1


def test_an_unknown_source_is_refused(cli_db):
    with pytest.raises(UnknownSource):
        run_sync(cli_db, ["nosuch"])
