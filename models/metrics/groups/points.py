"""Group points: earned and redeemed per day, the top earners and the outstanding liability."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from models.customers import Customer
from models.groups import PointsLedger
from models.measures.groups import monthly_points
from models.metrics.groups.common import POINT_VALUE_YUAN
from models.org import Branch
from models.rollup_tables.groups import PointsBankDaily, PointsHoldersBankDaily
from models.scope import Scope
from models.store.frames import read_frame


def points_daily(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Points per day and kind (redemptions negative); the whole bank's from its daily rollup."""
    if scope.is_everything:
        statement = (
            select(PointsBankDaily.day, PointsBankDaily.kind,
                   func.sum(PointsBankDaily.earned - PointsBankDaily.redeemed).label("points"),
                   func.sum(PointsBankDaily.entries).label("entries"))
            .where(PointsBankDaily.day.between(start, end))
            .group_by(PointsBankDaily.day, PointsBankDaily.kind)
            .order_by(PointsBankDaily.day, PointsBankDaily.kind)
        )
    else:
        statement = (
            select(PointsLedger.day, PointsLedger.kind, func.sum(PointsLedger.points).label("points"),
                   func.count().label("entries"))
            .where(scope.clause(PointsLedger.branch_id), PointsLedger.day.between(start, end))
            .group_by(PointsLedger.day, PointsLedger.kind)
            .order_by(PointsLedger.day, PointsLedger.kind)
        )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({"day": pd.Series(dtype="datetime64[ns]"), "kind": pd.Series(dtype="object"),
                             "points": pd.Series(dtype="int64"), "entries": pd.Series(dtype="int64")})
    frame["day"] = pd.to_datetime(frame["day"])
    return frame.astype({"points": "int64", "entries": "int64"})


def points_top_earners(session: Session, scope: Scope, start: date, end: date, limit: int = 20) -> pd.DataFrame:
    """Customers who earned the most points in the period, with what they redeemed and their balance at
    `end`. The period's entries pick the top customers; only their balances read earlier entries."""
    earned = func.sum(case((PointsLedger.points > 0, PointsLedger.points), else_=0))
    redeemed = func.sum(case((PointsLedger.points < 0, -PointsLedger.points), else_=0))
    top = read_frame(session, (
        select(PointsLedger.customer_id, earned.label("earned"), redeemed.label("redeemed"))
        .where(scope.clause(PointsLedger.branch_id), PointsLedger.day.between(start, end))
        .group_by(PointsLedger.customer_id)
        .having(earned > 0)
        .order_by(earned.desc(), PointsLedger.customer_id)
        .limit(limit)
    ))
    columns = ["customer_id", "customer_name", "branch_name", "earned", "redeemed", "balance"]
    if top.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    balance = (select(PointsLedger.customer_id, func.sum(PointsLedger.points).label("balance"),
                      func.min(PointsLedger.branch_id).label("branch_id"))
               .where(PointsLedger.customer_id.in_([int(c) for c in top["customer_id"]]),
                      scope.clause(PointsLedger.branch_id), PointsLedger.day <= end)
               .group_by(PointsLedger.customer_id)).subquery()
    names = read_frame(session, select(balance.c.customer_id, Customer.name.label("customer_name"),
                                       Branch.name.label("branch_name"), balance.c.balance)
                       .join(Customer, Customer.id == balance.c.customer_id)
                       .join(Branch, Branch.id == balance.c.branch_id))
    frame = top.merge(names, on="customer_id", how="inner")[columns]
    return frame.astype({"earned": "int64", "redeemed": "int64", "balance": "int64"})


def points_liability(session: Session, scope: Scope, as_of: date) -> dict[str, float | int]:
    """Points earned and redeemed up to `as_of`, what is still owed to customers and its value in yuan;
    the whole bank's from its daily rollups."""
    if scope.is_everything:
        sums = session.execute(select(func.coalesce(func.sum(PointsBankDaily.earned), 0),
                                      func.coalesce(func.sum(PointsBankDaily.redeemed), 0))
                               .where(PointsBankDaily.day <= as_of)).one()
        holders = session.execute(select(func.coalesce(func.sum(PointsHoldersBankDaily.new_holders), 0))
                                  .where(PointsHoldersBankDaily.day <= as_of)).scalar_one()
        return _liability(int(sums[0]), int(sums[1]), int(holders))
    row = session.execute(
        select(func.coalesce(func.sum(case((PointsLedger.points > 0, PointsLedger.points), else_=0)), 0),
               func.coalesce(func.sum(case((PointsLedger.points < 0, -PointsLedger.points), else_=0)), 0),
               func.count(distinct(PointsLedger.customer_id)))
        .where(scope.clause(PointsLedger.branch_id), PointsLedger.day <= as_of)
    ).one()
    return _liability(int(row[0]), int(row[1]), int(row[2]))


def _liability(earned: int, redeemed: int, holders: int) -> dict[str, float | int]:
    outstanding = earned - redeemed
    return {"earned": earned, "redeemed": redeemed, "outstanding": outstanding, "holders": holders,
            "outstanding_yuan": outstanding * POINT_VALUE_YUAN}


def points_overview(session: Session, scope: Scope, start: date, end: date) -> dict[str, object]:
    """Points in the period (earned, redeemed, per month) and the liability outstanding at `end`."""
    monthly = monthly_points(points_daily(session, scope, start, end))
    return {"monthly": monthly, "earned": int(monthly["earned"].sum()), "redeemed": int(monthly["redeemed"].sum()),
            **{f"liability_{k}": v for k, v in points_liability(session, scope, end).items()}}
