"""How fresh a page's figures are: per source, the latest day with data inside the scope and when the data last
arrived (the last successful platform sync, else the last file import, else the demo seed), and which sources
are behind.

Read from the rollups (one `MAX(day)` per source, limited to the scope) so head-office pages never touch a raw
event table. "Behind" is judged in China time: the platforms' previous day is complete after 08:00 and the
morning sync runs at 08:15, so from `DUE_AT` on yesterday is due, before it the day before yesterday; a source
whose latest day is older than the due day is more than a day behind. The demo data ends on a fixed day, so a
demo database is rightly shown as behind once that day is past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone

import pandas as pd
from sqlalchemy import func, or_, select
from sqlmodel import Session

from models.accounts import AuditLog
from models.connections import SyncOutcome, SyncState
from models.rollup_tables import (
    CampaignDepositDaily,
    FollowerBranchDaily,
    FollowerDayTotal,
    GroupBankDaily,
    GroupKindDaily,
    ReferralDaily,
)
from models.scope import Scope
from models.system import DataVersion

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")  # no daylight saving time
DUE_AT = time(9, 0)  # yesterday is due once the 08:15 sync has had time to run
SYNC_USER_PREFIX = "sync:"
FRESHNESS_COLUMNS = ["source", "latest_day", "arrived_at", "via", "behind_days"]


@dataclass(frozen=True)
class FreshnessSource:
    """Where a source's days are (`rollup` per branch and day, `bank` per day for the whole bank), the sync
    that fills it (`SyncState.source`), the import kinds that fill it from files, and whether it has figures
    every day (only such a source can be behind: campaign deposits stop between seasons, a small branch's
    referrals skip days)."""

    rollup: type
    bank: type | None
    sync_source: str | None
    import_kinds: tuple[str, ...]
    daily: bool


SOURCES: dict[str, FreshnessSource] = {
    "followers": FreshnessSource(FollowerBranchDaily, FollowerDayTotal, "wechat", ("follower_daily",), True),
    "groups": FreshnessSource(GroupKindDaily, GroupBankDaily, "wecom_groups", ("group_daily", "group_member"), True),
    "referrals": FreshnessSource(ReferralDaily, ReferralDaily, None, ("referral_event", "share_event"), False),
    "campaign": FreshnessSource(CampaignDepositDaily, CampaignDepositDaily, None,
                                ("campaign_deposit", "name_list", "sms_reply", "visit"), False),
}


def china_today(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(CHINA).date()


def due_day(now: datetime | None = None) -> date:
    """The latest day whose figures should be in by `now`: yesterday from 09:00 China time, else the day before."""
    local = (now or datetime.now(UTC)).astimezone(CHINA)
    return local.date() - timedelta(days=1 if local.time() >= DUE_AT else 2)


def _aware(value: datetime | None) -> datetime | None:
    if value is None or pd.isna(value):
        return None
    value = pd.Timestamp(value).to_pydatetime()
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _latest_day_column(scope: Scope, source: FreshnessSource):
    table = source.bank if scope.is_everything and source.bank is not None else source.rollup
    statement = select(func.max(table.day))
    if not scope.is_everything:
        statement = statement.where(scope.clause(table.branch_id))
    return statement.scalar_subquery()


def _last_import_column(source: FreshnessSource):
    """The last file import of one of the source's kinds (an import's audit detail starts with its kind);
    rows a sync wrote through the same pipeline are audited under a `sync:` user and count as the sync."""
    return select(func.max(AuditLog.at)).where(
        AuditLog.action == "import", AuditLog.outcome == "ok", ~AuditLog.username.startswith(SYNC_USER_PREFIX),
        or_(*[AuditLog.detail.startswith(f"{kind} ") for kind in source.import_kinds])).scalar_subquery()


def data_freshness(session: Session, scope: Scope, sources: tuple[str, ...] = tuple(SOURCES),
                   now: datetime | None = None) -> pd.DataFrame:
    """One row per source: `latest_day` (None: no data in the scope), `arrived_at` (UTC) and `via`
    (sync | import | seed | None), and `behind_days` (days the latest day lags the due day; 0 when on time or
    for a source without figures every day). Three statements for every source together (on every page: one
    per figure cost ~3 ms each on a new connection)."""
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise ValueError(f"unknown freshness sources {unknown}")
    seeded = session.get(DataVersion, 1)
    seeded_at = _aware(seeded.updated_at) if seeded is not None else None
    due = due_day(now)
    if not sources:
        return pd.DataFrame(columns=FRESHNESS_COLUMNS)
    chosen = [SOURCES[name] for name in sources]
    found = session.execute(select(*[_latest_day_column(scope, source) for source in chosen],
                                   *[_last_import_column(source) for source in chosen])).one()
    latest_days, imports = found[:len(chosen)], found[len(chosen):]
    sync_sources = sorted({source.sync_source for source in chosen if source.sync_source is not None})
    syncs = dict(session.execute(select(SyncState.source, func.max(SyncState.last_success_at))
                                 .where(SyncState.source.in_(sync_sources), SyncState.outcome == SyncOutcome.OK)
                                 .group_by(SyncState.source)).all()) if sync_sources else {}
    rows = []
    for name, source, latest_value, imported_value in zip(sources, chosen, latest_days, imports, strict=True):
        latest = pd.Timestamp(latest_value).date() if latest_value is not None else None
        synced = _aware(syncs.get(source.sync_source)) if source.sync_source is not None else None
        imported = _aware(imported_value)
        candidates = [(at, via) for at, via in ((synced, "sync"), (imported, "import")) if at is not None]
        arrived, via = max(candidates, key=lambda item: item[0]) if candidates else (seeded_at, "seed" if seeded_at
                                                                                     else None)
        behind = max(0, (due - latest).days) if latest is not None and source.daily else 0
        rows.append({"source": name, "latest_day": latest, "arrived_at": arrived, "via": via, "behind_days": behind})
    return pd.DataFrame(rows, columns=FRESHNESS_COLUMNS)


def summary(frame: pd.DataFrame) -> dict[str, object]:
    """What one line says: the latest day over the sources that have data, when the newest of them arrived
    (China time) and how (`via`), and the sources behind (name, latest day, days behind), most behind first."""
    present = frame[frame["latest_day"].notna()] if not frame.empty else frame
    if present.empty:
        return {"latest_day": None, "arrived_at": None, "via": None, "behind": []}
    arrived = present[present["arrived_at"].notna()]
    newest = arrived.loc[arrived["arrived_at"].map(lambda a: a.timestamp()).idxmax()] if not arrived.empty else None
    behind = present[present["behind_days"] > 0].sort_values("behind_days", ascending=False, kind="stable")
    return {
        "latest_day": max(present["latest_day"]),
        "arrived_at": newest["arrived_at"].astimezone(CHINA) if newest is not None else None,
        "via": newest["via"] if newest is not None else None,
        "behind": [(r.source, r.latest_day, int(r.behind_days)) for r in behind.itertuples(index=False)],
    }
