"""The follower page and the overview render on the demo data, and filters narrow them."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.conftest import PROJECT_ROOT, TIMEOUT, page
from tests.pages.conftest import run_page as _run


def test_follower_page_shows_kpis_chart_and_ranking(demo_env):
    app = _run("app_pages/followers.py")
    labels = [m.label for m in app.metric]
    assert "累计关注" in labels and "近30日取关率" in labels
    assert len(app.get("plotly_chart")) >= 2
    headers = [s.value for s in app.subheader]
    assert "网点排名" in headers and "掉粉预警" in headers


def test_choosing_the_story_branch_narrows_the_page(demo_env):
    app = _run("app_pages/followers.py")
    branch_box = next(s for s in app.selectbox if s.label == "网点")
    story_index = next(i for i, o in enumerate(branch_box.options) if "月河社区" in o)
    branch_box.select_index(story_index).run()
    assert not app.exception
    period = next(s for s in app.selectbox if s.label == "统计周期")
    period.select(365).run()
    assert not app.exception
    assert "网点排名" not in [s.value for s in app.subheader]
    event_table = app.dataframe
    assert event_table, "the events table is shown"
    assert any("中秋大闸蟹团购" in str(frame.value.to_dict()) for frame in event_table)


def test_overview_lists_the_ongoing_drop_alert(demo_env):
    app = _run("app_pages/overview.py")
    warnings = [w.value for w in app.warning]
    assert any("掉粉预警" in text for text in warnings), warnings


def test_english_is_a_full_switch(demo_env):
    test = page("app_pages/followers.py")
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception
    assert "Follower growth" in [t.value for t in app.title]
    assert "Followers" in [m.label for m in app.metric]


def test_unreachable_database_is_explained_not_a_traceback(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody:pa55word@127.0.0.1:1/none")
    app = page("app_pages/followers.py").run()
    assert not app.exception
    assert any("数据库暂时无法使用" in e.value for e in app.error)


def test_unreachable_database_shows_a_visitor_no_url_host_or_version(monkeypatch, caplog):
    """The login page is public: the address of the database is for the operator's log only."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody:pa55word@10.9.8.7:6543/corebank")
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not app.exception
    shown = " ".join(str(element.value) for element in [*app.error, *app.markdown, *app.warning, *app.info,
                                                        *app.caption])
    assert "数据库暂时无法使用" in shown
    for secret in ("10.9.8.7", "6543", "corebank", "nobody", "pa55word", "postgresql", "PostgreSQL 1"):
        assert secret not in shown, secret
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "10.9.8.7" in logged and "pa55word" not in logged  # the operator's log names it, without the password


def test_empty_database_says_how_to_seed(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/empty.db")
    app = page("app_pages/overview.py").run()
    assert not app.exception
    assert any("manage.py seed" in w.value for w in app.warning)


def test_branch_outside_scope_in_the_url_is_refused(demo_env):
    test = page("app_pages/followers.py")
    test.query_params["branch"] = "99999"
    app = test.run()
    assert not app.exception
    assert any("无权查看" in e.value for e in app.error)


def test_app_navigation_starts_on_the_overview(demo_env):
    app = _run("app.py")
    assert "社交银行驾驶舱" in [t.value for t in app.title]


def test_clicking_a_ranking_row_narrows_the_page_to_that_branch(demo_env):
    import os

    from sqlalchemy import text

    from models.db import make_engine

    app = _run("app_pages/followers.py")
    ranking = next(frame.value for frame in app.dataframe if "净增排名" in frame.value.columns)
    first_branch = ranking.iloc[0]["网点"]
    engine = make_engine(os.environ["DATABASE_URL"])
    with engine.connect() as conn:
        branch_id = conn.execute(text("SELECT id FROM branch WHERE name = :n"), {"n": first_branch}).scalar_one()
    engine.dispose()
    # A row click stores the branch for the picker and reruns (components.filters.request_branch).
    app.session_state["followers_pending_branch"] = int(branch_id)
    app.run()
    assert not app.exception
    assert next(s for s in app.selectbox if s.label == "网点").value == branch_id
    assert "网点排名" not in [s.value for s in app.subheader]
    assert any(first_branch in c.value for c in app.caption)
