"""Customers as the customers page reads them: the segment x branch matrix, the customer list behind a cell,
the customers to call this week with their reasons, products that stopped selling, group-buy repeat rates,
saved segments and the overview's headline. Every function reads the customer rollups (never
`productevent`) and is limited to the scope; person-level lists hold a staff member's own customers only
and mask phones as everywhere else."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date

import pandas as pd
from sqlalchemy import case, func, or_, select, true
from sqlmodel import Session

from models.customers import Customer
from models.measures.customers import SILVER_BAND, stopped_products
from models.org import Branch, Staff
from models.privacy import CUSTOMER_STAFF, own_customer_clause, phones_for_scope
from models.products import CustomerSegment
from models.rollup_tables.customers import (
    CustomerActivity,
    CustomerSegmentQuarter,
    CustomerSignal,
    GroupBuyOutcome,
    ProductBranchMonth,
)
from models.scope import Scope
from models.store.frames import read_frame

SEGMENT_KEYS = ("stage", "age_band", "occupation", "asset_tier", "channel")
LIST_LIMIT = 500
CALL_LIMIT = 100
# A segment: ((key, (value, ...)), ...), hashable so the page's cached queries can take it; empty: everyone.
Segment = tuple[tuple[str, tuple[str, ...]], ...]


def segment_from(choices: dict[str, Iterable[str]]) -> Segment:
    """The canonical (sorted, non-empty, known keys only) form of a segment chosen on the page."""
    return tuple((key, tuple(sorted(set(choices[key])))) for key in SEGMENT_KEYS if choices.get(key))


def _where(table, segment: Segment):
    return [getattr(table, key).in_(values) for key, values in segment if key in SEGMENT_KEYS]


def as_of(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    """The day the customer rollups were measured on, and the previous quarter's end they compare with."""
    # two MAX seeks at one end of the (as_of, ...) index; a DISTINCT ... LIMIT 2 walked all of its entries
    column = CustomerSegmentQuarter.as_of
    latest = session.execute(select(func.max(column))).scalar()
    before = None if latest is None else session.execute(select(func.max(column)).where(column < latest)).scalar()
    days = [date.fromisoformat(d) if isinstance(d, str) else d for d in (latest, before)]
    return days[0], days[1]


