"""Customer rollups: each customer's rhythm and stage (now and at the previous quarter's end), the segment x
branch matrix, product sales per branch and month, group-buy outcomes and the warning signals.

Rebuilt per branch (a customer's whole history decides their rhythm), a slice of branches at a time so the
large scale fits in memory. All rows share one `as_of`: the latest event day in the bank; when that moves,
every branch is rebuilt (stages are measured against the same day everywhere)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from models.customers import Customer
from models.measures.customers import (
    REPEAT_WINDOW_DAYS,
    age_band,
    balance_falling,
    life_cycle_stage,
    quarter_end_before,
    rhythm,
    rhythm_broken,
)
from models.org import Branch
from models.products import SOLD_PRODUCTS, ProductEvent
from models.rollup_tables.customers import (
    CustomerActivity,
    CustomerSegmentQuarter,
    CustomerSignal,
    GroupBuyOutcome,
    ProductBranchMonth,
)
from models.store.bulk import bulk_insert, indexes_built_after
from models.store.frames import read_frame

BRANCHES_PER_SLICE = 60
_TABLES = [t.__table__ for t in (CustomerSignal, CustomerActivity, CustomerSegmentQuarter, ProductBranchMonth,
                                 GroupBuyOutcome)]
SEGMENT_KEYS = ["stage", "age_band", "occupation", "asset_tier", "channel"]
SOLD = [p.value for p in SOLD_PRODUCTS]


def latest_event_day(conn: Connection) -> date | None:
    day = conn.execute(select(func.max(ProductEvent.event_date))).scalar()
    return date.fromisoformat(day) if isinstance(day, str) else day


def refresh_customer_rollups(conn: Connection, branch_ids: Iterable[int] | None = None, start: date | None = None,
                             end: date | None = None, progress: Callable[[str], None] | None = None,
                             seed_rows: SeedCustomerRows | None = None) -> dict[str, int]:
    """Rebuild the customer rollups of `branch_ids` (None: every branch); `start`/`end` are accepted for the
    common refresh signature and ignored (a day's event moves the customer's whole rhythm). `seed_rows`: a
    seed's whole rebuild takes each slice's customers and events from the rows it has just stored."""
    started = time.perf_counter()
    as_of = latest_event_day(conn)
    stored = conn.execute(select(func.max(CustomerActivity.as_of))).scalar()
    stored = date.fromisoformat(stored) if isinstance(stored, str) else stored
    if branch_ids is not None and stored != as_of:
        branch_ids = None  # the day moved: every customer's stage is measured again
    if branch_ids is None:
        every = [int(b) for b in conn.execute(select(Branch.id).order_by(Branch.id)).scalars()]
    else:
        every = sorted({int(b) for b in branch_ids})
    written = dict.fromkeys((t.__tablename__ for t in (CustomerActivity, CustomerSegmentQuarter, ProductBranchMonth,
                                                         GroupBuyOutcome, CustomerSignal)), 0)
    whole = branch_ids is None
    seed_rows = seed_rows if whole else None
    # A whole rebuild reads each event once, with its customer's slice: the branches where a slice's customers
    # bought elsewhere (none in a seed) get their product months again at the end, from all their events
    away_branches: set[int] | None = set() if whole else None
    with indexes_built_after(conn, _TABLES, whole):
        for position in range(0, max(len(every), 1), BRANCHES_PER_SLICE):
            chunk = every[position:position + BRANCHES_PER_SLICE]
            if not (whole and position):  # a whole rebuild's first slice cleared every table
                _delete(conn, None if whole else chunk, chunk)
            if as_of is None or not chunk:
                continue
            for name, count in _refresh_slice(conn, chunk, as_of, away_branches, seed_rows).items():
                written[name] += count
        if away_branches:
            written[ProductBranchMonth.__tablename__] += _redo_product_months(conn, sorted(away_branches))
    if progress:
        progress(f"  rollup customers: {written[CustomerActivity.__tablename__]:,} customers, "
                 f"{written[CustomerSignal.__tablename__]:,} signals in {time.perf_counter() - started:.1f}s")
    return written


def _delete(conn: Connection, only: list[int] | None, chunk: list[int]) -> None:
    """Delete the slice's rows (the first slice of a full rebuild clears every table, stale branches too)."""
    for table in (CustomerSignal, CustomerActivity, CustomerSegmentQuarter, ProductBranchMonth, GroupBuyOutcome):
        statement = delete(table)
        if only is not None:
            statement = statement.where(table.branch_id.in_(chunk))
        conn.execute(statement)


