"""A deterministic event history drawn from the BG/NBD and Gamma-Gamma processes themselves, for the CLV
calibration test and the fit-time bench: if the library fits and predicts correctly, its holdout prediction
must come close to what the process then did (the demo bank's product events test the plumbing, this the model).

Per customer: a purchase rate lambda ~ Gamma(r, alpha) per day and a drop-out probability p ~ Beta(a, b); after
each transaction the customer leaves with probability p, else waits Exponential(lambda) days for the next.
Each transaction's margin is Gamma(p_gg, nu) with nu ~ Gamma(q, gamma) per customer.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

BG_NBD = {"r": 0.6, "alpha": 40.0, "a": 0.8, "b": 4.0}
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 15.0}


def synthetic_events(customers: int, start: date, end: date, seed: int = 18, first_id: int = 1) -> pd.DataFrame:
    """Events (customer_id, event_date, margin), at most one per customer and day, from `start` to `end`; each customer's first transaction is
    uniform over the first two thirds of the span, so every customer has some history before a late cut-off."""
    rng = np.random.default_rng(seed)
    span = (end - start).days
    ids = np.arange(first_id, first_id + customers)
    rate = rng.gamma(BG_NBD["r"], 1.0 / BG_NBD["alpha"], customers)
    drop = rng.beta(BG_NBD["a"], BG_NBD["b"], customers)
    nu = rng.gamma(GAMMA_GAMMA["q"], 1.0 / GAMMA_GAMMA["gamma"], customers)
    clock = rng.integers(0, max(span * 2 // 3, 1), customers).astype("float64")
    who, when = [ids], [clock.copy()]
    active = rng.random(customers) >= drop  # BG/NBD: a customer may leave right after the first transaction
    while active.any():
        index = np.flatnonzero(active)
        clock[index] += rng.exponential(1.0 / rate[index])
        alive = clock[index] <= span
        active[index[~alive]] = False
        index = index[alive]
        who.append(ids[index])
        when.append(clock[index].copy())
        leaves = rng.random(index.size) < drop[index]
        active[index[leaves]] = False
    customer = np.concatenate(who)
    offset = np.floor(np.concatenate(when)).astype("int64")
    position = customer - first_id
    margin = rng.gamma(GAMMA_GAMMA["p"], 1.0 / nu[position])
    frame = pd.DataFrame({"customer_id": customer, "offset": offset, "margin": margin.round(2)})
    frame["event_date"] = pd.Timestamp(start) + pd.to_timedelta(frame.pop("offset"), unit="D")
    frame["event_date"] = frame["event_date"].dt.date
    # two transactions on one day are one visit (as models.clv counts them, and one product event a day)
    return frame.groupby(["customer_id", "event_date"], as_index=False, sort=True)["margin"].sum()

