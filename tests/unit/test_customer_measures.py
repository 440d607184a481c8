"""The customer rules as pure functions: life-cycle stages in the order the page states them, the rhythm of
active days, the warning signals, age bands and products that stopped selling."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from models.measures.customers import (
    LOST_DAYS,
    STAGE_RULES,
    STAGES,
    age_band,
    balance_falling,
    life_cycle_stage,
    quarter_end_before,
    rhythm,
    rhythm_broken,
    stopped_products,
)

AS_OF = date(2026, 11, 30)


def events(customer_id: int, days_ago: list[int], product: str = "deposit", amount: float = 1000.0) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": customer_id, "event_date": [AS_OF - timedelta(days=d) for d in days_ago],
                         "product": product, "amount": amount, "margin": 1.0})


def customer(days_ago: list[int], opened_days_ago: int = 2000) -> pd.DataFrame:
    stats = rhythm(events(1, days_ago), AS_OF) if days_ago else rhythm(events(1, [])[:0], AS_OF)
    frame = pd.DataFrame({"opened_on": [AS_OF - timedelta(days=opened_days_ago)]}, index=pd.Index([1], name="customer_id"))
    return frame.join(stats)


def stage(days_ago: list[int], opened_days_ago: int = 2000) -> str:
    return life_cycle_stage(customer(days_ago, opened_days_ago), AS_OF).iloc[0]


def test_the_rules_on_the_page_are_the_stages_in_order():
    assert [rule[0] for rule in STAGE_RULES] == ["lost", "dormant", "new", "declining", "growing", "mature"]
    assert set(STAGES) == {rule[0] for rule in STAGE_RULES}


def test_rhythm_counts_active_days_and_the_median_gap():
    frame = pd.concat([events(1, [0, 10, 30, 60]), events(1, [10], "withdrawal", 400.0), events(2, [5])])
    stats = rhythm(frame, AS_OF)
    assert stats.loc[1, "events"] == 4  # day 10 counted once
    assert stats.loc[1, "usual_gap_days"] == 20.0  # gaps 30, 20, 10
    assert np.isnan(stats.loc[2, "usual_gap_days"])  # one active day: no usual gap
    assert stats.loc[1, "net_flow_recent"] == 4000.0 - 400.0
    assert stats.loc[1, "last_event"] == AS_OF


def test_each_stage_by_its_rule():
    steady = list(range(0, 360, 30))
    assert stage(steady) == "mature"
    assert stage([LOST_DAYS + 10, LOST_DAYS + 40]) == "lost"
    assert stage([], opened_days_ago=LOST_DAYS + 5) == "lost"
    assert stage([200, 230, 260]) == "dormant"
    assert stage([5, 20], opened_days_ago=60) == "new"
    assert stage([100, 110, 120, 130, 140]) == "declining"  # 100 days silent, usually every 10
    assert stage([0, 20, 40, 60, 80, 100, 120, 140, 300]) == "growing"  # 8 active days vs 1 before
    assert stage([0, 150, 200, 230, 260, 290, 320]) == "declining"  # 2 recent vs 5 before


def test_rhythm_broken_needs_three_times_the_usual_gap_and_two_months():
    late = customer([70, 90, 110, 130])  # usual 20 days, silent 70 > 60
    on_time = customer([40, 50, 60, 70])  # usual 10, silent 40 (4x, but under 60 days)
    gone = customer([200, 210, 220])  # dormant already: a campaign, not a call
    assert rhythm_broken(late, AS_OF).iloc[0]
    assert not rhythm_broken(on_time, AS_OF).iloc[0]
    assert not rhythm_broken(gone, AS_OF).iloc[0]


def test_balance_falling_needs_a_third_and_ten_thousand():
    now = pd.Series([60_000.0, 60_000.0, 5_000.0])
    flows = pd.Series([-40_000.0, -10_000.0, -6_000.0])
    assert balance_falling(now, flows).tolist() == [True, False, False]


def test_age_bands_put_sixty_and_over_in_silver():
    bands = age_band(pd.Series([1966, 1967, 2000, None], dtype="Int64"), AS_OF)
    assert bands.tolist() == ["60_plus", "45_59", "under_30", "unknown"]


def test_quarter_end_before():
    assert quarter_end_before(date(2026, 11, 30)) == date(2026, 9, 30)
    assert quarter_end_before(date(2026, 1, 1)) == date(2025, 12, 31)


def test_a_product_that_stopped_selling():
    months = pd.date_range("2025-11-01", "2026-11-01", freq="MS").date
    rows = [{"branch_id": 1, "month": m, "product": "insurance", "events": 5} for m in months if m < date(2026, 8, 1)]
    rows += [{"branch_id": 1, "month": m, "product": "fund", "events": 2} for m in months]
    rows += [{"branch_id": 2, "month": m, "product": "insurance", "events": 1} for m in months[:3]]  # never steady
    rows += [{"branch_id": 3, "month": m, "product": "deposit", "events": 9} for m in months[:8]]  # not a sale
    found = stopped_products(pd.DataFrame(rows), AS_OF)
    assert found[["branch_id", "product"]].values.tolist() == [[1, "insurance"]]
    assert found["last_month"].iloc[0] == date(2026, 7, 1)
