"""The referral page renders on the demo data, pins the chosen staff member and handles empty scopes."""

from __future__ import annotations

from tests.pages.conftest import page
from tests.pages.conftest import run_page as _run

PAGE = "app_pages/referrals.py"


def test_referral_page_shows_board_funnel_channels_and_ledger(demo_env):
    app = _run(PAGE)
    assert "推荐排行榜" in [t.value for t in app.title]
    labels = [m.label for m in app.metric]
    assert "转化" in labels and "奖励合计" in labels
    assert len(app.get("plotly_chart")) >= 3
    tabs = [tab.label for tab in app.tabs]
    assert {"排行榜", "推广漏斗", "奖励台账", "风险提示"} <= set(tabs)
    board = app.dataframe[0].value
    assert "排名" in board.columns and "名次变化" in board.columns


def test_choosing_me_pins_my_row_first(demo_env):
    app = _run(PAGE)
    me_box = next(s for s in app.selectbox if s.label.startswith("我是"))
    me_box.select_index(len(me_box.options) - 1).run()
    assert not app.exception
    chosen_name = me_box.options[-1].split("（")[0]
    assert "我的名次" in [m.label for m in app.metric]
    board = app.dataframe[0].value
    assert board.iloc[0]["员工"] == chosen_name, "my row is pinned on top"
    assert any(b.label == "下载二维码" for b in app.get("download_button")), "the QR code can be downloaded"


def test_ledger_quarter_and_campaign_change(demo_env):
    app = _run(PAGE)
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
    assert "推荐转化（近30天）" in [s.value for s in app.subheader]
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
    quarter = next(s for s in app.selectbox if s.label == "季度")
    quarter.select("2026Q3").run()
    assert not app.exception
    ledger = next(d.value for d in app.dataframe if "计酬依据" in d.value.columns)
    assert set(ledger["员工"]) <= {pinned}
