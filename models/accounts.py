"""Who may log in, with which role and branch, and the audit log of what they did."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class UserRole(StrEnum):
    ADMIN = "admin"          # head office: all data, imports, users, rules
    PRESIDENT = "president"  # their branch and the branches under it
    STAFF = "staff"          # their own customers and their branch's leaderboards
    VIEWER = "viewer"        # read-only and masked, for meetings


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=64)
    display_name: str = Field(default="", max_length=64)
    email: str = Field(default="", max_length=120, index=True)
    password_hash: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)
    branch_id: int | None = Field(default=None, foreign_key="branch.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    locale: str = Field(default="", max_length=8)  # "" follows the browser; "zh" / "en" is the user's choice
    is_active: bool = True
    is_demo: bool = False
    failed_logins: int = 0
    locked_until: datetime | None = None
    last_login_at: datetime | None = None


class AuditLog(SQLModel, table=True):
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime
    username: str = Field(max_length=64)
    action: str = Field(max_length=32)
    outcome: str = Field(default="ok", max_length=16)
    detail: str = Field(default="", max_length=500)


class UserSession(SQLModel, table=True):
    """One signed-in browser. The cookie carries a random id; only its SHA-256 is stored, so a copy of the
    table signs nobody in. `handoff_hash` is the one-time, short-lived token that turns into the cookie."""

    __tablename__ = "user_session"
    __table_args__ = (
        Index("ix_user_session_user_id", "user_id"),
        Index("ix_user_session_token_hash", "token_hash", unique=True),
        Index("ix_user_session_handoff_hash", "handoff_hash", unique=True),
        Index("ix_user_session_expires_at", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    token_hash: str = Field(max_length=64)
    handoff_hash: str | None = Field(default=None, max_length=64)
    handoff_expires_at: datetime | None = None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_reason: str = Field(default="", max_length=32)
