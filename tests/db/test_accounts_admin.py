"""Account changes on both backends: validated, all-or-nothing, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.auth import AccountError, authenticate, change_account, create_account


def test_create_disable_unlock_and_reset_are_audited(empty_engine):
    with Session(empty_engine) as session:
        user_id = create_account(session, "boss", "wang", "password-1", "viewer", email="Wang@Bank.cn")
        with pytest.raises(AccountError, match="already exists"):
            create_account(session, "boss", "wang", "password-2", "viewer")
        with pytest.raises(AccountError, match="e-mail"):
            create_account(session, "boss", "wang2", "password-2", "viewer", email="wang@bank.cn")
        with pytest.raises(AccountError, match="branch"):
            create_account(session, "boss", "zhao", "password-2", "president")
        with pytest.raises(AccountError, match="8"):
            create_account(session, "boss", "zhao", "short", "viewer")
        assert session.execute(select(User.username)).scalars().all() == ["wang"]

        change_account(session, "boss", user_id, active=False)
        assert authenticate(session, "wang", "password-1").reason == "inactive"
        change_account(session, "boss", user_id, active=True, new_password="password-9")
        assert authenticate(session, "wang", "password-9").reason == "ok"
        with pytest.raises(AccountError, match="own account"):
            change_account(session, "wang", user_id, active=False)
        actions = session.execute(select(AuditLog.action).where(AuditLog.username == "boss")).scalars().all()
        assert actions == ["user_create", "user_change", "user_change"]
