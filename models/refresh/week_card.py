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
from sqlalchemy import String, and_, cast, delete, func, or_, select
from sqlalchemy.engine import Connection

from models.campaign import MigrantCampaign
from models.groups import GroupDaily, SocialGroup
from models.measures.groups import DEFAULT_DORMANT_DAYS
from models.org import Branch
from models.refresh.common import window_clause
from models.rollup_tables.campaign import CampaignDepositDaily
from models.rollup_tables.followers import FollowerBranchDaily, FollowerDayTotal
from models.rollup_tables.groups import GroupKindDaily
from models.rollup_tables.referrals import ReferralDaily, ReferralFraudFlag
from models.rollup_tables.week_card import (
    CARD_FOLLOWER_LOOKBACK,
    CARD_MIN_DROP_DAYS,
    CARD_WEEK_DAYS,
    BranchWeekCard,
)
from models.store.bulk import bulk_insert

CARD_COLUMNS = ["branch_id", "day", "net_follows", "cumulative_followers", "follower_days", "drop_running", "groups",
                "dormant_groups", "member_days", "active_member_days", "conversions", "fraud_flags", "campaign_id",
                "campaign_deposited"]


def card_calendar(conn: Connection) -> tuple[date, date] | None:
    """The card's days: seven before the bank's first follower day to its last (None: no follower figures)."""
    first, last = conn.execute(select(func.min(FollowerDayTotal.day), func.max(FollowerDayTotal.day))).one()
    if first is None:
        return None
    return _as_date(first) - timedelta(days=CARD_WEEK_DAYS), _as_date(last)


def refresh_week_cards(conn: Connection, branch_ids, start: date | None, end: date | None = None) -> dict[str, int]:
    """Rebuild the week card of `branch_ids` (None: all) from `start` (None: the calendar's first day) to the
    calendar's end, and every branch's card on days the calendar gained; drop rows outside the calendar.
    Reads the follower, group, referral and campaign rollups: run after they are refreshed."""
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
    held_first, held_last = _as_date(held_first), _as_date(held_last)
    if first < held_first:
        written += _rebuild(conn, None, first, held_first - timedelta(days=1))
    if last > held_last:
        written += _rebuild(conn, None, held_last + timedelta(days=1), last)
    touched_from = max(first, start) if start is not None else first
    touched_to = min(held_last, last)
    if touched_from <= touched_to:
        written += _rebuild(conn, branch_ids, touched_from, touched_to)
    return {table.name: written}


def _rebuild(conn: Connection, branch_ids, first: date, last: date) -> int:
    table = BranchWeekCard.__table__
    conn.execute(delete(table).where(window_clause(table.c.branch_id, table.c.day, branch_ids, first, last)))
    rows = week_card_rows(conn, branch_ids, first, last)
    return bulk_insert(conn, table, rows) if not rows.empty else 0


def week_card_rows(conn: Connection, branch_ids, first: date, last: date) -> pd.DataFrame:
    """The card rows of `branch_ids` (None: every branch) for each day of [first, last], from the rollups."""
    branches = np.array(sorted(int(b) for b in conn.execute(
        select(Branch.id).where(window_clause(Branch.id, Branch.id, branch_ids, None, None))).scalars()), dtype=np.int64)
    days = pd.date_range(first, last, freq="D")
    if len(branches) == 0 or len(days) == 0:
        return pd.DataFrame(columns=CARD_COLUMNS)
    grid = _Grid(branches, days)
    card = {
        **_follower_figures(conn, grid, branch_ids),
        **_group_figures(conn, grid, branch_ids),
        **_referral_figures(conn, grid, branch_ids),
        **_campaign_figures(conn, grid, branch_ids),
    }
    frame = pd.DataFrame({"branch_id": np.repeat(branches, len(days)), "day": np.tile(days.to_numpy(), len(branches)),
                          **{name: values.ravel() for name, values in card.items() if name != "campaign_id"}})
    frame["campaign_id"] = pd.array(np.tile(card["campaign_id"], len(branches)), dtype="Int64")
    return frame[CARD_COLUMNS]


