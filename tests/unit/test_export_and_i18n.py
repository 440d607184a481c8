"""Exports are safe in Excel; every UI string exists in both languages; Scope refuses, never widens."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from openpyxl import load_workbook

from components.export import escape_formula, to_csv_bytes, to_excel_bytes
from components.i18n import all_strings, language_from_locale, translate
from models.scope import Scope, ScopeError


@pytest.mark.parametrize("value", ["=1+1", "+86", "-5", "@SUM(A1)", "=HYPERLINK(\"x\")"])
def test_cells_that_would_run_as_formulas_are_escaped(value):
    assert escape_formula(value) == "'" + value


def test_plain_text_and_numbers_are_untouched():
    assert escape_formula("月河社区支行") == "月河社区支行"
    assert escape_formula(-5) == -5


def test_csv_has_a_bom_and_chinese_headers_survive():
    data = to_csv_bytes(pd.DataFrame({"网点": ["=cmd", "南湖支行"], "净增": [1, -2]}))
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines() == ["网点,净增", "'=cmd,1", "南湖支行,-2"]


def test_excel_export_reopens_with_the_same_values():
    frame = pd.DataFrame({"网点": ["@x", "南湖支行"], "净增": [3, 4]})
    sheet = load_workbook(io.BytesIO(to_excel_bytes(frame, "排名"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == [("网点", "净增"), ("'@x", 3), ("南湖支行", 4)]


def test_every_string_has_chinese_and_english():
    for key, pair in all_strings().items():
        assert len(pair) == 2, key
        zh, en = pair
        assert zh.strip() and en.strip(), key
        words = re.sub(r"\{[^}]*\}|:material/[a-z_]+:|:[a-z]+\[|[*_`]", "", en)
        if re.search(r"[A-Za-z]{2}", words):   # a template of names and punctuation needs no translation
            assert any("\u4e00" <= ch <= "\u9fff" for ch in zh), f"{key} has no Chinese"


def test_placeholders_match_between_languages():
    import string

    for key, (zh, en) in all_strings().items():
        fields = lambda text: sorted(f for _, f, _, _ in string.Formatter().parse(text) if f)  # noqa: E731
        assert fields(zh) == fields(en), key


def test_language_follows_the_browser_locale():
    assert language_from_locale("en-US") == "en"
    assert language_from_locale("zh-CN") == "zh"
    assert language_from_locale(None) == "zh"
    assert translate("nav.followers", "en") == "Follower growth"
    assert translate("nav.followers", "zh") == "粉丝增长"


def test_scope_narrowing_refuses_branches_outside_it():
    scope = Scope.for_branches([1, 2, 3])
    assert scope.narrow([2]).branch_ids == frozenset({2})
    with pytest.raises(ScopeError):
        scope.narrow([2, 9])
    assert Scope.head_office().narrow([9]).branch_ids == frozenset({9})
    assert not scope.allows(9) and scope.allows(1)
