"""`push_briefs`: every branch with a stored group-robot key (`manage.py connect robot`) gets its morning brief.

Per branch: read its brief (`models.push.brief`), word it with the composer the caller passes (the wording and
WeCom markdown live with the UI strings: `components.push.compose_brief`; a callback, so the data layer imports
nothing above it), queue it for its robot. The queue (`models.push.wecom.Sender`) keeps each robot within 20
messages a minute and retries what can be retried. One branch's failure (no key, a removed robot, a bug in its
brief) is reported and audited; the others go on. Every message sent is audited: branch, bytes, attempts,
outcome, never the key. `dry_run` composes everything and sends nothing. Two runs never overlap (the sync lock
under its own name)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.auth import audit
from models.connections import CredentialKind
from models.push.brief import BranchBrief, UnknownBranch, branch_brief
from models.push.wecom import MAX_BYTES, Message, Sender, content_bytes
from models.settings import Settings, settings
from models.sync.credentials import credential_refs
from models.sync.lock import sync_lock
from models.sync.secret_box import SecretUnreadable

log = logging.getLogger("cockpit.push")

PUSH_USER = "push:brief"
PUSH_ACTION = "push_brief"
LOCK_NAME = "push"

Compose = Callable[[BranchBrief], str]


@dataclass
class PushResult:
    """One branch's brief: `outcome` ok | failed | dry_run; `content` the message (for --dry-run)."""

    branch_code: str
    outcome: str
    bytes: int = 0
    attempts: int = 0
    detail: str = ""
    content: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"

    def line(self) -> str:
        return (f"{self.branch_code}: {self.outcome} bytes={self.bytes} attempts={self.attempts}"
                f"{f' ({self.detail})' if self.detail else ''}")


def _audit(engine: Engine, result: PushResult) -> None:
    with Session(engine) as session:
        audit(session, PUSH_USER, PUSH_ACTION, result.outcome, result.line())
        session.commit()


def _compose_one(engine: Engine, compose: Compose, branch_code: str, end: date | None,
                 now: datetime | None) -> str:
    with Session(engine) as session:
        brief = branch_brief(session, branch_code, end, now)
    content = compose(brief)
    if content_bytes(content) > MAX_BYTES:
        raise ValueError(f"the composer made {content_bytes(content)} bytes (limit {MAX_BYTES})")
    return content


def push_briefs(engine: Engine, compose: Compose, branch_codes: list[str] | None = None, dry_run: bool = False,
                end: date | None = None, now: datetime | None = None, config: Settings | None = None,
                clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep,
                backoff: float = 2.0) -> list[PushResult]:
    """Push the brief of every branch with a robot key (or of `branch_codes`); one result per branch, in code
    order. `SyncBusy` when another push runs."""
    config = config or settings()
    results: dict[str, PushResult] = {}
    with sync_lock(engine, LOCK_NAME):
        try:
            with Session(engine) as session:
                refs = credential_refs(session, CredentialKind.ROBOT, branch_codes, config)
        except SecretUnreadable as exc:
            failed = [PushResult(code, "failed", detail=str(exc)) for code in (branch_codes or ["*"])]
            for result in failed:
                _audit(engine, result)
            return failed
        for code in sorted(set(branch_codes or []) - {r.account_key for r in refs}):
            results[code] = PushResult(code, "failed", detail="没有保存的群机器人 / no stored group robot key")
        messages: list[Message] = []
        for ref in refs:
            try:
                content = _compose_one(engine, compose, ref.account_key, end, now)
            except UnknownBranch:
                results[ref.account_key] = PushResult(ref.account_key, "failed",
                                                      detail="网点已不存在 / no such branch any more")
                continue
            except Exception as exc:  # noqa: BLE001 - one branch's bug must not stop the others; logged in full
                log.exception("brief for %s failed", ref.account_key)
                results[ref.account_key] = PushResult(ref.account_key, "failed", detail=f"{type(exc).__name__}: {exc}")
                continue
            if dry_run:
                results[ref.account_key] = PushResult(ref.account_key, "dry_run", content_bytes(content),
                                                      content=content)
            else:
                messages.append(Message(ref.account_key, ref.secret, content))
        for result in results.values():
            if result.outcome == "failed":
                _audit(engine, result)

        def done(message: Message) -> None:
            result = PushResult(message.label, message.outcome, message.size, message.attempts, message.detail)
            results[message.label] = result
            _audit(engine, result)
            log.info("%s", result.line())

        if messages:
            with httpx.Client(timeout=config.sync_timeout_seconds) as http:
                Sender(http, config.wecom_api_base, clock=clock, sleep=sleep, backoff=backoff).send_all(messages, done)
    return [results[code] for code in sorted(results)]