def segment_matrix(session: Session, scope: Scope, by: str = "stage", segment: Segment = ()) -> pd.DataFrame:
    """Per branch in the scope and value of `by` (a segment key), for the customers in `segment`: customers,
    deposits and product kinds used, now (`as_of`) and at the previous quarter's end (`*_before`)."""
    if by not in SEGMENT_KEYS:
        raise ValueError(f"unknown segment key {by!r}")
    now, before = as_of(session, scope)
    columns = ["branch_id", "branch_name", "value", "customers", "deposits", "products", "customers_before",
               "deposits_before", "products_before"]
    if now is None:
        return pd.DataFrame(columns=columns)
    table = CustomerSegmentQuarter
    statement = (
        select(table.branch_id, Branch.name.label("branch_name"), getattr(table, by).label("value"),
               table.as_of, func.sum(table.customers).label("customers"), func.sum(table.deposits).label("deposits"),
               func.sum(table.products).label("products"))
        .join(Branch, Branch.id == table.branch_id)
        .where(table.as_of.in_([d for d in (now, before) if d is not None]), scope.clause(table.branch_id),
               *_where(table, segment))
        .group_by(table.branch_id, Branch.name, getattr(table, by), table.as_of)
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    keys = ["branch_id", "branch_name", "value"]
    current = frame[frame["as_of"] == now].drop(columns="as_of")
    previous = frame[frame["as_of"] == before].drop(columns="as_of").rename(
        columns={c: f"{c}_before" for c in ("customers", "deposits", "products")})
    out = current.merge(previous, on=keys, how="outer")
    for column in columns[3:]:
        out[column] = out[column].fillna(0)
    out = out.astype({"customers": int, "customers_before": int, "products": int, "products_before": int})
    return out[columns].sort_values(["branch_name", "value"]).reset_index(drop=True)


def matrix_by_branch(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix summed per branch: customers, deposits, products per customer, and the change in customers
    and deposits since the previous quarter's end."""
    columns = ["branch_id", "branch_name", "customers", "deposits", "products_per_customer", "customers_change",
               "deposits_change"]
    if matrix.empty:
        return pd.DataFrame(columns=columns)
    out = matrix.groupby(["branch_id", "branch_name"], as_index=False)[
        ["customers", "deposits", "products", "customers_before", "deposits_before"]].sum()
    out["products_per_customer"] = (out["products"] / out["customers"].where(out["customers"] > 0)).round(2)
    out["customers_change"] = out["customers"] - out["customers_before"]
    out["deposits_change"] = out["deposits"] - out["deposits_before"]
    return out[columns].sort_values("customers", ascending=False).reset_index(drop=True)


CUSTOMER_COLUMNS = ["customer_id", "code", "name", "phone", "branch_name", "staff_name", "stage", "age_band",
                    "occupation", "asset_tier", "channel", "deposit_balance", "last_event", "products_recent",
                    CUSTOMER_STAFF]


def _person_scope(scope: Scope, staff_column):
    """Person-level rows: a staff member's own customers only; other roles their whole scope."""
    return own_customer_clause(scope, staff_column) if scope.role == "staff" else true()


def segment_customers(session: Session, scope: Scope, segment: Segment = (), branch_id: int | None = None,
                      limit: int = LIST_LIMIT) -> pd.DataFrame:
    """The customers behind a matrix cell (largest deposits first, at most `limit`), phones masked."""
    narrowed = scope.narrow(None if branch_id is None else {int(branch_id)})
    activity = CustomerActivity
    statement = (
        select(Customer.id.label("customer_id"), Customer.code, Customer.name, Customer.phone,
               Branch.name.label("branch_name"), Staff.name.label("staff_name"), activity.stage, activity.age_band,
               activity.occupation, activity.asset_tier, activity.channel, Customer.deposit_balance,
               activity.last_event, activity.products_recent, Customer.staff_id.label(CUSTOMER_STAFF))
        .join(Customer, Customer.id == activity.customer_id)
        .join(Branch, Branch.id == activity.branch_id)
        .outerjoin(Staff, Staff.id == Customer.staff_id)
        .where(narrowed.clause(activity.branch_id), _person_scope(scope, Customer.staff_id), *_where(activity, segment))
        .order_by(Customer.deposit_balance.desc(), Customer.id)
        .limit(int(limit))
    )
    frame = read_frame(session, statement)
    return phones_for_scope(frame, scope)[CUSTOMER_COLUMNS] if not frame.empty else pd.DataFrame(columns=CUSTOMER_COLUMNS)


CALL_COLUMNS = ["customer_id", "name", "phone", "branch_name", "staff_id", "staff_name", "kind", "days_since",
                "usual_gap_days", "balance_before", "balance_change", "priority", CUSTOMER_STAFF]


def customers_to_call(session: Session, scope: Scope, staff_id: int | None = None,
                      limit: int = CALL_LIMIT) -> pd.DataFrame:
    """The warning signals in the scope, most at stake first: a staff member sees their own customers; a
    president or head office everyone in scope, or one staff member's (`staff_id`) when chosen."""
    signal = CustomerSignal
    statement = (
        select(signal.customer_id, Customer.name, Customer.phone, Branch.name.label("branch_name"), signal.staff_id,
               Staff.name.label("staff_name"), signal.kind, signal.days_since, signal.usual_gap_days,
               signal.balance_before, signal.balance_change, signal.priority,
               Customer.staff_id.label(CUSTOMER_STAFF))
        .join(Customer, Customer.id == signal.customer_id)
        .join(Branch, Branch.id == signal.branch_id)
        .outerjoin(Staff, Staff.id == signal.staff_id)
        .where(scope.clause(signal.branch_id), _person_scope(scope, Customer.staff_id))
        .order_by(signal.priority.desc(), signal.customer_id, signal.kind)
        .limit(int(limit))
    )
    if staff_id is not None:
        statement = statement.where(signal.staff_id == int(staff_id))
    frame = read_frame(session, statement)
    return phones_for_scope(frame, scope)[CALL_COLUMNS] if not frame.empty else pd.DataFrame(columns=CALL_COLUMNS)


def signal_staff(session: Session, scope: Scope) -> pd.DataFrame:
    """Staff members in the scope with customers to call, and how many (a president's picker)."""
    statement = (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Branch.name.label("branch_name"),
               func.count().label("signals"))
        .join(CustomerSignal, CustomerSignal.staff_id == Staff.id)
        .join(Branch, Branch.id == Staff.branch_id)
        .where(scope.clause(CustomerSignal.branch_id))
        .group_by(Staff.id, Staff.name, Branch.name)
        .order_by(func.count().desc(), Staff.id)
    )
    return read_frame(session, statement)


def signal_counts(session: Session, scope: Scope) -> dict[str, int]:
    """Customers with each kind of warning in the scope (a staff member: their own), and in all."""
    where = [scope.clause(CustomerSignal.branch_id), _person_scope(scope, CustomerSignal.staff_id)]
    kind = CustomerSignal.kind
    rhythm, balance, distinct = session.execute(  # one pass over the signals, not one per figure
        select(func.sum(case((kind == "rhythm", 1), else_=0)), func.sum(case((kind == "balance", 1), else_=0)),
               func.count(func.distinct(CustomerSignal.customer_id))).where(*where)).one()
    return {"rhythm": int(rhythm or 0), "balance": int(balance or 0), "customers_to_call": int(distinct or 0)}


def stopped_selling(session: Session, scope: Scope) -> pd.DataFrame:
    """Products that stopped selling at a branch in the scope (`measures.customers.stopped_products`)."""
    now, _ = as_of(session, scope)
    columns = ["branch_id", "branch_name", "product", "months_sold", "last_month", "events_before"]
    if now is None:
        return pd.DataFrame(columns=columns)
    since = date(now.year - 1, now.month, 1)
    months = read_frame(session, select(ProductBranchMonth.branch_id, ProductBranchMonth.month,
                                        ProductBranchMonth.product, ProductBranchMonth.events)
                        .where(scope.clause(ProductBranchMonth.branch_id), ProductBranchMonth.month >= since))
    stopped = stopped_products(months, now)
    if stopped.empty:
        return pd.DataFrame(columns=columns)
    names = read_frame(session, select(Branch.id.label("branch_id"), Branch.name.label("branch_name"))
                       .where(Branch.id.in_([int(b) for b in stopped["branch_id"].unique()])))
    return stopped.merge(names, on="branch_id")[columns].sort_values(["branch_name", "product"]).reset_index(drop=True)


def group_buys(session: Session, scope: Scope) -> pd.DataFrame:
    """Every group buy in the scope with its repeat-purchase rate (newest first)."""
    table = GroupBuyOutcome
    frame = read_frame(session, select(table.group_buy_code, Branch.name.label("branch_name"), table.first_day,
                                       table.product, table.buyers, table.repeat_buyers, table.window_days,
                                       table.window_complete)
                       .join(Branch, Branch.id == table.branch_id).where(scope.clause(table.branch_id))
                       .order_by(table.first_day.desc(), table.group_buy_code))
    frame["repeat_rate"] = (frame["repeat_buyers"] / frame["buyers"].where(frame["buyers"] > 0)).astype(float)
    return frame


def overview_headline(session: Session, scope: Scope) -> dict:
    """The overview's customer line: the silver-haired share of personal customers and of their deposits,
    and the customers to call (as `signal_counts`)."""
    table = CustomerSegmentQuarter
    now, _ = as_of(session, scope)
    out = {"as_of": now, "silver_share": None, "silver_deposit_share": None, "customers": 0,
           **signal_counts(session, scope)}
    if now is None:
        return out
    silver = table.age_band == SILVER_BAND
    # One pass over the quarter's segment rows gives both shares (at head office, ~300,000 rows at large).
    row = session.execute(
        select(func.sum(table.customers), func.sum(table.deposits),
               func.sum(case((silver, table.customers), else_=0)), func.sum(case((silver, table.deposits), else_=0.0)))
        .where(table.as_of == now, scope.clause(table.branch_id), table.age_band != "unknown")).one()
    silver_row = row[2:]
    people, deposits = int(row[0] or 0), float(row[1] or 0.0)
    out["customers"] = people
    if people:
        out["silver_share"] = int(silver_row[0] or 0) / people
    if deposits:
        out["silver_deposit_share"] = float(silver_row[1] or 0.0) / deposits
    return out


def saved_segments(session: Session, scope: Scope) -> pd.DataFrame:
    """Segments saved bank-wide or for a branch in the scope, newest first, with their definitions."""
    table = CustomerSegment
    frame = read_frame(session, select(table.id, table.name, table.definition, table.branch_id, table.created_by,
                                       table.created_at)
                       .where(or_(table.branch_id.is_(None), scope.clause(table.branch_id)))
                       .order_by(table.created_at.desc(), table.id.desc()))
    frame["segment"] = [segment_from(json.loads(d)) for d in frame["definition"]]
    return frame
