"""What each role may see, and that a signed-out visitor or an edited session sees nothing more."""

from __future__ import annotations

import pytest

from tests.pages.conftest import page, run_page


def _branch_options(app) -> list[str]:
    return next(s for s in app.selectbox if s.label == "网点").options


def test_signed_out_visitor_gets_only_the_login_form(demo_env):
    app = page("app.py", username=None).run()
    assert not app.exception
    assert not app.metric
    labels = [b.label for b in app.button]
    assert "登录" in labels and any("总行管理员" in label for label in labels)


def test_wrong_password_is_refused_in_plain_words(demo_env):
    from tests.pages.conftest import sign_in

    app = page("app.py", username=None).run()
    sign_in(app, "demo_admin", "wrong")
    assert any("用户名或密码不正确" in e.value for e in app.error)
    assert not app.metric


def test_president_sees_only_their_branch(demo_env):
    app = run_page("app_pages/followers.py", username="demo_president")
    assert _branch_options(app) == ["月河社区支行"]  # one branch: opened on it, nothing to pick
    assert any("月河社区支行" in c.value for c in app.caption)


def test_city_president_sees_every_sub_branch_of_the_city(demo_env):
    app = run_page("app_pages/followers.py", username="demo_city")
    assert len(_branch_options(app)) == 13
    scope_line = next(c.value for c in app.caption if c.value.startswith("当前范围"))
    assert "全部网点" not in scope_line and "12 个网点" in scope_line, scope_line  # names what they see


def test_president_cannot_reach_another_branch_through_the_url(demo_env):
    test = page("app_pages/followers.py", username="demo_president")
    test.query_params["branch"] = "4"
    app = test.run()
    assert not app.exception
    assert any("无权查看" in e.value for e in app.error)
    assert not app.metric


def test_president_cannot_widen_scope_by_editing_session_state(demo_env):
    test = page("app_pages/followers.py", username="demo_president")
    app = test.run()
    app.session_state["followers_pending_branch"] = 4
    app.run()
    assert any("无权查看" in e.value for e in app.error)


def test_audit_page_is_for_admins_only(demo_env):
    admin = run_page("app_pages/audit.py", username="demo_admin")
    assert admin.dataframe and "login" in admin.dataframe[0].value.to_string()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        page("app_pages/audit.py", username="demo_staff").run()


def test_language_choice_follows_the_user_to_the_next_session(demo_env, demo_sqlite_url):
    from sqlalchemy import text

    from models.db import make_engine

    try:
        app = run_page("app_pages/followers.py", username="demo_viewer")
        next(r for r in app.radio if r.label.startswith("语言")).set_value("en").run()
        assert "Follower growth" in [t.value for t in app.title]
        again = run_page("app_pages/followers.py", username="demo_viewer")
        assert "Follower growth" in [t.value for t in again.title]
    finally:
        engine = make_engine(demo_sqlite_url)
        with engine.begin() as conn:
            conn.execute(text("UPDATE user SET locale = '' WHERE username = 'demo_viewer'"))
        engine.dispose()
