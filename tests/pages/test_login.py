"""The login form and the demo buttons: one answer for every wrong password, demo clicks under the
login rules, and an admin ending a user's sessions from the users page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.login_sessions import live_sessions
from models.scope import Scope
from sample_data.accounts import DEMO_PASSWORD
from tests.pages.conftest import page, sign_in, signed_out_now


def _set(engine, username: str, **fields) -> None:
    with Session(engine) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        for name, value in fields.items():
            setattr(user, name, value)
        session.add(user)
        session.commit()


def _logins(engine) -> list[tuple[str, str, str]]:
    with Session(engine) as session:
        rows = session.execute(select(AuditLog.username, AuditLog.outcome, AuditLog.detail)
                               .where(AuditLog.action == "login").order_by(AuditLog.id)).all()
    return [tuple(r) for r in rows]


def test_every_wrong_password_reads_the_same_and_only_a_right_one_learns_deactivated(own_demo_env):
    _set(own_demo_env, "demo_staff", locked_until=datetime.now(UTC) + timedelta(minutes=10))
    _set(own_demo_env, "demo_viewer", is_active=False)
    answers = []
    for username in ("nobody", "demo_city", "demo_staff", "demo_viewer"):
        app = page("app.py", username=None).run()
        sign_in(app, username, "wrong-password")
        answers.append([e.value for e in app.error])
        assert signed_out_now(app)
    assert answers[0] and all(a == answers[0] for a in answers)
    app = page("app.py", username=None).run()
    sign_in(app, "demo_viewer", DEMO_PASSWORD)
    assert [e.value for e in app.error] != answers[0] and "停用" in app.error[0].value


def _demo_button(app, label: str):
    return next((b for b in app.button if str(b.key).startswith("demo_login_") and label in b.label), None)


def test_demo_buttons_follow_the_login_rules(own_demo_env):
    _set(own_demo_env, "demo_viewer", is_active=False)
    _set(own_demo_env, "demo_staff", locked_until=datetime.now(UTC) + timedelta(minutes=10))
    app = page("app.py", username=None).run()
    assert _demo_button(app, "会议投屏") is None            # a deactivated demo account gets no button
    _demo_button(app, "客户经理").click().run()
    assert signed_out_now(app) and "锁定" in app.error[0].value
    assert _logins(own_demo_env)[-1] == ("demo_staff", "locked", "demo account")
    _demo_button(app, "总行管理员").click().run()
    assert not signed_out_now(app) and not app.exception
    assert _logins(own_demo_env)[-1] == ("demo_admin", "ok", "demo account")


def _user_id(engine, username: str) -> int:
    with Session(engine) as session:
        return session.execute(select(User.id).where(User.username == username)).scalar_one()


def test_an_admin_ends_a_users_sessions_on_the_users_page(own_demo_env):
    viewer = page("app.py", username="demo_viewer").run()
    assert not signed_out_now(viewer)
    admin = page("app_pages/users.py").run()
    viewer_id = _user_id(own_demo_env, "demo_viewer")
    with Session(own_demo_env) as session:  # the shared demo file may hold earlier tests' viewer sessions too
        live = live_sessions(session, Scope.head_office(), viewer_id)
    assert live >= 1
    admin.selectbox(key="users_pick").set_value(viewer_id).run()
    assert any(c.value.endswith(f": {live}") for c in admin.caption)
    admin.button(key="users_revoke_sessions").click().run()
    assert any(str(live) in s.value for s in admin.success)
    with Session(own_demo_env) as session:
        assert live_sessions(session, Scope.head_office(), viewer_id) == 0
    viewer.run()
    assert signed_out_now(viewer)


def test_an_accounts_own_name_reaches_markdown_escaped(own_demo_env):
    """A display name is data too: on the demo button and in the sidebar's 'signed in as' it stays text."""
    _set(own_demo_env, "demo_viewer", display_name="投屏[点我](http://evil.example)")
    escaped = r"投屏\[点我\]\(http\:" + "\u2060" + r"\/\/evil\.example\)"
    app = page("app.py", username=None).run()
    button = _demo_button(app, "投屏")
    assert escaped in button.label and "](http" not in button.label
    button.click().run()
    assert not signed_out_now(app)
    captions = [c.value for c in app.sidebar.caption]
    assert any(escaped in c for c in captions) and not any("](http" in c for c in captions), captions
