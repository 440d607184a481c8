"""Passwords, lock-out, session expiry and the Scope a user gets: all decided on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog, User, UserRole
from models.metrics.org import descendant_branch_ids, read_frame
from models.org import Branch
from models.scope import Scope

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
SESSION_IDLE_LIMIT = timedelta(hours=8)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit(session: Session, username: str, action: str, outcome: str = "ok", detail: str = "") -> None:
    session.add(AuditLog(at=utcnow(), username=username[:64], action=action, outcome=outcome, detail=detail[:500]))


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    reason: str  # ok / unknown / wrong_password / locked / inactive


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a password; after MAX_FAILED_LOGINS failures the account is locked for LOCKOUT.
    Every attempt is audited. Commits its own changes."""
    now = now or utcnow()
    user = session.execute(select(User).where(User.username == username.strip())).scalars().first()
    if user is None:
        audit(session, username, "login", "failed", "unknown user")
        session.commit()
        return LoginResult(None, "unknown")
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        audit(session, user.username, "login", "locked")
        session.commit()
        return LoginResult(None, "locked")
    if not user.is_active:
        audit(session, user.username, "login", "failed", "inactive")
        session.commit()
        return LoginResult(None, "inactive")
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            audit(session, user.username, "login", "locked", f"locked until {user.locked_until:%Y-%m-%d %H:%M} UTC")
        else:
            audit(session, user.username, "login", "failed", "wrong password")
        session.add(user)
        session.commit()
        return LoginResult(None, "wrong_password")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    audit(session, user.username, "login", "ok")
    session.commit()
    return LoginResult(user.id, "ok")


def user_by_id(session: Session, user_id: int) -> User | None:
    user = session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def demo_accounts(session: Session) -> list[User]:
    """One-click demo logins exist only in a database the generator seeded as a demo."""
    return list(session.execute(select(User).where(User.is_demo.is_(True)).order_by(User.id)).scalars())


def session_expired(last_seen: datetime | None, now: datetime | None = None,
                    limit: timedelta = SESSION_IDLE_LIMIT) -> bool:
    return last_seen is None or (now or utcnow()) - _aware(last_seen) > limit


def scope_for_user(session: Session, user: User) -> Scope:
    """The branches a user may see, from the database record alone."""
    role = UserRole(user.role)
    label = user.display_name or user.username
    if role == UserRole.ADMIN:
        return Scope(branch_ids=None, label=label, can_see_phones=True, role=role.value, staff_id=user.staff_id)
    if user.branch_id is None:
        if role == UserRole.VIEWER:
            return Scope(branch_ids=None, label=label, role=role.value, read_only=True)
        return Scope(branch_ids=frozenset(), label=label, role=role.value)
    branches = read_frame(session, select(Branch.id.label("branch_id"), Branch.parent_id))
    visible = descendant_branch_ids(branches, user.branch_id) if not branches.empty else {user.branch_id}
    return Scope(
        branch_ids=frozenset(visible), label=label, can_see_phones=False, staff_id=user.staff_id,
        role=role.value, read_only=role == UserRole.VIEWER,
    )


def audit_log(session: Session, scope: Scope, limit: int = 500) -> pd.DataFrame:
    """The newest audit entries (admins only see this page)."""
    statement = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.outcome, AuditLog.detail) \
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    return read_frame(session, statement)
