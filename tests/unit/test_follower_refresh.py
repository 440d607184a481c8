"""The follower branch rows rebuilt from a day on, from the stored rows before it (the drop signal's last rows and
the running totals and flagged run of the row before), equal those of a rebuild over each branch's history."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.measures.followers import drop_days
from models.refresh.followers import _CARRIED, SIGNAL_ROWS, _follower_branch_days


def _history() -> pd.DataFrame:
    """Three branches: one losing followers for 60 days up to and past the rebuilt day (a flagged run longer
    than the rows the signal reads), one with gaps and a short history, one noisy (runs that start and stop)."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2026-06-01", periods=150, freq="D")
    frames = []
    falling = np.where(np.arange(150) < 85, rng.integers(5, 15, 150), -rng.integers(1, 6, 150))
    frames.append(pd.DataFrame({"branch_id": 1, "day": days, "new_follows": np.maximum(falling, 0) + 2,
                                "unfollows": np.maximum(-falling, 0) + 2}))
    sparse = days[100::2]
    frames.append(pd.DataFrame({"branch_id": 2, "day": sparse, "new_follows": rng.integers(0, 8, len(sparse)),
                                "unfollows": rng.integers(0, 8, len(sparse))}))
    frames.append(pd.DataFrame({"branch_id": 3, "day": days, "new_follows": rng.integers(0, 12, 150),
                                "unfollows": rng.integers(0, 10, 150)}))
    frame = pd.concat(frames, ignore_index=True)
    frame["net_follows"] = frame["new_follows"] - frame["unfollows"]
    frame["cumulative"] = frame.groupby("branch_id")["net_follows"].cumsum() + 1_000
    return frame.astype({c: "int64" for c in ("new_follows", "unfollows", "net_follows", "cumulative")})


def test_rows_from_a_day_carried_on_from_the_stored_rows_equal_a_rebuild_over_the_history():
    frame = _history()
    start = pd.Timestamp("2026-10-19")  # day 141 of 150: branch 1 flagged since day ~90
    whole = _follower_branch_days(frame, drop_days, None)
    expected = whole[whole["day"] >= start].reset_index(drop=True)
    stored = whole[whole["day"] < start]
    carry = stored.groupby("branch_id").tail(1)[["branch_id", *_CARRIED]]
    assert carry.set_index("branch_id").loc[1, "flagged"] and carry.set_index("branch_id").loc[1, "run_days"] > SIGNAL_ROWS
    context = frame[frame["day"] < start].groupby("branch_id").tail(SIGNAL_ROWS)
    assert len(context[context["branch_id"] == 2]) < SIGNAL_ROWS  # a branch with fewer rows than the signal reads
    rebuilt = _follower_branch_days(pd.concat([context, frame[frame["day"] >= start]], ignore_index=True), drop_days,
                                    start.date(), carry)
    assert expected["flagged"].any() and (~expected["flagged"]).any()
    pd.testing.assert_frame_equal(rebuilt, expected, check_dtype=False)
