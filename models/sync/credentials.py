"""Storing the platforms' secrets: one service function for the CLI (`manage.py connect`) and the admin page.
The secret is encrypted before it reaches the session, and never returned, logged or audited."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import delete, select
from sqlmodel import Session

from models.accounts import UserRole
from models.auth import audit
from models.connections import AccessTokenCache, Credential, CredentialKind, SyncState
from models.followers import OfficialAccount
from models.org import Branch
from models.scope import Scope
from models.settings import Settings
from models.store.frames import read_frame
from models.sync.http import CredentialRef
from models.sync.secret_box import decrypt, encrypt

ORIGINAL_ID = re.compile(r"^gh_[0-9A-Za-z_]{3,60}$")
APPID = re.compile(r"^wx[0-9A-Za-z]{6,32}$")
KEY_TEXT = re.compile(r"^[0-9A-Za-z_\-.]{2,64}$")
MAX_SECRET = 512
CHINA_TZ = "Asia/Shanghai"


class CredentialError(ValueError):
    """A credential that cannot be stored; the message is for the person who entered it (without the secret)."""


def _refuse(zh: str, en: str) -> CredentialError:
    return CredentialError(f"{zh} / {en}")


def _check(session: Session, kind: str, account_key: str, appid: str, secret: str) -> None:
    if kind not in set(CredentialKind):
        raise _refuse("未知的接入类型", f"unknown kind {kind!r}")
    if not secret or len(secret) > MAX_SECRET or any(c.isspace() for c in secret):
        raise _refuse("密钥为空、过长或含空白字符", "the secret is empty, too long or contains blanks")
    if kind == CredentialKind.WECHAT:
        if not ORIGINAL_ID.match(account_key):
            raise _refuse("公众号原始ID应形如 gh_xxxxxxxx", "the account's original id looks like gh_xxxxxxxx")
        if not APPID.match(appid):
            raise _refuse("AppID 应形如 wx 开头的字母数字", "the AppID starts with wx, letters and digits")
        if session.execute(select(OfficialAccount.id).where(OfficialAccount.wechat_id == account_key)).first() is None:
            raise _refuse("没有这个公众号，请先导入公众号名单", f"no official account {account_key}; import it first")
    elif not KEY_TEXT.match(account_key):
        raise _refuse("企业ID或网点代码格式不正确", "the corp id or branch code is malformed")
    elif kind == CredentialKind.ROBOT and \
            session.execute(select(Branch.id).where(Branch.code == account_key)).first() is None:
        raise _refuse("没有这个网点代码", f"no branch with code {account_key}")


def save_credential(session: Session, scope: Scope, username: str, kind: str, account_key: str, secret: str,
                    appid: str = "", config: Settings | None = None) -> str:
    """Add or replace one credential (admins only), audited without the secret; commits.
    Returns "added" or "replaced". A replaced secret drops the cached token that the old one earned."""
    if scope.role != UserRole.ADMIN or not scope.is_everything:
        raise PermissionError("只有管理员可以接入平台账号 / only admins connect platform accounts")
    account_key, appid, secret = account_key.strip(), appid.strip(), secret.strip()
    _check(session, kind, account_key, appid, secret)
    now = datetime.now(UTC)
    row = session.execute(select(Credential).where(Credential.kind == kind, Credential.account_key == account_key)) \
        .scalars().first()
    what = "replaced" if row is not None else "added"
    if row is None:
        row = Credential(kind=kind, account_key=account_key, created_by=username[:64], created_at=now,
                         secret_cipher="", updated_by=username[:64], updated_at=now)
    else:
        session.execute(delete(AccessTokenCache).where(AccessTokenCache.credential_id == row.id))
    row.appid, row.secret_cipher = appid, encrypt(secret, config)
    row.updated_by, row.updated_at = username[:64], now
    session.add(row)
    audit(session, username, "connect", "ok", f"{kind} {account_key}{f' appid={appid}' if appid else ''} {what}")
    session.commit()
    return what


def credential_refs(session: Session, kind: str, account_keys: list[str] | None = None,
                    config: Settings | None = None) -> list[CredentialRef]:
    """The stored credentials of one kind, decrypted for a sync (never shown)."""
    statement = select(Credential).where(Credential.kind == kind).order_by(Credential.account_key)
    if account_keys:
        statement = statement.where(Credential.account_key.in_(account_keys))
    return [CredentialRef(row.id, row.kind, row.account_key, row.appid,
                          decrypt(row.secret_cipher, config, f"the secret of {row.kind} {row.account_key}"))
            for row in session.execute(statement).scalars()]


def connections_overview(session: Session, scope: Scope) -> pd.DataFrame:
    """Every stored credential with its latest sync (admins only): kind, account, appid, who stored it when,
    the last complete day, the last run's start, end (China time), outcome and detail. Never the secret."""
    if scope.role != UserRole.ADMIN:
        raise PermissionError("只有管理员可以查看平台接入 / only admins see platform connections")
    credentials = read_frame(session, select(
        Credential.kind, Credential.account_key, Credential.appid, Credential.updated_by, Credential.updated_at,
    ).order_by(Credential.kind, Credential.account_key))
    states = read_frame(session, select(
        SyncState.source, SyncState.account_key, SyncState.last_complete_day, SyncState.last_started_at,
        SyncState.last_finished_at, SyncState.outcome, SyncState.detail, SyncState.rows_written, SyncState.calls_made))
    names = read_frame(session, select(OfficialAccount.wechat_id.label("account_key"), OfficialAccount.name))
    if not states.empty:
        states = states.sort_values("last_started_at", na_position="first").drop_duplicates("account_key", keep="last")
    frame = credentials.merge(states, on="account_key", how="left").merge(names, on="account_key", how="left")
    frame["name"] = frame["name"].fillna("")
    for column in ("updated_at", "last_started_at", "last_finished_at"):  # shown in the bank's time
        frame[column] = pd.to_datetime(frame[column], utc=True).dt.tz_convert(CHINA_TZ).dt.tz_localize(None) \
            .dt.floor("s")
    return frame
