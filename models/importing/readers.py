"""Read an uploaded file as the bank's systems write it: sniff the real content (not the name),
decode CSV in UTF-8 / UTF-8 with BOM / GB18030 (a superset of GBK), open XLSX and XLS, find the
header row below any title rows and drop the total rows (合计 / 总计) and notes below the data.

Everything here returns text cells (or the typed cells a workbook holds) with the row number the
user sees in the file; parsing into dates and numbers is `parsing.py`'s job.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

MAX_FILE_BYTES = 200 * 1024 * 1024
"""Refuse anything larger: a quarter of daily figures for every account is a few tens of MB."""
MAX_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024
"""An XLSX that inflates beyond this is refused before it is opened (zip bomb)."""
MAX_COMPRESSION_RATIO = 200
"""Spreadsheet XML compresses ~10-30x; a member that claims far more is not a spreadsheet."""
HEADER_SEARCH_ROWS = 30
TOTAL_MARKERS = ("合计", "总计", "小计", "total", "sum", "汇总")


class FileRefused(ValueError):
    """The whole file is refused (not a table, damaged, too big, no header): a reason in both languages."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.zh = zh
        self.en = en


@dataclass
class RawTable:
    """Cells under the header row: one column per header cell, `row_number` as the user sees it."""

    frame: pd.DataFrame
    row_number: pd.Series
    file_format: str
    encoding: str | None = None


_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG", "PNG 图片 / a PNG image"), (b"\xff\xd8\xff", "JPEG 图片 / a JPEG image"),
    (b"GIF8", "GIF 图片 / a GIF image"), (b"%PDF", "PDF 文档 / a PDF document"),
    (b"BM", "BMP 图片 / a BMP image"), (b"RIFF", "RIFF 媒体 / a media file"),
    (b"\x1f\x8b", "gzip 压缩包 / a gzip archive"), (b"Rar!", "RAR 压缩包 / a RAR archive"),
    (b"7z\xbc\xaf", "7z 压缩包 / a 7z archive"), (b"MZ", "可执行程序 / a program"),
]


def sniff_format(data: bytes, filename: str) -> str:
    """'xlsx', 'xls' or 'text', from the bytes; anything else is refused with what it really is."""
    if not data or not data.strip():
        raise FileRefused("文件是空的", "the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB 上限，请拆分后导入",
                          f"the file exceeds the {MAX_FILE_BYTES // 1024 // 1024} MB limit; split it")
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return "xlsx"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    for magic, what in _MAGIC:
        if data.startswith(magic):
            zh, en = what.split(" / ")
            raise FileRefused(f"“{filename}”实际是{zh}，不是表格文件", f"“{filename}” is really {en}, not a spreadsheet")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FileRefused(f"“{filename}”是二进制文件，不是 CSV 或 Excel 表格",
                          f"“{filename}” is a binary file, not a CSV or Excel table")
    return "text"


