"""The scope caption names what an unnarrowed scope holds instead of saying 'all branches'."""

from __future__ import annotations

import pandas as pd

from components.filters import scope_label


def frame(names, parents, regions):
    return pd.DataFrame({"branch_name": names, "parent_name": parents, "region_name": regions})


def test_whole_bank_one_branch_a_parent_a_region_and_a_count():
    assert scope_label(frame([], [], []), True, "zh") == "全行"
    assert scope_label(frame(["月河社区支行"], ["城关支行"], ["东片"]), False, "zh") == "月河社区支行"
    outlets = frame(["甲网点", "乙网点", "丙网点"], ["城关支行"] * 3, ["东片"] * 3)
    assert scope_label(outlets, False, "zh") == "城关支行及下辖 3 个网点"
    assert scope_label(outlets, False, "en") == "城关支行 and its 3 outlets"
    two_parents = frame(["甲", "乙"], ["城关支行", "西关支行"], ["东片", "东片"])
    assert scope_label(two_parents, False, "en") == "2 outlets in 东片"
    scattered = frame(["甲", "乙"], ["城关支行", None], ["东片", "西片"])
    assert scope_label(scattered, False, "zh") == "2 个网点"
