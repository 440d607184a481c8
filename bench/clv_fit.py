"""Lifetime-value fit time at bank scale on a synthetic BG/NBD history (issue 18: < 10 minutes at 1M customers):
the pure steps of `manage.py clv` (summary, calibration fit, final fit, 12-month scores), without the database.

    python -m bench.clv_fit --customers 10000,100000,1000000
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from models import clv
from models.clv_scoring import holdout_start
from sample_data.clv_synthetic import synthetic_events

START, END = date(2023, 12, 1), date(2026, 11, 30)


def measure(customers: int) -> dict[str, float]:
    times: dict[str, float] = {}
    started = time.perf_counter()
    events = synthetic_events(customers, START, END)
    times["simulate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    deciles = clv.calibrate(events, holdout_start(END), END)
    times["calibrate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    summary = clv.summarise(events, END)
    times["summary_s"] = time.perf_counter() - started
    started = time.perf_counter()
    fitted = clv.fit(summary, END)
    times["fit_s"] = time.perf_counter() - started
    started = time.perf_counter()
    clv.score(fitted)
    times["score_s"] = time.perf_counter() - started
    times["events"] = len(events)
    times.update({f"calibration_{k}": v for k, v in clv.calibration_error(deciles).items()})
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", default="10000,100000", help="comma-separated sizes")
    args = parser.parse_args()
    for size in (int(n) for n in args.customers.split(",")):
        result = measure(size)
        print(f"{size:>9,} customers, {int(result.pop('events')):,} transaction days: "
              + ", ".join(f"{k}={v:.1f}" if k.endswith("_s") else f"{k}={v:+.1%}" for k, v in result.items()),
              flush=True)


if __name__ == "__main__":
    main()
