"""Lifetime value (models.clv): the summary in the models' conventions, and calibration against a history
drawn from the BG/NBD and Gamma-Gamma processes themselves: fitted up to a cut-off, the prediction of the
holdout months must come close to what the process then did, overall and per decile of predicted value.
One fit for the module (PyMC compiles its graph on the first fit)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models import clv
from sample_data.clv_synthetic import synthetic_events

CUTOFF = date(2026, 5, 31)
END = date(2026, 11, 30)


def test_summary_counts_days_after_the_first_and_ignores_the_future():
    events = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 3],
            "event_date": [date(2026, 1, 1), date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 31),
                           date(2026, 1, 21), date(2026, 1, 5), date(2026, 3, 1)],
            "margin": [5.0, 5.0, 20.0, 40.0, 7.0, 3.0, 99.0],
        }
    )
    summary = clv.summarise(events, date(2026, 2, 10)).set_index("customer_id")
    # customer 1: three transaction days (two events on the first day are one), repeats worth 20 and 40
    assert summary.loc[1].to_dict() == {"frequency": 2.0, "recency": 30.0, "T": 40.0, "monetary_value": 30.0}
    # customer 2: one day, no repeats: monetary value 0 (the model uses the population's mean)
    assert summary.loc[2].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 20.0, "monetary_value": 0.0}
    # customer 3: the March event lies after the cut-off
    assert summary.loc[3].to_dict() == {"frequency": 0.0, "recency": 0.0, "T": 36.0, "monetary_value": 0.0}


def test_summary_of_no_events_is_empty():
    empty = pd.DataFrame({"customer_id": [1], "event_date": [date(2026, 3, 1)], "margin": [1.0]})
    assert clv.summarise(empty, date(2026, 2, 1)).empty


def test_deciles_hold_a_tenth_each():
    deciles = clv.decile_of(pd.Series(np.r_[np.zeros(50), np.arange(50)]))
    assert deciles.value_counts().tolist() == [10] * 10


@pytest.fixture(scope="module")
def calibration():
    events = synthetic_events(4000, date(2023, 12, 1), END, seed=18)
    return clv.calibrate(events, CUTOFF, END)


def test_calibration_predicts_the_holdout_totals(calibration):
    error = clv.calibration_error(calibration)
    assert abs(error["transactions_error"]) < 0.15, error
    assert abs(error["margin_error"]) < 0.15, error
    assert calibration["customers"].sum() == 4000  # every customer's first event is before the cut-off
    assert calibration["decile"].tolist() == list(range(1, 11))


def test_calibration_ranks_customers(calibration):
    actual = calibration["actual_margin"].to_numpy()
    # monotone-ish: at most two deciles below the one before, and the top decile's actual margin is several
    # times the median decile's (a model that ranked at random would give ten similar deciles)
    assert int((np.diff(actual) < 0).sum()) <= 2, actual
    assert actual[-1] > 4 * np.median(actual), actual
    predicted = calibration["predicted_margin"].to_numpy()
    assert abs(predicted[-1] - actual[-1]) / actual[-1] < 0.2

