"""`python manage.py clv`: fit the lifetime-value models on the product events and store every customer's
scores and the calibration deciles (issue 18). Pages read the stored rows (`models.metrics.clv`); nothing
else fits a model.

One run: read each customer's transaction days (events summed per customer and day, in SQL) up to the
cut-off; calibrate (fit up to the cut-off minus `HOLDOUT_MONTHS`, predict those months, compare per decile);
fit on everything up to the cut-off and score the next 12 months; then, in one transaction, replace every
stored score, decile and equity sum, bump the data version and audit the run with the fitted parameters.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import delete, func, select
from sqlmodel import Session

from models import clv
from models.auth import audit, bump_data_version, utcnow
from models.clv_scores import ClvCalibrationDecile, ClvEquity, CustomerClv
from models.customers import Customer
from models.measures.customers import age_band
from models.products import ProductEvent
from models.store import bulk_insert, read_frame

ACTOR = "manage.py"
# The segment dimensions equity is summed by, and the customer column each is read from.
SEGMENT_SOURCES = {"birth_year": "age_band", "occupation": "occupation", "asset_tier": "asset_tier",
                   "channel_preference": "channel_preference"}
SEGMENT_DIMENSIONS = tuple(SEGMENT_SOURCES.values())
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ClvRun:
    cutoff: date
    customers: int
    calibration: pd.DataFrame  # empty when the history is too short to hold months out
    parameters: dict[str, float]


def transaction_days(session: Session, cutoff: date) -> pd.DataFrame:
    """customer_id, event_date, margin: one row per customer and day with events, on or before `cutoff`."""
    statement = (
        select(ProductEvent.customer_id, ProductEvent.event_date, func.sum(ProductEvent.margin).label("margin"))
        .where(ProductEvent.event_date <= cutoff)
        .group_by(ProductEvent.customer_id, ProductEvent.event_date)
    )
    return read_frame(session, statement)


def last_event_day(session: Session) -> date | None:
    return session.execute(select(func.max(ProductEvent.event_date))).scalar()


def holdout_start(cutoff: date, months: int = clv.HOLDOUT_MONTHS) -> date:
    """The calibration's cut-off: `months` calendar months before `cutoff` (the day clipped to the month)."""
    month_index = cutoff.year * 12 + cutoff.month - 1 - months
    year, month = divmod(month_index, 12)
    for day in (cutoff.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def run_clv(engine, cutoff: date | None = None, progress: Callable[[str], None] = lambda _line: None) -> ClvRun:
    """Fit, calibrate and store; returns what was stored. Raises ValueError when there is nothing to fit."""
    with Session(engine) as session:
        cutoff = cutoff or last_event_day(session)
        if cutoff is None:
            raise ValueError("no product events: nothing to fit")
        started = time.perf_counter()
        days = transaction_days(session, cutoff)
        owners = read_frame(session, select(Customer.id.label("customer_id"), Customer.branch_id, Customer.staff_id,
                                            *[getattr(Customer, name) for name in SEGMENT_SOURCES])
                            .where(Customer.id.in_(select(ProductEvent.customer_id).distinct())))
    progress(f"读取交易日 / read {len(days):,} customer-days up to {cutoff} in {time.perf_counter() - started:.1f}s")

    started = time.perf_counter()
    calibration_cutoff = holdout_start(cutoff)
    try:
        calibration = clv.calibrate(days, calibration_cutoff, cutoff)
    except ValueError as reason:  # too little history before the holdout
        progress(f"校准跳过 / calibration skipped: {reason}")
        calibration = pd.DataFrame()
    else:
        error = clv.calibration_error(calibration)
        progress(f"校准 / calibration: fitted to {calibration_cutoff}, predicted to {cutoff}: total margin "
                 f"{error['margin_error']:+.1%}, transactions {error['transactions_error']:+.1%} "
                 f"({time.perf_counter() - started:.1f}s)")

    started = time.perf_counter()
    summary = clv.summarise(days, cutoff)
    fitted = clv.fit(summary, cutoff)
    progress(f"拟合 / fitted {len(summary):,} customers in {time.perf_counter() - started:.1f}s: "
             + ", ".join(f"{name}={value:.3g}" for name, value in fitted.parameters().items()))
    started = time.perf_counter()
    scores = clv.score(fitted)
    progress(f"评分 / scored in {time.perf_counter() - started:.1f}s")

    store_scores(engine, scores, owners, calibration, cutoff, calibration_cutoff, fitted.parameters())
    progress(f"已保存 / stored {len(scores):,} scores")
    return ClvRun(cutoff=cutoff, customers=len(scores), calibration=calibration, parameters=fitted.parameters())


def equity_rollup(rows: pd.DataFrame, cutoff: date) -> pd.DataFrame:
    """Customer equity per branch ("branch"), per branch and managing staff member ("staff") and per branch and
    segment value of each segment dimension, from the scored customers with their attributes; age bands as at
    the cut-off (`models.measures.customers.age_band`, the customers page's rule); an empty value is "unknown"."""
    frame = rows.assign(age_band=age_band(rows["birth_year"], cutoff), p_alive_sum=rows["p_alive"])
    measures = {"customers": ("customer_id", "size"), "equity": ("clv_12m", "sum"),
                "value_at_risk": ("value_at_risk", "sum"), "p_alive_sum": ("p_alive_sum", "sum")}
    parts = [frame.groupby("branch_id", as_index=False).agg(**measures).assign(dimension="branch", segment="")]
    staffed = frame[frame["staff_id"].notna()]
    parts.append(staffed.groupby(["branch_id", "staff_id"], as_index=False).agg(**measures)
                 .assign(dimension="staff", segment=""))
    for dimension in SEGMENT_DIMENSIONS:
        values = frame[dimension].fillna("").astype(str).replace("", UNKNOWN)
        parts.append(frame.assign(segment=values).groupby(["branch_id", "segment"], as_index=False).agg(**measures)
                     .assign(dimension=dimension))
    rollup = pd.concat(parts, ignore_index=True)
    rollup["staff_id"] = rollup["staff_id"].astype("Int64")
    return rollup[["dimension", "branch_id", "staff_id", "segment", "customers", "equity", "value_at_risk",
                   "p_alive_sum"]]


def store_scores(engine, scores: pd.DataFrame, owners: pd.DataFrame, calibration: pd.DataFrame, cutoff: date,
                 calibration_cutoff: date, parameters: dict[str, float]) -> None:
    """Replace every stored score, calibration decile and equity sum in one transaction, bump the version,
    audit. `owners`: each customer's branch, managing staff and segment columns (SEGMENT_SOURCES)."""
    fitted_at = utcnow()
    rows = scores.merge(owners, on="customer_id", how="inner")
    rows = rows.assign(fitted_at=fitted_at, cutoff=cutoff, model=clv.MODEL_LABEL)
    rows["staff_id"] = rows["staff_id"].astype("Int64")
    deciles = calibration.assign(fitted_at=fitted_at, cutoff=calibration_cutoff, holdout_end=cutoff)
    equity = equity_rollup(rows, cutoff)
    with Session(engine) as session:
        session.exec(delete(CustomerClv))
        session.exec(delete(ClvCalibrationDecile))
        session.exec(delete(ClvEquity))
        connection = session.connection()
        bulk_insert(connection, CustomerClv.__table__, rows[[c.name for c in CustomerClv.__table__.columns]])
        bulk_insert(connection, ClvEquity.__table__, equity)
        if not calibration.empty:
            bulk_insert(connection, ClvCalibrationDecile.__table__,
                        deciles[[c.name for c in ClvCalibrationDecile.__table__.columns]])
        bump_data_version(session)
        audit(session, ACTOR, "clv_fit", detail=(
            f"cutoff={cutoff} customers={len(rows)} equity={rows['clv_12m'].sum():.0f} "
            + " ".join(f"{name}={value:.4g}" for name, value in parameters.items())))
        session.commit()