def decode_text(data: bytes) -> tuple[str, str]:
    """The text and the encoding it was in: UTF-8 (with or without BOM), UTF-16 with BOM, GB18030/GBK."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise FileRefused("无法识别文件编码（不是 UTF-8 或 GBK），请在 Excel 中另存为“CSV UTF-8”",
                      "cannot read the file's encoding (neither UTF-8 nor GBK); save it as “CSV UTF-8”")


def _check_zip(data: bytes, filename: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise FileRefused(f"“{filename}”已损坏或不完整（可能下载中断），请重新导出",
                          f"“{filename}” is damaged or truncated (an interrupted download?); export it again") from exc
    names = {m.filename for m in members}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise FileRefused(f"“{filename}”是压缩包，不是 Excel 工作簿", f"“{filename}” is a zip archive, not an Excel workbook")
    total = sum(m.file_size for m in members)
    worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > MAX_UNCOMPRESSED_BYTES or (worst > MAX_COMPRESSION_RATIO and total > 10 * 1024 * 1024):
        raise FileRefused(f"“{filename}”解压后体积异常（{total / 1024 / 1024:,.0f} MB），已拒绝",
                          f"“{filename}” would inflate to an absurd size ({total / 1024 / 1024:,.0f} MB); refused")


def _workbook_rows(data: bytes, file_format: str, filename: str) -> tuple[list[list], int]:
    """All cells of the first non-empty sheet and the 1-based sheet row of the first returned row."""
    from python_calamine import CalamineError, load_workbook

    if file_format == "xlsx":
        _check_zip(data, filename)
    try:
        workbook = load_workbook(io.BytesIO(data))
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            if any(any(cell not in ("", None) for cell in row) for row in rows):
                return rows, 1
    except (CalamineError, ValueError, OSError, zipfile.BadZipFile) as exc:
        raise FileRefused(f"“{filename}”无法打开（文件损坏或不完整）：{exc}",
                          f"cannot open “{filename}” (damaged or truncated): {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - calamine raises its own types for corrupt parts
        raise FileRefused(f"“{filename}”无法打开（文件损坏或不完整）", f"cannot open “{filename}” (damaged or truncated)") from exc
    raise FileRefused(f"“{filename}”里没有数据", f"“{filename}” holds no data")


def normalise_header(value) -> str:
    """Headers compared without spaces, case, BOM, or a unit in brackets: “新关注人数（人）” = “新关注人数”."""
    text = str(value or "").replace("\ufeff", "").strip().lower()
    text = re.sub(r"[（(][^）)]*[）)]$", "", text)
    return re.sub(r"[\s_\-:：*]", "", text)


def _find_header(rows: list[list], match: Callable[[list[str]], int], needed: int) -> int:
    """Index of the first row (within HEADER_SEARCH_ROWS) matching every required column, else the best."""
    best, best_index = 0, -1
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        score = match([normalise_header(c) for c in row])
        if score >= needed:
            return index
        if score > best:
            best, best_index = score, index
    return best_index


def _total_or_note(first_cells: pd.Series) -> pd.Series:
    text = first_cells.astype(str).str.strip().str.lower()
    return text.str.startswith(TOTAL_MARKERS) | text.str.startswith(("注：", "注:", "数据来源", "note:", "source:"))


def read_table(data: bytes, filename: str, match: Callable[[list[str]], int], needed: int) -> RawTable:
    """The table in `data`: header found by `match` (how many known columns a row names), title rows
    above skipped, blank rows dropped, and the first total/note row and everything after it cut."""
    file_format = sniff_format(data, filename)
    encoding = None
    if file_format == "text":
        text, encoding = decode_text(data)
        head_lines = text[:200_000].splitlines()[:HEADER_SEARCH_ROWS]
        delimiter = _delimiter("\n".join(head_lines))
        head_rows = list(csv.reader(head_lines, delimiter=delimiter))
        header_index = _find_header(head_rows, match, needed)
        if header_index < 0:
            raise _no_header(filename)
        try:
            frame = pd.read_csv(io.StringIO(text), sep=delimiter, header=None, skiprows=header_index + 1, dtype=str,
                                keep_default_na=False, skip_blank_lines=False, engine="c",
                                names=range(len(head_rows[header_index])), index_col=False, on_bad_lines="error")
        except (pd.errors.ParserError, ValueError) as exc:
            raise FileRefused(f"“{filename}”的列数不一致，无法读取：{exc}",
                              f"rows of “{filename}” do not have the same number of columns: {exc}") from exc
        header = head_rows[header_index]
        first_row = header_index + 2
    else:
        rows, first_sheet_row = _workbook_rows(data, file_format, filename)
        header_index = _find_header(rows, match, needed)
        if header_index < 0:
            raise _no_header(filename)
        header = rows[header_index]
        frame = pd.DataFrame(rows[header_index + 1:], columns=range(len(header))) if len(rows) > header_index + 1 \
            else pd.DataFrame(columns=range(len(header)))
        first_row = first_sheet_row + header_index + 1
    frame.columns = [str(h if h is not None else "").strip() for h in header]
    row_number = pd.Series(range(first_row, first_row + len(frame)), index=frame.index)
    if not frame.empty:
        as_text = frame.astype(str).apply(lambda s: s.str.strip())
        blank = as_text.isin(["", "None", "nan", "NaT"]).all(axis=1)
        frame, row_number, as_text = frame[~blank], row_number[~blank], as_text[~blank]
        cut = _total_or_note(as_text.iloc[:, 0]) if len(frame.columns) else pd.Series(False, index=frame.index)
        if cut.any():
            keep = cut.cumsum() == 0
            frame, row_number = frame[keep], row_number[keep]
    return RawTable(frame.reset_index(drop=True), row_number.reset_index(drop=True), file_format, encoding)


def _delimiter(sample: str) -> str:
    counts = {d: sample.count(d) for d in (",", "\t", ";", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _no_header(filename: str) -> FileRefused:
    return FileRefused(f"在“{filename}”的前 {HEADER_SEARCH_ROWS} 行中找不到表头，请确认选择了正确的数据类型",
                       f"no header row in the first {HEADER_SEARCH_ROWS} rows of “{filename}”; is this the right kind?")
