"""Names from the data reach Plotly as text: no tag a hostile name carries survives into any figure
(Plotly.js would render `<a href>` as a clickable link, `<b>` as bold), and the name is there escaped,
so the chart shows it as typed. One test per figure module, every builder that shows a name."""

from __future__ import annotations

import json
import re

import pandas as pd
import plotly.graph_objects as go

from components.figures import campaign as FC
from components.figures import followers as FF
from components.figures import graph as FN
from components.figures import groups as FG
from components.figures import referrals as FR
from components.figures.text import plain_label
from models.metrics import graph as G

LINK = '<a href="http://evil.example">x</a>'
BOLD = "<b>粗</b>"
IMAGE = "<img src=x onerror=alert(1)>"
AMPERSAND = "A&amp;B"  # shown as typed, not decoded to "A&B"
HOSTILE = [LINK, BOLD, IMAGE, AMPERSAND]
# what the hostile names would leave in chart text if they were passed as they are
RAW = ["<a href", "<b>粗", "<img", "A&amp;B"]


def chart_text(figure: go.Figure) -> str:
    """Every string of the figure as Plotly.js receives it (to_json writes < and > as \\u003c, \\u003e)."""
    return json.dumps(json.loads(figure.to_json()), ensure_ascii=False)


def assert_names_are_text(figure: go.Figure, names: list[str]) -> None:
    text = chart_text(figure)
    for raw in RAW:
        assert raw not in text
    assert not re.search(r"<(a|img)[\s>]", text, re.IGNORECASE)
    for name in names:
        assert json.dumps(plain_label(name), ensure_ascii=False)[1:-1] in text, name


def test_plain_label_escapes_only_what_plotly_reads_as_markup():
    assert plain_label(LINK) == '&lt;a href="http://evil.example"&gt;x&lt;/a&gt;'
    assert plain_label(AMPERSAND) == "A&amp;amp;B"
    assert plain_label("月河社区支行") == "月河社区支行"
    assert plain_label("\"老王\"的店 O'Brien") == "\"老王\"的店 O'Brien"  # Plotly.js shows &quot; as typed
    assert plain_label(None) == ""
    assert plain_label(12) == "12"
    assert len({plain_label(n) for n in ["&lt;", "<", "&amp;lt;"]}) == 3  # distinct names stay distinct


def test_campaign_attainment_bars_show_village_staff_and_branch_names_as_text():
    table = pd.DataFrame({"village_name": [LINK, LINK, BOLD, IMAGE, AMPERSAND],
                          "branch_name": ["<i>甲</i>支行", "<u>乙</u>支行", "丙支行", "丁支行", "戊支行"],
                          "deposit_target": 100.0, "deposited": [10.0, 50.0, 90.0, 20.0, 30.0],
                          "gap": [90.0, 50.0, 10.0, 80.0, 70.0]})
    table["attainment"] = table["deposited"] / table["deposit_target"]
    figure = FC.attainment_bars(table, "village_name", {"hover": "%{y}<br>%{x}", "overall": "o", "axis": "a"},
                                overall=0.5)
    assert_names_are_text(figure, [*HOSTILE, "<i>甲</i>"])
    assert "<i>甲" not in chart_text(figure) and "<u>乙" not in chart_text(figure)
    assert "<br>" in chart_text(figure)  # our own markup stays


def test_follower_figures_show_event_and_branch_names_as_text():
    days = pd.date_range("2026-10-24", periods=5, freq="D")
    daily = pd.DataFrame({"day": days, "new_follows": 5, "unfollows": 1, "net_follows": 4, "net_ma7": 4.0,
                          "cumulative": range(100, 105)})
    events = pd.DataFrame({"name": HOSTILE, "start_date": list(days[:4]), "end_date": list(days[1:]),
                           "uplift": [82.0, None, 3.0, 1.0]})
    drops = pd.DataFrame(columns=["start_day", "end_day"])
    labels = {k: k for k in ("new", "unfollows", "net", "ma7", "cumulative", "axis_daily", "axis_cumulative", "drop")}
    assert_names_are_text(FF.follower_curve(daily, events, drops, {**labels, "uplift": "+{value:,.0f}", "events_week": "{name} +{more} more"}), HOSTILE)
    ranking = pd.DataFrame({"branch_name": HOSTILE, "net_growth": [5, -3, 2, 1]})
    assert_names_are_text(FF.ranking_bars(ranking, "net_growth", "net"), HOSTILE)


