"""The mock platform for tests: `mock_platform` serves it on 127.0.0.1 on a free port and points
WECHAT_API_BASE / WECOM_API_BASE at it; `connected_accounts` makes branches, official accounts and their
stored credentials in a test database and registers the same accounts on the mock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from mock_platform import CHINA, MockServer, PlatformState, WechatAccount
from models.followers import OfficialAccount
from models.org import Branch, BranchLevel
from models.scope import Scope
from models.settings import settings
from models.sync.credentials import save_credential

MOCK_NOW = datetime(2026, 11, 30, 8, 30, tzinfo=CHINA)   # yesterday (11-29) complete
ACCOUNT_START = date(2026, 8, 1)


@pytest.fixture
def mock_platform(monkeypatch) -> Iterator[MockServer]:
    state = PlatformState(now=lambda: MOCK_NOW)
    with MockServer(state) as server:
        monkeypatch.setenv("WECHAT_API_BASE", server.url)
        monkeypatch.setenv("WECOM_API_BASE", server.url)
        monkeypatch.setenv("COCKPIT_SYNC_CALLS_PER_SECOND", "500")
        monkeypatch.setenv("COCKPIT_SYNC_TIMEOUT_SECONDS", "2")
        settings.cache_clear()
        yield server
    settings.cache_clear()


def add_wechat_accounts(engine: Engine, server: MockServer, count: int, start: date = ACCOUNT_START,
                        prefix: str = "gh_test") -> list[WechatAccount]:
    """`count` official accounts on one new branch, stored credentials, and the same accounts on the mock."""
    made = []
    with Session(engine) as session:
        branch = Branch(code=f"{prefix}-B", name=f"{prefix} 支行", level=BranchLevel.SUB_BRANCH)
        session.add(branch)
        session.flush()
        for index in range(count):
            account = WechatAccount(original_id=f"{prefix}{index:03d}", appid=f"wx{prefix[3:]}{index:08d}",
                                    secret=f"secret-{prefix}-{index}-Zq9", start=start, base=1_000 * (index + 1))
            session.add(OfficialAccount(branch_id=branch.id, wechat_id=account.original_id,
                                        name=f"{prefix} 服务号 {index}"))
            made.append(server.state.add_wechat(account))
        session.commit()
        for account in made:
            save_credential(session, Scope.head_office(), "tester", "wechat", account.original_id, account.secret,
                            appid=account.appid)
    return made
