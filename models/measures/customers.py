"""Customer measures, pure functions over frames: each customer's rhythm from their active days, the
life-cycle stage rules, age bands, and the warning-signal rules. The rollup refresh stores what these
return; the customers page shows the same rules in words (`STAGE_RULES`)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from models.products import SOLD_PRODUCTS

RECENT_DAYS = 180  # "recent" activity: active days in the last 180 days, against the 180 days before them
FLOW_DAYS = 90  # deposits minus withdrawals over the last 90 days: the falling-balance window
YEAR_DAYS = 365
NEW_DAYS = 180  # a customer whose first business (or account) is this recent is new
DORMANT_DAYS = 180  # no business for this long: dormant
LOST_DAYS = 365  # ... and for this long: lost
RHYTHM_FACTOR = 3.0  # a gap this many times the customer's usual gap breaks their rhythm
MIN_RHYTHM_DAYS = 60  # ... and at least this many days (a weekly customer absent a month is not a worry)
MIN_RHYTHM_EVENTS = 3  # a usual gap needs at least this many active days
GROWTH_FACTOR = 1.5  # recent active days at least this many times the 180 days before (and 3 more): growing
DECLINE_FACTOR = 0.5  # recent active days at most half the 180 days before (which had 3 or more): declining
BALANCE_DROP_SHARE = 0.3  # deposits down by this share of what they were 90 days ago: falling balance
BALANCE_DROP_MIN = 10_000.0  # ... and by at least this many yuan
STOPPED_LOOKBACK_MONTHS = 9  # a product that sold in most of these months ...
STOPPED_MIN_MONTHS = 6
STOPPED_SILENT_MONTHS = 3  # ... and in none of the last three full months stopped selling
REPEAT_WINDOW_DAYS = 90  # a group-buy buyer who buys a product again within this many days repeated

STAGES = ("new", "growing", "mature", "declining", "dormant", "lost")
# The rules in the order they are applied (the first that holds decides); the page shows these words.
STAGE_RULES = (
    ("lost", f"超过{LOST_DAYS}天没有任何业务", f"no business for more than {LOST_DAYS} days"),
    ("dormant", f"超过{DORMANT_DAYS}天没有任何业务", f"no business for more than {DORMANT_DAYS} days"),
    ("new", f"首笔业务（或开户）在最近{NEW_DAYS}天内", f"first business (or account opened) within the last {NEW_DAYS} days"),
    ("declining", f"距上次业务超过平时间隔的{RHYTHM_FACTOR:g}倍（且超过{MIN_RHYTHM_DAYS}天），或最近{RECENT_DAYS}天的业务天数不到之前{RECENT_DAYS}天（至少3天）的一半",
     f"the time since their last business is over {RHYTHM_FACTOR:g}x their usual gap (and over {MIN_RHYTHM_DAYS} days), "
     f"or their active days in the last {RECENT_DAYS} days are at most half of the {RECENT_DAYS} days before (3 or more)"),
    ("growing", f"最近{RECENT_DAYS}天的业务天数至少是之前{RECENT_DAYS}天的1.5倍，且至少多3天",
     f"active days in the last {RECENT_DAYS} days at least 1.5x, and 3 more than, the {RECENT_DAYS} days before"),
    ("mature", "其余有稳定往来的客户", "everyone else: steady business"),
)

AGE_BANDS = ("under_30", "30_44", "45_59", "60_plus", "unknown")
SILVER_BAND = "60_plus"


def age_band(birth_year: pd.Series, as_of: date) -> pd.Series:
    """Age bands at `as_of`'s year; silver-haired is 60 and over. Unknown birth year (companies): "unknown"."""
    age = as_of.year - pd.to_numeric(birth_year, errors="coerce").astype("float64").to_numpy()
    bands = np.select([age < 30, age < 45, age < 60, age >= 60], list(AGE_BANDS[:4]), default="unknown")
    return pd.Series(bands, index=birth_year.index)


