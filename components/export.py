"""Exports that open safely in Excel: Chinese headers, and cells that could run as formulas escaped."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value):
    """Prefix a quote to text a spreadsheet would read as a formula (CSV/formula injection)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(escape_formula)
    safe.columns = [escape_formula(str(c)) for c in safe.columns]
    return safe


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM so that Excel on Chinese Windows opens it without garbling."""
    return safe_frame(frame).to_csv(index=False).encode("utf-8-sig")


def to_excel_bytes(frame: pd.DataFrame, sheet_name: str = "data") -> bytes:
    buffer = io.BytesIO()
    safe = safe_frame(frame)
    for column in safe.columns:
        if isinstance(safe[column].dtype, pd.DatetimeTZDtype):
            safe[column] = safe[column].dt.tz_localize(None)
    with pd.ExcelWriter(buffer, engine="xlsxwriter") as writer:
        safe.to_excel(writer, sheet_name=sheet_name[:31], index=False)
        worksheet = writer.sheets[sheet_name[:31]]
        for index, column in enumerate(safe.columns):
            width = max(len(str(column)) * 2, *(len(str(v)) for v in safe[column].head(200)), 8)
            worksheet.set_column(index, index, min(width + 2, 40))
    return buffer.getvalue()
