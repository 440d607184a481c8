"""Turn cells into typed values, vectorised over distinct values: dates in every form the bank's
systems write (2024-09-01, 2024/9/1, 2024.9.1, 2024年9月1日, 20240901, Excel serials, workbook
dates) and numbers with thousands separators. Unparseable cells become missing and are flagged."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import pandas as pd

EXCEL_EPOCH = pd.Timestamp("1899-12-30")
SERIAL_RANGE = (20_000, 80_000)  # 1954 .. 2119: a 5-digit number in a date column is a serial
EMPTY = {"", "none", "nan", "nat", "null", "-", "—", "--"}
TRUE_WORDS = {"是", "y", "yes", "true", "1", "1.0", "t", "√", "✓", "开通", "已开通"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "0.0", "f", "×", "未开通", ""}


def is_blank(values: pd.Series) -> pd.Series:
    return values.isna() | values.astype(str).str.strip().str.lower().isin(EMPTY)


def _one_date(value) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if SERIAL_RANGE[0] <= value < SERIAL_RANGE[1]:
            return (EXCEL_EPOCH + pd.Timedelta(days=int(value))).date()
        value = str(int(value)) if float(value).is_integer() else str(value)
    text = str(value).strip()
    if not text:
        return None
    text = text.split(" ")[0].split("T")[0]
    if text.endswith(".0") and text[:-2].isdigit():  # a serial a workbook stored as a float
        text = text[:-2]
    text = text.replace("年", "-").replace("月", "-").replace("日", "").replace("/", "-").replace(".", "-")
    try:
        if text.isdigit():
            if len(text) == 8:
                return datetime.strptime(text, "%Y%m%d").date()
            if len(text) == 5 and SERIAL_RANGE[0] <= int(text) < SERIAL_RANGE[1]:
                return (EXCEL_EPOCH + pd.Timedelta(days=int(text))).date()
            return None
        parts = text.split("-")
        if len(parts) == 3 and len(parts[0]) == 4:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        return None
    return None


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(datetime64 series, mask of cells that held something that is not a date)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    parsed = [_one_date(u) for u in uniques]
    lookup = pd.to_datetime(pd.Series(parsed, dtype="object"), errors="coerce")
    result = pd.Series(lookup.to_numpy()[codes] if len(uniques) else  # every cell blank: every day empty
                       np.full(len(values), np.datetime64("NaT"), dtype="datetime64[ns]"),
                       index=values.index, dtype="datetime64[ns]")
    result[codes < 0] = pd.NaT
    bad = result.isna() & ~is_blank(values)
    return result, bad


def parse_numbers(values: pd.Series, whole: bool = False) -> tuple[pd.Series, pd.Series]:
    """(Float64 or Int64 series, mask of cells that are not numbers / not whole numbers)."""
    if pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
    else:
        text = values.astype(str).str.strip()
        text = text.str.replace(r"[,，\s¥￥元]", "", regex=True).str.replace("%", "", regex=False)
        text = text.where(~is_blank(values), None)
        numbers = pd.to_numeric(text, errors="coerce").astype("Float64")
    bad = numbers.isna() & ~is_blank(values)
    if whole:
        fractional = numbers.notna() & (numbers.round(0) != numbers)
        bad = bad | fractional.fillna(False)
        numbers = numbers.where(~fractional.fillna(False)).round(0).astype("Int64")
    return numbers, bad.astype(bool)


def parse_booleans(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    text = values.astype(str).str.strip().str.lower().where(~values.isna(), "")
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[text.isin(TRUE_WORDS)] = True
    result[text.isin(FALSE_WORDS)] = False
    bad = result.isna()
    return result, bad


def parse_text(values: pd.Series) -> pd.Series:
    """Stripped text; numbers a workbook stored as floats (employee 1023.0) come back as '1023'."""
    def one(value):
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = str(value).strip()
        return text or None

    if values.dtype == object and len(values) > 10_000:
        codes, uniques = pd.factorize(values)
        mapped = np.array([one(u) for u in uniques] + [None], dtype=object)
        return pd.Series(mapped[codes], index=values.index, dtype=object)
    return pd.Series([one(v) for v in values], index=values.index, dtype=object)
