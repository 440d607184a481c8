"""The overview's week card (`BranchWeekCard`), rebuilt from the area rollups after they are refreshed.

Rows cover every branch on every day of the card's calendar: from seven days before the bank's first
follower day (the brief's "last week" of its first day) to its last. A write rebuilds its branches from
the first day it touched to the calendar's end (a day moves the seven-day sums of the week after it, the
dormancy of the days after it and the follower drop signal of every later day, as `refresh_follower_rollups`
does); days new to the calendar are built for every branch, since a branch without figures that day still
carries its last six days and its groups' silence into it. A daily sync therefore writes one day per branch."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.engine import Connection

from models.campaign import MigrantCampaign
from models.groups import GroupDaily, SocialGroup
from models.measures.groups import DEFAULT_DORMANT_DAYS
from models.org import Branch
from models.refresh.common import as_date, chunked, read_in_stored_order, window_clause
from models.rollup_tables.campaign import CampaignDepositDaily
from models.rollup_tables.followers import FollowerBranchDaily, FollowerDayTotal
from models.rollup_tables.groups import GroupKindDaily, GroupLatest
from models.rollup_tables.referrals import ReferralDaily, ReferralFraudFlag
from models.rollup_tables.week_card import (
    CARD_FOLLOWER_LOOKBACK,
    CARD_MIN_DROP_DAYS,
    CARD_WEEK_DAYS,
    BranchWeekCard,
)
from models.store.bulk import bulk_insert
from models.store.frames import read_frame

LONG_WINDOW_DAYS = 28  # a grid longer than this (a rebuild) reads groupdaily whole; a daily sync's few days by index
CARD_COLUMNS = ["branch_id", "day", "net_follows", "cumulative_followers", "follower_days", "drop_running", "groups",
                "dormant_groups", "member_days", "active_member_days", "conversions", "fraud_flags", "campaign_id",
                "campaign_deposited"]


def card_calendar(conn: Connection) -> tuple[date, date] | None:
    """The card's days: seven before the bank's first follower day to its last (None: no follower figures)."""
    first, last = conn.execute(select(func.min(FollowerDayTotal.day), func.max(FollowerDayTotal.day))).one()
    if first is None:
        return None
    return as_date(first) - timedelta(days=CARD_WEEK_DAYS), as_date(last)


# The card's figures by the rollups they are read from: a write of one source moves only its part's columns.
CARD_PARTS = {
    "followers": ("net_follows", "cumulative_followers", "follower_days", "drop_running"),
    "groups": ("groups", "dormant_groups", "member_days", "active_member_days"),
    "referrals": ("conversions", "fraud_flags"),
    "campaign": ("campaign_id", "campaign_deposited"),
}


def refresh_week_cards(conn: Connection, branch_ids, start: date | None, end: date | None = None,
                       parts: tuple[str, ...] | None = None) -> dict[str, int]:
    """Rebuild the week card of `branch_ids` (None: all) from `start` (None: the calendar's first day) to the
    calendar's end, and every branch's card on days the calendar gained; drop rows outside the calendar.
    Reads the follower, group, referral and campaign rollups: run after they are refreshed. With `parts`
    (keys of CARD_PARTS: the sources a write fed), the held rows get only those parts' figures again, the
    others kept as stored; days new to the calendar are built whole."""
    table = BranchWeekCard.__table__
    calendar = card_calendar(conn)
    if calendar is None:
        conn.execute(delete(table))
        return {table.name: 0}
    first, last = calendar
    conn.execute(delete(table).where(or_(table.c.day < first, table.c.day > last)))
    held_first, held_last = conn.execute(select(func.min(table.c.day), func.max(table.c.day))).one()
    written = 0
    if held_first is None:
        return {table.name: _rebuild(conn, None, first, last)}
    held_first, held_last = as_date(held_first), as_date(held_last)
    if first < held_first:
        written += _rebuild(conn, None, first, held_first - timedelta(days=1))
    if last > held_last:
        written += _rebuild(conn, None, held_last + timedelta(days=1), last)
    touched_from = max(first, start) if start is not None else first
    touched_to = min(held_last, last)
    if touched_from <= touched_to:
        written += _rebuild(conn, branch_ids, touched_from, touched_to, parts)
    return {table.name: written}


def _rebuild(conn: Connection, branch_ids, first: date, last: date, parts: tuple[str, ...] | None = None) -> int:
    table = BranchWeekCard.__table__
    window = window_clause(table.c.branch_id, table.c.day, branch_ids, first, last)
    rows = week_card_rows(conn, branch_ids, first, last, parts)
    if parts is not None:  # the stored rows with the parts' columns replaced (every row held, or a whole rebuild)
        stored = read_frame(conn, select(*[table.c[c] for c in CARD_COLUMNS]).where(window))
        if len(stored) != len(rows):
            return _rebuild(conn, branch_ids, first, last)
        stored["day"] = pd.to_datetime(stored["day"])
        replaced = [c for c in rows.columns if c not in ("branch_id", "day")]
        rows = stored.drop(columns=replaced).merge(rows, on=["branch_id", "day"], how="left")[CARD_COLUMNS]
        rows["campaign_id"] = rows["campaign_id"].astype("Int64")
        rows["drop_running"] = rows["drop_running"].astype(bool)
    conn.execute(delete(table).where(window))
    return bulk_insert(conn, table, rows) if not rows.empty else 0


def week_card_rows(conn: Connection, branch_ids, first: date, last: date,
                   parts: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The card rows of `branch_ids` (None: every branch) for each day of [first, last], from the rollups;
    with `parts`, only those parts' columns (beside branch and day)."""
    parts = tuple(CARD_PARTS) if parts is None else parts
    columns = ["branch_id", "day", *[c for c in CARD_COLUMNS if any(c in CARD_PARTS[p] for p in parts)]]
    branches = np.array(sorted(int(b) for b in conn.execute(
        select(Branch.id).where(window_clause(Branch.id, Branch.id, branch_ids, None, None))).scalars()), dtype=np.int64)
    days = pd.date_range(first, last, freq="D")
    if len(branches) == 0 or len(days) == 0:
        return pd.DataFrame(columns=columns)
    grid = _Grid(branches, days)
    figures = {"followers": _follower_figures, "groups": _group_figures, "referrals": _referral_figures,
               "campaign": _campaign_figures}
    card = {name: values for part in parts for name, values in figures[part](conn, grid, branch_ids).items()}
    frame = pd.DataFrame({"branch_id": np.repeat(branches, len(days)), "day": np.tile(days.to_numpy(), len(branches)),
                          **{name: values.ravel() for name, values in card.items() if name != "campaign_id"}})
    if "campaign_id" in card:
        frame["campaign_id"] = pd.array(np.tile(card["campaign_id"], len(branches)), dtype="Int64")
    return frame[columns]


class _Grid:
    """Branches × days matrices, with a lookback of earlier days for the rolling sums."""

    def __init__(self, branches: np.ndarray, days: pd.DatetimeIndex) -> None:
        self.branches, self.days = branches, days
        self.first, self.last = days[0].date(), days[-1].date()

    def index_of(self, days: pd.Series) -> np.ndarray:
        """Days (ISO text or dates) as their index in the grid: 0 for the first day, negative before it."""
        return ((pd.to_datetime(days, format="ISO8601") - pd.Timestamp(self.first)).dt.days).to_numpy(dtype=np.int64)

    def matrix(self, frame: pd.DataFrame, column: str, lookback: int, dtype="int64") -> np.ndarray:
        """`column` of `frame` (branch_id, day, column; one row per branch and day) as a branches × days
        matrix starting `lookback` days before the first day, zero where absent."""
        width = len(self.days) + lookback
        out = np.zeros((len(self.branches), width), dtype=dtype)
        if frame.empty:
            return out
        row = np.searchsorted(self.branches, frame["branch_id"].to_numpy(dtype=np.int64))
        col = ((pd.to_datetime(frame["day"]) - pd.Timestamp(self.first)).dt.days + lookback).to_numpy()
        keep = (row < len(self.branches)) & (col >= 0) & (col < width)
        keep &= self.branches[np.minimum(row, len(self.branches) - 1)] == frame["branch_id"].to_numpy(dtype=np.int64)
        np.add.at(out, (row[keep], col[keep]), frame[column].to_numpy()[keep].astype(dtype))
        return out


def _rolling(matrix: np.ndarray, window: int, lookback: int) -> np.ndarray:
    """Per row, the sum over the `window` columns ending on each day (the lookback columns dropped)."""
    running = np.cumsum(np.pad(matrix, ((0, 0), (1, 0))), axis=1)
    ends = np.arange(lookback, matrix.shape[1]) + 1
    return running[:, ends] - running[:, np.maximum(ends - window, 0)]


def _read(conn: Connection, statement, names: list[str]) -> pd.DataFrame:
    """`read_frame` (plain tuples, no collection passes) with the columns named as this module uses them."""
    return read_frame(conn, statement).set_axis(names, axis=1)


def _follower_figures(conn: Connection, grid: _Grid, branch_ids) -> dict[str, np.ndarray]:
    lookback = CARD_FOLLOWER_LOOKBACK - 1
    rows = FollowerBranchDaily.__table__
    frame = _read(conn, select(rows.c.branch_id, rows.c.day, rows.c.net_follows, rows.c.cumulative,
                               (rows.c.flagged & (rows.c.run_days >= CARD_MIN_DROP_DAYS)).label("drop"))
                  .where(window_clause(rows.c.branch_id, rows.c.day, branch_ids,
                                       grid.first - timedelta(days=lookback), grid.last)),
                  ["branch_id", "day", "net_follows", "cumulative", "drop"])
    frame["present"] = 1
    frame["drop"] = frame["drop"].astype(bool).astype("int64")
    return {
        "net_follows": _rolling(grid.matrix(frame, "net_follows", lookback), CARD_WEEK_DAYS, lookback),
        "cumulative_followers": grid.matrix(frame, "cumulative", lookback)[:, lookback:],
        "follower_days": _rolling(grid.matrix(frame, "present", lookback), CARD_FOLLOWER_LOOKBACK, lookback),
        "drop_running": grid.matrix(frame, "drop", lookback)[:, lookback:].astype(bool),
    }


def _group_figures(conn: Connection, grid: _Grid, branch_ids) -> dict[str, np.ndarray]:
    lookback = CARD_WEEK_DAYS - 1
    daily = _read(conn, select(GroupKindDaily.branch_id, GroupKindDaily.day,
                               func.sum(GroupKindDaily.members), func.sum(GroupKindDaily.active_members))
                  .where(window_clause(GroupKindDaily.branch_id, GroupKindDaily.day, branch_ids,
                                       grid.first - timedelta(days=lookback), grid.last))
                  .group_by(GroupKindDaily.branch_id, GroupKindDaily.day),
                  ["branch_id", "day", "members", "active_members"])
    groups, dormant = _group_counts(conn, grid, branch_ids)
    return {
        "groups": groups, "dormant_groups": dormant,
        "member_days": _rolling(grid.matrix(daily, "members", lookback), CARD_WEEK_DAYS, lookback),
        "active_member_days": _rolling(grid.matrix(daily, "active_members", lookback), CARD_WEEK_DAYS, lookback),
    }


def _group_counts(conn: Connection, grid: _Grid, branch_ids) -> tuple[np.ndarray, np.ndarray]:
    """Per branch and day: groups created by the day, and those dormant on it (as `group_counts`: silent since
    the last customer message on or before the day, or since creation without one, for the threshold).

    A group is dormant over stretches: from its creation plus the threshold to its first message, from each
    message plus the threshold to the next one (when they are further apart), and from its last message on.
    The database hands over only the messages that bound such a stretch (LAG / LEAD over the window's message
    days), and the stretches are counted per branch with a difference array."""
    quiet = DEFAULT_DORMANT_DAYS
    shape = (len(grid.branches), len(grid.days))
    groups = _read(conn, select(SocialGroup.id, SocialGroup.branch_id, cast(SocialGroup.created_on, String(10)))
                   .where(window_clause(SocialGroup.branch_id, SocialGroup.created_on, branch_ids, None, grid.last))
                   .order_by(SocialGroup.id), ["group_id", "branch_id", "created_on"])
    if groups.empty:
        return np.zeros(shape, dtype="int64"), np.zeros(shape, dtype="int64")
    groups["created"] = grid.index_of(groups["created_on"])
    groups["row"] = np.searchsorted(grid.branches, groups["branch_id"].to_numpy(dtype=np.int64))
    never = len(grid.days)  # "no end": past the last day
    created = _count_stretches(shape, groups["row"].to_numpy(), groups["created"].to_numpy(),
                               np.full(len(groups), never))
    if len(grid.days) == 1:
        dormant = _dormant_on_one_day(conn, grid, groups, quiet)
        if dormant is not None:
            return created, dormant
    window_from = grid.first - timedelta(days=quiet - 1)  # a day's quiet window starts here at the earliest
    # A group created inside the first day's quiet window may have messages from before it (older than its
    # creation, so only a correction would put them there): they date its silence instead of its creation.
    recent = groups.loc[groups["created"] > -quiet, "group_id"].astype(int).tolist()
    earlier = set(conn.execute(select(GroupDaily.group_id).where(
        GroupDaily.group_id.in_(recent), GroupDaily.day < window_from, GroupDaily.customer_messages > 0)
        .distinct()).scalars()) if recent else set()
    groups["silent_from"] = np.where(groups["group_id"].isin(earlier), groups["created"], groups["created"] + quiet)

    # Over a long window (a rebuild) the message days are read in groupdaily's stored order (`read_in_stored_order`),
    # not by the day index with a lookup per row in another order (week cards took 90x medium's time at large)
    # (the days filtered outside the fence, before the window functions as before: inside, SQLite would take
    # the day index for them)
    messages = read_in_stored_order(conn, select(GroupDaily.group_id, GroupDaily.day)
                                    .where(GroupDaily.customer_messages > 0), len(grid.days) > LONG_WINDOW_DAYS)
    order = {"partition_by": messages.c.group_id, "order_by": messages.c.day}
    posts = (select(messages.c.group_id, messages.c.day, func.lag(messages.c.day).over(**order).label("previous_day"),
                    func.lead(messages.c.day).over(**order).label("next_day"))
             .join(SocialGroup, SocialGroup.id == messages.c.group_id)
             .where(window_clause(SocialGroup.branch_id, messages.c.day, branch_ids, window_from, grid.last))).subquery()
    quiet_ends = func.date(posts.c.day, f"+{quiet} days") if conn.dialect.name == "sqlite" else posts.c.day + quiet
    bounds = _read(conn, select(posts.c.group_id, cast(posts.c.day, String(10)), cast(posts.c.next_day, String(10)),
                                posts.c.previous_day.is_(None))
                   .where(or_(posts.c.previous_day.is_(None), posts.c.next_day.is_(None), posts.c.next_day > quiet_ends)),
                   ["group_id", "day", "next_day", "first"])
    bounds = bounds.merge(groups[["group_id", "created", "silent_from", "row"]], on="group_id", how="inner")
    bounds["day"] = grid.index_of(bounds["day"])
    next_day = grid.index_of(bounds["next_day"].fillna(grid.last.isoformat()))
    bounds["next_day"] = np.where(bounds["next_day"].isna(), never, next_day)
    first = bounds[bounds["first"].astype(bool)]
    silent_groups = groups[~groups["group_id"].isin(first["group_id"])]
    stretches = pd.concat([
        pd.DataFrame({"row": silent_groups["row"], "start": silent_groups["silent_from"], "stop": never}),
        pd.DataFrame({"row": first["row"], "start": first["silent_from"], "stop": first["day"] - 1}),
        pd.DataFrame({"row": bounds["row"], "start": np.maximum(bounds["day"] + quiet, bounds["created"]),
                      "stop": bounds["next_day"] - 1}),
    ], ignore_index=True)
    dormant = _count_stretches(shape, stretches["row"].to_numpy(), stretches["start"].to_numpy(),
                               stretches["stop"].to_numpy())
    return created, dormant


def _dormant_on_one_day(conn: Connection, grid: _Grid, groups: pd.DataFrame, quiet: int) -> np.ndarray | None:
    """Per branch, the groups dormant on the grid's one day when no group has a running row after it (a daily
    sync's new day), from each group's last customer message in `GroupLatest` (one row per group, not a
    window over every group's recent days): dormant once `quiet` days have passed since that message and the
    group exists (since its creation without one), as the stretches of `_group_counts` say. None when some
    group has a later row (then the days are read)."""
    latest = []
    for chunk in chunked(groups["group_id"].astype(int).tolist()):
        latest.append(_read(conn, select(GroupLatest.group_id, GroupLatest.day > grid.last,
                                         cast(GroupLatest.last_message_day, String(10)))
                            .where(GroupLatest.group_id.in_(chunk)), ["group_id", "later", "last_message"]))
    latest = pd.concat(latest, ignore_index=True) if latest else pd.DataFrame(columns=["group_id", "later", "last_message"])
    if latest["later"].astype(bool).any():
        return None
    known = groups.merge(latest, on="group_id", how="left")
    has_message = known["last_message"].notna().to_numpy()
    message = grid.index_of(known["last_message"].fillna(grid.last.isoformat()))
    created = known["created"].to_numpy()
    from_day = np.where(has_message, np.maximum(message + quiet, created), created + quiet)
    dormant = known["row"].to_numpy()[from_day <= 0]
    return np.bincount(dormant, minlength=len(grid.branches)).astype("int64").reshape(-1, 1)


def _count_stretches(shape: tuple[int, int], rows: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Per row and day, how many of the stretches [start, stop] (day indexes, both included) hold the day."""
    starts = np.maximum(starts.astype(np.int64), 0)
    stops = np.minimum(stops.astype(np.int64), shape[1] - 1)
    keep = starts <= stops
    diff = np.zeros((shape[0], shape[1] + 1), dtype=np.int64)
    np.add.at(diff, (rows[keep], starts[keep]), 1)
    np.add.at(diff, (rows[keep], stops[keep] + 1), -1)
    return np.cumsum(diff[:, :-1], axis=1)


def _referral_figures(conn: Connection, grid: _Grid, branch_ids) -> dict[str, np.ndarray]:
    lookback = CARD_WEEK_DAYS - 1
    since = grid.first - timedelta(days=lookback)
    conversions = _read(conn, select(ReferralDaily.branch_id, ReferralDaily.day, func.sum(ReferralDaily.live_conversions))
                        .where(window_clause(ReferralDaily.branch_id, ReferralDaily.day, branch_ids, since, grid.last))
                        .group_by(ReferralDaily.branch_id, ReferralDaily.day), ["branch_id", "day", "conversions"])
    flags = _read(conn, select(ReferralFraudFlag.branch_id, ReferralFraudFlag.day, func.count())
                  .where(window_clause(ReferralFraudFlag.branch_id, ReferralFraudFlag.day, branch_ids, since, grid.last))
                  .group_by(ReferralFraudFlag.branch_id, ReferralFraudFlag.day), ["branch_id", "day", "flags"])
    return {"conversions": _rolling(grid.matrix(conversions, "conversions", lookback), CARD_WEEK_DAYS, lookback),
            "fraud_flags": _rolling(grid.matrix(flags, "flags", lookback), CARD_WEEK_DAYS, lookback)}


def _campaign_figures(conn: Connection, grid: _Grid, branch_ids) -> dict[str, np.ndarray]:
    """The season running on each day (the latest season whose dates hold it, as the overview picks it) and
    each branch's deposits of that season from its start to the day."""
    seasons = _read(conn, select(MigrantCampaign.id, MigrantCampaign.start_date, MigrantCampaign.end_date)
                    .where(MigrantCampaign.start_date <= grid.last, MigrantCampaign.end_date >= grid.first)
                    .order_by(MigrantCampaign.season), ["campaign_id", "start_date", "end_date"])
    running = np.full(len(grid.days), -1, dtype=np.int64)
    deposited = np.zeros((len(grid.branches), len(grid.days)), dtype="float64")
    for season in seasons.itertuples(index=False):
        holds = (grid.days >= pd.Timestamp(season.start_date)) & (grid.days <= pd.Timestamp(season.end_date))
        running[np.asarray(holds)] = int(season.campaign_id)
    for season in seasons.itertuples(index=False):
        on = running == int(season.campaign_id)
        if not on.any():
            continue
        start = as_date(season.start_date)
        amounts = _read(conn, select(CampaignDepositDaily.branch_id, CampaignDepositDaily.day,
                                     func.sum(CampaignDepositDaily.amount))
                        .where(CampaignDepositDaily.campaign_id == int(season.campaign_id),
                               window_clause(CampaignDepositDaily.branch_id, CampaignDepositDaily.day, branch_ids,
                                             start, grid.last))
                        .group_by(CampaignDepositDaily.branch_id, CampaignDepositDaily.day),
                        ["branch_id", "day", "amount"])
        lookback = max((grid.first - start).days, 0)
        to_date = np.cumsum(grid.matrix(amounts, "amount", lookback, dtype="float64"), axis=1)[:, lookback:]
        deposited[:, on] = to_date[:, on]
    campaign_ids = np.where(running >= 0, running, 0).astype(object)
    campaign_ids[running < 0] = None
    return {"campaign_id": campaign_ids, "campaign_deposited": deposited}
