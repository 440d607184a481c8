"""The referral page renders on the demo data, pins the signed-in staff member's row and handles empty scopes."""

from __future__ import annotations

import sqlite3

from tests.pages.conftest import PROJECT_ROOT, open_tab, page
from tests.pages.conftest import run_page as _run

PAGE = "app_pages/referrals.py"
LEDGER, FUNNEL, CHANNELS = "奖励台账", "推广漏斗", "推广渠道"


def test_referral_page_shows_board_funnel_channels_and_ledger(demo_env):
    app = _run(PAGE)
    assert "推荐排行榜" in [t.value for t in app.title]
    labels = [m.label for m in app.metric]
    assert "转化" in labels and "奖励合计" in labels
    tabs = [tab.label for tab in app.tabs]
    assert {"排行榜", FUNNEL, CHANNELS, LEDGER, "风险提示"} <= set(tabs)
    board = app.dataframe[0].value
    assert "排名" in board.columns and "名次变化" in board.columns
    assert [c.key for c in app.get("plotly_chart")] == ["ref_board_chart"], "only the open tab is drawn"
    assert not any(s.label == "季度" for s in app.selectbox), "the ledger tab runs only when opened"
    open_tab(app, "ref_section", FUNNEL)
    assert [c.key for c in app.get("plotly_chart")] == ["ref_funnel_chart"]
    open_tab(app, "ref_section", CHANNELS)
    assert [c.key for c in app.get("plotly_chart")] == ["ref_channel_chart"]
    open_tab(app, "ref_section", LEDGER)
    assert any(s.label == "季度" for s in app.selectbox) and not app.get("plotly_chart")


def test_switching_level_and_ranking_re_ranks_without_reading_the_board_again(demo_env, monkeypatch):
    import importlib

    import streamlit as st

    board_module = importlib.import_module("models.metrics.referrals.leaderboard")  # the name is also a function
    reads = []
    original = board_module.leaderboard_base

    def counted(*args, **kwargs):
        reads.append(kwargs.get("previous_rewards", False))
        return original(*args, **kwargs)

    monkeypatch.setattr(board_module, "leaderboard_base", counted)
    st.cache_data.clear()
    app = _run(PAGE)
    assert reads == [False] and "员工" in app.dataframe[0].value.columns
    next(c for c in app.segmented_control if c.key == "ref_level").set_value("branch").run()
    next(c for c in app.segmented_control if c.key == "ref_by").set_value("invites").run()
    assert not app.exception, app.exception
    board = app.dataframe[0].value
    assert "员工" not in board.columns and "网点" in board.columns
    assert board["邀请人数"].is_monotonic_decreasing and board["邀请人数"].iloc[0] > 0, "ranked by invites"
    assert reads == [False], "level and count-metric switches re-rank the board already read"
    next(c for c in app.segmented_control if c.key == "ref_by").set_value("reward_yuan").run()
    board = app.dataframe[0].value
    assert board["奖励（元）"].is_monotonic_decreasing and board["奖励（元）"].iloc[0] > 0, "ranked by reward"
    assert board["名次变化"].ne("—").any(), "the previous period's rewards were read to rank it"
    next(c for c in app.segmented_control if c.key == "ref_level").set_value("region").run()
    assert reads == [False, True], "a reward ranking reads the previous ledger once, then re-ranks in memory"


def test_a_linked_president_has_their_own_row_pinned_and_nobody_picks_me(demo_env):
    app = _run(PAGE, username="demo_president")
    assert not any(s.label.startswith("我是") for s in app.selectbox), "no picker: the login says who I am"
    assert "我的名次" in [m.label for m in app.metric]
    with sqlite3.connect(demo_env.removeprefix("sqlite:///")) as conn:
        mine = conn.execute("SELECT s.name FROM user u JOIN staff s ON s.id = u.staff_id "
                            "WHERE u.username = 'demo_president'").fetchone()[0]
    assert app.dataframe[0].value.iloc[0]["员工"] == mine, "my row (the account's staff record) is pinned on top"
    open_tab(app, "ref_section", "我的邀请码")
    assert any(b.label == "下载二维码" for b in app.get("download_button")), "my own QR codes"


