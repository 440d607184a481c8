"""Readers and parsers on tiny inputs: every date form, numbers with separators, header and total rows,
encodings, and the refusals of files that are not tables."""

from __future__ import annotations

import io
from datetime import date, datetime

import pandas as pd
import pytest
from openpyxl import Workbook

from models.importing import KINDS
from models.importing.parsing import parse_booleans, parse_dates, parse_numbers, parse_text
from models.importing.pipeline import _matcher, map_columns, template_bytes
from models.importing.readers import FileRefused, decode_text, normalise_header, read_table, sniff_format

FOLLOWERS = KINDS["follower_daily"]


def test_every_date_form_the_bank_writes():
    cells = pd.Series(["2024-09-01", "2024/9/1", "20240901", "2024.9.1", "2024年9月1日", "45536", "45536.0",
                       "2024-09-01 00:00:00", 45536, datetime(2024, 9, 1, 8, 30), date(2024, 9, 1)], dtype=object)
    parsed, bad = parse_dates(cells)
    assert not bad.any()
    assert set(parsed.dt.date) == {date(2024, 9, 1)}


def test_dates_that_are_not_dates_are_flagged_and_blanks_are_not():
    parsed, bad = parse_dates(pd.Series(["2024-13-45", "昨天", "", None, "2024-02-30", "123"], dtype=object))
    assert bad.tolist() == [True, True, False, False, True, True]
    assert parsed.isna().all()


def test_numbers_with_thousands_separators_currency_and_spaces():
    numbers, bad = parse_numbers(pd.Series(["1,204", " 30 000 ", "¥86,500.50", "12a", "", "-7"]))
    assert numbers.tolist()[:3] == [1204.0, 30000.0, 86500.5]
    assert bad.tolist() == [False, False, False, True, False, False]
    whole, bad_whole = parse_numbers(pd.Series(["3.5", "4", "4.0"]), whole=True)
    assert bad_whole.tolist() == [True, False, False] and whole.tolist()[1:] == [4, 4]


def test_yes_no_and_text_cells():
    flags, bad = parse_booleans(pd.Series(["是", "否", "Y", "no", "maybe", ""]))
    assert flags.tolist()[:4] == [True, False, True, False] and bad.tolist()[4]
    assert parse_text(pd.Series([900003.0, " E1 ", "", None], dtype=object)).tolist() == ["900003", "E1", None, None]


def test_headers_match_without_units_spaces_or_case():
    assert normalise_header("新关注人数（人）") == normalise_header(" 新关注人数 ") == "新关注人数"
    assert normalise_header("Net Follows") == normalise_header("net_follows")
    mapping, ignored = map_columns(FOLLOWERS, ["Date", "New follows", "Unfollows", "Net follows", "Cumulative", "备注"])
    assert mapping["day"] == "Date" and mapping["cumulative"] == "Cumulative" and ignored == ["备注"]


def _read(data: bytes, name: str = "f.csv"):
    return read_table(data, name, _matcher(FOLLOWERS), FOLLOWERS.required_count)


def test_title_rows_are_skipped_and_the_total_row_and_notes_below_are_cut():
    text = ("用户增长,,,,\n\n时间,新关注人数,取消关注人数,净增关注人数,累积关注人数\n"
            "2024-09-01,10,2,8,100\n\n2024-09-02,5,1,4,104\n合计,15,3,12,\n注：来源微信公众平台,,,,\n")
    table = _read(text.encode("gbk"))
    assert table.encoding == "gb18030"
    assert table.frame["时间"].tolist() == ["2024-09-01", "2024-09-02"]
    assert table.row_number.tolist() == [4, 6], "row numbers as the user sees them in the file"


def test_xlsx_rows_keep_their_sheet_row_numbers():
    workbook = Workbook()
    sheet = workbook.active
    for row in [["用户分析"], [], ["时间", "新关注人数", "取消关注人数", "净增关注人数", "累积关注人数"],
                [datetime(2024, 9, 1), 10, 2, 8, 100], ["总计", 10, 2, 8, None]]:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = _read(buffer.getvalue(), "f.xlsx")
    assert table.file_format == "xlsx" and table.row_number.tolist() == [4]


@pytest.mark.parametrize(("data", "phrase"), [
    (b"", "empty"), (b"   \r\n", "empty"), (b"\x89PNG\r\n\x1a\n....", "PNG image"), (b"%PDF-1.7 ...", "PDF document"),
    (b"\xff\xd8\xff\xe0....", "JPEG image"), (b"PK\x03\x04garbage", "damaged or truncated"),
    (b"MZ\x90\x00", "a program"), (b"abc\x00\x01\x02", "binary file"),
])
def test_files_that_are_not_tables_are_refused(data, phrase):
    with pytest.raises(FileRefused) as refused:
        sniff_format(data, "x.xlsx") if not data.startswith(b"PK") else _read(data, "x.xlsx")
    assert phrase in refused.value.en and refused.value.zh


def test_encodings():
    assert decode_text("时间".encode("utf-8-sig")) == ("时间", "utf-8-sig")
    assert decode_text("时间".encode("utf-16")) == ("时间", "utf-16")
    assert decode_text("时间".encode("gbk"))[1] == "gb18030"
    with pytest.raises(FileRefused):
        decode_text(b"\x80\xff\x81\x20")


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_template_reads_back_without_refusal(kind):
    spec = KINDS[kind]
    table = read_table(template_bytes(kind), f"{kind}.xlsx", _matcher(spec), spec.required_count)
    mapping, _ = map_columns(spec, list(table.frame.columns))
    assert {c.field for c in spec.columns if c.required} <= set(mapping)
    assert len(table.frame) == len(spec.example)
