"""Customer lifetime value on the pages (issue 18), from the scores `manage.py clv` stored (`customerclv`):
customer equity (the sum of the customers' 12-month CLV) per branch, segment and staff member, the customers
with the most value at risk, and the calibration of the last fit. Aggregation in SQL, limited to the scope.

Value at risk = CLV x (1 - probability alive), stored with the scores (`models.clv.value_at_risk`).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import case, func, select
from sqlmodel import Session

from models.clv_scores import ClvCalibrationDecile, CustomerClv
from models.customers import Customer
from models.org import Branch, Staff
from models.privacy import CUSTOMER_STAFF, own_customer_clause, phones_for_scope
from models.scope import Scope
from models.store.frames import read_frame

SEGMENT_DIMENSIONS = ("age_band", "occupation", "asset_tier", "channel_preference")
# Age bands as the customers page counts them (silver-haired = 60 and over), by age reached in the year.
AGE_BAND_EDGES = ((30, "under_30"), (45, "30_44"), (60, "45_59"))
SILVER_BAND = "60_plus"
UNKNOWN = "unknown"
AT_RISK_LIMIT = 50


def _totals():
    return (
        func.count().label("customers"),
        func.sum(CustomerClv.clv_12m).label("equity"),
        func.sum(CustomerClv.value_at_risk).label("value_at_risk"),
        func.avg(CustomerClv.p_alive).label("mean_p_alive"),
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
        select(CustomerClv.branch_id, Branch.name.label("branch_name"), *_totals())
        .join(Branch, Branch.id == CustomerClv.branch_id)
        .where(scope.clause(CustomerClv.branch_id))
        .group_by(CustomerClv.branch_id, Branch.name)
        .order_by(func.sum(CustomerClv.clv_12m).desc(), CustomerClv.branch_id)
    )
    return _typed(read_frame(session, statement))


def equity_by_staff(session: Session, scope: Scope) -> pd.DataFrame:
    """Per managing staff member of the customers in scope (customers without one are left out)."""
    statement = (
        select(CustomerClv.staff_id, Staff.name.label("staff_name"), Branch.name.label("branch_name"), *_totals())
        .join(Staff, Staff.id == CustomerClv.staff_id)
        .join(Branch, Branch.id == Staff.branch_id)
        .where(scope.clause(CustomerClv.branch_id))
        .group_by(CustomerClv.staff_id, Staff.name, Branch.name)
        .order_by(func.sum(CustomerClv.clv_12m).desc(), CustomerClv.staff_id)
    )
    return _typed(read_frame(session, statement))


def age_band_clause(as_of: date):
    """The age band of `Customer.birth_year` in SQL, by the age reached in `as_of`'s year."""
    age = as_of.year - Customer.birth_year
    return case(
        (Customer.birth_year.is_(None), UNKNOWN),
        *[(age < edge, band) for edge, band in AGE_BAND_EDGES],
        else_=SILVER_BAND,
    )


def equity_by_segment(session: Session, scope: Scope, dimension: str, as_of: date) -> pd.DataFrame:
    """Per value of one segment dimension (age band, occupation, asset tier or channel preference): customers,
    equity, value at risk and mean probability alive, largest equity first; an empty value reads "unknown"."""
    if dimension not in SEGMENT_DIMENSIONS:
        raise ValueError(f"unknown segment dimension {dimension!r}")
    if dimension == "age_band":
        segment = age_band_clause(as_of)
    else:
        column = getattr(Customer, dimension)
        segment = case((func.coalesce(column, "") == "", UNKNOWN), else_=column)
    statement = (
        select(segment.label("segment"), *_totals())
        .join(Customer, Customer.id == CustomerClv.customer_id)
        .where(scope.clause(CustomerClv.branch_id))
        .group_by(segment)
        .order_by(func.sum(CustomerClv.clv_12m).desc())
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