def test_an_admin_without_a_staff_record_gets_no_me_figures_and_no_picker(demo_env):
    app = _run(PAGE)
    assert not any(s.label.startswith("我是") for s in app.selectbox)
    assert "我的名次" not in [m.label for m in app.metric]
    open_tab(app, "ref_section", "我的邀请码")
    assert not any(b.label == "下载二维码" for b in app.get("download_button")), "nobody's codes to take"


def test_ledger_quarter_and_campaign_change(demo_env):
    app = open_tab(_run(PAGE), "ref_section", LEDGER)
    quarter = next(s for s in app.selectbox if s.label == "季度")
    quarter.select("2026Q3").run()
    assert not app.exception
    assert any("合计" in m.value for m in app.markdown)
    assert any(b.label.startswith("下载奖励台账") for b in app.get("download_button"))
    campaign = next(s for s in app.selectbox if s.label == "活动")
    campaign.select_index(1).run()
    assert not app.exception


def test_a_period_without_referrals_says_so(demo_env):
    test = page(PAGE)
    app = test.run()
    period = next(s for s in app.selectbox if s.label == "统计周期")
    period.select("custom").run()
    dates = next(d for d in app.date_input if d.label == "起止日期")
    first = dates.min
    dates.set_value((first, first)).run()
    assert not app.exception
    campaign = next(s for s in app.selectbox if s.label == "活动")
    campaign.select_index(len(campaign.options) - 1).run()
    assert not app.exception
    assert any("没有" in i.value for i in app.info)


def test_overview_has_a_referral_section(demo_env):
    app = _run("app_pages/overview.py")
    assert any("推荐排行榜" in m.value for m in app.markdown)
    assert "待复核风险提示" in [m.label for m in app.metric]


def test_english_page(demo_env):
    test = page(PAGE)
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception
    assert "Referral leaderboard" in [t.value for t in app.title]
    assert "Conversions" in [m.label for m in app.metric]


def test_signed_in_staff_member_sees_their_own_row_pinned_and_only_their_reward(demo_env):
    app = _run(PAGE, username="demo_staff")
    assert not any(s.label.startswith("我是") for s in app.selectbox), "no picker: the login says who I am"
    assert "我的名次" in [m.label for m in app.metric]
    board = app.dataframe[0].value
    assert set(board["网点"]) == {"月河社区支行"}
    pinned = board.iloc[0]["员工"]
    open_tab(app, "ref_section", LEDGER)
    quarter = next(s for s in app.selectbox if s.label == "季度")
    quarter.select("2026Q3").run()
    assert not app.exception
    ledger = next(d.value for d in app.dataframe if "计酬依据" in d.value.columns)
    assert set(ledger["员工"]) <= {pinned}


def test_an_unlinked_staff_login_sees_a_message_instead_of_me_figures(demo_sqlite_url, tmp_path, monkeypatch):
    """A staff login made before accounts had to be linked: told so, and shown nobody's reward or codes."""
    source = sqlite3.connect(demo_sqlite_url.removeprefix("sqlite:///"))
    copy = sqlite3.connect(tmp_path / "unlinked.db")
    source.backup(copy)
    source.close()
    copy.execute("UPDATE user SET staff_id = NULL WHERE username = 'demo_staff'")
    copy.commit()
    copy.close()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unlinked.db'}")
    monkeypatch.chdir(PROJECT_ROOT)
    app = _run(PAGE, username="demo_staff")
    assert any("尚未关联员工工号" in w.value for w in app.warning)
    assert not any(s.label.startswith("我是") for s in app.selectbox), "never a picker over colleagues"
    assert "我的名次" not in [m.label for m in app.metric]
    open_tab(app, "ref_section", LEDGER)
    quarter = next(s for s in app.selectbox if s.label == "季度")
    quarter.select("2026Q3").run()
    assert not app.exception
    assert not any("计酬依据" in d.value.columns for d in app.dataframe), "no colleague's reward ledger"
    open_tab(app, "ref_section", "我的邀请码")
    assert not any(b.label == "下载二维码" for b in app.get("download_button")), "no colleague's invite codes"
