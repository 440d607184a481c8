"""The campaign's name-list states per day, village and staff member over a whole season."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import and_, delete, func, select, true
from sqlalchemy.engine import Connection

from models.campaign import CampaignDeposit, MigrantCampaign, NameListEntry, SmsMessage, Visit
from models.measures.campaign import WORKER_FLAGS, worker_flags
from models.refresh.common import window_clause
from models.rollup_tables.campaign import CampaignStaffDaily, CampaignVillageDaily
from models.store.bulk import bulk_insert, indexes_built_after
from models.store.frames import read_frame


def refresh_campaign_lists(conn: Connection, branch_ids, start: date | None, *,
                           from_start_only: bool = False) -> dict[str, int]:
    """Rebuild the village and staff day rows of the given branches for every season whose last day is on
    or after `start` (an event on a day can change the list's state on that day and every later one;
    states are stored from the season's first to its last day). `from_start_only`: rebuild only the days
    from `start` on (a field-work write of one day: the days before it cannot change)."""

    seasons = conn.execute(select(MigrantCampaign.id, MigrantCampaign.spring_festival, MigrantCampaign.start_date,
                                  MigrantCampaign.end_date)
                           .where(true() if start is None else MigrantCampaign.end_date >= start)).all()
    written = {CampaignVillageDaily.__tablename__: 0, CampaignStaffDaily.__tablename__: 0}
    whole = branch_ids is None and start is None
    with indexes_built_after(conn, [CampaignVillageDaily.__table__, CampaignStaffDaily.__table__], whole):
        _write_seasons(conn, seasons, branch_ids, start, from_start_only, written)
    return written


def _write_seasons(conn: Connection, seasons, branch_ids, start: date | None, from_start_only: bool,
                   written: dict[str, int]) -> None:
    for campaign_id, festival, first_day, last_day in seasons:
        if from_start_only and start is not None:
            first_day = max(first_day, start)
        frames = _campaign_list_days(conn, int(campaign_id), branch_ids, festival, first_day, last_day)
        for rollup, key in ((CampaignVillageDaily, "village_id"), (CampaignStaffDaily, "staff_id")):
            table = rollup.__table__
            conn.execute(delete(table).where(table.c.campaign_id == int(campaign_id), window_clause(
                table.c.branch_id, table.c.day, branch_ids, first_day if from_start_only else None, None)))
            frame = frames[key]
            if not frame.empty:
                frame = frame.assign(campaign_id=int(campaign_id), day=pd.to_datetime(frame["day"]))
                frame[key] = frame[key].astype("Int64")
                frame["branch_id"] = frame["branch_id"].astype("int64")
                written[table.name] += bulk_insert(
                    conn, table, frame[["day", "campaign_id", "branch_id", key, *WORKER_FLAGS, "deposited"]])


def _campaign_list_days(conn: Connection, campaign_id: int, branch_ids, festival: date, first_day: date,
                        last_day: date) -> dict:
    """For each day of the season, `worker_flags` summed per (branch, village) and per (branch, staff), with
    the deposits credited to each up to that day."""


    sms, visit = SmsMessage.__table__, Visit.__table__
    entry = NameListEntry.__table__
    in_window = and_(entry.c.campaign_id == campaign_id, window_clause(entry.c.branch_id, entry.c.branch_id, branch_ids,
                                                                  None, None))
    rounds = [visit.alias(f"round{n}") for n in (1, 2, 3)]
    statement = select(entry.c.id.label("entry_id"), entry.c.customer_id, entry.c.branch_id, entry.c.village_id,
                       entry.c.staff_id, entry.c.foreman_customer_id, entry.c.returned_on, entry.c.leaves_on,
                       sms.c.sent_on, sms.c.delivered, sms.c.replied_on,
                       *[r.c.visit_date.label(f"visit{n}_date") for n, r in enumerate(rounds, start=1)])
    statement = statement.select_from(entry).join(sms, sms.c.entry_id == entry.c.id, isouter=True)
    for number, visited in enumerate(rounds, start=1):
        statement = statement.join(visited, and_(visited.c.entry_id == entry.c.id, visited.c.visit_round == number),
                                   isouter=True)
    entries = read_frame(conn, statement.where(in_window))
    for column in ("returned_on", "leaves_on", "sent_on", "replied_on", "visit1_date", "visit2_date", "visit3_date"):
        entries[column] = pd.to_datetime(entries[column])
    entries["delivered"] = entries["delivered"].astype("boolean")
    first_deposit = conn.execute(
        select(CampaignDeposit.customer_id, func.min(CampaignDeposit.day))
        .where(CampaignDeposit.campaign_id == campaign_id,
               CampaignDeposit.customer_id.in_(select(entry.c.customer_id).where(in_window)))
        .group_by(CampaignDeposit.customer_id)).all()
    converted_on = pd.to_datetime(entries["customer_id"].map(dict(first_deposit)))
    deposits = read_frame(conn, select(
        CampaignDeposit.branch_id, CampaignDeposit.village_id, CampaignDeposit.staff_id, CampaignDeposit.day,
        CampaignDeposit.amount).where(CampaignDeposit.campaign_id == campaign_id,
                                      window_clause(CampaignDeposit.branch_id, CampaignDeposit.day, branch_ids, None, None)))
    deposits["day"] = pd.to_datetime(deposits["day"])
    deposits["amount"] = deposits["amount"].astype("float64")
    days = pd.date_range(first_day, last_day)
    out = {}
    flags_by_key = _flags_per_day(entries, converted_on, festival, days, ("village_id", "staff_id"))
    for key, flags in flags_by_key.items():
        paid = _deposited_per_day(deposits, days, key)
        if flags.empty and paid.empty:
            out[key] = pd.DataFrame()
            continue
        frame = paid.reindex(columns=[*WORKER_FLAGS, "deposited"]) if flags.empty else flags.join(paid, how="outer")
        frame[WORKER_FLAGS] = frame[WORKER_FLAGS].fillna(0).astype("int64")
        frame["deposited"] = frame["deposited"].fillna(0.0).astype("float64")
        frame = frame.reset_index()
        frame[key] = frame[key].where(frame[key] != NO_KEY)
        frame["day"] = frame["day"].dt.date
        out[key] = frame.sort_values(["branch_id", key, "day"], na_position="first").reset_index(drop=True)
    return out


NO_KEY = -1  # a worker without a village or contact staff member, grouped (and stored) as a key of its own
GRID_ROWS = 2_000_000  # workers x days judged in one pass (a whole bank's season is taken a few days at a time)


def _flags_per_day(entries: pd.DataFrame, converted_on: pd.Series, festival: date, days: pd.DatetimeIndex,
                   keys: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """Per key, `worker_flags` summed per (branch, key, day): every worker judged on every day in one
    vectorised pass over workers x days (in slices of days so the grid stays bounded), not a pandas loop
    per day."""
    if entries.empty or len(days) == 0:
        return {key: pd.DataFrame(columns=WORKER_FLAGS) for key in keys}
    per_slice = max(1, GRID_ROWS // len(entries))
    parts: dict[str, list] = {key: [] for key in keys}
    workers = entries.reset_index(drop=True)
    converted = converted_on.reset_index(drop=True)
    for first in range(0, len(days), per_slice):
        chunk = days[first:first + per_slice]
        rows = np.repeat(np.arange(len(workers)), len(chunk))
        grid = workers.iloc[rows].reset_index(drop=True)
        as_of = pd.Series(np.tile(chunk.to_numpy(), len(workers)), index=grid.index)
        flags = worker_flags(grid, converted.iloc[rows].reset_index(drop=True), festival, as_of)
        flags["branch_id"] = grid["branch_id"].to_numpy()
        flags["day"] = as_of.to_numpy()
        for key in keys:
            flags[key] = grid[key].fillna(NO_KEY).astype("int64").to_numpy()
        for key in keys:
            parts[key].append(flags.groupby(["branch_id", key, "day"])[WORKER_FLAGS].sum())
    return {key: pd.concat(frames) for key, frames in parts.items()}


def _deposited_per_day(deposits: pd.DataFrame, days: pd.DatetimeIndex, key: str) -> pd.DataFrame:
    """Per (branch, key, day): the deposits credited on or before that day, for every key with a deposit by
    the last day (zero before its first: a cumulative figure, carried on every later day)."""
    paid = deposits[deposits["day"] <= days[-1]] if len(days) else deposits.iloc[0:0]
    if paid.empty:
        return pd.DataFrame({"deposited": pd.Series(dtype="float64")},
                            index=pd.MultiIndex.from_tuples([], names=["branch_id", key, "day"]))
    paid = paid.assign(**{key: paid[key].fillna(NO_KEY).astype("int64"), "day": paid["day"].clip(lower=days[0])})
    daily = paid.groupby(["branch_id", key, "day"])["amount"].sum().unstack("day", fill_value=0.0)
    cumulative = daily.reindex(columns=days, fill_value=0.0).cumsum(axis=1)
    cumulative.columns.name = "day"
    return cumulative.stack().rename("deposited").to_frame()
