"""The relationship page renders on the demo data; branch, village and ego views work."""

from __future__ import annotations

from tests.pages.conftest import page
from tests.pages.conftest import run_page as _run

PAGE = "app_pages/graph.py"


def _pick_branch(app, text: str):
    box = next(s for s in app.selectbox if s.label == "网点")
    box.select_index(next(i for i, o in enumerate(box.options) if text in o)).run()
    assert not app.exception, app.exception
    return app


def test_head_office_view_lists_influential_people_and_asks_for_a_branch(demo_env):
    app = _run(PAGE)
    assert "客户关系网络" in [t.value for t in app.title]
    assert any("请在左侧选择一个网点" in i.value for i in app.info)
    headers = [s.value for s in app.subheader]
    assert {"最有影响力的人", "连接不同圈子的人", "下一步去接触谁"} <= set(headers)
    assert "转介绍链" not in headers
    assert not app.get("plotly_chart")
    assert "关系网人数" in [m.label for m in app.metric]


def test_county_branch_draws_the_network_with_key_persons_and_chains(demo_env):
    app = _pick_branch(_run(PAGE), "王江泾")
    assert len(app.get("plotly_chart")) == 1
    assert any("只画出影响力最高的" in c.value for c in app.caption)
    headers = [s.value for s in app.subheader]
    assert {"关键人物及其覆盖", "下一步去接触谁", "转介绍链", "客户名片"} <= set(headers)
    assert any("选择一人" in i.value for i in app.info)  # no card until someone is picked


def test_village_view_draws_one_village(demo_env):
    app = _pick_branch(_run(PAGE), "王江泾")
    app.radio(key="graph_view").set_value("village").run()
    assert not app.exception, app.exception
    village = app.selectbox(key="graph_village")
    assert village.options and all("村" in o for o in village.options)
    village.select_index(1).run()
    assert not app.exception, app.exception
    assert len(app.get("plotly_chart")) == 1


def test_ego_view_shows_the_persons_card_with_a_masked_phone(demo_env):
    app = _pick_branch(_run(PAGE), "王江泾")
    app.radio(key="graph_view").set_value("ego").run()
    assert not app.exception, app.exception
    app.radio(key="graph_radius").set_value(2).run()
    assert not app.exception, app.exception
    assert len(app.get("plotly_chart")) == 1
    markdown = " ".join(m.value for m in app.markdown)
    assert "管户客户经理" in markdown
    # head office may see phones; the card shows the full number there
    assert "****" not in markdown.split("电话")[1][:20]


def test_colour_by_kind_and_smaller_cut(demo_env):
    app = _pick_branch(_run(PAGE), "南湖")
    app.radio(key="graph_color").set_value("kind").run()
    app.slider(key="graph_max_nodes").set_value(50).run()
    assert not app.exception, app.exception
    assert any("只画出影响力最高的 50 人" in c.value for c in app.caption)


def test_english_page(demo_env):
    test = page(PAGE)
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception, app.exception
    assert "Customer relationship network" in [t.value for t in app.title]
    assert "Most influential people" in [s.value for s in app.subheader]


def test_a_bank_without_relationships_gets_a_plain_message(monkeypatch, demo_sqlite_url, tmp_path):
    import shutil
    import sqlite3

    from tests.pages.conftest import PROJECT_ROOT

    copy = tmp_path / "no_graph.db"
    shutil.copy(demo_sqlite_url.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as conn:
        conn.execute("DELETE FROM nodemetric")
        conn.execute("DELETE FROM relationship")
        conn.execute("DELETE FROM networksummary")  # the per-branch summary goes with the network
        conn.execute("UPDATE dataversion SET version = version + 1")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.chdir(PROJECT_ROOT)
    app = _run(PAGE)
    assert any("还没有客户关系数据" in i.value for i in app.info)
    assert not app.get("plotly_chart")


def test_overview_names_the_most_influential_and_who_to_reach(demo_env):
    app = _run("app_pages/overview.py")
    assert any("客户关系网络" in m.value for m in app.markdown)
    text = " ".join(m.value for m in app.markdown)
    assert "最有影响力的人" in text and "下一步接触" in text


def test_president_of_one_branch_opens_on_its_network(demo_env):
    """One branch in scope: nothing to pick, the network is drawn at once."""
    app = _run(PAGE, username="demo_president")
    box = next(s for s in app.selectbox if s.label == "网点")
    assert box.options == ["月河社区支行"]
    assert not any("请在左侧选择" in i.value or "pick" in i.value.lower() for i in app.info)
    assert len(app.get("plotly_chart")) == 1


def test_staff_member_page_renders_with_their_own_customers(demo_env):
    app = _run(PAGE, username="demo_staff")
    assert "最有影响力的人" in [s.value for s in app.subheader]
