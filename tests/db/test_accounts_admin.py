"""Account changes on both backends: validated, all-or-nothing, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.auth import AccountError, authenticate, change_account, create_account, scope_for_user
from models.db import make_engine
from models.migrations import create_all
from models.org import Branch, Staff


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


def _two_branches_with_staff(session) -> dict[str, int]:
    """A sub-branch under a city branch and a second city branch, one account manager in each sub-branch."""
    city = Branch(code="C1", name="城区支行", level="branch")
    other_city = Branch(code="C2", name="县域支行", level="branch")
    session.add_all([city, other_city])
    session.flush()
    sub = Branch(code="C1-01", name="月河社区支行", level="sub_branch", parent_id=city.id)
    other_sub = Branch(code="C2-01", name="新丰支行", level="sub_branch", parent_id=other_city.id)
    session.add_all([sub, other_sub])
    session.flush()
    mine = Staff(branch_id=sub.id, employee_no="E001", name="张三", role="account_manager")
    theirs = Staff(branch_id=other_sub.id, employee_no="E002", name="李四", role="account_manager")
    session.add_all([mine, theirs])
    session.commit()
    return {"city": city.id, "sub": sub.id, "other_sub": other_sub.id, "mine": mine.id, "theirs": theirs.id}


def test_a_staff_account_must_be_linked_to_an_existing_staff_record_in_its_branches(empty_engine):
    with Session(empty_engine) as session:
        ids = _two_branches_with_staff(session)
        with pytest.raises(AccountError, match="employee number"):
            create_account(session, "boss", "zhang", "password-1", "staff", ids["sub"])
        with pytest.raises(AccountError, match="unknown employee number"):
            create_account(session, "boss", "zhang", "password-1", "staff", ids["sub"], employee_no="E999")
        with pytest.raises(AccountError, match="outside"):
            create_account(session, "boss", "zhang", "password-1", "staff", ids["sub"], employee_no="E002")
        with pytest.raises(AccountError, match="viewer"):
            create_account(session, "boss", "screen", "password-1", "viewer", employee_no="E001")
        assert session.execute(select(User.username)).scalars().all() == []

        user_id = create_account(session, "boss", "zhang", "password-1", "staff", employee_no=" E001 ")
        user = session.get(User, user_id)
        assert (user.staff_id, user.branch_id) == (ids["mine"], ids["sub"])  # the branch comes from the record
        president = create_account(session, "boss", "city", "password-1", "president", ids["city"])
        assert session.get(User, president).staff_id is None  # presidents may stay unlinked
        with pytest.raises(AccountError, match="already linked to zhang"):
            create_account(session, "boss", "zhang2", "password-1", "staff", ids["city"], employee_no="E001")


def test_linking_a_legacy_staff_account_is_checked_the_same_way(empty_engine):
    with Session(empty_engine) as session:
        ids = _two_branches_with_staff(session)
        legacy = User(username="old", password_hash="x", role="staff", branch_id=ids["sub"])  # made before the rule
        session.add(legacy)
        session.commit()
        with pytest.raises(AccountError, match="outside"):
            change_account(session, "boss", legacy.id, employee_no="E002")
        with pytest.raises(AccountError, match="employee number"):
            change_account(session, "boss", legacy.id, employee_no="")
        change_account(session, "boss", legacy.id, employee_no="E001")
        session.refresh(legacy)
        assert legacy.staff_id == ids["mine"]
        assert session.execute(select(AuditLog.detail).where(AuditLog.action == "user_change")).scalars().all() \
            == [f"old: staff={ids['mine']}"]


def test_create_user_command_refuses_a_staff_login_without_employee_number(monkeypatch, tmp_path, capsys):
    from manage import main

    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = make_engine(url)
    create_all(engine)
    with Session(engine) as session:
        _two_branches_with_staff(session)
    args = ["create-user", "--username", "zhang", "--role", "staff", "--password", "password-1"]
    assert main([*args, "--branch-code", "C1-01"]) == 2
    assert "employee number" in capsys.readouterr().err
    assert main([*args, "--employee-no", "E002", "--branch-code", "C1-01"]) == 2
    assert "outside" in capsys.readouterr().err
    assert main([*args, "--employee-no", "E001"]) == 0
    with Session(engine) as session:
        user = session.execute(select(User).where(User.username == "zhang")).scalars().one()
        assert user.staff_id is not None and user.branch_id is not None
    engine.dispose()


def test_a_viewer_is_nobodys_me_even_when_an_old_record_links_it(empty_engine):
    with Session(empty_engine) as session:
        ids = _two_branches_with_staff(session)
        screen = User(username="screen", password_hash="x", role="viewer", branch_id=ids["sub"], staff_id=ids["mine"])
        staff = User(username="zhang", password_hash="x", role="staff", branch_id=ids["sub"], staff_id=ids["mine"])
        session.add_all([screen, staff])
        session.commit()
        assert scope_for_user(session, screen).staff_id is None
        assert scope_for_user(session, staff).staff_id == ids["mine"]


def test_a_role_change_keeps_the_staff_rule_and_nobody_changes_their_own_role(empty_engine):
    with Session(empty_engine) as session:
        ids = _two_branches_with_staff(session)
        boss = create_account(session, "setup", "boss", "password-1", "admin")
        teller = create_account(session, "boss", "zhang", "password-1", "staff", employee_no="E001")
        with pytest.raises(AccountError, match="own role"):
            change_account(session, "boss", boss, role="viewer")
        change_account(session, "boss", teller, role="president")
        user = session.get(User, teller)
        assert (user.role, user.staff_id) == ("president", ids["mine"])  # a president keeps their record
        change_account(session, "boss", teller, role="viewer")
        session.refresh(user)
        assert (user.role, user.staff_id) == ("viewer", None)  # a viewer is nobody's "me"
        with pytest.raises(AccountError, match="employee number"):
            change_account(session, "boss", teller, role="staff")  # staff again only once relinked
        assert scope_for_user(session, user).staff_id is None