class _Grid:
    """Branches × days matrices, with a lookback of earlier days for the rolling sums."""

    def __init__(self, branches: np.ndarray, days: pd.DatetimeIndex) -> None:
        self.branches, self.days = branches, days
        self.first, self.last = days[0].date(), days[-1].date()

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
    """Rows transposed into columns before pandas sees them (a DataFrame of Row objects costs seconds)."""
    rows = conn.execute(statement).fetchall()
    if not rows:
        return pd.DataFrame(columns=names)
    return pd.DataFrame(dict(zip(names, (list(column) for column in zip(*rows, strict=True)), strict=True)))


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
    the last customer message on or before the day, or since creation without one, for the threshold)."""
    quiet = DEFAULT_DORMANT_DAYS
    shape = (len(grid.branches), len(grid.days))
    groups = _read(conn, select(SocialGroup.id, SocialGroup.branch_id, SocialGroup.created_on)
                   .where(window_clause(SocialGroup.branch_id, SocialGroup.created_on, branch_ids, None, grid.last))
                   .order_by(SocialGroup.id), ["group_id", "branch_id", "created_on"])
    if groups.empty:
        return np.zeros(shape, dtype="int64"), np.zeros(shape, dtype="int64")
    # Only a group created inside the quiet window of some day can lack a message before the window (its
    # earlier messages, if any, predate its creation): its whole history is read, the others' window alone.
    window_from = grid.first - timedelta(days=quiet - 1)
    recent = groups.loc[pd.to_datetime(groups["created_on"]) > pd.Timestamp(grid.first - timedelta(days=quiet)),
                        "group_id"].astype(int).tolist()
    in_window = window_clause(SocialGroup.branch_id, GroupDaily.day, branch_ids, window_from, grid.last)
    if recent:
        in_window = or_(in_window, and_(GroupDaily.group_id.in_(recent), GroupDaily.day < window_from))
    messages = _read(conn, select(GroupDaily.group_id, cast(GroupDaily.day, String(10)))
                     .join(SocialGroup, SocialGroup.id == GroupDaily.group_id)
                     .where(in_window, GroupDaily.customer_messages > 0), ["group_id", "day"])
    group_ids = groups["group_id"].to_numpy(dtype=np.int64)
    lookback = quiet - 1
    width = len(grid.days) + lookback
    posted = np.zeros((len(group_ids), width), dtype=np.int32)
    earlier = np.zeros(len(group_ids), dtype=bool)  # a message before the window
    if not messages.empty:
        row = np.searchsorted(group_ids, messages["group_id"].to_numpy(dtype=np.int64))
        known = (row < len(group_ids)) & (group_ids[np.minimum(row, len(group_ids) - 1)] ==
                                           messages["group_id"].to_numpy(dtype=np.int64))
        col = ((pd.to_datetime(messages["day"], format="ISO8601") - pd.Timestamp(grid.first)).dt.days
               + lookback).to_numpy()
        np.add.at(posted, (row[known & (col >= 0)], col[known & (col >= 0)]), 1)
        earlier[row[known & (col < 0)]] = True
    spoke_recently = _rolling(posted, quiet, lookback) > 0
    ever_before = np.cumsum(posted, axis=1)  # messages up to each column; the quiet window's start is `lookback` back
    spoke_before_quiet = np.zeros((len(group_ids), len(grid.days)), dtype=bool)
    if len(grid.days) > 1:
        spoke_before_quiet[:, 1:] = ever_before[:, :len(grid.days) - 1] > 0  # day d: up to column of d - quiet
    spoke_before_quiet |= earlier[:, None]
    offset = (grid.days.to_numpy()[None, :] - pd.to_datetime(groups["created_on"]).to_numpy()[:, None]) \
        // np.timedelta64(1, "D")
    created = offset >= 0
    dormant = created & ~spoke_recently & ((offset >= quiet) | spoke_before_quiet)
    branch_row = np.searchsorted(grid.branches, groups["branch_id"].to_numpy(dtype=np.int64))
    group_counts = np.zeros(shape, dtype="int64")
    dormant_counts = np.zeros(shape, dtype="int64")
    np.add.at(group_counts, branch_row, created.astype("int64"))
    np.add.at(dormant_counts, branch_row, dormant.astype("int64"))
    return group_counts, dormant_counts


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
        start = _as_date(season.start_date)
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


def _as_date(value) -> date:
    return value if isinstance(value, date) and not isinstance(value, pd.Timestamp) else pd.Timestamp(value).date()
