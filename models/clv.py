"""Customer lifetime value (issue 18): BG/NBD for how many transactions a customer will make, Gamma-Gamma
for the bank's margin on each, fitted with PyMC-Marketing's CLV module (pymc-labs, maintained; the models of
Fader, Hardie & Lee 2005 "Counting your customers the easy way" and Fader & Hardie 2013 "The Gamma-Gamma model
of monetary value"). Pure: frames in, frames out; no database, no streamlit.

A *transaction* is a day on which a customer had at least one product event (several events on one day are one
visit to the bank, as the models count purchases); its value is the day's total margin. Time is counted in days.

Fitting is maximum a posteriori (`method="map"`): point estimates of the four BG/NBD and three Gamma-Gamma
parameters, which is what a score needs (full MCMC would give credible intervals at many times the cost).

Calibration answers "how good is it": fit on the history up to a cut-off, predict the months after it, and
compare predicted with actual margin and transactions per decile of predicted value (`calibrate`).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pytensor
from pymc_marketing.clv import BetaGeoModel, GammaGammaModel

HORIZON_MONTHS = 12
HOLDOUT_MONTHS = 6
DAYS_PER_MONTH = 30  # PyMC-Marketing's own factor for time_unit="D" (customer_lifetime_value)
# The monthly rate that discounts future margin to today: about 5% a year, near a one-year deposit rate plus a
# small risk premium at a rural commercial bank; CLV is a ranking aid, so its exact level matters little.
MONTHLY_DISCOUNT_RATE = 0.004
DECILES = 10
MODEL_LABEL = "BG/NBD + Gamma-Gamma (PyMC-Marketing, MAP)"
# PyTensor compiles the likelihood to C on the first fit on a machine (~1-3 minutes; cached afterwards in
# ~/.pytensor), after which an evaluation is fast; FAST_COMPILE starts in seconds but evaluates through slower
# Python loops. Measured (issue 18): 3k customers fresh 185 s compiled vs 21 s FAST_COMPILE; 100k customers
# 13 s compiled (warm) vs 115 s FAST_COMPILE. So small histories (tests, a small bank) skip the compiler and
# a bank-sized one pays for it once. Same estimates either way.
COMPILE_ABOVE_CUSTOMERS = 20_000

SUMMARY_COLUMNS = ["customer_id", "frequency", "recency", "T", "monetary_value"]
SCORE_COLUMNS = [
    "customer_id",
    "p_alive",
    "expected_transactions_12m",
    "expected_margin_per_tx",
    "clv_12m",
    "value_at_risk",
]


@dataclass(frozen=True)
class FittedClv:
    """The two fitted models and the data they were fitted on (the summary at the cut-off)."""

    transactions: BetaGeoModel
    margin: GammaGammaModel
    summary: pd.DataFrame
    cutoff: date

    def parameters(self) -> dict[str, float]:
        """BG/NBD a, b, alpha, r and Gamma-Gamma p, q, v as plain numbers (for the audit line)."""
        values = {}
        for model, names in ((self.transactions, ("a", "b", "alpha", "r")), (self.margin, ("p", "q", "v"))):
            for name in names:
                values[name] = float(np.asarray(model.fit_result[name]).ravel()[0])
        return values


def summarise(events: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """Frequency, recency, T and monetary value per customer from events (customer_id, event_date, margin)
    on or before `cutoff`, in the models' conventions: frequency = transaction days after the first,
    recency = days from the first to the last, T = days from the first to the cut-off, monetary value = mean
    margin of the repeat transaction days (0 for a customer without repeats: the model then uses the mean)."""
    cut = pd.Timestamp(cutoff)
    dated = events.assign(event_date=pd.to_datetime(events["event_date"]))
    dated = dated[dated["event_date"] <= cut]
    if dated.empty:
        return pd.DataFrame({name: pd.Series(dtype="float64") for name in SUMMARY_COLUMNS}).astype(
            {"customer_id": "int64"}
        )
    days = dated.groupby(["customer_id", "event_date"], sort=True, as_index=False)["margin"].sum()
    per_customer = days.groupby("customer_id", sort=True)
    first = per_customer["event_date"].transform("min")
    repeat_margin = days["margin"].where(days["event_date"] > first)
    summary = pd.DataFrame(
        {
            "frequency": per_customer.size() - 1,
            "first": per_customer["event_date"].min(),
            "last": per_customer["event_date"].max(),
            "monetary_value": repeat_margin.groupby(days["customer_id"]).mean(),
        }
    )
    summary["recency"] = (summary["last"] - summary["first"]).dt.days
    summary["T"] = (cut - summary["first"]).dt.days
    summary["monetary_value"] = summary["monetary_value"].fillna(0.0)
    summary = summary.reset_index().rename(columns={"index": "customer_id"})
    return summary[SUMMARY_COLUMNS].astype(
        {"customer_id": "int64", "frequency": "float64", "recency": "float64", "T": "float64"}
    )


def fit(summary: pd.DataFrame, cutoff: date) -> FittedClv:
    """Fit BG/NBD on every customer and Gamma-Gamma on the repeat customers with a positive mean margin
    (the Gamma-Gamma model is for positive values; the others get the population mean through the model)."""
    if summary.empty:
        raise ValueError("no customer has an event on or before the cut-off")
    transactions = BetaGeoModel()
    spenders = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(spenders) < 2:
        raise ValueError("the Gamma-Gamma model needs repeat customers with a positive margin")
    margin = GammaGammaModel()
    with _quiet(), pytensor.config.change_flags(mode=pytensor_mode(len(summary))):
        transactions.fit(data=summary[["customer_id", "frequency", "recency", "T"]], method="map", progressbar=False)
        margin.fit(data=spenders[["customer_id", "frequency", "monetary_value"]], method="map", progressbar=False)
    return FittedClv(transactions=transactions, margin=margin, summary=summary, cutoff=cutoff)


def pytensor_mode(customers: int) -> str:
    """FAST_COMPILE (no C compiler) for up to COMPILE_ABOVE_CUSTOMERS customers, else the compiled FAST_RUN."""
    return "FAST_COMPILE" if customers <= COMPILE_ABOVE_CUSTOMERS else "FAST_RUN"


def expected_transactions(fitted: FittedClv, summary: pd.DataFrame, months: int) -> np.ndarray:
    """Expected transaction days in the `months` after the cut-off, per row of `summary`."""
    values = fitted.transactions.expected_purchases(data=_for_transactions(summary), future_t=months * DAYS_PER_MONTH)
    return _flat(values)


def score(fitted: FittedClv, months: int = HORIZON_MONTHS, monthly_rate: float = MONTHLY_DISCOUNT_RATE) -> pd.DataFrame:
    """Per customer of the fitted summary: probability alive at the cut-off, expected transactions and margin
    per transaction over `months`, value at risk, and CLV = the sum over the months of that month's expected transactions
    times the expected margin, discounted at `monthly_rate` (PyMC-Marketing's `customer_lifetime_value`)."""
    summary = fitted.summary
    data = _for_transactions(summary)
    p_alive = _flat(fitted.transactions.expected_probability_alive(data=data))
    per_tx = expected_margin_per_transaction(fitted, summary)
    monthly = np.stack(
        [expected_transactions(fitted, summary, month) for month in range(0, months + 1)], axis=0
    )
    per_month = np.diff(monthly, axis=0)
    discount = (1.0 + monthly_rate) ** -np.arange(1, months + 1, dtype="float64")
    clv = per_tx * (per_month * discount[:, None]).sum(axis=0)
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "p_alive": p_alive,
            "expected_transactions_12m": monthly[-1],
            "expected_margin_per_tx": per_tx,
            "clv_12m": clv,
            "value_at_risk": value_at_risk(clv, p_alive),
        }
    )


