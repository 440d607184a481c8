"""`run_sync`: take the lock, then run every connected account of the chosen sources, several at once (threads
sharing one `ApiClient`, so the calls-per-second bound holds across them). One account's failure is recorded
and reported; the others go on. `SOURCES` is the registry: source name -> `Source` (credential kind and the
function that syncs one account); the WeCom connector adds its entry here."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.accounts import UserRole
from models.auth import audit
from models.connections import SyncOutcome
from models.scope import Scope
from models.settings import settings
from models.store.maintenance import vacuum_after_sync
from models.sync import wechat, wecom, wecom_groups
from models.sync.credentials import credential_refs
from models.sync.http import ApiClient, CredentialRef, PlatformError, QuotaReached
from models.sync.lock import sync_lock
from models.sync.secret_box import SecretUnreadable
from models.sync.state import AccountResult, mark_finished, mark_started

log = logging.getLogger("cockpit.sync")

SyncAccount = Callable[[Engine, ApiClient, CredentialRef, date | None, date | None, datetime], AccountResult]


@dataclass(frozen=True)
class Source:
    credential_kind: str
    sync_account: SyncAccount
    label: tuple[str, str]


SOURCES: dict[str, Source] = {
    wechat.SOURCE: Source(wechat.CREDENTIAL_KIND, wechat.sync_account, ("公众号粉丝", "official-account followers")),
    wecom_groups.SOURCE: Source(wecom.CREDENTIAL_KIND, wecom_groups.sync_groups,
                                ("企业微信客户群与成员", "WeCom customer groups and members")),
    wecom.STAFF_SOURCE: Source(wecom.CREDENTIAL_KIND, wecom.sync_staff,
                               ("企业微信员工日统计", "WeCom staff-day statistics")),
}
# Names that stand for several sources (`manage.py sync wecom`).
SOURCE_SETS: dict[str, tuple[str, ...]] = {"wecom": (wecom_groups.SOURCE, wecom.STAFF_SOURCE)}


def expand_sources(names: list[str]) -> list[str]:
    """Source names with the sets (`wecom`) replaced by their members, each once, in order."""
    return list(dict.fromkeys(s for name in names for s in SOURCE_SETS.get(name, (name,))))


class UnknownSource(ValueError):
    """A source that no connector provides."""


def _run_one(engine: Engine, client: ApiClient, name: str, source: Source, credential: CredentialRef,
             since: date | None, until: date | None, now: datetime) -> AccountResult:
    mark_started(engine, name, credential.account_key)
    try:
        result = source.sync_account(engine, client, credential, since, until, now)
        result.source = name
        if not result.windows:
            result.detail = "已是最新 / already up to date"
    except QuotaReached as exc:
        result = AccountResult(name, credential.account_key, SyncOutcome.QUOTA,
                               f"平台调用配额已用完，下次同步继续 / platform quota reached, the next run resumes ({exc})")
    except PlatformError as exc:
        result = AccountResult(name, credential.account_key, SyncOutcome.FAILED, str(exc))
    except Exception as exc:  # noqa: BLE001 - one account's bug must not stop the others; it is logged in full
        log.exception("sync %s %s failed", name, credential.account_key)
        first_line = (str(exc).splitlines() or [""])[0][:200]  # not the SQL parameters on the lines below
        result = AccountResult(name, credential.account_key, SyncOutcome.FAILED, f"{type(exc).__name__}: {first_line}")
    result.calls = client.calls[credential.account_key]
    mark_finished(engine, result)
    with Session(engine) as session:
        audit(session, f"sync:{name}", "sync", result.outcome, result.line())
        session.commit()
    log.info("%s", result.line())
    return result


def run_sync(engine: Engine, sources: list[str], since: date | None = None, until: date | None = None,
             accounts: list[str] | None = None, now: datetime | None = None,
             progress: Callable[[AccountResult], None] | None = None, total: Callable[[int], None] | None = None,
             client: ApiClient | None = None) -> list[AccountResult]:
    """Sync `sources` (names in SOURCES) for every connected account (or `accounts`); `SyncBusy` when another
    sync runs. `total(n)` hears how many accounts will run, `progress(result)` each one as it ends."""
    sources = expand_sources(sources)
    unknown = [s for s in sources if s not in SOURCES]
    if unknown:
        raise UnknownSource(f"没有这个数据源的连接器 / no connector for {', '.join(unknown)} "
                            f"(available: {', '.join(SOURCES)})")
    now = now or datetime.now(UTC)
    results: list[AccountResult] = []
    with sync_lock(engine):
        jobs = []
        for name in sources:
            source = SOURCES[name]
            try:
                with Session(engine) as session:
                    refs = credential_refs(session, source.credential_kind, accounts)
            except SecretUnreadable as exc:
                results.append(AccountResult(name, "*", SyncOutcome.FAILED, str(exc)))
                continue
            jobs += [(name, source, ref) for ref in refs]
        found = {ref.account_key for _, _, ref in jobs}
        for key in sorted(set(accounts or []) - found):   # an account asked for that no chosen source knows
            results.append(AccountResult(sources[0] if len(sources) == 1 else "all", key, SyncOutcome.FAILED,
                                         "没有保存的密钥 / no stored credential"))
        if total is not None:
            total(len(jobs))
        own_client = client is None
        client = client or ApiClient(engine)
        try:
            with ThreadPoolExecutor(max_workers=max(1, min(settings().sync_workers, len(jobs) or 1)),
                                    thread_name_prefix="sync") as pool:
                futures = [pool.submit(_run_one, engine, client, name, source, ref, since, until, now)
                           for name, source, ref in jobs]
                for future in as_completed(futures):
                    result = future.result()
                    results.append(result)
                    if progress is not None:
                        progress(result)
        finally:
            if own_client:
                client.close()
        if any(result.rows_written for result in results):  # still under the lock: no other sync writes meanwhile
            vacuum_after_sync(engine)
    return results


def sources_for_kind(kind: str) -> list[str]:
    """The registered sources that a credential of `kind` feeds (a WeCom corp may feed several)."""
    return [name for name, source in SOURCES.items() if source.credential_kind == kind]


def sync_now(engine: Engine, scope: Scope, username: str, kind: str, account_key: str) -> list[AccountResult]:
    """The admin page's "sync now" for one account or corp (admins only; the check is here, not in the page):
    every source of its kind, from where it stands to yesterday. `SyncBusy` when a sync runs already."""
    if scope.role != UserRole.ADMIN or not scope.is_everything:
        raise PermissionError("只有管理员可以发起同步 / only admins start a sync")
    names = sources_for_kind(kind)
    if not names:
        raise UnknownSource(f"没有这个类型的连接器 / no connector syncs {kind} yet")
    with Session(engine) as session:
        audit(session, username, "sync_now", "ok", f"{kind} {account_key}")
        session.commit()
    return run_sync(engine, names, accounts=[account_key])
