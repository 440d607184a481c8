"""Referral figures are pure functions: the viewer's bar is marked, the funnel keeps stage order."""

from __future__ import annotations

import pandas as pd

from components.figures.referrals import OTHER_COLOUR, OWN_COLOUR, channel_chart, funnel_chart, leaderboard_bars
from components.qr import invite_link, invite_qr_png


def test_leaderboard_marks_my_bar_even_outside_the_top():
    board = pd.DataFrame({"rank": range(1, 21), "staff_name": [f"员工{i}" for i in range(20)],
                          "conversions": list(range(40, 20, -1))})
    mine = board["staff_name"] == "员工18"
    figure = leaderboard_bars(board, "conversions", "staff_name", "转化", mine, top_n=5)
    bar = figure.data[0]
    assert len(bar.y) == 6
    colours = dict(zip(bar.y, bar.marker.color, strict=True))
    assert colours["19. 员工18"] == OWN_COLOUR
    assert colours["1. 员工0"] == OTHER_COLOUR
    assert bar.y[-1] == "1. 员工0"  # best on top


def test_funnel_and_channel_charts_follow_their_frames():
    funnel = pd.DataFrame({"stage": ["click", "register", "participate", "convert"], "people": [100, 30, 15, 6]})
    figure = funnel_chart(funnel, {"click": "点击", "register": "注册", "participate": "参与", "convert": "转化"})
    assert list(figure.data[0].y) == ["点击", "注册", "参与", "转化"]
    channels = pd.DataFrame({"channel": ["wechat_chat", "moments"], "shares": [10, 4], "clicks": [40, 30],
                             "click_to_conversion": [0.1, 0.05]})
    chart = channel_chart(channels, {"wechat_chat": "微信聊天", "moments": "朋友圈"},
                          {"shares": "分享", "clicks": "点击", "rate": "转化率", "count_axis": "次数"})
    assert [trace.name for trace in chart.data] == ["分享", "点击", "转化率"]


def test_qr_code_is_a_png_of_the_invitation_link():
    assert invite_link("KMH2026-000001").endswith("code=KMH2026-000001")
    assert invite_qr_png("G000001").startswith(b"\x89PNG")
