"""`refresh_rollups`: rebuild every rollup for the branches and days touched, inside the writer's
transaction (seed, `manage.py rollups`, every import), so a page never sees events without their rollup."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import date

import pandas as pd
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from models.customers import Customer
from models.followers import FollowerDaily
from models.groups import GroupDaily, GroupMembership, SocialGroup
from models.products import ProductEvent
from models.referrals import ReferralEvent
from models.refresh.campaign import refresh_campaign_lists
from models.refresh.common import window_clause
from models.refresh.customers import SeedCustomerRows, refresh_customer_rollups
from models.refresh.daily import _BUILDERS
from models.refresh.followers import refresh_follower_rollups
from models.refresh.groups import (
    first_changed_day,
    refresh_group_activity_rollups,
    refresh_group_rollups,
    refresh_membership_rollups,
)
from models.refresh.referrals import refresh_monthly, refresh_referral_batch
from models.refresh.week_card import refresh_week_cards
from models.rollup_tables import ALSO_SUMMARISED, RAW_SOURCES, ROLLUP_TABLES
from models.rollup_tables.campaign import CampaignStaffDaily, CampaignVillageDaily
from models.rollup_tables.followers import FollowerBranchDaily
from models.rollup_tables.groups import GroupKindDaily
from models.rollup_tables.referrals import ReferralChannelDaily, ReferralDaily, ReferralMonthly
from models.rollup_tables.week_card import BranchWeekCard
from models.store.bulk import derived_rebuild, indexes_built_after

ANALYZE_AFTER_DAYS = 28  # a refresh of fewer days adds too few rows to move the planner's statistics


def _refresh(conn: Connection, branch_ids, start, end, progress, seed_rows=None) -> dict[str, int]:
    _roomy_sorts(conn)
    written = _rebuild_daily(conn, _BUILDERS, branch_ids, start, end, progress)
    flags_moved: dict = {}
    written.update(_refresh_referral_batches(conn, branch_ids, start, end, progress, flags_moved))
    started = time.perf_counter()
    written.update(refresh_campaign_lists(conn, branch_ids, start))
    if progress:
        progress(f"  rollup campaign lists: {written[CampaignVillageDaily.__tablename__]:,} village rows, "
                 f"{written[CampaignStaffDaily.__tablename__]:,} staff rows in {time.perf_counter() - started:.1f}s")
    written.update(refresh_group_rollups(conn, branch_ids, start, end, progress))
    started = time.perf_counter()
    written.update(refresh_follower_rollups(conn, branch_ids, start, end))
    if progress:
        progress(f"  rollup followers: {written[FollowerBranchDaily.__tablename__]:,} branch-day rows in "
                 f"{time.perf_counter() - started:.1f}s")
    written.update(refresh_customer_rollups(conn, branch_ids, start, end, progress, seed_rows))
    written.update(_refresh_week_cards(conn, branch_ids, start, end, progress, flags_moved))  # last: reads the above
    _analyze(conn, start, end, progress)
    return written


def _refresh_week_cards(conn: Connection, branch_ids, start, end, progress, flags_moved=None,
                        parts=None) -> dict[str, int]:
    """The overview's week card (only its `parts`' figures, when given), after the follower, group, referral and
    campaign rollups it reads; also from the earlier days whose fraud flags a burst moved (`flags_moved`:
    branch -> first such day)."""
    started = time.perf_counter()
    written = refresh_week_cards(conn, branch_ids, start, end, parts)
    if flags_moved:
        card = BranchWeekCard.__tablename__
        written[card] += refresh_week_cards(conn, set(flags_moved), min(flags_moved.values()), end,
                                            ("referrals",))[card]
    if progress:
        progress(f"  rollup week cards: {written[BranchWeekCard.__tablename__]:,} branch-day rows in "
                 f"{time.perf_counter() - started:.1f}s")
    return written


def _roomy_sorts(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":  # the GROUP BYs sort millions of rows: in memory, not on disk
        conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")  # the indexes a whole rebuild builds after it


def _rebuild_daily(conn: Connection, builders, branch_ids, start, end, progress) -> dict[str, int]:
    """The per-day-and-key rollups of `builders` (rollup -> raw, SELECT, columns) for the branches and days."""
    written: dict[str, int] = {}
    for rollup in builders:
        raw, build, columns = _BUILDERS[rollup]
        started = time.perf_counter()
        table = rollup.__table__
        with indexes_built_after(conn, [table], branch_ids is None and start is None and end is None):
            conn.execute(delete(table).where(window_clause(table.c.branch_id, table.c.day, branch_ids, start, end)))
            source = build(window_clause(raw.branch_id, raw.day, branch_ids, start, end))
            conn.execute(insert(table).from_select(columns, source))
        written[table.name] = conn.execute(
            select(func.count()).select_from(table).where(window_clause(table.c.branch_id, table.c.day, branch_ids, start, end))
        ).scalar_one()
        if progress:
            progress(f"  rollup {table.name}: {written[table.name]:,} rows in {time.perf_counter() - started:.1f}s")
    return written


def _refresh_referral_batches(conn: Connection, branch_ids, start, end, progress, flags_moved) -> dict[str, int]:
    """The referral rollups read from ReferralDaily (run after it): months, running totals, boards, batches."""
    started = time.perf_counter()
    written = {ReferralMonthly.__tablename__: refresh_monthly(conn, branch_ids, start, end)}
    if progress:
        progress(f"  rollup {ReferralMonthly.__tablename__}: {written[ReferralMonthly.__tablename__]:,} rows in "
                 f"{time.perf_counter() - started:.1f}s")
    written.update(refresh_referral_batch(conn, branch_ids, start, progress, flags_moved))
    return written


def _refresh_referral_rollups(conn: Connection, branch_ids, start, end, progress) -> dict[str, int]:
    """Everything referral events feed, and nothing else (no group, follower, campaign or customer rollup)."""
    written = _rebuild_daily(conn, (ReferralDaily, ReferralChannelDaily), branch_ids, start, end, progress)
    flags_moved: dict = {}
    written.update(_refresh_referral_batches(conn, branch_ids, start, end, progress, flags_moved))
    written.update(_refresh_week_cards(conn, branch_ids, start, end, progress, flags_moved, ("referrals",)))
    return written


def _refresh_group_day_rollups(conn: Connection, branch_ids, start, end, progress) -> dict[str, int]:
    """Everything group days feed: the kind days, the groups' running totals and latest rows, the bank's days
    (memberships, points and snapshots are fed by other tables)."""
    written = _rebuild_daily(conn, (GroupKindDaily,), branch_ids, start, end, progress)
    written.update(refresh_group_activity_rollups(conn, branch_ids, start, end, progress))
    written.update(_refresh_week_cards(conn, branch_ids, start, end, progress, parts=("groups",)))
    return written


def _analyze(conn: Connection, start, end, progress) -> None:
    """Fresh planner statistics after a rebuild; skipped for a refresh of a few days (a daily sync), whose rows
    are a sliver of each table's and would cost a whole-database ANALYZE for the same plans."""
    if start is not None and end is not None and (end - start).days < ANALYZE_AFTER_DAYS:
        return
    started = time.perf_counter()
    if conn.dialect.name == "postgresql":
        for rollup in ROLLUP_TABLES:
            conn.exec_driver_sql(f'ANALYZE "{rollup.__table__.name}"')
    else:
        conn.exec_driver_sql("ANALYZE")
    if progress:
        progress(f"  rollup ANALYZE: {len(ROLLUP_TABLES)} tables in {time.perf_counter() - started:.1f}s")