def test_network_figures_show_customer_names_roles_and_kinds_as_text():
    nodes = pd.DataFrame({
        "customer_id": [1, 2, 3, 4], "name": HOSTILE, "branch_id": 1, "village_id": 1,
        "is_prospect": [False, False, True, False], "kind": "personal", "occupation": "farmer",
        "deposit_balance": [10.0, 20.0, 0.0, 5.0], "wealth_balance": 0.0, "staff_id": None,
        "roles": ["village_head", f"shop_owner,{BOLD}", "", f"{LINK}"],
    })
    edges = pd.DataFrame({"customer_a_id": [1, 1, 1, 2], "customer_b_id": [2, 3, 4, 4],
                          "kind": ["village", IMAGE, "family", LINK], "weight": [1.5, 1.5, 3.0, 3.0],
                          "source": "test"})
    draw_nodes, draw_edges, _ = G.network_view(nodes, edges, max_people=10)
    labels = {"customer": "客户", "prospect": "潜力客户", "key_person": "关键人物", "circle": "圈子{n}（{people}人）",
              "other_circles": "其他", "influence": "影响力", "ties": "联系人数", "deposit": "存款",
              "role.village_head": "村主任", "kind.family": "亲属", "kind.village": "同村熟人"}
    for colour_by in ("community", "kind"):
        figure = FN.network_figure(draw_nodes, draw_edges, labels, colour_by)
        assert_names_are_text(figure, HOSTILE)
        assert "<b>" + plain_label(BOLD) + "</b>" in chart_text(figure)  # the key person's own bold label
    people = pd.DataFrame({"name": HOSTILE, "influence": [4.0, 3.0, 2.0, 1.0]})
    assert_names_are_text(FN.influence_bars(people, "name", "influence", "influence"), HOSTILE)


def test_group_figures_show_group_and_staff_names_as_text():
    ranked = pd.DataFrame({"group_name": HOSTILE, "rank": [1, 2, 3, 4],
                           "deposits_per_member": [80_000.0, 50_000.0, 20_000.0, 10_000.0], "members": 20,
                           "converted": 1})
    assert_names_are_text(FG.network_ranking_figure(ranked, "group_name", "t", "x"), HOSTILE)
    promise = pd.DataFrame({"staff_name": HOSTILE, "within_10min_share": [0.95, 0.4, 0.1, 0.5],
                            "customer_questions": [50, 30, 2, 10]})
    assert_names_are_text(FG.promise_figure(promise, "staff_name", "t"), HOSTILE)
    # a group kind the translator does not know comes back as its key, with the kind from the data in it
    activity = pd.DataFrame({"day": pd.date_range("2026-11-01", periods=4), "kind": HOSTILE, "members": 10,
                             "active_members": 5, "customer_messages": 3})
    for figure in (FG.activity_by_kind_figure(activity, lambda kind: f"groups.kind.{kind}", "t", "y"),
                   FG.active_share_by_kind_figure(activity, lambda kind: f"groups.kind.{kind}", "t")):
        assert_names_are_text(figure, [f"groups.kind.{kind}" for kind in HOSTILE])


def test_referral_figures_show_staff_branch_stage_and_channel_names_as_text():
    board = pd.DataFrame({"rank": [1, 2, 3, 4], "staff_name": HOSTILE, "conversions": [9, 7, 5, 3]})
    figure = FR.leaderboard_bars(board, "conversions", "staff_name", "转化", board["staff_name"] == BOLD)
    assert_names_are_text(figure, HOSTILE)
    internal = pd.DataFrame({"staff_name": HOSTILE, "branch_name": list(reversed(HOSTILE)), "converted": 1,
                             "accepted": 2, "pending": 1, "lost": 0})
    labels = {"converted": "c", "accepted": "a", "pending": "p", "lost": "l"}
    assert_names_are_text(FR.internal_referral_bars(internal, labels), HOSTILE)
    # a stage or channel this code has no label for falls back to the value from the data
    funnel = pd.DataFrame({"stage": ["click", LINK], "people": [100, 30]})
    assert_names_are_text(FR.funnel_chart(funnel, {"click": "点击"}), [LINK])
    channels = pd.DataFrame({"channel": ["moments", BOLD], "shares": [10, 4], "clicks": [40, 30],
                             "click_to_conversion": [0.1, 0.05]})
    chart = FR.channel_chart(channels, {"moments": "朋友圈"},
                             {"shares": "分享", "clicks": "点击", "rate": "转化率", "count_axis": "次数"})
    assert_names_are_text(chart, [BOLD])
