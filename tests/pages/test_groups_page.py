"""The group page renders on the demo data, its filters narrow it, and the overview carries its alerts."""

from __future__ import annotations

import shutil
import sqlite3

from tests.pages.conftest import open_tab, page
from tests.pages.conftest import run_page as _run

PAGE = "app_pages/groups.py"
SECTIONS = ["各类社群活跃趋势", "社群健康度", "关系网价值", "社区达人与意见领袖", "10分钟响应承诺", "员工服务（企业微信）", "积分"]


def _metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def _number(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_group_page_shows_kpis_sections_charts_and_dormant_warning(demo_env):
    app = _run(PAGE)
    labels = [m.label for m in app.metric]
    for label in ("社群数", "成员（去重）", "活跃成员占比", "日均消息", "首次回复中位数(分)", "沉默群"):
        assert label in labels
    assert [tab.label for tab in app.tabs] == SECTIONS
    assert len(app.get("plotly_chart")) == 2, "the activity tab's two charts: the other tabs wait until opened"
    assert "未兑换积分（负债）" not in labels and not app.dataframe
    assert _number(_metric(app, "沉默群")) >= 1
    open_tab(app, "groups_section", "社群健康度")
    assert any("没有客户发言" in w.value for w in app.warning)
    assert any("群名称" in f.value.columns for f in app.dataframe)
    open_tab(app, "groups_section", "积分")
    assert "未兑换积分（负债）" in [m.label for m in app.metric]
    for section in SECTIONS[2:6]:  # every other tab renders when opened
        open_tab(app, "groups_section", section)
        assert app.get("plotly_chart") or app.dataframe or app.info, section


def test_branch_kind_and_dormant_filters_narrow_the_page(demo_env):
    app = _run(PAGE)
    all_groups = _number(_metric(app, "社群数"))
    branch_box = next(s for s in app.selectbox if s.label == "网点")
    branch_box.select_index(1).run()
    assert not app.exception
    one_branch = _number(_metric(app, "社群数"))
    assert 0 < one_branch < all_groups
    kind_box = next(s for s in app.selectbox if s.label == "群类型")
    kind_box.select("new_customer_service").run()
    assert not app.exception
    assert 0 < _number(_metric(app, "社群数")) < one_branch
    dormant_before = _number(_metric(app, "沉默群"))
    next(n for n in app.number_input if n.label == "沉默预警天数").set_value(180).run()
    assert not app.exception
    assert _number(_metric(app, "沉默群")) <= dormant_before


def test_value_and_promise_switch_to_staff(demo_env):
    app = _run(PAGE)
    headers = []
    for section in ("关系网价值", "10分钟响应承诺"):
        open_tab(app, "groups_section", section)
        for radio in app.radio:
            if radio.options == ["按社群", "按群主员工"] or radio.options == ["按社群", "按员工"]:
                radio.set_value("staff").run()
                assert not app.exception
        headers += [list(frame.value.columns) for frame in app.dataframe]
    assert any("群主" in columns and "岗位" in columns for columns in headers)


def test_page_without_group_data_says_so_plainly(monkeypatch, demo_sqlite_url, tmp_path):
    copy = tmp_path / "no_groups.db"
    shutil.copy(demo_sqlite_url.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as conn:
        for table in ("pointsledger", "groupdaily", "groupmembership", "socialgroup"):
            conn.execute(f"DELETE FROM {table}")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    app = page(PAGE).run()
    assert not app.exception
    assert any("没有社群数据" in i.value for i in app.info)
    overview = page("app_pages/overview.py").run()
    assert not overview.exception


def test_group_page_in_english(demo_env):
    test = page(PAGE)
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception
    assert "Group activity" in [t.value for t in app.title]
    assert "Members (unique)" in [m.label for m in app.metric]


def test_overview_shows_group_headline_and_dormant_alert(demo_env):
    app = _run("app_pages/overview.py")
    assert any("社群活跃" in m.value for m in app.markdown)
    assert "成员（去重）" in [m.label for m in app.metric]
    assert any("沉默群预警" in w.value for w in app.warning)
