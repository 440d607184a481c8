"""Passwords, lock-out, demo logins, account changes (which end sessions) and the Scope a user gets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select, update
from sqlmodel import Session

from models.accounts import AuditLog, User, UserRole, UserSession
from models.logs import log_event
from models.metrics.org import descendant_branch_ids, read_frame
from models.org import Branch, Staff
from models.scope import Scope
from models.system import DataVersion

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@cache
def _dummy_hash() -> str:
    return _hasher.hash("no such account")


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit(session: Session, username: str, action: str, outcome: str = "ok", detail: str = "") -> None:
    """A row in the audit log (written with the caller's transaction) and the same event as a JSON log line."""
    session.add(AuditLog(at=utcnow(), username=username[:64], action=action, outcome=outcome, detail=detail[:500]))
    log_event(action, logging.INFO if outcome == "ok" else logging.WARNING, user=username[:64], outcome=outcome,
              detail=detail[:500])


def bump_data_version(session: Session) -> int:
    """A write from a form changes figures: every cached query keyed on the data version re-reads.
    Inside the caller's transaction (the version moves with the write or not at all)."""
    row = session.get(DataVersion, 1)
    if row is None:
        row = DataVersion(id=1, version=1, updated_at=utcnow())
    else:
        row.version += 1
        row.updated_at = utcnow()
    session.add(row)
    session.flush()
    return int(row.version)


@dataclass(frozen=True)
class LoginResult:
    user_id: int | None
    reason: str  # ok / unknown / wrong_password / locked / inactive


def authenticate(session: Session, username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a password; after MAX_FAILED_LOGINS failures the account is locked for LOCKOUT.
    Every attempt is audited. Commits its own changes. A wrong password gets the same reason
    ("wrong_password" or "unknown", which the form words alike) whatever the account's state, and every
    path pays for one hash check, so neither the answer nor its timing tells whether an account exists.
    A locked account is not checked at all (its reason says locked, the form words it as any failure):
    a lock that still answered "right password" would let guessing go on through it."""
    now = now or utcnow()
    user = session.execute(select(User).where(User.username == username.strip())).scalars().first()
    if user is None:
        verify_password(_dummy_hash(), password)
        return _refuse(session, username, "unknown", "failed", "unknown user")
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        verify_password(_dummy_hash(), password)
        return _refuse(session, user.username, "locked", "locked", "")
    if not verify_password(user.password_hash, password):
        if not user.is_active:
            return _refuse(session, user.username, "wrong_password", "failed", "inactive, wrong password")
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
    if not user.is_active:
        return _refuse(session, user.username, "inactive", "failed", "inactive")
    return _admit(session, user, now, "")


def _refuse(session: Session, username: str, reason: str, outcome: str, detail: str) -> LoginResult:
    """A refused sign-in: on the record (outcome and detail for the audit log), then the reason."""
    audit(session, username, "login", outcome, detail)
    session.commit()
    return LoginResult(None, reason)


def _admit(session: Session, user: User, now: datetime, detail: str) -> LoginResult:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.add(user)
    audit(session, user.username, "login", "ok", detail)
    session.commit()
    return LoginResult(user.id, "ok")


def admit_demo(session: Session, user_id: int, now: datetime | None = None) -> LoginResult:
    """A one-click demo login under `authenticate`'s rules (the password is public, the rules are not):
    only a demo account, not locked, not deactivated. A refusal is audited as a failure."""
    now = now or utcnow()
    user = session.get(User, int(user_id))
    if user is None or not user.is_demo:
        return _refuse(session, user.username if user else "anonymous", "unknown", "failed", "demo: not a demo account")
    locked_until = _aware(user.locked_until)
    if locked_until and locked_until > now:
        return _refuse(session, user.username, "locked", "locked", "demo account")
    if not user.is_active:
        return _refuse(session, user.username, "inactive", "failed", "demo account inactive")
    return _admit(session, user, now, "demo account")


def user_by_id(session: Session, user_id: int) -> User | None:
    user = session.get(User, int(user_id))
    return user if user is not None and user.is_active else None


def user_by_email(session: Session, email: str) -> User | None:
    """The active account an identity provider's e-mail maps to (case-insensitive)."""
    statement = select(User).where(func.lower(User.email) == email.strip().lower(), User.is_active.is_(True))
    return session.execute(statement).scalars().first()


def demo_accounts(session: Session) -> list[User]:
    """One-click demo logins exist only in a database the generator seeded as a demo; a deactivated
    demo account gets no button."""
    statement = select(User).where(User.is_demo.is_(True), User.is_active.is_(True)).order_by(User.id)
    return list(session.execute(statement).scalars())


def remove_demo_accounts(session: Session, actor: str) -> list[str]:
    """Production has no one-click logins: every active demo account is deactivated (its sessions end); audited."""
    removed = []
    for user in demo_accounts(session):
        change_account(session, actor, user.id, active=False)
        removed.append(user.username)
    return removed


def revoke_user_sessions(session: Session, user_id: int, reason: str, now: datetime | None = None) -> int:
    """End every live session of a user (password change, deactivation, role change, an admin's click).
    Does not commit: the caller's change and the revocation land in one transaction."""
    result = session.execute(
        update(UserSession).where(UserSession.user_id == int(user_id), UserSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow(), revoked_reason=reason[:32], handoff_hash=None)
    )
    return int(result.rowcount or 0)


def sign_out_everywhere(session: Session, actor: str, user_id: int) -> int:
    """An admin ends all of a user's sessions (a lost phone, a leaver); audited. Returns how many."""
    user = session.get(User, int(user_id))
    if user is None:
        raise AccountError(f"用户不存在 / no user {user_id}")
    ended = revoke_user_sessions(session, user.id, "revoked by admin")
    audit(session, actor, "sessions_revoke", detail=f"{user.username}: {ended} session(s)")
    session.commit()
    return ended


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
    return Scope(  # a viewer is never anyone's "me" (its own customers' phones would show on the projector)
        branch_ids=frozenset(visible), label=label, can_see_phones=False,
        staff_id=None if role == UserRole.VIEWER else user.staff_id, role=role.value, read_only=role == UserRole.VIEWER,
    )


def audit_log(session: Session, scope: Scope, limit: int = 500) -> pd.DataFrame:
    """The newest audit entries (admins only see this page)."""
    statement = select(AuditLog.at, AuditLog.username, AuditLog.action, AuditLog.outcome, AuditLog.detail) \
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    return read_frame(session, statement)


class AccountError(ValueError):
    """A user change that cannot be made; the message is for the admin who asked."""


def list_users(session: Session, scope: Scope) -> pd.DataFrame:
    """Every account with its branch name (the admin page; admins only)."""
    statement = (
        select(User.id.label("user_id"), User.username, User.display_name, User.email, User.role,
               Branch.name.label("branch_name"), Staff.employee_no, User.is_active, User.is_demo, User.locked_until,
               User.last_login_at)
        .join(Branch, Branch.id == User.branch_id, isouter=True)
        .join(Staff, Staff.id == User.staff_id, isouter=True)
        .order_by(User.id)
    )
    return read_frame(session, statement)


def staff_link(session: Session, role: str, branch_id: int | None, employee_no: str | None,
               user_id: int | None = None) -> tuple[int | None, int | None]:
    """(staff id, branch id) for an account: a staff account must name the employee number of an existing
    staff record inside the account's branches, as that record is its "me" on every page; presidents and
    admins may name one, viewers may not (they stay masked). One login per staff record. Without a branch,
    a president or staff account takes the staff record's."""
    employee_no = (employee_no or "").strip()
    if not employee_no:
        if role == UserRole.STAFF:
            raise AccountError("员工账号必须填写工号 / a staff account needs an employee number")
        return None, branch_id
    if role == UserRole.VIEWER:
        raise AccountError("只读账号不关联员工 / viewer accounts are not linked to a staff record")
    staff = session.execute(select(Staff).where(Staff.employee_no == employee_no)).scalars().first()
    if staff is None:
        raise AccountError(f"未知工号 / unknown employee number {employee_no!r}")
    if role != UserRole.ADMIN:
        if branch_id is None:
            branch_id = staff.branch_id
        branches = read_frame(session, select(Branch.id.label("branch_id"), Branch.parent_id))
        if staff.branch_id not in descendant_branch_ids(branches, branch_id):
            raise AccountError(f"工号 {employee_no} 不在该账号的网点范围内 / employee number {employee_no} is "
                               "outside the account's branches")
    taken = select(User.username).where(User.staff_id == staff.id)
    if user_id is not None:
        taken = taken.where(User.id != int(user_id))
    holder = session.execute(taken).scalars().first()
    if holder is not None:
        raise AccountError(f"工号 {employee_no} 已关联账号 {holder} / employee number {employee_no} is already "
                           f"linked to {holder}")
    return int(staff.id), branch_id


def create_account(session: Session, actor: str, username: str, password: str, role: str,
                   branch_id: int | None = None, employee_no: str = "", display_name: str = "",
                   email: str = "") -> int:
    """Validate and create a login in one transaction; audited. Staff accounts are linked to their staff
    record by employee number (`staff_link`)."""
    username = username.strip()
    if not username:
        raise AccountError("用户名不能为空 / the username is empty")
    if len(password) < 8:
        raise AccountError("密码至少8位 / the password needs at least 8 characters")
    if role not in {r.value for r in UserRole}:
        raise AccountError(f"未知角色 / unknown role {role!r}")
    staff_id, branch_id = staff_link(session, role, branch_id, employee_no)
    if role in (UserRole.PRESIDENT, UserRole.STAFF) and branch_id is None:
        raise AccountError("行长和员工账号需要指定网点 / presidents and staff need a branch")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise AccountError(f"用户已存在 / user {username!r} already exists")
    if email and session.execute(select(User.id).where(func.lower(User.email) == email.strip().lower())).first():
        raise AccountError(f"邮箱已被使用 / e-mail {email!r} is already used")
    user = User(username=username, display_name=display_name or username, email=email.strip(),
                password_hash=hash_password(password), role=role, branch_id=branch_id, staff_id=staff_id)
    session.add(user)
    session.flush()
    audit(session, actor, "user_create", detail=f"{username} role={role} branch={branch_id} staff={staff_id}")
    session.commit()
    return int(user.id)


def change_account(session: Session, actor: str, user_id: int, *, active: bool | None = None,
                   unlock: bool = False, new_password: str | None = None, employee_no: str | None = None,
                   role: str | None = None) -> None:
    """Deactivate / reactivate, unlock, reset a password, link the staff record (`staff_link`) or change
    the role; audited. A deactivation, a new password or a new role ends every session of the account
    in the same transaction."""
    user = session.get(User, int(user_id))
    if user is None:
        raise AccountError(f"用户不存在 / no user {user_id}")
    changes = []
    if active is not None and active != user.is_active:
        if not active and user.username == actor:
            raise AccountError("不能停用自己的账号 / you cannot disable your own account")
        user.is_active = active
        changes.append("activated" if active else "deactivated")
    if unlock:
        user.locked_until = None
        user.failed_logins = 0
        changes.append("unlocked")
    if new_password is not None:
        if len(new_password) < 8:
            raise AccountError("密码至少8位 / the password needs at least 8 characters")
        user.password_hash = hash_password(new_password)
        changes.append("password reset")
    if employee_no is not None:
        user.staff_id, user.branch_id = staff_link(session, user.role, user.branch_id, employee_no, user.id)
        changes.append(f"staff={user.staff_id}")
    if role is not None and role != user.role:
        if role not in {r.value for r in UserRole}:
            raise AccountError(f"未知角色 / unknown role {role!r}")
        if user.username == actor:
            raise AccountError("不能修改自己的角色 / you cannot change your own role")
        if role in (UserRole.PRESIDENT, UserRole.STAFF) and user.branch_id is None:
            raise AccountError("行长和员工账号需要指定网点 / presidents and staff need a branch")
        if role == UserRole.VIEWER:  # a viewer is nobody's "me" and sees every phone masked
            user.staff_id = None
        else:
            linked = session.get(Staff, user.staff_id) if user.staff_id is not None else None
            staff_link(session, role, user.branch_id, linked.employee_no if linked else None, user.id)
        changes.append(f"role {user.role} -> {role}")
        user.role = role
    if not changes:
        return
    if any(c == "deactivated" or c.startswith(("password", "role")) for c in changes):
        ended = revoke_user_sessions(session, user.id, ", ".join(changes))
        changes.append(f"{ended} session(s) ended")
    session.add(user)
    audit(session, actor, "user_change", detail=f"{user.username}: {', '.join(changes)}")
    session.commit()


def save_language(session: Session, user_id: int, language: str) -> None:
    """Remember the user's UI language for their next sign-in."""
    user = session.get(User, int(user_id))
    if user is not None and language in ("zh", "en") and user.locale != language:
        user.locale = language
        session.add(user)
        session.commit()
