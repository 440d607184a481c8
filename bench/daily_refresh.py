"""The daily refresh at bank scale: one new day after the last one for EVERY branch (the daily sync's work:
follower days, group days, membership joins and leaves, referral events), written through the importers'
write path (`refresh_for_rows`, one call per kind as the sync's imports make them) and timed per rollup step.
Target: the whole day refreshed in < DAILY_REFRESH_TARGET_S at the large scale (1,000 branches), no rollup
rebuilt bank-wide for one day's rows.

    python -m bench.daily_refresh --database-url sqlite:///data/medium.db
    python -m bench.daily_refresh --database-url postgresql+psycopg://postgres@127.0.0.1:5432/dailyrefresh_medium

Everything runs in one transaction that is rolled back (`--keep` commits), then every table is VACUUMed on
PostgreSQL, as the daily sync does after a run that wrote rows: the database is left as it was (no dead row
versions piling up run after run, which slowed the pages of later runs) and the run can be repeated. The new
day is drawn from each branch's last four weeks (a day like its recent ones, with the seed's public-holiday
factor); the large scale is extrapolated from the measured cost per branch, linearly (the printed growth factor
between two scales says how fair that is).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, func, select, update
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.db import make_engine  # noqa: E402
from models.followers import FollowerDaily  # noqa: E402
from models.groups import GroupDaily, GroupMembership  # noqa: E402
from models.org import Branch  # noqa: E402
from models.referrals import ReferralEvent  # noqa: E402
from models.refresh import refresh_for_rows  # noqa: E402
from models.store.bulk import bulk_insert  # noqa: E402
from models.store.frames import read_frame  # noqa: E402
from models.store.maintenance import vacuum_after_sync  # noqa: E402
from sample_data.followers import holiday_factor  # noqa: E402

DAILY_REFRESH_TARGET_S = 60.0
LARGE_BRANCHES = 1_000
RECENT_DAYS = 28
RESULTS = ROOT / "bench" / "results"
_STEP = re.compile(r"rollup (?P<name>[^:]+): (?P<rows>[\d,]+)\D.* in (?P<seconds>[\d.]+)s")


def last_day(session: Session) -> date:
    days = [session.execute(select(func.max(t.day))).scalar() for t in (FollowerDaily, GroupDaily, ReferralEvent)]
    days = [pd.Timestamp(d).date() for d in days if d is not None]
    if not days:
        raise SystemExit("no follower, group or referral days: seed the database first")
    return max(days)


def _recent(session: Session, table, new_day: date) -> pd.DataFrame:
    frame = read_frame(session, select(table).where(table.day > new_day - timedelta(days=RECENT_DAYS + 1)))
    frame["day"] = pd.to_datetime(frame["day"])
    return frame


def new_follower_days(session: Session, rng: np.random.Generator, new_day: date) -> pd.DataFrame:
    """One row per account: follows and unfollows drawn around the account's recent daily mean."""
    recent = _recent(session, FollowerDaily, new_day).sort_values(["account_id", "day"])
    if recent.empty:
        return recent
    per_account = recent.groupby("account_id").agg(branch_id=("branch_id", "last"), cumulative=("cumulative", "last"),
                                                   new_mean=("new_follows", "mean"), off_mean=("unfollows", "mean"))
    factor = holiday_factor(pd.DatetimeIndex([new_day]))[0]
    new = rng.poisson(per_account["new_mean"].to_numpy() * factor)
    off = np.minimum(rng.poisson(per_account["off_mean"].to_numpy()), per_account["cumulative"].to_numpy() + new)
    return pd.DataFrame({"account_id": per_account.index, "branch_id": per_account["branch_id"].to_numpy(),
                         "day": new_day, "new_follows": new, "unfollows": off, "net_follows": new - off,
                         "cumulative": per_account["cumulative"].to_numpy() + new - off})


