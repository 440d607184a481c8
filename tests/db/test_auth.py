"""Passwords, lock-out, expiry and role scopes on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.auth import (
    MAX_FAILED_LOGINS,
    authenticate,
    hash_password,
    scope_for_user,
    session_expired,
    verify_password,
)
from sample_data.accounts import DEMO_PASSWORD
from sample_data.org import STORY_BRANCH_CODE


def test_password_hash_is_argon2_and_verifies_only_the_right_password():
    stored = hash_password("s3cret-密码")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "s3cret-密码")
    assert not verify_password(stored, "s3cret")
    assert not verify_password("not-a-hash", "anything")


def test_session_expires_after_the_idle_limit():
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert not session_expired(now - timedelta(hours=7, minutes=59), now)
    assert session_expired(now - timedelta(hours=8, minutes=1), now)
    assert session_expired(None, now)


def test_lockout_after_repeated_failures_then_unlocks(empty_engine):
    with Session(empty_engine) as session:
        session.add(User(username="li", password_hash=hash_password("right"), role="staff"))
        session.commit()
        now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        for _ in range(MAX_FAILED_LOGINS):
            assert authenticate(session, "li", "wrong", now).reason == "wrong_password"
        assert authenticate(session, "li", "right", now + timedelta(minutes=1)).reason == "locked"
        assert authenticate(session, "li", "right", now + timedelta(minutes=16)).reason == "ok"
        outcomes = session.execute(select(AuditLog.outcome).where(AuditLog.username == "li")).scalars().all()
        assert outcomes.count("failed") == MAX_FAILED_LOGINS - 1
        assert outcomes.count("locked") == 2 and outcomes[-1] == "ok"
        assert authenticate(session, "nobody", "x", now).reason == "unknown"


def test_each_demo_role_gets_the_scope_of_its_record(demo_session):
    users = {u.username: u for u in demo_session.execute(select(User)).scalars()}
    story = demo_session.execute(text("SELECT id FROM branch WHERE code = :c"), {"c": STORY_BRANCH_CODE}).scalar_one()
    city = demo_session.execute(text("SELECT parent_id FROM branch WHERE id = :i"), {"i": story}).scalar_one()
    under_city = set(demo_session.execute(text("SELECT id FROM branch WHERE parent_id = :c"), {"c": city}).scalars())

    admin = scope_for_user(demo_session, users["demo_admin"])
    assert admin.is_everything and admin.can_see_phones
    president = scope_for_user(demo_session, users["demo_president"])
    assert president.branch_ids == frozenset({story}) and not president.can_see_phones
    city_president = scope_for_user(demo_session, users["demo_city"])
    assert city_president.branch_ids == frozenset(under_city | {city})
    staff = scope_for_user(demo_session, users["demo_staff"])
    assert staff.branch_ids == frozenset({story}) and staff.staff_id == users["demo_staff"].staff_id
    viewer = scope_for_user(demo_session, users["demo_viewer"])
    assert viewer.read_only and not viewer.can_see_phones
    assert authenticate(demo_session, "demo_staff", DEMO_PASSWORD).reason == "ok"
