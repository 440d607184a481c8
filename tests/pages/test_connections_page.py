"""数据接入 / Data connections: admins only; a secret entered on the page is stored encrypted and never shown
again (not in any element of the page); "sync now" fetches the account's new days from the (mock) platform."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from mock_platform import CHINA, WechatAccount
from models.auth import AuditLog
from models.connections import Credential, SyncState
from models.followers import FollowerDaily, OfficialAccount
from tests.conftest import DEMO_END
from tests.pages.conftest import PROJECT_ROOT, page

SECRET = "Sup3rSecretAppSecretValue0042"


def _everything_shown(app) -> str:
    parts = []
    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning", "error", "success",
                 "exception", "code", "json"):
        parts += [str(getattr(e, "value", "")) for e in getattr(app, kind)]
    for kind in ("text_input", "selectbox", "button"):
        for widget in getattr(app, kind):
            parts += [str(getattr(widget, "label", "")), str(getattr(widget, "value", ""))]
    parts += [frame.value.to_string() for frame in app.dataframe]
    return "\n".join(parts)


def test_only_admins_see_the_connections_page(demo_env):
    for username in ("demo_president", "demo_city", "demo_viewer"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            page("app_pages/connections.py", username=username).run()
    admin = page("app_pages/connections.py").run()
    assert not admin.exception and admin.title[0].value in ("数据接入", "Data connections")


def test_the_page_itself_refuses_a_non_admin_scope(demo_env, monkeypatch):
    """Even reached directly, the page checks the server-side scope, not the navigation."""
    from models.scope import Scope

    monkeypatch.setattr("components.data.page_scope", lambda: Scope.for_branches([1], role="president"))
    app = AppTest.from_file(str(PROJECT_ROOT / "app_pages" / "connections.py"), default_timeout=60).run()
    assert not app.exception and not app.text_input and not app.dataframe
    assert any("管理员" in e.value or "admins" in e.value for e in app.error)


def test_admin_connects_an_account_and_syncs_it_now(own_demo_env, mock_platform):
    engine = own_demo_env
    with Session(engine) as session:
        account = session.execute(select(OfficialAccount).order_by(OfficialAccount.id)).scalars().first()
        original_id = account.wechat_id
        days_before = session.execute(select(FollowerDaily.day).where(FollowerDaily.account_id == account.id)) \
            .scalars().all()
    assert max(days_before) == DEMO_END
    mock_platform.state.now = lambda: datetime.now(CHINA)
    mock_platform.state.add_wechat(WechatAccount(original_id=original_id, appid="wx00demo0000000001", secret=SECRET,
                                                 start=DEMO_END, base=50_000))
    test = page("app_pages/connections.py")
    app = test.run()
    assert not app.exception, app.exception
    app.text_input(key="connect_wechat_account").input(original_id)
    app.text_input(key="connect_wechat_appid").input("wx00demo0000000001")
    app.text_input(key="connect_wechat_secret").input(SECRET)
    next(b for b in app.button if b.label in ("加密保存", "Save encrypted")).click().run()
    assert not app.exception, app.exception
    assert any("加密" in s.value or "encrypted" in s.value for s in app.success)
    assert original_id in app.dataframe[0].value.to_string()
    assert SECRET not in _everything_shown(app)
    app.button(key="connections_sync_now").click().run()
    assert not app.exception, app.exception
    assert app.success, _everything_shown(app)
    assert SECRET not in _everything_shown(app)
    with Session(engine) as session:
        stored = session.execute(select(Credential.secret_cipher)).scalar_one()
        assert SECRET not in stored
        days = session.execute(select(FollowerDaily.day).where(FollowerDaily.account_id == account.id)).scalars().all()
        state = session.execute(select(SyncState).where(SyncState.account_key == original_id)).scalar_one()
        audit = " ".join(session.execute(select(AuditLog.detail)).scalars())
    assert max(days) > DEMO_END and state.outcome == "ok" and state.last_complete_day == max(days)
    assert SECRET not in audit and original_id in audit


def test_a_wrong_appid_is_refused_in_words(own_demo_env):
    app = page("app_pages/connections.py").run()
    app.text_input(key="connect_wechat_account").input("gh_nosuchaccount")
    app.text_input(key="connect_wechat_appid").input("not-an-appid")
    app.text_input(key="connect_wechat_secret").input(SECRET)
    next(b for b in app.button if b.label in ("加密保存", "Save encrypted")).click().run()
    assert not app.exception
    assert app.error and SECRET not in _everything_shown(app)