def membership_moves(session: Session, rng: np.random.Generator, new_day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(new stays, stays that end on the new day): per group, as many joins and leaves as its recent daily mean
    (drawn), joiners from its branch's customers not in the group."""
    recent = _recent(session, GroupDaily, new_day)
    stays = read_frame(session, select(GroupMembership.id, GroupMembership.group_id, GroupMembership.customer_id,
                                       GroupMembership.branch_id, GroupMembership.joined_on, GroupMembership.left_on))
    if recent.empty or stays.empty:
        return stays.iloc[0:0], stays.iloc[0:0]
    rates = recent.groupby("group_id").agg(branch_id=("branch_id", "last"), joins=("joins", "mean"),
                                           leaves=("leaves", "mean"))
    open_stays = stays[stays["left_on"].isna()]
    customers_of = stays.groupby("branch_id")["customer_id"].unique()
    members_of = open_stays.groupby("group_id")["customer_id"].apply(set)
    open_by_group = open_stays.groupby("group_id")["id"].apply(np.asarray)
    joins, leaving = [], []
    for group_id, branch_id, join_rate, leave_rate in rates.itertuples():
        pool = customers_of.get(branch_id)
        inside = members_of.get(group_id, set())
        count = rng.poisson(join_rate)
        if count and pool is not None:
            candidates = [c for c in pool if c not in inside]
            for customer_id in rng.choice(candidates, size=min(count, len(candidates)), replace=False):
                joins.append({"group_id": int(group_id), "customer_id": int(customer_id), "branch_id": int(branch_id),
                              "joined_on": new_day, "left_on": None, "role": "member", "brought_in": False,
                              "messages": 0})
        ids = open_by_group.get(group_id)
        count = rng.poisson(leave_rate)
        if count and ids is not None and len(ids):
            leaving.extend(int(i) for i in rng.choice(ids, size=min(count, len(ids)), replace=False))
    left = stays[stays["id"].isin(leaving)].assign(left_on=new_day)
    return pd.DataFrame(joins), left


def new_group_days(session: Session, rng: np.random.Generator, new_day: date, joins: pd.DataFrame,
                   left: pd.DataFrame) -> pd.DataFrame:
    """One row per group with a recent day: the activity of one of its recent days (drawn), the members moved
    by the day's joins and leaves."""
    recent = _recent(session, GroupDaily, new_day)
    if recent.empty:
        return recent
    latest = recent.sort_values("day").groupby("group_id").tail(1).set_index("group_id")
    picked = recent.groupby("group_id").sample(n=1, random_state=rng).set_index("group_id").reindex(latest.index)
    joined = joins.groupby("group_id").size() if not joins.empty else pd.Series(dtype=int)
    gone = left.groupby("group_id").size() if not left.empty else pd.Series(dtype=int)
    day = picked.drop(columns=["id"]).assign(day=new_day, branch_id=latest["branch_id"])
    day["joins"] = joined.reindex(day.index).fillna(0).astype(int)
    day["leaves"] = gone.reindex(day.index).fillna(0).astype(int)
    day["members"] = (latest["members"] + day["joins"] - day["leaves"]).clip(lower=0)
    day["active_members"] = np.minimum(day["active_members"], day["members"])
    return day.reset_index()


def new_referral_events(session: Session, rng: np.random.Generator, new_day: date) -> pd.DataFrame:
    """Per branch, as many events as its recent daily mean (drawn), each a copy of one of its recent events
    (stage, code, customer, product mix) moved to the new day, not reversed."""
    recent = _recent(session, ReferralEvent, new_day)
    if recent.empty:
        return recent
    per_branch = recent.groupby("branch_id")
    counts = rng.poisson(per_branch.size() / RECENT_DAYS)
    picked = [group.sample(n=int(n), replace=True, random_state=rng)
              for (_, group), n in zip(per_branch, counts, strict=True) if n]
    if not picked:
        return recent.iloc[0:0]
    events = pd.concat(picked, ignore_index=True).drop(columns=["id"])
    stamp = new_day.strftime("%Y%m%d")
    events["event_ref"] = [f"daily-{stamp}-{i:07d}" for i in range(len(events))]
    events["day"] = new_day
    events["reversed_on"] = None
    for column in ("campaign_id", "customer_id"):  # nullable ids read back as floats: whole numbers again
        events[column] = events[column].astype("Int64")
    return events


def _timed(label: str, steps: list[dict], action) -> float:
    """Run `action(progress)`; each step's seconds are the time since the previous step reported (finer than
    the one decimal the messages carry)."""
    started = last = time.perf_counter()

    def progress(message: str) -> None:
        nonlocal last
        now = time.perf_counter()
        found = _STEP.search(message)
        if found:
            steps.append({"refresh": label, "step": found["name"].strip(), "rows": int(found["rows"].replace(",", "")),
                          "seconds": now - last})
        last = now

    action(progress)
    return time.perf_counter() - started


def generate_day(session: Session, rng: np.random.Generator, new_day: date) -> dict[str, pd.DataFrame]:
    """The new day's rows for every branch: follower days, new and ended stays, group days, referral events."""
    joins, left = membership_moves(session, rng, new_day)
    return {"follower days": new_follower_days(session, rng, new_day), "membership joins": joins,
            "membership leaves": left, "group days": new_group_days(session, rng, new_day, joins, left),
            "referral events": new_referral_events(session, rng, new_day)}


def write_day(session: Session, day: dict[str, pd.DataFrame], new_day: date, steps: list[dict] | None = None
              ) -> dict[str, float]:
    """Write the day as the daily sync's imports do, each kind then its `refresh_for_rows` in the session's
    transaction; seconds per write and per refresh (each rollup step's into `steps`)."""
    steps = [] if steps is None else steps
    conn = session.connection()
    refreshes: dict[str, float] = {}

    def write_new(table, frame: pd.DataFrame, label: str) -> None:
        if frame.empty:
            return
        started = time.perf_counter()
        bulk_insert(conn, table.__table__, frame[[k for k in frame.columns if k in table.__table__.c]])
        refreshes[f"{label} (write)"] = time.perf_counter() - started
        refreshes[label] = _timed(label, steps, lambda progress: refresh_for_rows(
            session, table.__table__, frame.assign(_new=True), progress=progress))

    write_new(FollowerDaily, day["follower days"], "followers")
    write_new(GroupDaily, day["group days"], "group days")
    # The membership sync hands its new and ended stays over as one import: one write, one refresh.
    joins, left = day["membership joins"], day["membership leaves"]
    started = time.perf_counter()
    if not joins.empty:
        bulk_insert(conn, GroupMembership.__table__, joins)
    if not left.empty:
        table = GroupMembership.__table__
        conn.execute(update(table).where(table.c.id == bindparam("_id")).values(left_on=bindparam("left_on")),
                     [{"_id": int(i), "left_on": new_day} for i in left["id"]])
    refreshes["memberships (write)"] = time.perf_counter() - started
    columns = ["branch_id", "group_id", "joined_on", "left_on", "_new"]
    stays = pd.concat([joins.assign(_new=True).reindex(columns=columns),
                       left.assign(_new=False, left_on__before=None).reindex(columns=[*columns, "left_on__before"])],
                      ignore_index=True)
    if not stays.empty:
        refreshes["memberships"] = _timed("memberships", steps, lambda progress: refresh_for_rows(
            session, GroupMembership.__table__, stays, progress=progress))
    write_new(ReferralEvent, day["referral events"], "referral events")
    return refreshes


def run(url: str, seed: int = 1, keep: bool = False) -> dict:
    """Generate, write and refresh one new day in one transaction; figures per refresh and per rollup step."""
    engine = make_engine(url)
    rng = np.random.default_rng(seed)
    result: dict = {"url": url.split("@")[-1], "backend": engine.dialect.name}
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn)
        try:
            result["branches"] = int(session.execute(select(func.count()).select_from(Branch)).scalar_one())
            new_day = last_day(session) + timedelta(days=1)
            result["day"] = new_day.isoformat()
            started = time.perf_counter()
            day = generate_day(session, rng, new_day)
            result["generate_s"] = time.perf_counter() - started
            result["rows"] = {kind: len(frame) for kind, frame in day.items()}
            result["touched_branches"] = len(set().union(*(set(f["branch_id"]) for f in day.values() if len(f))))
            steps: list[dict] = []
            result["refreshes_s"] = write_day(session, day, new_day, steps)
            result["steps"] = steps
            result["total_s"] = sum(result["refreshes_s"].values())
        finally:
            session.close()
            if keep:
                outer.commit()
            else:
                outer.rollback()
    result["vacuum_s"] = vacuum_after_sync(engine)  # None on SQLite
    engine.dispose()
    per_branch = result["total_s"] / max(result["branches"], 1)
    result["per_branch_s"] = per_branch
    result["extrapolated_large_s"] = per_branch * LARGE_BRANCHES
    result["target_s"] = DAILY_REFRESH_TARGET_S
    result["verdict"] = "met" if result["extrapolated_large_s"] < DAILY_REFRESH_TARGET_S else "MISSED"
    return result


