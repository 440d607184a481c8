"""Customer lifetime value on the pages (issue 18), from the scores `manage.py clv` stored (`customerclv`):
customer equity (the sum of the customers' 12-month CLV) per branch, segment and staff member (from the sums
stored per branch at the fit, `clvequity`: a thousand rows at head office, not a million), the customers with
the most value at risk, and the calibration of the last fit. Every query is limited to the scope.

Value at risk = CLV x (1 - probability alive), stored with the scores (`models.clv.value_at_risk`).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from models.clv_scores import ClvCalibrationDecile, ClvEquity, CustomerClv
from models.customers import Customer
from models.org import Branch, Staff
from models.privacy import CUSTOMER_STAFF, own_customer_clause, phones_for_scope
from models.scope import Scope
from models.store.frames import read_frame

SEGMENT_DIMENSIONS = ("age_band", "occupation", "asset_tier", "channel_preference")  # as models.clv_scoring stores
AT_RISK_LIMIT = 50


def _totals():
    """Sums over stored equity rows (ClvEquity): customers, equity, value at risk, mean probability alive."""
    return (
        func.sum(ClvEquity.customers).label("customers"),
        func.sum(ClvEquity.equity).label("equity"),
        func.sum(ClvEquity.value_at_risk).label("value_at_risk"),
        (func.sum(ClvEquity.p_alive_sum) / func.sum(ClvEquity.customers)).label("mean_p_alive"),
    )


def fit_status(session: Session, scope: Scope) -> dict:
    """When the stored scores were fitted, on history up to which day, by which model, and how many customers
    of the scope they cover (`customers` 0: `manage.py clv` has not run, or no customer of the scope has events)."""
    row = session.execute(
        select(func.count(), func.max(CustomerClv.fitted_at), func.max(CustomerClv.cutoff), func.max(CustomerClv.model))
        .where(scope.clause(CustomerClv.branch_id))
    ).one()
    return {"customers": int(row[0]), "fitted_at": row[1], "cutoff": row[2], "model": row[3] or ""}


def equity_by_branch(session: Session, scope: Scope) -> pd.DataFrame:
    """Per branch in scope: customers scored, equity, value at risk and mean probability alive; richest first."""
    statement = (
        select(ClvEquity.branch_id, Branch.name.label("branch_name"), *_totals())
        .join(Branch, Branch.id == ClvEquity.branch_id)
        .where(ClvEquity.dimension == "branch", scope.clause(ClvEquity.branch_id))
        .group_by(ClvEquity.branch_id, Branch.name)
        .order_by(func.sum(ClvEquity.equity).desc(), ClvEquity.branch_id)
    )
    return _typed(read_frame(session, statement))


def equity_by_staff(session: Session, scope: Scope) -> pd.DataFrame:
    """Per managing staff member of the customers in scope (customers without one are left out)."""
    statement = (
        select(ClvEquity.staff_id, Staff.name.label("staff_name"), Branch.name.label("branch_name"), *_totals())
        .join(Staff, Staff.id == ClvEquity.staff_id)
        .join(Branch, Branch.id == Staff.branch_id)
        .where(ClvEquity.dimension == "staff", scope.clause(ClvEquity.branch_id))
        .group_by(ClvEquity.staff_id, Staff.name, Branch.name)
        .order_by(func.sum(ClvEquity.equity).desc(), ClvEquity.staff_id)
    )
    return _typed(read_frame(session, statement))


def equity_by_segment(session: Session, scope: Scope, dimension: str) -> pd.DataFrame:
    """Per value of one segment dimension (age band at the fit's cut-off, occupation, asset tier or channel
    preference, as the customers were at the fit): customers, equity, value at risk and mean probability alive,
    largest equity first; an empty value reads "unknown"."""
    if dimension not in SEGMENT_DIMENSIONS:
        raise ValueError(f"unknown segment dimension {dimension!r}")
    statement = (
        select(ClvEquity.segment, *_totals())
        .where(ClvEquity.dimension == dimension, scope.clause(ClvEquity.branch_id))
        .group_by(ClvEquity.segment)
        .order_by(func.sum(ClvEquity.equity).desc(), ClvEquity.segment)
    )
    return _typed(read_frame(session, statement))


def value_at_risk(session: Session, scope: Scope, limit: int = AT_RISK_LIMIT) -> pd.DataFrame:
    """The customers with the most value at risk in scope (a staff member: their own customers only), with
    phones masked unless the scope may see them (`models.privacy`)."""
    statement = (
        select(CustomerClv.customer_id, Customer.name.label("customer_name"), Customer.phone,
               Branch.name.label("branch_name"), Staff.name.label("staff_name"),
               CustomerClv.staff_id.label(CUSTOMER_STAFF), CustomerClv.clv_12m, CustomerClv.p_alive,
               CustomerClv.expected_transactions_12m, CustomerClv.value_at_risk)
        .join(Customer, Customer.id == CustomerClv.customer_id)
        .join(Branch, Branch.id == CustomerClv.branch_id)
        .outerjoin(Staff, Staff.id == CustomerClv.staff_id)
        .where(scope.clause(CustomerClv.branch_id))
        .order_by(CustomerClv.value_at_risk.desc(), CustomerClv.customer_id)
        .limit(int(limit))
    )
    if scope.role == "staff":
        statement = statement.where(own_customer_clause(scope, CustomerClv.staff_id))
    frame = read_frame(session, statement)
    return phones_for_scope(frame, scope)


def calibration(session: Session, scope: Scope) -> pd.DataFrame:
    """The last fit's calibration, per decile of predicted value: customers and the mean predicted and actual
    margin and transactions per customer over the holdout months. The model is the bank's, so every scope sees
    the same deciles (means per customer, so no bank total is shown)."""
    frame = read_frame(session, select(ClvCalibrationDecile).order_by(ClvCalibrationDecile.decile))
    if frame.empty:
        return frame
    for measure in ("margin", "transactions"):
        for kind in ("predicted", "actual"):
            frame[f"{kind}_{measure}_per_customer"] = frame[f"{kind}_{measure}"] / frame["customers"]
    return frame.drop(columns=["predicted_margin", "actual_margin", "predicted_transactions", "actual_transactions"])


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    for column in ("equity", "value_at_risk", "mean_p_alive"):
        if column in frame.columns:
            frame[column] = frame[column].astype("float64")
    return frame
