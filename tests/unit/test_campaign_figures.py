"""Campaign figure builders are pure: frames in, plotly figures out."""

from __future__ import annotations

import pandas as pd

from components.figures.campaign import attainment_bars, season_curves, visit_rounds

BAR_LABELS = {"hover": "%{x}", "overall": "overall", "axis": "of target"}


def test_twin_village_names_get_their_branch_so_bars_do_not_stack():
    table = pd.DataFrame({"village_name": ["阳光花园", "阳光花园", "李家村"], "branch_name": ["月河社区支行", "城东社区支行", "新丰支行"],
                          "deposit_target": [100.0, 100.0, 100.0], "deposited": [10.0, 50.0, 90.0],
                          "gap": [90.0, 50.0, 10.0]})
    table["attainment"] = table["deposited"] / table["deposit_target"]
    figure = attainment_bars(table, "village_name", BAR_LABELS, overall=0.5)
    names = list(figure.data[0].y)
    assert len(set(names)) == 3 and "阳光花园（月河社区）" in names
    # worst at the top (plotly draws the last category on top), lagging ones in red
    assert names[-1] == "阳光花园（月河社区）"
    assert figure.data[0].marker.color[-1] != figure.data[0].marker.color[0]


def test_season_curves_draw_both_seasons_and_the_target():
    curves = pd.DataFrame({"lunar_offset": [-2, -1, -2, -1, 0], "cumulative": [1.0, 2.0, 1.5, 2.5, 3.0],
                           "season": [2026, 2026, 2025, 2025, 2025], "which": ["this", "this", "last", "last", "last"]})
    labels = {"this": "{season}", "last": "{season} last", "target": "T", "festival": "F", "axis_day": "d",
              "axis_amount": "a"}
    figure = season_curves(curves, 10.0, labels)
    assert [trace.name for trace in figure.data] == ["2025 last", "2026"]
    assert any(shape.y0 == 10.0 for shape in figure.layout.shapes)


def test_visit_rounds_stack_every_status():
    summary = pd.DataFrame({"visit_round": [1, 2, 3], "on_time": [5, 1, 0], "late": [1, 0, 0], "missed": [1, 0, 0],
                            "due": [2, 0, 0], "upcoming": [0, 8, 9], "not_returned": [1, 1, 1]})
    labels = {k: k for k in ("round1", "round2", "round3", "on_time", "late", "missed", "due", "upcoming",
                             "not_returned", "axis")}
    figure = visit_rounds(summary, labels)
    assert len(figure.data) == 6 and list(figure.data[0].x) == [5, 1, 0]

