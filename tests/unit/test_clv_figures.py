"""Lifetime-value figures (components.figures.clv): the calibration's error from per-customer deciles, the
predicted-vs-actual bars, and equity bars whose names from the data are chart text, not markup."""

from __future__ import annotations

import pandas as pd
import pytest

from components.figures.clv import calibration_errors, calibration_figure, equity_figure


def deciles() -> pd.DataFrame:
    return pd.DataFrame({"decile": [1, 2], "customers": [10, 30],
                         "predicted_margin_per_customer": [2.0, 10.0], "actual_margin_per_customer": [1.0, 12.0],
                         "predicted_transactions_per_customer": [0.5, 2.0], "actual_transactions_per_customer": [0.5, 1.5]})


def test_calibration_errors_weigh_deciles_by_customers():
    errors = calibration_errors(deciles())
    assert errors["margin_error"] == pytest.approx((10 * 2 + 30 * 10) / (10 * 1 + 30 * 12) - 1)
    assert errors["transactions_error"] == pytest.approx((5 + 60) / (5 + 45) - 1)
    assert errors["mean_decile_error"] == pytest.approx((1.0 + 2 / 12) / 2)


def test_calibration_figure_has_predicted_and_actual_per_decile():
    figure = calibration_figure(deciles(), "t", "x", "y", "预测", "实际")
    assert [trace.name for trace in figure.data] == ["预测", "实际"]
    assert list(figure.data[1].y) == [1.0, 12.0] and list(figure.data[0].x) == ["1", "2"]


def test_equity_figure_keeps_the_top_and_names_as_text():
    frame = pd.DataFrame({"branch_name": ["<b>甲</b>", "乙", "丙"], "equity": [5.0, 9.0, 1.0], "customers": [1, 2, 3]})
    figure = equity_figure(frame, "branch_name", "t", "x", top=2)
    assert list(figure.data[0].y) == ["&lt;b&gt;甲&lt;/b&gt;", "乙"]  # largest at the top of a horizontal bar chart
