"""The lifetime-value section (components.customer_value) on the demo bank, after `manage.py clv` fitted the
demo's product events: equity, the value-at-risk list with masked phones for a president, the calibration
chart with its error in words, in Chinese and English; before any fit it says which command to run."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from components.data import refresh_data_version
from models.accounts import User
from models.auth import scope_for_user
from models.clv_scoring import run_clv
from models.db import make_engine
from tests.pages.conftest import PROJECT_ROOT, TIMEOUT


def section(username: str, language: str) -> None:
    """The section alone, for the scope of a demo account (as the page builds it from the signed-in user)."""
    import streamlit as st
    from sqlalchemy import select
    from sqlmodel import Session

    from components.customer_value import clv_section
    from components.data import engine
    from models.accounts import User
    from models.auth import scope_for_user

    st.session_state["ui_language"] = language
    with Session(engine()) as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        scope = scope_for_user(session, user)
    clv_section(scope)


def run_section(username: str, language: str) -> AppTest:
    app = AppTest.from_function(section, args=(username, language), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, app.exception
    return app


def test_before_a_fit_the_section_names_the_command(demo_env):
    app = run_section("demo_admin", "zh")
    assert any("python manage.py clv" in info.value for info in app.info)


@pytest.fixture(scope="module")
def fitted_url(demo_sqlite_url, tmp_path_factory) -> str:
    """A copy of the demo database with the scores of one real fit, shared by the module's tests (read only)."""
    copy = tmp_path_factory.mktemp("clv") / "demo.db"
    with sqlite3.connect(demo_sqlite_url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    engine = make_engine(f"sqlite:///{copy}")
    run_clv(engine)
    engine.dispose()
    return f"sqlite:///{copy}"


@pytest.fixture
def fitted(fitted_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fitted_url)
    monkeypatch.chdir(PROJECT_ROOT)
    refresh_data_version()
    engine = make_engine(fitted_url)
    yield engine
    engine.dispose()


def test_section_after_a_fit_in_both_languages(fitted):
    app = run_section("demo_admin", "zh")
    assert [m.label for m in app.metric][:2] == ["客户资产价值（元）", "已评分客户"]
    assert len(app.get("plotly_chart")) == 2  # equity bars and the calibration chart
    assert any("总收益预测" in caption.value for caption in app.caption)
    at_risk = next(frame.value for frame in app.dataframe if "流失风险价值（元）" in frame.value.columns
                   and "客户" in frame.value.columns)
    assert len(at_risk) > 0 and at_risk["流失风险价值（元）"].is_monotonic_decreasing

    app.segmented_control[0].set_value("segment").run()
    assert not app.exception, app.exception
    assert app.selectbox[0].label == "客群维度"

    english = run_section("demo_admin", "en")
    assert any("total margin predicted" in caption.value for caption in english.caption)
    assert "Customer equity (yuan)" in [m.label for m in english.metric]


def test_a_president_sees_their_branches_and_masked_phones(fitted):
    with Session(fitted) as session:
        user = session.execute(select(User).where(User.username == "demo_president")).scalar_one()
        scope = scope_for_user(session, user)
    app = run_section("demo_president", "zh")
    equity = next(frame.value for frame in app.dataframe if "网点" in frame.value.columns and "客户数" in frame.value.columns)
    assert 0 < len(equity) <= len(scope.branch_ids)
    at_risk = next(frame.value for frame in app.dataframe if "电话" in frame.value.columns)
    assert at_risk["电话"].str.contains(r"\*{4}").any()  # masked, except the president's own customers
