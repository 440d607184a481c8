"""The overview brief: sentences, alerts, every area's headline, branches; meeting mode and its slides;
the viewer account sees it all, with no phone numbers."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import update
from sqlmodel import Session

from models.accounts import User
from models.db import make_engine
from tests.pages.conftest import page
from tests.pages.conftest import run_page as _run


def texts(app) -> str:
    parts = [m.value for m in app.markdown] + [c.value for c in app.caption] + [w.value for w in app.warning]
    parts += [s.value for s in app.subheader] + [m.label for m in app.metric] + [i.value for i in app.info]
    return "\n".join(str(p) for p in parts)


def test_overview_is_a_one_screen_brief(demo_env):
    app = _run("app_pages/overview.py")
    headers = [s.value for s in app.subheader]
    assert headers[:2] == ["与上周相比", "预警"]
    body = texts(app)
    assert "本周推荐转化" in body and "社群活跃度" in body          # sentences from the brief
    assert any("掉粉预警" in w.value for w in app.warning)           # follower drop still running
    assert any("沉默群预警" in w.value for w in app.warning)
    for area in ("粉丝增长", "社群活跃", "推荐排行榜", "返乡农民工 213N"):
        assert area in body, area
    assert "净增最多" in body and "净增最少" in body
    assert len(app.dataframe) == 2
    assert [b.label for b in app.button if b.key == "meeting_enter"] == ["会议模式"]


def test_a_narrower_period_and_branch_change_the_brief(demo_env):
    app = _run("app_pages/overview.py")
    next(s for s in app.selectbox if s.label == "统计周期").select(90).run()
    assert not app.exception
    assert any("至" in c.value and "当前范围" in c.value for c in app.caption)
    branch_box = next(s for s in app.selectbox if s.label == "网点")
    branch_box.select_index(next(i for i, o in enumerate(branch_box.options) if "月河社区" in o)).run()
    assert not app.exception
    assert any("只选了一个网点" in i.value for i in app.info)


def test_meeting_mode_shows_slides_and_advances(demo_env):
    test = page("app_pages/overview.py")
    app = test.run()
    next(b for b in app.button if b.key == "meeting_enter").click().run()
    assert not app.exception
    assert any("第 1 /" in c.value for c in app.caption)
    assert "本周要点" in [h.value for h in app.header]
    next(b for b in app.button if b.key == "meeting_toggle").click().run()   # pause
    assert next(b for b in app.button if b.key == "meeting_toggle").label == "播放"
    next(b for b in app.button if b.key == "meeting_next").click().run()
    next(b for b in app.button if b.key == "meeting_next").click().run()
    assert any(re.search(r"第 3 / \d+ 页", c.value) for c in app.caption)
    assert app.get("plotly_chart"), "a chart slide"
    next(b for b in app.button if b.key == "meeting_exit").click().run()
    assert "社交银行驾驶舱" in [t.value for t in app.title]


def test_the_charts_are_read_only_when_drawn_and_the_download_reads_them_off_the_script_thread(demo_env, monkeypatch):
    """A plain visit makes none of the charts' own reads; the opened section draws them; the downloaded brief
    (built on Streamlit's worker thread, where no st.* may run) reads them through its own session."""
    import components.data as data
    import components.tables as tables

    builds, reads = {}, []
    original_audited, original_cached = tables.audited, data._cached_call
    monkeypatch.setattr(tables, "audited", lambda build, action, detail: builds.setdefault(action, build) and
                        original_audited(build, action, detail))
    monkeypatch.setattr(data, "_cached_call", lambda module, name, *rest: reads.append(name) or
                        original_cached(module, name, *rest))
    app = _run("app_pages/overview.py")
    assert "key_chart_data" not in reads and "ranking_uplift_and_drops" not in reads
    app.session_state["overview_key_charts"] = True
    app.run()
    assert not app.exception and "key_chart_data" in reads
    assert len(app.get("plotly_chart")) >= 4

    done: dict[str, str] = {}
    worker = threading.Thread(target=lambda: done.update(html=builds["export_meeting_brief"]()))
    worker.start()
    worker.join()
    for title in ("粉丝每日变化", "粉丝净增最多与最少的网点", "各类社群客户日发言量", "推荐转化漏斗"):
        assert title in done["html"], title


def test_viewer_sees_the_brief_without_phone_numbers(demo_env):
    app = _run("app_pages/overview.py", username="demo_viewer")
    body = texts(app)
    assert "与上周相比" in body
    assert not re.search(r"(?<![\d.])1[3-9]\d{9}(?!\d)", body + str([d.value.to_dict() for d in app.dataframe]))


def test_english_overview_has_no_chinese_labels(demo_env):
    test = page("app.py")   # the overview is the landing page
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception
    assert [s.value for s in app.subheader][:2] == ["Since last week", "Alerts"]
    labels = [m.label for m in app.metric] + [s.value for s in app.subheader] + [b.label for b in app.button]
    assert not [text for text in labels if re.search(r"[\u4e00-\u9fff]", text)]


@pytest.fixture
def forget_language(demo_env):
    """The switch is stored on the account; put it back so later tests sign in as the demo left it."""
    yield
    engine = make_engine(demo_env)
    with Session(engine) as session:
        session.execute(update(User).where(User.username == "demo_city").values(locale=""))
        session.commit()
    engine.dispose()


def test_a_language_switch_keeps_the_chosen_period_and_relabels_it(forget_language):
    app = page("app.py", username="demo_city").run()
    next(s for s in app.selectbox if s.label == "统计周期").select(90).run()
    next(r for r in app.radio if r.label == "语言 / Language").set_value("en").run()
    assert not app.exception
    period = next(s for s in app.selectbox if s.label == "Period")
    assert period.value == 90 and "Last 90 days" in period.options
    assert any("Figures cover the chosen period" in c.value for c in app.caption)
