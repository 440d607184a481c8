"""What every review write shares: the refusals, the role check and the data-version bump."""

from __future__ import annotations

from sqlmodel import Session

from models.accounts import UserRole
from models.auth import audit, bump_data_version  # noqa: F401 (re-exported for the review services)
from models.scope import Scope

REVIEWERS = (UserRole.ADMIN.value, UserRole.PRESIDENT.value)
ADMINS = (UserRole.ADMIN.value,)


class ReviewRefused(PermissionError):
    """The caller's role or scope does not allow this write: nothing was written but the audit entry."""


class ReviewConflict(ValueError):
    """Someone else changed the same record since the form was drawn: nothing was written; the message
    says what changed, and the form keeps what the user typed."""


def refuse(session: Session, actor: str, action: str, detail: str, error: Exception) -> None:
    """Drop anything pending, put the refusal on the record, and raise `error`."""
    session.rollback()
    audit(session, actor, action, "refused", detail)
    session.commit()
    raise error


def conflict(session: Session, actor: str, action: str, detail: str, message: str) -> None:
    session.rollback()
    audit(session, actor, action, "conflict", detail)
    session.commit()
    raise ReviewConflict(message)


def require_role(session: Session, scope: Scope, actor: str, action: str, roles: tuple[str, ...], detail: str) -> None:
    """The role comes from the signed-in account's Scope (built on the server); a read-only scope never writes."""
    if scope.read_only or scope.role not in roles:
        refuse(session, actor, action, f"role={scope.role}: {detail}",
               ReviewRefused(f"您的角色（{scope.role}）无权执行此操作 / your role ({scope.role}) may not do this"))