def value_at_risk(clv_12m, p_alive):
    """CLV x (1 - probability alive): the margin a valuable customer who may be slipping away would take with
    them, so a high-value customer with a falling chance of still being active ranks first."""
    return clv_12m * (1.0 - p_alive)


def expected_margin_per_transaction(fitted: FittedClv, summary: pd.DataFrame) -> np.ndarray:
    """Gamma-Gamma's expected margin of a future transaction: the customer's own repeat mean, shrunk to the
    population mean by how many repeats there are (a negative own mean counts as 0)."""
    data = summary[["customer_id", "frequency"]].assign(monetary_value=summary["monetary_value"].clip(lower=0.0))
    return _flat(fitted.margin.expected_customer_spend(data=data))


def holdout_actuals(events: pd.DataFrame, cutoff: date, end: date) -> pd.DataFrame:
    """Actual transaction days and margin per customer after `cutoff` up to and including `end`."""
    dated = events.assign(event_date=pd.to_datetime(events["event_date"]))
    window = dated[(dated["event_date"] > pd.Timestamp(cutoff)) & (dated["event_date"] <= pd.Timestamp(end))]
    days = window.groupby(["customer_id", "event_date"], as_index=False)["margin"].sum()
    actual = days.groupby("customer_id").agg(actual_transactions=("margin", "size"), actual_margin=("margin", "sum"))
    return actual.reset_index()