def rhythm(events: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per customer from their product events up to `as_of` (columns customer_id, event_date, product,
    amount, margin): first and last active day, active days, usual (median) gap, active days in the last
    RECENT_DAYS and the RECENT_DAYS before, deposits minus withdrawals in the last FLOW_DAYS, product kinds and margin over
    the year. Indexed by customer_id."""
    columns = ["first_event", "last_event", "events", "usual_gap_days", "events_recent", "events_before",
               "net_flow_recent", "products_recent", "margin_year"]
    if events.empty:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="customer_id"))
    day = pd.to_datetime(events["event_date"])
    frame = events.assign(day=day)
    frame = frame[frame["day"] <= pd.Timestamp(as_of)]
    end = pd.Timestamp(as_of)
    days = frame[["customer_id", "day"]].drop_duplicates().sort_values(["customer_id", "day"])
    gaps = days.groupby("customer_id")["day"].diff().dt.days
    stats = days.groupby("customer_id")["day"].agg(first_event="min", last_event="max", events="count")
    counts = days.groupby("customer_id")["day"].count()
    stats["usual_gap_days"] = gaps.groupby(days["customer_id"]).median().where(counts >= MIN_RHYTHM_EVENTS)
    age_days = (end - days["day"]).dt.days
    stats["events_recent"] = (age_days < RECENT_DAYS).groupby(days["customer_id"]).sum()
    stats["events_before"] = ((age_days >= RECENT_DAYS) & (age_days < 2 * RECENT_DAYS)).groupby(days["customer_id"]).sum()
    event_age = (end - frame["day"]).dt.days
    recent = frame[event_age < FLOW_DAYS]
    signed = np.where(recent["product"] == "withdrawal", -recent["amount"],
                      np.where(recent["product"] == "deposit", recent["amount"], 0.0))
    stats["net_flow_recent"] = pd.Series(signed, index=recent.index).groupby(recent["customer_id"]).sum()
    year = frame[event_age < YEAR_DAYS]
    stats["products_recent"] = year.groupby("customer_id")["product"].nunique()
    stats["margin_year"] = year.groupby("customer_id")["margin"].sum()
    stats = stats.fillna({"net_flow_recent": 0.0, "products_recent": 0, "margin_year": 0.0})
    stats["first_event"] = stats["first_event"].dt.date
    stats["last_event"] = stats["last_event"].dt.date
    return stats[columns]


def life_cycle_stage(customers: pd.DataFrame, as_of: date) -> pd.Series:
    """Each customer's stage by `STAGE_RULES` (the first rule that holds), from their rhythm (columns of
    `rhythm`, NaN when they have no events) and `opened_on`."""
    end = pd.Timestamp(as_of)
    last = pd.to_datetime(customers["last_event"])
    opened = pd.to_datetime(customers["opened_on"])
    first = pd.to_datetime(customers["first_event"])
    since = (end - last).dt.days
    began = pd.concat([opened, first], axis=1).min(axis=1)
    known_since = (end - began).dt.days
    recent = customers["events_recent"].fillna(0).astype(float)
    before = customers["events_before"].fillna(0).astype(float)
    gap = customers["usual_gap_days"].astype(float)
    quiet = since.isna()
    lost = (quiet & (known_since > LOST_DAYS)) | (since > LOST_DAYS)
    dormant = (quiet & (known_since > DORMANT_DAYS)) | (since > DORMANT_DAYS)
    new = known_since.fillna(0) <= NEW_DAYS
    broken = (since > RHYTHM_FACTOR * gap) & (since > MIN_RHYTHM_DAYS)
    declining = broken.fillna(False) | ((before >= 3) & (recent <= DECLINE_FACTOR * before))
    growing = (recent >= GROWTH_FACTOR * before) & (recent >= before + 3)
    stage = np.select([lost, dormant, new, declining, growing], ["lost", "dormant", "new", "declining", "growing"],
                      default="mature")
    return pd.Series(stage, index=customers.index)


def rhythm_broken(customers: pd.DataFrame, as_of: date) -> pd.Series:
    """A customer active within DORMANT_DAYS (after that they are dormant: a campaign, not a call) whose time since their last business is beyond RHYTHM_FACTOR times
    their usual gap (and MIN_RHYTHM_DAYS): the "stops coming" warning."""
    since = (pd.Timestamp(as_of) - pd.to_datetime(customers["last_event"])).dt.days
    gap = customers["usual_gap_days"].astype(float)
    return ((since > RHYTHM_FACTOR * gap) & (since > MIN_RHYTHM_DAYS) & (since <= DORMANT_DAYS)).fillna(False)


def balance_falling(balance_now: pd.Series, net_flow_recent: pd.Series) -> pd.Series:
    """Deposits down by BALANCE_DROP_SHARE of what they were FLOW_DAYS ago (balance now minus the net flow)
    and by at least BALANCE_DROP_MIN yuan."""
    before = balance_now - net_flow_recent
    drop = -net_flow_recent
    return (drop >= BALANCE_DROP_MIN) & (drop >= BALANCE_DROP_SHARE * before.where(before > 0))


def quarter_end_before(day: date) -> date:
    """The last day of the quarter before `day`'s quarter."""
    first_month = 3 * ((day.month - 1) // 3) + 1
    return date(day.year, first_month, 1) - timedelta(days=1)


def month_start(day: date) -> date:
    return date(day.year, day.month, 1)


def stopped_products(months: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Products that stopped selling at a branch: sold in at least STOPPED_MIN_MONTHS of the
    STOPPED_LOOKBACK_MONTHS before the last STOPPED_SILENT_MONTHS full months, and in none of those (nor
    this month so far). `months` has branch_id, month (first day), product, events."""
    columns = ["branch_id", "product", "months_sold", "last_month", "events_before"]
    if months.empty:
        return pd.DataFrame(columns=columns)
    this_month = pd.Timestamp(month_start(as_of))
    silent_from = this_month - pd.DateOffset(months=STOPPED_SILENT_MONTHS)
    lookback_from = silent_from - pd.DateOffset(months=STOPPED_LOOKBACK_MONTHS)
    frame = months.assign(month=pd.to_datetime(months["month"]))
    frame = frame[(frame["events"] > 0) & frame["product"].isin([p.value for p in SOLD_PRODUCTS])]
    before = frame[(frame["month"] >= lookback_from) & (frame["month"] < silent_from)]
    after = frame[frame["month"] >= silent_from]
    sold = before.groupby(["branch_id", "product"]).agg(months_sold=("month", "nunique"), last_month=("month", "max"),
                                                         events_before=("events", "sum")).reset_index()
    still = after[["branch_id", "product"]].drop_duplicates().assign(still=True)
    sold = sold.merge(still, on=["branch_id", "product"], how="left")
    stopped = sold[(sold["months_sold"] >= STOPPED_MIN_MONTHS) & sold["still"].isna()]
    stopped = stopped.assign(last_month=stopped["last_month"].dt.date)
    return stopped[columns].reset_index(drop=True)


def repeat_rate(buyers: int, repeat_buyers: int) -> float | None:
    return repeat_buyers / buyers if buyers else None
