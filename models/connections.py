"""Connections to the platforms the data comes from by itself (issue 16): the stored credentials (encrypted),
the access tokens every process shares, where each account's sync stands, and the lock that keeps two syncs
apart. Declarations only; `models.sync` reads and writes them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class CredentialKind(StrEnum):
    WECHAT = "wechat"   # an official account: account_key = original id (gh_...), appid, AppSecret
    WECOM = "wecom"     # a WeCom corp: account_key = corp id, the customer-contact secret
    ROBOT = "robot"     # a branch's WeCom group robot: account_key = branch code, the webhook key


class SyncOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"   # an error in our code or the platform's answer: someone must look
    QUOTA = "quota"     # the platform's daily quota or frequency limit: resumes on the next run


class Credential(SQLModel, table=True):
    """One secret per platform account. `secret_cipher` is Fernet ciphertext (`models.sync.secret_box`);
    the plain secret is never stored, shown, logged or audited."""

    __table_args__ = (UniqueConstraint("kind", "account_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    account_key: str = Field(max_length=64)
    appid: str = Field(default="", max_length=64)
    secret_cipher: str = Field(sa_column=Column(Text, nullable=False))
    created_by: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_by: str = Field(max_length=64)
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class AccessTokenCache(SQLModel, table=True):
    """The platform access token of a credential, encrypted like the secret, shared by every process until
    `expires_at` (a little before the platform's own expiry)."""

    credential_id: int = Field(primary_key=True, foreign_key="credential.id")
    token_cipher: str = Field(sa_column=Column(Text, nullable=False))
    fetched_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class SyncState(SQLModel, table=True):
    """Where one account's sync of one source stands: the last day stored complete, and the last run."""

    __table_args__ = (UniqueConstraint("source", "account_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    account_key: str = Field(max_length=64)
    last_complete_day: date | None = None
    last_started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_finished_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    last_success_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    outcome: str = Field(default=SyncOutcome.RUNNING, max_length=16)
    detail: str = Field(default="", max_length=500)
    rows_written: int = 0
    calls_made: int = 0


class SyncLock(SQLModel, table=True):
    """The lock row that keeps two syncs apart on SQLite (PostgreSQL uses an advisory lock instead).
    A row past `expires_at` belongs to a sync that died: the next one takes it over."""

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=128)
    acquired_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
