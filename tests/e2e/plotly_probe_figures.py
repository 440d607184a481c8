"""The cockpit's figure builders fed hostile names, for the browser checks (Streamlit's plotly.js and the
plotly.js the HTML meeting brief inlines)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.figures.campaign import attainment_bars
from components.figures.followers import follower_curve, ranking_bars
from components.figures.graph import network_figure
from components.figures.referrals import leaderboard_bars
from models.metrics import graph as G

LINK = '<a href="http://evil.example">点我</a>'
NAMES = [LINK, "<b>粗</b>", "<img src=x onerror=alert(1)>", "A&amp;B"]
GRAPH_LABELS = {"customer": "客户", "prospect": "潜力客户", "key_person": "关键人物", "circle": "圈子{n}（{people}人）",
                "other_circles": "其他", "influence": "影响力", "ties": "联系人数", "deposit": "存款",
                "role.village_head": "村主任", "kind.family": "亲属"}


def probe_figures() -> list[tuple[str, go.Figure]]:
    """(what it shows, figure): names as category ticks, hover text, an annotation, legend entries and node labels."""
    ranking = pd.DataFrame({"branch_name": NAMES, "net_growth": [120, 80, -30, 40]})
    villages = pd.DataFrame({"village_name": NAMES, "branch_name": "月河社区支行", "deposit_target": 100.0,
                             "deposited": [20.0, 50.0, 90.0, 70.0], "gap": [80.0, 50.0, 10.0, 30.0]})
    villages["attainment"] = villages["deposited"] / villages["deposit_target"]
    board = pd.DataFrame({"rank": [1, 2, 3, 4], "staff_name": NAMES, "conversions": [9, 7, 5, 3]})
    days = pd.date_range("2026-10-01", periods=10, freq="D")
    daily = pd.DataFrame({"day": days, "new_follows": 5, "unfollows": 1, "net_follows": 4, "net_ma7": 4.0,
                          "cumulative": range(100, 110)})
    events = pd.DataFrame({"name": [LINK], "start_date": [days[2]], "end_date": [days[4]], "uplift": [82.0]})
    curve_labels = {k: k for k in ("new", "unfollows", "net", "ma7", "cumulative", "axis_daily", "axis_cumulative",
                                   "drop")}
    nodes = pd.DataFrame({
        "customer_id": [1, 2, 3, 4], "name": NAMES, "branch_id": 1, "village_id": 1,
        "is_prospect": [False, False, True, False], "kind": "personal", "occupation": "farmer",
        "deposit_balance": [10.0, 20.0, 0.0, 5.0], "wealth_balance": 0.0, "staff_id": None,
        "roles": ["village_head", "village_head", "", "village_head"],
    })
    edges = pd.DataFrame({"customer_a_id": [1, 1, 1, 2], "customer_b_id": [2, 3, 4, 4],
                          "kind": ["family", LINK, "family", "family"], "weight": 1.0, "source": "probe"})
    draw_nodes, draw_edges, _ = G.network_view(nodes, edges, max_people=10)
    return [
        ("ranking_bars", ranking_bars(ranking, "net_growth", "净增")),
        ("attainment_bars", attainment_bars(villages, "village_name",
                                            {"hover": "%{y}<br>%{x:.0%}", "overall": "全行", "axis": "完成率"},
                                            overall=0.6)),
        ("leaderboard_bars", leaderboard_bars(board, "conversions", "staff_name", "转化",
                                              board["staff_name"] == NAMES[1])),
        ("follower_curve", follower_curve(daily, events, pd.DataFrame(columns=["start_day", "end_day"]),
                                          {**curve_labels, "uplift": "+{value:,.0f}"})),
        ("network_figure", network_figure(draw_nodes, draw_edges, GRAPH_LABELS, "kind")),
    ]