_CUSTOMER_COLUMNS = (
    Customer.id.label("customer_id"), Customer.branch_id, Customer.staff_id, Customer.birth_year,
    Customer.occupation, Customer.asset_tier, Customer.channel_preference.label("channel"), Customer.opened_on,
    Customer.deposit_balance, Customer.wealth_balance,
)


def _refresh_slice(conn: Connection, branch_ids: list[int], as_of: date,
                   away_branches: set[int] | None = None, seed_rows: SeedCustomerRows | None = None) -> dict[str, int]:
    """One slice's rows. With `away_branches` (a whole rebuild) only the slice's customers' events are read, and
    the other branches where they bought are added to it (their product months are redone at the end)."""
    if seed_rows is not None:
        customers, touched = seed_rows.slice(branch_ids)
    else:
        customers = _slice_customers(conn, branch_ids)
        touched = _slice_events(conn, branch_ids, away=away_branches is None)
    touched["event_date"] = pd.to_datetime(touched["event_date"])
    if away_branches is not None:
        away_branches.update(set(touched["branch_id"].astype(int).unique().tolist()) - set(branch_ids))
    events = touched[touched["home_id"].isin(branch_ids)]
    branch_events = touched[touched["branch_id"].isin(branch_ids)]
    activity = customer_activity(customers, events, as_of)
    written = {CustomerActivity.__tablename__: bulk_insert(conn, CustomerActivity.__table__, activity[ACTIVITY_COLUMNS])}
    written[CustomerSegmentQuarter.__tablename__] = bulk_insert(conn, CustomerSegmentQuarter.__table__,
                                                                segment_matrix(activity, as_of))
    written[ProductBranchMonth.__tablename__] = bulk_insert(conn, ProductBranchMonth.__table__,
                                                            product_months(branch_events))
    written[GroupBuyOutcome.__tablename__] = bulk_insert(conn, GroupBuyOutcome.__table__,
                                                         group_buy_outcomes(events, customers, as_of))
    written[CustomerSignal.__tablename__] = bulk_insert(conn, CustomerSignal.__table__, customer_signals(activity, as_of))
    return written


def _slice_customers(conn: Connection, branch_ids: list[int]) -> pd.DataFrame:
    """The slice's customers, not prospects, in id order."""
    return read_frame(conn, select(*_CUSTOMER_COLUMNS).where(
        Customer.branch_id.in_(branch_ids), Customer.is_prospect.is_(False)).order_by(Customer.id))


def _slice_events(conn: Connection, branch_ids: list[int], away: bool = True) -> pd.DataFrame:
    """The events of the slice's customers (their rhythm) and the events at its branches (sales), in the order
    they were written (the sums of margins come out the same to the last bit on every backend and plan). Two
    reads, each along an index: one OR across the two tables read every event of the bank once per slice."""
    columns = (ProductEvent.customer_id, ProductEvent.branch_id, ProductEvent.event_date, ProductEvent.product,
               ProductEvent.amount, ProductEvent.margin, ProductEvent.group_buy_code,
               Customer.branch_id.label("home_id"), ProductEvent.id)
    joined = select(*columns).join(Customer, Customer.id == ProductEvent.customer_id)
    # The slice's customers' id range, a condition the join implies: customers are numbered branch by branch and
    # events customer by customer, so the range reads the slice's stretch of the events' customer index instead
    # of every event of the bank (a hash join over the whole table, once per slice: 17 times at large).
    ids = conn.execute(select(Customer.id).where(Customer.branch_id.in_(branch_ids))).scalars().all()
    low, high = (min(ids), max(ids)) if ids else (0, -1)
    home = read_frame(conn, joined.where(Customer.branch_id.in_(branch_ids), ProductEvent.customer_id.between(low, high)))
    # `away`: also the events at the slice's branches of customers from elsewhere (one more read of every event
    # at the slice's branches, in the order of their branch index)
    others = (read_frame(conn, joined.where(ProductEvent.branch_id.in_(branch_ids), Customer.branch_id.not_in(branch_ids)))
              if away else home.iloc[0:0])
    touched = pd.concat([frame for frame in (home, others) if not frame.empty] or [home], ignore_index=True)
    return touched.sort_values("id", ignore_index=True).drop(columns=["id"])


