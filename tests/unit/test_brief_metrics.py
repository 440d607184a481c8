"""The meeting brief: week-over-week sentences from hand-made figures, in both languages; the HTML export."""

from __future__ import annotations

import re
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from components.brief import BriefFigure, format_money, meeting_brief_html, say
from models.metrics.brief import Sentence, WeekFigures, branch_extremes, last_week_end, what_changed

END = date(2026, 11, 22)


def keys(sentences):
    return [s.key for s in sentences]


def test_faster_follower_growth_says_how_many_more():
    this = WeekFigures(END, net_follows=700, cumulative_followers=12_000)
    last = WeekFigures(last_week_end(END), net_follows=500)
    [sentence] = what_changed(this, last)
    assert sentence == Sentence("followers_faster", "good", {"net": 700, "diff": 200, "before": 500})
    assert say(sentence, "zh") == "本周粉丝净增 700，比上周多 200（上周 500）。"
    assert say(sentence, "en") == "Followers grew by 700 this week, 200 more than last week (500)."


def test_a_net_loss_is_said_as_a_loss_whatever_last_week_was():
    [sentence] = what_changed(WeekFigures(END, net_follows=-1_234, cumulative_followers=50_000),
                              WeekFigures(END, net_follows=-2_000))
    assert sentence.key == "followers_lost" and sentence.tone == "bad"
    assert say(sentence, "en") == "The official accounts lost 1,234 followers net this week; 50,000 remain."


def test_within_five_percent_is_steady_and_slower_is_bad():
    assert keys(what_changed(WeekFigures(END, net_follows=104), WeekFigures(END, net_follows=100))) == ["followers_steady"]
    slower = what_changed(WeekFigures(END, net_follows=60), WeekFigures(END, net_follows=100))
    assert slower[0].key == "followers_slower" and slower[0].values["diff"] == 40


def test_drop_branches_new_fewer_cleared():
    assert what_changed(WeekFigures(END, drop_branches=3), WeekFigures(END, drop_branches=1)) == [
        Sentence("drops_more", "bad", {"n": 3, "new": 2})]
    assert keys(what_changed(WeekFigures(END, drop_branches=1), WeekFigures(END, drop_branches=3))) == ["drops_fewer"]
    assert keys(what_changed(WeekFigures(END, drop_branches=0), WeekFigures(END, drop_branches=2))) == ["drops_cleared"]
    assert what_changed(WeekFigures(END, drop_branches=0), WeekFigures(END, drop_branches=0)) == []


def test_group_activity_in_points_and_silent_groups():
    said = what_changed(WeekFigures(END, active_share=0.262, dormant_groups=5),
                        WeekFigures(END, active_share=0.231, dormant_groups=3))
    assert keys(said) == ["groups_active_up", "groups_dormant_more"]
    assert say(said[0], "zh") == "社群活跃度上升：发言客户占比从 23.1% 升到 26.2%。"
    assert said[1].values == {"n": 2, "total": 5}
    steady = what_changed(WeekFigures(END, active_share=0.235), WeekFigures(END, active_share=0.231))
    assert keys(steady) == ["groups_active_steady"]


def test_referrals_and_open_fraud_flags():
    said = what_changed(WeekFigures(END, conversions=30, fraud_flags=4), WeekFigures(END, conversions=40))
    assert keys(said) == ["referrals_down", "fraud_flags"]
    assert say(said[1], "en") == "4 referral fraud flags await review; they earn no reward until cleared."


def test_campaign_week_deposits_are_the_difference_and_said_in_wan_or_k():
    said = what_changed(WeekFigures(END, campaign_running=True, campaign_deposited=3_500_000, campaign_attainment=0.5),
                        WeekFigures(END, campaign_running=True, campaign_deposited=2_300_000, campaign_attainment=0.33))
    [sentence] = said
    assert sentence.values["week_yuan"] == 1_200_000
    assert say(sentence, "zh") == "返乡营销本周新增存款 120.0万元，达成率从 33.0% 升到 50.0%。"
    assert "¥1.20M" in say(sentence, "en")
    closed = what_changed(WeekFigures(END, campaign_running=False, campaign_deposited=9e6), WeekFigures(END))
    assert closed == []


def test_money_in_both_languages():
    assert format_money(123_456_789, "zh") == "1.23亿元"
    assert format_money(56_000, "zh") == "5.6万元"
    assert format_money(800, "zh") == "800元"
    assert format_money(56_000, "en") == "¥56.0k"
    assert format_money(None, "en") == "—"


def test_the_order_is_the_meeting_order():
    this = WeekFigures(END, net_follows=10, drop_branches=1, active_share=0.3, dormant_groups=1, conversions=5,
                       fraud_flags=1, campaign_running=True, campaign_deposited=100.0, campaign_attainment=0.1)
    last = WeekFigures(END, net_follows=20, drop_branches=0, active_share=0.2, dormant_groups=2, conversions=1,
                       campaign_running=True, campaign_deposited=50.0, campaign_attainment=0.05)
    assert keys(what_changed(this, last)) == ["followers_slower", "drops_more", "groups_active_up",
                                              "groups_dormant_fewer", "referrals_up", "fraud_flags", "campaign_week"]


def test_branch_extremes_do_not_overlap():
    ranking = pd.DataFrame({"branch_id": [1, 2, 3, 4, 5, 6, 7], "net_growth": [50, -5, 30, 10, 0, 70, 20]})
    top, bottom = branch_extremes(ranking, n=3)
    assert top["branch_id"].tolist() == [6, 1, 3]
    assert bottom["branch_id"].tolist() == [2, 5, 4]
    top, bottom = branch_extremes(ranking.head(4), n=3)
    assert top["branch_id"].tolist() == [1, 3, 4] and bottom["branch_id"].tolist() == [2]


def test_meeting_brief_html_is_self_contained_with_one_plotly_copy():
    figures = [BriefFigure("甲", go.Figure(go.Bar(x=[1, 2], y=[3, 4]))), BriefFigure("乙", go.Figure(go.Scatter(y=[1])))]
    text = meeting_brief_html("zh", "会议简报 <x>", "范围", [Sentence("referrals_steady", "neutral", {"n": 3})],
                              ["预警一"], [("粉丝", "1,000")], figures)
    assert "本周推荐转化 3 笔，与上周持平。" in text and "预警一" in text and "&lt;x&gt;" in text
    assert text.count("Plotly.newPlot") == 2
    assert len(re.findall(r"plotly\.js v\d", text)) == 1   # the library once, inline
    assert not re.search(r"<script[^>]*\bsrc=", text) and not re.search(r"<link[^>]*\bhref=", text)
    markup = re.sub(r"<script.*?</script>", "", text, flags=re.S)   # the markup, without the library's code
    assert not re.search(r"https?://", markup)
    assert "@media print" in text
    english = meeting_brief_html("en", "Brief", "scope", [], [], [], [])
    assert "Nothing worth mentioning" in english and "No alerts." in english and 'lang="en"' in english
