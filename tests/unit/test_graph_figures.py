"""The network figure marks key persons as stars, prospects hollow, and sizes by influence."""

from __future__ import annotations

import pandas as pd

from components.figures.graph import network_figure, node_sizes
from models.metrics import graph as G

LABELS = {"customer": "客户", "prospect": "潜力客户", "key_person": "关键人物", "circle": "圈子{n}（{people}人）",
          "other_circles": "其他", "influence": "影响力", "ties": "联系人数", "deposit": "存款",
          "role.village_head": "村主任", "kind.family": "亲属", "kind.village": "同村熟人"}


def _drawing():
    nodes = pd.DataFrame({
        "customer_id": [1, 2, 3, 4], "name": ["甲", "乙", "丙", "丁"], "branch_id": 1, "village_id": 1,
        "is_prospect": [False, False, True, False], "kind": "personal", "occupation": "farmer",
        "deposit_balance": [10.0, 20.0, 0.0, 5.0], "wealth_balance": 0.0, "staff_id": None,
        "roles": ["village_head", "", "", ""],
    })
    edges = pd.DataFrame({"customer_a_id": [1, 1, 1, 2], "customer_b_id": [2, 3, 4, 4],
                          "kind": ["village", "village", "family", "family"], "weight": [1.5, 1.5, 3.0, 3.0],
                          "source": "test"})
    return G.network_view(nodes, edges, max_people=10)


def _points(figure):
    """(customer_id, symbol, size) of every drawn person."""
    found = {}
    for trace in figure.data:
        if trace.customdata is None or trace.mode != "markers":
            continue
        symbols = trace.marker.symbol
        for i, customer in enumerate(trace.customdata):
            found[int(customer)] = (symbols[i], float(trace.marker.size[i]))
    return found


def test_key_person_is_a_labelled_star_and_prospect_is_hollow():
    nodes, edges, counts = _drawing()
    assert counts["nodes_hidden"] == 0
    for colour_by in ("community", "kind"):
        figure = network_figure(nodes, edges, LABELS, colour_by)
        points = _points(figure)
        assert points[1][0] == "star" and points[3][0] == "circle-open" and points[2][0] == "circle"
        assert max(points.values(), key=lambda p: p[1]) == points[1]  # the hub is the biggest
        labels = [text for trace in figure.data if trace.mode == "markers+text" for text in trace.text]
        assert labels == ["<b>甲</b>·村主任"]


def test_kind_colouring_draws_one_line_trace_per_relationship_kind():
    nodes, edges, _ = _drawing()
    figure = network_figure(nodes, edges, LABELS, "kind")
    line_names = {trace.name for trace in figure.data if trace.mode == "lines"}
    assert line_names == {"亲属", "同村熟人"}


def test_sizes_grow_with_influence_and_stay_in_range():
    sizes = node_sizes(pd.Series([0.0, 1.0, 4.0]))
    assert sizes[0] == 7.0 and sizes[2] == 32.0 and sizes[1] == 7.0 + 25.0 * 0.5
    assert list(node_sizes(pd.Series([0.0, 0.0]))) == [7.0, 7.0]