def refresh_for_rows(session: Session, table, rows, progress: Callable[[str], None] | None = None) -> None:
    """For importers: after writing `rows` (a DataFrame with branch_id and day) into a raw table that a
    rollup summarises, rebuild the rollups of those branches and days in the same transaction. `progress`
    hears each rollup step's rows and seconds (the daily-refresh bench)."""
    summarised = {raw.__table__.name for raw in (*RAW_SOURCES.values(), *ALSO_SUMMARISED)}
    if table.name not in summarised or rows is None or rows.empty:
        return

    branch_ids = None
    if "branch_id" in rows.columns and rows["branch_id"].notna().all():
        branch_ids = {int(b) for b in rows["branch_id"]}
    if table.name == GroupMembership.__tablename__ and branch_ids is not None:
        # Stays move only the membership rollups, only from the first day a written stay changed, and only for
        # the groups written (when the rows name them) and those with a join or leave from that day on
        group_ids = None
        if "group_id" in rows.columns and rows["group_id"].notna().all():
            group_ids = {int(g) for g in rows["group_id"]}
        refresh_membership_rollups(session.connection(), branch_ids, first_changed_day(rows), progress, group_ids)
        return
    start = end = None
    if "day" in rows.columns and rows["day"].notna().all():
        days = pd.to_datetime(rows["day"])
        start, end = days.min().date(), days.max().date()
    fed = _FEEDS.get(table.name)
    if fed is not None:  # a daily sync's referral events or group days: only the rollups they feed
        _roomy_sorts(session.connection())
        fed(session.connection(), branch_ids, start, end, progress)
        _analyze(session.connection(), start, end, progress)
        return
    only = _ONLY_FED_BY.get(table.name)
    if only is not None:  # no other rollup reads this table: rebuild just its own (a daily sync, 1,000 times)
        started = time.perf_counter()
        written = only(session.connection(), branch_ids, start, end)
        if progress:
            for name, rows_written in written.items():
                progress(f"  rollup {name}: {rows_written:,} rows in {time.perf_counter() - started:.1f}s")
        return
    refresh_rollups(session, branch_ids, start, end, progress)


