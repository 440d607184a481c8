"""The migrant campaign page renders on the demo data, replays a day, narrows to a branch and says so
plainly when a scope has no workers listed."""

from __future__ import annotations

from datetime import date

from tests.pages.conftest import page
from tests.pages.conftest import run_page as _run

PAGE = "app_pages/campaign.py"


def test_campaign_page_shows_countdown_playbook_and_visit_list(demo_env):
    app = _run(PAGE)
    labels = [m.label for m in app.metric]
    for label in ("距春节", "距活动结束", "目标完成率", "每日还需（元）", "回复率", "按去年同期节奏预计"):
        assert label in labels, labels
    assert len(app.get("plotly_chart")) >= 4
    headers = [h.value for h in app.header]
    assert "今天该走访谁" in headers and "分村、分客户经理进度" in headers
    assert any(len(frame.value) > 0 and "优先级" in frame.value.columns for frame in app.dataframe)


def test_replaying_the_festival_day_moves_the_countdown(demo_env):
    app = _run(PAGE)
    slider = next(s for s in app.slider if s.label == "查看日期")
    slider.set_value(date(2026, 2, 17)).run()
    assert not app.exception
    days = next(m for m in app.metric if m.label == "距春节")
    assert days.value == "0"
    assert "+0" in " ".join(c.value for c in app.caption)


def test_choosing_a_season_and_a_branch_narrows_the_page(demo_env):
    app = _run(PAGE)
    season = next(s for s in app.selectbox if s.label == "营销季")
    season.select(2025).run()
    assert not app.exception
    branch_box = next(s for s in app.selectbox if s.label == "网点")
    index = next(i for i, o in enumerate(branch_box.options) if "新丰" in o)
    branch_box.select_index(index).run()
    assert not app.exception
    village_tables = [f.value for f in app.dataframe if "村" in f.value.columns]
    assert village_tables and village_tables[0]["网点"].eq("新丰支行").all()


def test_a_branch_without_migrant_workers_gets_a_plain_message(demo_env):
    app = _run(PAGE)
    branch_box = next(s for s in app.selectbox if s.label == "网点")
    urban = [i for i, o in enumerate(branch_box.options) if o in ("南湖支行", "秀洲支行")]
    branch_box.select_index(urban[0]).run()
    assert not app.exception
    assert any("没有农民工名单" in i.value for i in app.info)


def test_campaign_page_in_english(demo_env):
    test = page(PAGE)
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception
    assert "Days to festival" in [m.label for m in app.metric]


def test_overview_reports_the_campaign_and_its_lagging_villages(demo_env):
    app = _run("app_pages/overview.py")
    assert "返乡农民工营销" in [s.value for s in app.subheader]
    assert any("2026季已结束" in m.value for m in app.markdown)
    assert any("落后村" in w.value for w in app.warning)
