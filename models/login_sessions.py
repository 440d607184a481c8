"""Server-side login sessions: what a browser's cookie stands for, checked on every script run.

The browser holds only `sign(random id)`; the table holds the id's SHA-256, the user, when it was made
and last seen, when it ends and whether it was revoked. A sign-in makes a row and a one-time handoff
token; the handoff route swaps that token for the cookie (a fresh id the script never sees)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from models.accounts import User, UserSession
from models.auth import audit, utcnow
from models.scope import Scope
from models.settings import Settings, settings

COOKIE_NAME = "cockpit_session"
HANDOFF_PATH = "/_cockpit/session"   # POST a handoff token: answers with the HttpOnly cookie
SIGNOUT_PATH = "/_cockpit/signout"   # POST: ends the cookie's session and deletes the cookie
HANDOFF_LIFETIME_SECONDS = 120
KEEP_ENDED_SESSIONS = timedelta(days=30)   # ended rows stay a while for questions about who was signed in
_SALT = "cockpit.session-cookie"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def sign_token(token: str, secret: str) -> str:
    return Signer(secret, salt=_SALT).sign(token).decode("ascii")


def unsign_token(value: str, secret: str) -> str | None:
    """The random id inside a cookie value, or None when the signature does not hold (tampered)."""
    try:
        return Signer(secret, salt=_SALT).unsign(value.encode("latin-1")).decode("ascii")
    except (BadSignature, UnicodeError):
        return None


@dataclass(frozen=True)
class SessionCheck:
    session_id: int | None
    user_id: int | None
    reason: str  # ok / tampered / unknown / revoked / expired / idle / inactive

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


@dataclass(frozen=True)
class StartedSession:
    session_id: int
    handoff: str | None


def start_session(session: Session, user_id: int, now: datetime | None = None, config: Settings | None = None,
                  with_cookie: bool = True) -> StartedSession:
    """A new signed-in session for `user_id` and the one-time handoff token that becomes its cookie
    (none for an identity-provider login: Streamlit's own identity cookie carries that one). Rows that
    ended more than KEEP_ENDED_SESSIONS ago go at the same time, so the table stays small."""
    now, config = now or utcnow(), config or settings()
    handoff = secrets.token_urlsafe(32) if with_cookie else None
    row = UserSession(
        user_id=int(user_id), token_hash=_digest(secrets.token_urlsafe(32)),
        handoff_hash=_digest(handoff) if handoff else None,
        handoff_expires_at=now + timedelta(seconds=HANDOFF_LIFETIME_SECONDS) if handoff else None,
        created_at=now, last_seen_at=now, expires_at=_expiry(now, now, config),
    )
    session.add(row)
    session.execute(delete(UserSession).where(UserSession.expires_at < now - KEEP_ENDED_SESSIONS))
    session.commit()
    return StartedSession(int(row.id), handoff)


def _expiry(created_at: datetime, last_seen_at: datetime, config: Settings) -> datetime:
    return min(created_at + config.session_max_age, last_seen_at + config.idle_limit)


def redeem_handoff(session: Session, handoff: str, now: datetime | None = None,
                   config: Settings | None = None) -> str | None:
    """Swap a handoff token (once, within its lifetime, on a live session) for the signed cookie value.
    The id inside the cookie is made here, so neither the script nor the page ever sees it."""
    now, config = now or utcnow(), config or settings()
    row = session.execute(select(UserSession).where(UserSession.handoff_hash == _digest(handoff))).scalars().first()
    if row is None or row.handoff_expires_at is None or row.handoff_expires_at < now:
        audit(session, username_of(session, row.user_id if row else None), "session", "failed",
              "handoff unknown, used or expired")
        session.commit()
        return None
    row.handoff_hash = None
    row.handoff_expires_at = None
    token = secrets.token_urlsafe(32)
    row.token_hash = _digest(token)
    session.add(row)
    session.commit()
    if not check_session(session, int(row.id), now, config).ok:
        return None
    return sign_token(token, config.session_secret)


def pending_handoff(session: Session, session_id: int, handoff: str, now: datetime | None = None) -> bool:
    """True while the handoff has neither been redeemed nor run out, i.e. the page must still send it."""
    row = session.get(UserSession, int(session_id))
    return (row is not None and row.handoff_hash == _digest(handoff) and row.handoff_expires_at is not None
            and row.handoff_expires_at >= (now or utcnow()))


def username_of(session: Session, user_id: int | None) -> str:
    """The account's name for the audit log ("anonymous" when there is none)."""
    user = session.get(User, int(user_id)) if user_id is not None else None
    return user.username if user else "anonymous"


def _verdict(row: UserSession, user: User | None, now: datetime, config: Settings) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if user is None or not user.is_active:
        return "inactive"
    if now - row.last_seen_at >= config.idle_limit:
        return "idle"
    if now >= row.expires_at or now >= row.created_at + config.session_max_age:
        return "expired"
    return "ok"


def check_session(session: Session, session_id: int, now: datetime | None = None,
                  config: Settings | None = None) -> SessionCheck:
    """Is this session still good? Refreshes last_seen at most once per touch interval (a write per
    click would make every rerun a write). Does not audit: the caller knows whether this is news."""
    now, config = now or utcnow(), config or settings()
    row = session.get(UserSession, int(session_id))
    if row is None:
        return SessionCheck(None, None, "unknown")
    user = session.get(User, row.user_id)
    verdict = _verdict(row, user, now, config)
    if verdict == "ok" and now - row.last_seen_at >= config.touch_interval:
        row.last_seen_at = now
        row.expires_at = _expiry(row.created_at, now, config)
        session.add(row)
        session.commit()
    return SessionCheck(int(row.id), int(row.user_id), verdict)


def resume_session(session: Session, cookie_value: str, now: datetime | None = None,
                   config: Settings | None = None) -> SessionCheck:
    """The session a browser's cookie stands for. Every refusal (tampered, unknown, revoked, expired,
    idle, deactivated) is audited, with the user's name when the row is known."""
    now, config = now or utcnow(), config or settings()
    token = unsign_token(cookie_value, config.session_secret)
    if token is None:
        audit(session, "anonymous", "session", "failed", "tampered cookie")
        session.commit()
        return SessionCheck(None, None, "tampered")
    row = session.execute(select(UserSession).where(UserSession.token_hash == _digest(token))).scalars().first()
    if row is None:
        audit(session, "anonymous", "session", "failed", "unknown session")
        session.commit()
        return SessionCheck(None, None, "unknown")
    result = check_session(session, int(row.id), now, config)
    if not result.ok:
        audit(session, username_of(session, row.user_id), "session", "failed", f"{result.reason} session")
        session.commit()
    return result


def revoke_session(session: Session, session_id: int, reason: str, now: datetime | None = None) -> None:
    """End one session (sign-out). Commits."""
    session.execute(update(UserSession).where(UserSession.id == int(session_id), UserSession.revoked_at.is_(None))
                    .values(revoked_at=now or utcnow(), revoked_reason=reason[:32], handoff_hash=None))
    session.commit()


def revoke_cookie(session: Session, cookie_value: str, reason: str, config: Settings | None = None) -> None:
    """End the session a cookie stands for, if its signature holds (the sign-out route)."""
    token = unsign_token(cookie_value, (config or settings()).session_secret)
    if token is not None:
        row = session.execute(select(UserSession.id).where(UserSession.token_hash == _digest(token))).first()
        if row is not None:
            revoke_session(session, int(row[0]), reason)


def live_sessions(session: Session, scope: Scope, user_id: int, now: datetime | None = None) -> int:
    """How many of a user's sessions are neither revoked nor past their end (the users page, admins)."""
    statement = select(func.count()).select_from(UserSession).where(
        UserSession.user_id == int(user_id), UserSession.revoked_at.is_(None),
        UserSession.expires_at > (now or utcnow()),
    )
    return int(session.execute(statement).scalar_one())
