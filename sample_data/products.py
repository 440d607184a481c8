"""Two years of product events per customer, telling the stories a president recognises: most customers
keep their rhythm, some stop coming, the young of one village per county area drift away, balances fall
at a few, a group buy at each branch is followed (or not) by repeat purchases, and at a few branches a
product stops selling. Vectorised over all customers (one pass of numpy), so the large scale stays fast."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.customers import Customer, CustomerKind, Occupation, Village
from models.org import BranchKind
from models.products import SOLD_PRODUCTS, Product, ProductEvent
from sample_data.context import GenContext

HISTORY_DAYS = 730
ACTIVE_DAYS_PER_MONTH = 0.5  # median active days a month (deposits, withdrawals and purchases together)
STOP_SHARE = 0.07  # customers who stop coming at some point in the two years
FALLING_SHARE = 0.04  # customers whose deposits fall in the last 90 days
DRIFT_YOUNG_AGE = 40  # in a drifting village, customers under this age fade over the last year
GROUP_BUYS_PER_BRANCH = 2
GROUP_BUY_REPEAT = (0.35, 0.05)  # share of buyers who buy again: a group buy that worked, one that did not
REPEAT_WINDOW = 90
STOPPED_PRODUCT_EVERY = 6  # one branch in this many has a product that stopped selling 130 days ago
STOPPED_DAYS = 130

# Share of active days that are each product, for customers below / at or above the affluent tier.
PRODUCT_ORDER = [p.value for p in Product]
MIX_MASS = np.array([0.46, 0.34, 0.03, 0.03, 0.05, 0.04, 0.02, 0.03])
MIX_AFFLUENT = np.array([0.40, 0.30, 0.10, 0.05, 0.03, 0.05, 0.05, 0.02])
# The bank's margin per yuan of each product (deposits: a year's spread on a typical stay; sales: fees).
MARGIN_RATE = {"deposit": 0.006, "withdrawal": 0.0, "wealth": 0.005, "precious_metal": 0.03, "credit_card": 0.012,
               "insurance": 0.06, "fund": 0.012, "loan": 0.025}
TYPICAL_AMOUNT = {"wealth": 50_000, "precious_metal": 8_000, "credit_card": 3_000, "insurance": 6_000,
                  "fund": 20_000, "loan": 80_000}


def generate_product_events(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("product events")
    customers = ctx.frames[Customer.__tablename__]
    holders = customers[~customers["is_prospect"]].reset_index(drop=True)
    end = pd.Timestamp(ctx.end)
    start = end - pd.Timedelta(days=HISTORY_DAYS - 1)
    count = len(holders)

    opened = pd.to_datetime(holders["opened_on"]).to_numpy("datetime64[D]")
    first_day = np.maximum(opened, start.to_datetime64().astype("datetime64[D]"))
    first = (first_day - start.to_datetime64().astype("datetime64[D]")).astype(int)  # day offset from start
    last = np.full(count, HISTORY_DAYS - 1)
    stops = rng.random(count) < STOP_SHARE
    stop_at = first + (rng.random(count) * (HISTORY_DAYS - first)).astype(int)
    last = np.where(stops, np.maximum(first, stop_at), last)

    rate = ACTIVE_DAYS_PER_MONTH * rng.lognormal(0, 0.6, count)
    rate = np.where(holders["occupation"].isin([Occupation.BUSINESS_OWNER.value, Occupation.ENTERPRISE.value]), rate * 2.5, rate)
    span = last - first + 1
    per_customer = rng.poisson(rate * span / 30.4)
    owner = np.repeat(np.arange(count), per_customer)
    offset = first[owner] + (rng.random(len(owner)) * span[owner]).astype(int)

    # Drifting villages: in one county village out of three, the under-40s fade over the last year.
    age = ctx.end.year - holders["birth_year"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    drifting = _drifting_villages(ctx, rng)
    young_drift = holders["village_id"].isin(drifting).to_numpy() & (age < DRIFT_YOUNG_AGE)
    fade_from = HISTORY_DAYS - 365
    keep_chance = np.where(young_drift[owner] & (offset > fade_from),
                           1.0 - 0.85 * (offset - fade_from) / 365, 1.0)
    kept = rng.random(len(owner)) < keep_chance
    owner, offset = owner[kept], offset[kept]

    affluent = holders["asset_tier"].isin(["affluent", "wealth", "private"]).to_numpy()
    draw = rng.random(len(owner))
    product = np.empty(len(owner), dtype=np.int8)
    for flag, mix in ((True, MIX_AFFLUENT), (False, MIX_MASS)):  # no events x products matrix at the large scale
        chosen = affluent[owner] == flag
        product[chosen] = np.minimum(np.searchsorted(np.cumsum(mix), draw[chosen]), len(PRODUCT_ORDER) - 1)
    balance = np.maximum(holders["deposit_balance"].to_numpy(float), 2_000)
    typical = np.array([TYPICAL_AMOUNT.get(p, 0.0) for p in PRODUCT_ORDER])
    amount = np.where(product <= 1, balance[owner] * rng.uniform(0.03, 0.25, len(owner)),
                      typical[product] * rng.lognormal(0, 0.5, len(owner)))
    events = pd.DataFrame({"row": owner, "offset": offset, "product": product, "amount": amount, "group_buy": 0})

    # The stories' extra rows (small) name products and group buys in words: coded like the rest.
    extra = pd.concat([_falling_balances(rng, holders, balance).assign(group_buy_code=""),
                       _group_buys(ctx, rng, holders)], ignore_index=True)
    codes = ["", *sorted(set(extra["group_buy_code"]) - {""})]
    extra["product"] = extra["product"].map({p: i for i, p in enumerate(PRODUCT_ORDER)}).astype(np.int8)
    extra["group_buy"] = extra.pop("group_buy_code").map({c: i for i, c in enumerate(codes)})
    events = _stopped_products(holders, pd.concat([events, extra], ignore_index=True))

    events["amount"] = events["amount"].round(-1).clip(lower=10.0)
    events["margin"] = (events["amount"] * np.array([MARGIN_RATE[p] for p in PRODUCT_ORDER])[events["product"]]).round(2)
    events = (events.groupby(["row", "offset", "product"], sort=True)
              .agg(amount=("amount", "sum"), margin=("margin", "sum"), group_buy=("group_buy", "max"))
              .reset_index())
    rows = holders.iloc[events["row"].to_numpy()]
    days = np.array([(start + pd.Timedelta(days=i)).date() for i in range(HISTORY_DAYS)], dtype=object)
    frame = pd.DataFrame({
        "id": np.arange(1, len(events) + 1),
        "customer_id": rows["id"].to_numpy(),
        "branch_id": rows["branch_id"].to_numpy(),
        "staff_id": rows["staff_id"].to_numpy(),
        "event_date": days[events["offset"].to_numpy()],
        "product": pd.Categorical.from_codes(events["product"].to_numpy(), PRODUCT_ORDER),
        "amount": events["amount"].to_numpy(),
        "margin": events["margin"].to_numpy(),
        "group_buy_code": pd.Categorical.from_codes(events["group_buy"].to_numpy(), codes),
    })
    frame["staff_id"] = frame["staff_id"].astype("Int64")
    return {ProductEvent.__tablename__: frame}


def _drifting_villages(ctx: GenContext, rng: np.random.Generator) -> np.ndarray:
    villages = ctx.frames[Village.__tablename__]
    kinds = ctx.frames["branch"].set_index("id")["kind"]
    county = villages[villages["branch_id"].map(kinds) == BranchKind.COUNTY.value]
    first_of_branch = county.groupby("branch_id")["id"].min()
    chosen = first_of_branch[np.arange(len(first_of_branch)) % 3 == 0]
    return chosen.to_numpy()


def _falling_balances(rng: np.random.Generator, holders: pd.DataFrame, balance: np.ndarray) -> pd.DataFrame:
    """A few customers take out 40-100% of what they hold now in the last 90 days (money moving elsewhere)."""
    personal = (holders["kind"] == CustomerKind.PERSONAL.value).to_numpy()
    chosen = np.flatnonzero(personal & (rng.random(len(holders)) < FALLING_SHARE) & (balance >= 20_000))
    pieces = rng.integers(1, 4, len(chosen))
    row = np.repeat(chosen, pieces)
    total = balance[chosen] * rng.uniform(0.4, 1.0, len(chosen))
    return pd.DataFrame({"row": row, "offset": HISTORY_DAYS - 1 - rng.integers(0, 85, len(row)),
                         "product": Product.WITHDRAWAL.value, "amount": np.repeat(total / pieces, pieces),
                         "group_buy_code": ""})


def _group_buys(ctx: GenContext, rng: np.random.Generator, holders: pd.DataFrame) -> pd.DataFrame:
    """Per branch, group buys (gold for the Spring Festival, a wealth product) bought by 15-40 customers; a
    share of the buyers buy again within 90 days: the first group buy of a branch worked, the second less."""
    parts = []
    by_branch = holders.groupby("branch_id").indices
    for branch_id, rows in sorted(by_branch.items()):
        for n in range(GROUP_BUYS_PER_BRANCH):
            product = (Product.PRECIOUS_METAL, Product.WEALTH)[n % 2].value
            day = int(rng.integers(120, HISTORY_DAYS - 200)) if n == 0 else int(rng.integers(HISTORY_DAYS - 190, HISTORY_DAYS - 95))
            buyers = rng.choice(rows, size=min(len(rows), int(rng.integers(15, 41))), replace=False)
            code = f"GB{int(branch_id):04d}{n + 1:02d}"
            parts.append(pd.DataFrame({"row": buyers, "offset": day, "product": product,
                                       "amount": TYPICAL_AMOUNT[product] * rng.lognormal(0, 0.4, len(buyers)),
                                       "group_buy_code": code}))
            again = buyers[rng.random(len(buyers)) < GROUP_BUY_REPEAT[n % 2]]
            repeat_products = np.array([p.value for p in SOLD_PRODUCTS if p != Product.LOAN])
            chosen = repeat_products[rng.integers(0, len(repeat_products), len(again))]
            parts.append(pd.DataFrame({"row": again, "offset": day + rng.integers(7, REPEAT_WINDOW, len(again)),
                                       "product": chosen,
                                       "amount": np.vectorize(TYPICAL_AMOUNT.get, otypes=[float])(chosen, 0.0),
                                       "group_buy_code": ""}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def _stopped_products(holders: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """At one branch in STOPPED_PRODUCT_EVERY, insurance (or funds) stopped selling STOPPED_DAYS ago."""
    branch_ids = np.sort(holders["branch_id"].unique())
    stopped = {int(b): PRODUCT_ORDER.index((Product.INSURANCE if i % 2 == 0 else Product.FUND).value)
               for i, b in enumerate(branch_ids[::STOPPED_PRODUCT_EVERY])}
    branch_of_event = holders["branch_id"].to_numpy()[events["row"].to_numpy()]
    stopped_product = pd.Series(branch_of_event).map(stopped).fillna(-1).to_numpy()
    drop = (events["product"].to_numpy() == stopped_product) & (events["offset"].to_numpy() > HISTORY_DAYS - STOPPED_DAYS)
    return events[~drop]