def report(result: dict) -> str:
    lines = [f"daily refresh on {result['backend']} ({result['branches']} branches, new day {result['day']}): "
             + ", ".join(f"{n:,} {k}" for k, n in result["rows"].items())
             + f"; generated in {result['generate_s']:.1f}s"]
    for step in sorted(result["steps"], key=lambda s: -s["seconds"]):
        lines.append(f"  {step['refresh']:<18} {step['step']:<32} {step['rows']:>10,} rows {step['seconds']:>7.2f}s")
    for label, seconds in result["refreshes_s"].items():
        lines.append(f"  {label:<51} {seconds:>18.2f}s")
    lines.append(f"  total {result['total_s']:.1f}s for {result['branches']} branches = {result['per_branch_s'] * 1000:.0f} ms "
                 f"per branch -> {result['extrapolated_large_s']:.0f}s extrapolated linearly to {LARGE_BRANCHES:,} "
                 f"branches (target < {DAILY_REFRESH_TARGET_S:.0f}s: {result['verdict']})")
    if result.get("vacuum_s") is not None:
        lines.append(f"  then VACUUM of every table, as the sync does after it: {result['vacuum_s']:.1f}s")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.daily_refresh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seed", type=int, default=1, help="draws of the new day")
    parser.add_argument("--keep", action="store_true", help="commit the new day instead of rolling it back")
    parser.add_argument("--out", help="JSON path (default: bench/results/daily-refresh-<timestamp>.json)")
    args = parser.parse_args(argv)
    load = os.getloadavg()
    result = run(args.database_url, args.seed, args.keep)
    result["load_average_at_start"] = load
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(report(result))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = Path(args.out) if args.out else RESULTS / f"daily-refresh-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