def refresh_followers_and_week_cards(conn: Connection, branch_ids, start: date | None, end: date | None) -> dict[str, int]:
    """Follower rows feed the follower rollups and, through them, the overview's week card."""
    written = refresh_follower_rollups(conn, branch_ids, start, end)
    written.update(refresh_week_cards(conn, branch_ids, start, end, ("followers",)))
    return written


def refresh_group_week_cards(conn: Connection, branch_ids, start: date | None, end: date | None) -> dict[str, int]:
    """Groups (their creation day starts their count and silence) feed the week card's group figures alone."""
    return refresh_week_cards(conn, branch_ids, start, end, ("groups",))


# Raw tables that feed a few refreshes alone (checked: no other refresh or measure reads them). Their imports
# rebuild only those rollups, for the branches and days written, and skip the whole-database ANALYZE.
# Customer rows (their attributes move segments) feed the customer rollups alone here: before these, a
# customer import refreshed no rollup (the groups' held deposits follow at `manage.py rollups`). Groups (their
# creation day starts their count and silence) feed only the week card, from the calendar's start.
# Raw tables whose rollups are a part of `refresh_rollups` (checked the same way): their imports run that part,
# and the week card after it (it reads their rollups).
_FEEDS = {ReferralEvent.__tablename__: _refresh_referral_rollups, GroupDaily.__tablename__: _refresh_group_day_rollups}
_ONLY_FED_BY = {FollowerDaily.__tablename__: refresh_followers_and_week_cards,
                ProductEvent.__tablename__: refresh_customer_rollups, Customer.__tablename__: refresh_customer_rollups,
                SocialGroup.__tablename__: refresh_group_week_cards}


def refresh_rollups(
    engine: Engine | Connection | Session, branch_ids: Iterable[int] | None = None, start: date | None = None,
    end: date | None = None, progress: Callable[[str], None] | None = None,
    seed_rows: SeedCustomerRows | None = None,
) -> dict[str, int]:
    """Rebuild every rollup for the given branches (None: all) and days (None: open-ended) from the raw
    events. Given an engine it commits its own transaction; given a connection or session (an importer's)
    it writes inside the caller's transaction. `seed_rows`: the customers and events a seed has just stored,
    which the customer rollups then take from memory."""
    if isinstance(engine, Session):
        return _refresh(engine.connection(), branch_ids, start, end, progress, seed_rows)
    if isinstance(engine, Connection):
        return _refresh(engine, branch_ids, start, end, progress, seed_rows)
    with derived_rebuild(engine) as conn:  # no per-row foreign-key checks: every key comes from a raw row
        return _refresh(conn, branch_ids, start, end, progress, seed_rows)
