"""The quarterly reward ledger as an Excel workbook for payroll; cells escaped against formula injection."""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
LEDGER_EXPORT_COLUMNS = [
    ("employee_no", "员工号 / Employee no."), ("staff_name", "姓名 / Name"), ("branch_name", "网点 / Branch"),
    ("quarter", "季度 / Quarter"), ("personal_customers", "个人有效户 / Personal"),
    ("corporate_customers", "对公有效户 / Corporate"), ("effective_customers", "有效户合计 / Effective customers"),
    ("amount", "奖励（元）/ Reward (yuan)"), ("flagged_exclusions", "暂缓户数 / Withheld"),
    ("basis", "计酬依据 / Basis"), ("status", "状态 / Status"),
]
TOTAL_COLUMNS = ("personal_customers", "corporate_customers", "effective_customers", "amount", "flagged_exclusions")


def escape_cell(value: object) -> object:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; numbers pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def ledger_totals(ledger: pd.DataFrame) -> dict[str, float]:
    """The sums payroll checks: the same figures the page shows under the ledger."""
    return {column: float(ledger[column].sum()) if column in ledger and not ledger.empty else 0.0
            for column in TOTAL_COLUMNS}


def reward_ledger_workbook(ledger: pd.DataFrame, quarter: str) -> bytes:
    """One sheet: a row per staff member, then a totals row with plain numbers (no formulas)."""
    import xlsxwriter  # imported when a workbook is built, not with the referral page (~90 ms on its first load)

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(f"奖励台账 {quarter}"[:31])
    header = workbook.add_format({"bold": True, "bg_color": "#DCE6F1", "border": 1, "text_wrap": True})
    money = workbook.add_format({"num_format": "#,##0.00"})
    bold_money = workbook.add_format({"num_format": "#,##0.00", "bold": True})
    bold = workbook.add_format({"bold": True})
    for col, (_key, title) in enumerate(LEDGER_EXPORT_COLUMNS):
        sheet.write_string(0, col, title, header)
    for row_number, row in enumerate(ledger.to_dict("records"), start=1):
        for col, (key, _title) in enumerate(LEDGER_EXPORT_COLUMNS):
            value = row.get(key, "")
            if key in TOTAL_COLUMNS:
                sheet.write_number(row_number, col, float(value or 0), money if key == "amount" else None)
            else:
                sheet.write_string(row_number, col, str(escape_cell("" if pd.isna(value) else str(value))))
    total_row = len(ledger) + 1
    sheet.write_string(total_row, 0, "合计 / Total", bold)
    totals = ledger_totals(ledger)
    for col, (key, _title) in enumerate(LEDGER_EXPORT_COLUMNS):
        if key in totals:
            sheet.write_number(total_row, col, totals[key], bold_money if key == "amount" else bold)
    sheet.set_column(0, 3, 14)
    sheet.set_column(4, 8, 12)
    sheet.set_column(9, 9, 60)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