def _as_read(series: pd.Series) -> pd.Series:
    """A generated column as `read_frame` gives the stored one back: NULLs as None (or NaN in a numeric
    column, whose integers then become floats), text in pandas' string type unless every value is NULL."""
    missing = series.isna()
    if missing.all():
        return pd.Series([None] * len(series), index=series.index, dtype=object)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype | pd.StringDtype):
        return series.astype(object).where(~missing, None).astype("str")
    if pd.api.types.is_extension_array_dtype(dtype) and pd.api.types.is_integer_dtype(dtype):
        return series.astype("float64") if missing.any() else series.astype("int64")
    if dtype.kind == "O":
        return series.where(~missing, None)
    return series


class SeedCustomerRows:
    """A seed's generated customers and product events, held for the customer rollups' whole rebuild right
    after the load: each slice is taken from memory, exactly as `_refresh_slice` reads it back from the
    database (same columns, types and order), instead of reading 13 M events back at large (about two thirds
    of that rebuild's time). Customers and events are numbered in stored order, so id order is that order."""

    def __init__(self, customers: pd.DataFrame, events: pd.DataFrame):
        customers = customers.sort_values("id", kind="stable")
        home = pd.Series(customers["branch_id"].to_numpy(), index=customers["id"].to_numpy())
        events = events.sort_values("id", kind="stable")
        self.events = pd.DataFrame({
            "customer_id": events["customer_id"].to_numpy(), "branch_id": events["branch_id"].to_numpy(),
            "event_date": events["event_date"].to_numpy(), "product": events["product"].to_numpy(),
            "amount": events["amount"].to_numpy(), "margin": events["margin"].to_numpy(),
            "group_buy_code": events["group_buy_code"].to_numpy(),
            "home_id": home.reindex(events["customer_id"].to_numpy()).to_numpy(),
        })
        kept = customers[~customers["is_prospect"].astype(bool)]
        self.customers = pd.DataFrame({
            "customer_id": kept["id"].to_numpy(), "branch_id": kept["branch_id"].to_numpy(),
            "staff_id": kept["staff_id"].array, "birth_year": kept["birth_year"].array,
            "occupation": kept["occupation"].array, "asset_tier": kept["asset_tier"].array,
            "channel": kept["channel_preference"].array, "opened_on": kept["opened_on"].to_numpy(),
            "deposit_balance": kept["deposit_balance"].to_numpy(), "wealth_balance": kept["wealth_balance"].to_numpy(),
        })

    @classmethod
    def from_frames(cls, frames: dict[str, pd.DataFrame]) -> SeedCustomerRows:
        return cls(frames["customer"], frames["productevent"])

    def slice(self, branch_ids: list[int]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The slice's customers (not prospects) and their events, as the database gives them back."""
        wanted = np.asarray(branch_ids)
        customers = self.customers[np.isin(self.customers["branch_id"].to_numpy(), wanted)]
        events = self.events[np.isin(self.events["home_id"].to_numpy(), wanted)]
        as_read = [frame.reset_index(drop=True).apply(_as_read) if not frame.empty else frame.reset_index(drop=True)
                   for frame in (customers, events)]
        return as_read[0], as_read[1]


def _redo_product_months(conn: Connection, branch_ids: list[int]) -> int:
    """The product months of `branch_ids` again, from every event at them (a whole rebuild's slices saw only
    their own customers'): returns the rows written less those replaced."""
    replaced = 0
    for position in range(0, len(branch_ids), BRANCHES_PER_SLICE):
        chunk = branch_ids[position:position + BRANCHES_PER_SLICE]
        replaced += conn.execute(delete(ProductBranchMonth).where(ProductBranchMonth.branch_id.in_(chunk))).rowcount
        events = read_frame(conn, select(ProductEvent.branch_id, ProductEvent.event_date, ProductEvent.product,
                                         ProductEvent.amount, ProductEvent.margin)
                            .where(ProductEvent.branch_id.in_(chunk)).order_by(ProductEvent.id))
        events["event_date"] = pd.to_datetime(events["event_date"])
        replaced -= bulk_insert(conn, ProductBranchMonth.__table__, product_months(events))
    return -replaced


ACTIVITY_COLUMNS = ["customer_id", "branch_id", "staff_id", "as_of", "first_event", "last_event", "events",
                    "usual_gap_days", "events_recent", "events_before", "net_flow_recent", "products_recent",
                    "margin_year", "stage", "stage_before", "age_band", "occupation", "asset_tier", "channel"]


def customer_activity(customers: pd.DataFrame, events: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per customer (not prospects): rhythm and stage as of `as_of` and as of the previous quarter's
    end, with the deposits then (`deposits_before`: now minus the net flow since) and the products used in the
    year up to then (`products_before`), and the segment keys."""
    out = customers.set_index("customer_id")
    now = rhythm(events, as_of).reindex(out.index)
    out = out.join(now)
    out["events"] = out["events"].fillna(0).astype(int)
    for column in ("events_recent", "events_before", "products_recent"):
        out[column] = out[column].fillna(0).astype(int)
    out["net_flow_recent"] = out["net_flow_recent"].fillna(0.0).astype(float)
    out["margin_year"] = out["margin_year"].fillna(0.0).astype(float)
    out["as_of"] = as_of
    out["stage"] = life_cycle_stage(out, as_of)
    quarter_end = quarter_end_before(as_of)
    before = rhythm(events, quarter_end).reindex(out.index)
    before["opened_on"] = out["opened_on"]
    opened = pd.to_datetime(out["opened_on"])
    existed = (opened <= pd.Timestamp(quarter_end)) | before["first_event"].notna()
    out["stage_before"] = np.where(existed, life_cycle_stage(before, quarter_end), "")
    out["products_before"] = before["products_recent"].fillna(0).astype(int)
    since = events[events["event_date"] > pd.Timestamp(quarter_end)] if not events.empty else events
    if since.empty:
        flow = pd.Series(0.0, index=out.index)
    else:
        signed = np.where(since["product"] == "withdrawal", -since["amount"],
                          np.where(since["product"] == "deposit", since["amount"], 0.0))
        flow = pd.Series(signed, index=since.index).groupby(since["customer_id"]).sum().reindex(out.index).fillna(0.0)
    out["deposits_before"] = (out["deposit_balance"].astype(float) - flow).clip(lower=0.0)
    out["age_band"] = age_band(out["birth_year"], as_of)
    for column in ("occupation", "asset_tier", "channel"):
        out[column] = out[column].fillna("").astype(str)
    out["staff_id"] = out["staff_id"].astype("Int64")
    out["usual_gap_days"] = out["usual_gap_days"].astype(float)
    return out.reset_index()


def segment_matrix(activity: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The matrix rows: per branch and segment key, customers, deposits and products used, as of `as_of` and
    as of the previous quarter's end (customers who were customers then, in the stage they had then)."""
    keys = ["branch_id", *SEGMENT_KEYS]
    now = activity.assign(deposits=activity["deposit_balance"].astype(float), products=activity["products_recent"])
    now = now.groupby(keys).agg(customers=("customer_id", "count"), deposits=("deposits", "sum"),
                                products=("products", "sum")).reset_index().assign(as_of=as_of)
    then = activity[activity["stage_before"] != ""]
    then = then.assign(stage=then["stage_before"], deposits=then["deposits_before"], products=then["products_before"])
    then = then.groupby(keys).agg(customers=("customer_id", "count"), deposits=("deposits", "sum"),
                                  products=("products", "sum")).reset_index().assign(as_of=quarter_end_before(as_of))
    frame = pd.concat([now, then], ignore_index=True)
    frame["products"] = frame["products"].astype(int)
    return frame[["as_of", *keys, "customers", "deposits", "products"]]


def product_months(events: pd.DataFrame) -> pd.DataFrame:
    """Per branch, month and product: events, amount, margin."""
    columns = ["branch_id", "month", "product", "events", "amount", "margin"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    day = pd.to_datetime(events["event_date"])
    frame = events.assign(month=day.dt.to_period("M").dt.to_timestamp().dt.date)
    out = frame.groupby(["branch_id", "month", "product"]).agg(
        events=("product", "size"), amount=("amount", "sum"), margin=("margin", "sum")).reset_index()
    return out[columns]


def group_buy_outcomes(events: pd.DataFrame, customers: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per group buy: its buyers, and those who bought a product again (outside that group buy) within
    REPEAT_WINDOW_DAYS after its first day."""
    columns = ["group_buy_code", "branch_id", "first_day", "product", "buyers", "repeat_buyers", "window_days",
               "window_complete"]
    if events.empty:
        return pd.DataFrame(columns=columns)
    bought = events[events["group_buy_code"] != ""]
    if bought.empty:
        return pd.DataFrame(columns=columns)
    home = customers.set_index("customer_id")["branch_id"]
    buys = bought.groupby("group_buy_code").agg(first_day=("event_date", "min"), product=("product", "first"),
                                                buyers=("customer_id", "nunique")).reset_index()
    buys["branch_id"] = bought.groupby("group_buy_code")["customer_id"].first().map(home).reindex(
        buys["group_buy_code"]).to_numpy()
    pairs = bought[["group_buy_code", "customer_id"]].drop_duplicates().merge(buys[["group_buy_code", "first_day"]])
    sales = events[events["product"].isin(SOLD)][["customer_id", "event_date", "group_buy_code"]]
    joined = pairs.merge(sales.rename(columns={"group_buy_code": "code_then"}), on="customer_id")
    again = joined[(joined["event_date"] > joined["first_day"])
                   & (joined["event_date"] <= joined["first_day"] + pd.Timedelta(days=REPEAT_WINDOW_DAYS))
                   & (joined["code_then"] != joined["group_buy_code"])]
    repeaters = again.groupby("group_buy_code")["customer_id"].nunique()
    buys["repeat_buyers"] = buys["group_buy_code"].map(repeaters).fillna(0).astype(int)
    buys["window_days"] = REPEAT_WINDOW_DAYS
    buys["window_complete"] = buys["first_day"] + pd.Timedelta(days=REPEAT_WINDOW_DAYS) <= pd.Timestamp(as_of)
    buys["first_day"] = buys["first_day"].dt.date
    buys = buys.dropna(subset=["branch_id"])
    buys["branch_id"] = buys["branch_id"].astype(int)
    return buys[columns]


def customer_signals(activity: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The warnings: rhythm broken (stopped coming) and falling balances; priority is what is at stake."""
    columns = ["customer_id", "kind", "branch_id", "staff_id", "as_of", "days_since", "usual_gap_days",
               "balance_before", "balance_change", "priority"]
    if activity.empty:
        return pd.DataFrame(columns=columns)
    held = activity["deposit_balance"].astype(float) + activity["wealth_balance"].astype(float)
    since = (pd.Timestamp(as_of) - pd.to_datetime(activity["last_event"])).dt.days
    broken = activity[rhythm_broken(activity, as_of)]
    rhythm_rows = pd.DataFrame({
        "customer_id": broken["customer_id"], "kind": "rhythm", "branch_id": broken["branch_id"],
        "staff_id": broken["staff_id"], "as_of": as_of, "days_since": since[broken.index].astype("Int64"),
        "usual_gap_days": broken["usual_gap_days"], "balance_before": np.nan, "balance_change": np.nan,
        "priority": held[broken.index]})
    falling = activity[balance_falling(activity["deposit_balance"].astype(float), activity["net_flow_recent"])]
    balance_rows = pd.DataFrame({
        "customer_id": falling["customer_id"], "kind": "balance", "branch_id": falling["branch_id"],
        "staff_id": falling["staff_id"], "as_of": as_of, "days_since": pd.array([pd.NA] * len(falling), dtype="Int64"),
        "usual_gap_days": np.nan,
        "balance_before": falling["deposit_balance"].astype(float) - falling["net_flow_recent"],
        "balance_change": falling["net_flow_recent"], "priority": -falling["net_flow_recent"]})
    frame = pd.concat([rhythm_rows, balance_rows], ignore_index=True)
    frame["staff_id"] = frame["staff_id"].astype("Int64")
    frame["days_since"] = frame["days_since"].astype("Int64")
    return frame[columns]