def calibrate(events: pd.DataFrame, cutoff: date, end: date) -> pd.DataFrame:
    """Fit on the events up to `cutoff`, predict the months up to `end`, and compare per decile of predicted
    margin (decile 10 = the customers predicted most valuable): customers, predicted and actual margin,
    predicted and actual transactions. Customers whose first event falls after the cut-off are not scored."""
    months = _months_between(cutoff, end)
    summary = summarise(events, cutoff)
    fitted = fit(summary, cutoff)
    predicted_tx = expected_transactions(fitted, summary, months)
    predicted_margin = predicted_tx * expected_margin_per_transaction(fitted, summary)
    frame = pd.DataFrame(
        {"customer_id": summary["customer_id"], "predicted_transactions": predicted_tx, "predicted_margin": predicted_margin}
    ).merge(holdout_actuals(events, cutoff, end), on="customer_id", how="left")
    frame[["actual_transactions", "actual_margin"]] = frame[["actual_transactions", "actual_margin"]].fillna(0.0)
    frame["decile"] = decile_of(frame["predicted_margin"])
    table = frame.groupby("decile", as_index=False).agg(
        customers=("customer_id", "size"),
        predicted_margin=("predicted_margin", "sum"),
        actual_margin=("actual_margin", "sum"),
        predicted_transactions=("predicted_transactions", "sum"),
        actual_transactions=("actual_transactions", "sum"),
    )
    return table.astype({"decile": "int64", "customers": "int64"})


def decile_of(values: pd.Series) -> pd.Series:
    """1..10 by rank (ties broken by position), so every decile holds a tenth of the customers."""
    ranks = values.rank(method="first").to_numpy()
    return pd.Series(np.ceil(ranks * DECILES / len(values)).astype("int64"), index=values.index)


def calibration_error(table: pd.DataFrame) -> dict[str, float]:
    """How far the prediction was from the holdout, in the two numbers the page words: the relative error
    of total margin and of total transactions, and the mean absolute relative error across deciles."""
    total_pred, total_actual = table["predicted_margin"].sum(), table["actual_margin"].sum()
    tx_pred, tx_actual = table["predicted_transactions"].sum(), table["actual_transactions"].sum()
    per_decile = (table["predicted_margin"] - table["actual_margin"]).abs() / table["actual_margin"].abs().clip(lower=1e-9)
    return {
        "margin_error": float((total_pred - total_actual) / total_actual) if total_actual else float("nan"),
        "transactions_error": float((tx_pred - tx_actual) / tx_actual) if tx_actual else float("nan"),
        "mean_decile_error": float(per_decile.mean()) if len(table) else float("nan"),
    }


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    if months < 1:
        raise ValueError("the holdout must be at least a month")
    return months


def _for_transactions(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[["customer_id", "frequency", "recency", "T"]]


def _flat(values) -> np.ndarray:
    """A MAP prediction (chain 1, draw 1, customer) as one number per customer."""
    array = np.asarray(values, dtype="float64")
    return array.reshape(-1, array.shape[-1]).mean(axis=0) if array.ndim > 1 else array


class _quiet:
    """PyMC logs the optimiser's progress and warns about MAP on every fit; the command prints its own."""

    def __enter__(self):
        self._level = logging.getLogger("pymc").level
        logging.getLogger("pymc").setLevel(logging.ERROR)
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return self

    def __exit__(self, *exc):
        self._warnings.__exit__(*exc)
        logging.getLogger("pymc").setLevel(self._level)
        return False
