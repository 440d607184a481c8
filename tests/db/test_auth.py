"""Passwords, lock-out, demo logins, login sessions and role scopes on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlmodel import Session

from models.accounts import AuditLog, User, UserSession
from models.auth import (
    MAX_FAILED_LOGINS,
    LoginResult,
    admit_demo,
    authenticate,
    change_account,
    demo_accounts,
    hash_password,
    scope_for_user,
    sign_out_everywhere,
    verify_password,
)
from models.login_sessions import (
    SessionCheck,
    check_session,
    live_sessions,
    redeem_handoff,
    resume_session,
    revoke_session,
    sign_token,
    start_session,
    unsign_token,
)
from models.scope import Scope
from models.settings import Settings
from sample_data.accounts import DEMO_PASSWORD
from sample_data.org import STORY_BRANCH_CODE


def test_password_hash_is_argon2_and_verifies_only_the_right_password():
    stored = hash_password("s3cret-密码")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "s3cret-密码")
    assert not verify_password(stored, "s3cret")
    assert not verify_password("not-a-hash", "anything")


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


def _user(session: Session, username: str, password: str = "right-password", **fields) -> User:
    user = User(username=username, password_hash=hash_password(password), role=fields.pop("role", "viewer"), **fields)
    session.add(user)
    session.commit()
    return user


def test_a_wrong_password_gets_the_same_answer_whatever_the_accounts_state(empty_engine):
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with Session(empty_engine) as session:
        _user(session, "active")
        _user(session, "gone", is_active=False)
        _user(session, "shut", locked_until=now + timedelta(minutes=10))
        wrong = {authenticate(session, name, "wrong", now).reason for name in ("nobody", "active", "gone", "shut")}
        assert wrong == {"unknown", "wrong_password", "locked"}   # the form words all three alike
        assert authenticate(session, "gone", "wrong", now).reason == "wrong_password"
        assert authenticate(session, "gone", "right-password", now).reason == "inactive"
        assert authenticate(session, "shut", "right-password", now).reason == "locked"
        assert session.get(User, 2).failed_logins == 0   # a deactivated account does not count towards a lock


def test_demo_clicks_follow_the_login_rules_and_refusals_are_audited_as_failures(empty_engine):
    now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    with Session(empty_engine) as session:
        ok = _user(session, "demo_ok", is_demo=True)
        locked = _user(session, "demo_locked", is_demo=True, locked_until=now + timedelta(minutes=5))
        gone = _user(session, "demo_gone", is_demo=True, is_active=False)
        real = _user(session, "real_user")
        assert [u.username for u in demo_accounts(session)] == ["demo_ok", "demo_locked"]
        assert admit_demo(session, ok.id, now) == LoginResult(ok.id, "ok")
        assert admit_demo(session, locked.id, now).reason == "locked"
        assert admit_demo(session, gone.id, now).reason == "inactive"
        assert admit_demo(session, real.id, now).reason == "unknown"
        assert admit_demo(session, locked.id, now + timedelta(minutes=6)).reason == "ok"
        audits = session.execute(select(AuditLog.username, AuditLog.outcome).where(AuditLog.action == "login")
                                 .order_by(AuditLog.id)).all()
        assert [tuple(a) for a in audits] == [("demo_ok", "ok"), ("demo_locked", "locked"), ("demo_gone", "failed"),
                                               ("real_user", "failed"), ("demo_locked", "ok")]


CONFIG = Settings(idle_limit=timedelta(hours=8), session_max_age=timedelta(days=7), session_secret="s" * 40)
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def _signed_in(session: Session, user: User, now: datetime = T0) -> tuple[int, str]:
    started = start_session(session, user.id, now, CONFIG)
    cookie = redeem_handoff(session, started.handoff, now + timedelta(seconds=2), CONFIG)
    assert cookie is not None
    return started.session_id, cookie


def _session_audits(session: Session) -> list[tuple[str, str]]:
    rows = session.execute(select(AuditLog.username, AuditLog.detail).where(AuditLog.action == "session")
                           .order_by(AuditLog.id)).all()
    return [tuple(r) for r in rows]


def test_a_handoff_becomes_a_signed_cookie_once_and_the_table_keeps_only_hashes(empty_engine):
    with Session(empty_engine) as session:
        user = _user(session, "li")
        started = start_session(session, user.id, T0, CONFIG)
        cookie = redeem_handoff(session, started.handoff, T0 + timedelta(seconds=5), CONFIG)
        token = unsign_token(cookie, CONFIG.session_secret)
        row = session.get(UserSession, started.session_id)
        assert token and row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
        assert row.handoff_hash is None and started.handoff not in (row.token_hash, cookie)
        assert redeem_handoff(session, started.handoff, T0 + timedelta(seconds=6), CONFIG) is None
        late = start_session(session, user.id, T0, CONFIG)
        assert redeem_handoff(session, late.handoff, T0 + timedelta(minutes=3), CONFIG) is None
        assert resume_session(session, cookie, T0 + timedelta(minutes=1), CONFIG) == \
            SessionCheck(started.session_id, user.id, "ok")
        assert [d for _, d in _session_audits(session)] == ["handoff unknown, used or expired"] * 2


def test_tampered_unknown_idle_and_old_cookies_are_refused_and_audited(empty_engine):
    with Session(empty_engine) as session:
        user = _user(session, "wu")
        _, cookie = _signed_in(session, user)
        token, signature = cookie.rsplit(".", 1)
        forged = ("A" if token[0] != "A" else "B") + token[1:] + "." + signature
        assert resume_session(session, forged, T0, CONFIG).reason == "tampered"
        assert resume_session(session, sign_token("made-up", CONFIG.session_secret), T0, CONFIG).reason == "unknown"
        other_secret = Settings(session_secret="t" * 40)
        assert resume_session(session, cookie, T0, other_secret).reason == "tampered"
        assert resume_session(session, cookie, T0 + timedelta(hours=7, minutes=59), CONFIG).ok
        # seen at 7:59 (the touch moved last_seen), so idle only 8 hours after that
        assert resume_session(session, cookie, T0 + timedelta(hours=15, minutes=58), CONFIG).ok
        assert resume_session(session, cookie, T0 + timedelta(hours=24), CONFIG).reason == "idle"
        _, kept_busy = _signed_in(session, user)
        for hour in range(0, 7 * 24, 4):
            assert resume_session(session, kept_busy, T0 + timedelta(hours=hour), CONFIG).ok
        assert resume_session(session, kept_busy, T0 + timedelta(days=7), CONFIG).reason == "expired"
        assert _session_audits(session) == [("anonymous", "tampered cookie"), ("anonymous", "unknown session"),
                                            ("anonymous", "tampered cookie"), ("wu", "idle session"),
                                            ("wu", "expired session")]


def test_last_seen_is_written_at_most_once_per_touch_interval(empty_engine):
    with Session(empty_engine) as session:
        user = _user(session, "zhao")
        session_id, _ = _signed_in(session, user)
        assert check_session(session, session_id, T0 + timedelta(seconds=30), CONFIG).ok
        assert session.get(UserSession, session_id).last_seen_at == T0
        assert check_session(session, session_id, T0 + timedelta(seconds=61), CONFIG).ok
        row = session.get(UserSession, session_id)
        assert row.last_seen_at == T0 + timedelta(seconds=61)
        assert row.expires_at == T0 + timedelta(seconds=61) + CONFIG.idle_limit


def test_sign_out_password_role_deactivation_and_admin_revoke_end_sessions(empty_engine):
    with Session(empty_engine) as session:
        user = _user(session, "qian", role="viewer")
        bystander = _user(session, "sun")
        own, _ = _signed_in(session, user)
        revoke_session(session, own, "signed out")
        assert check_session(session, own, T0, CONFIG).reason == "revoked"
        untouched, _ = _signed_in(session, bystander)

        for change in ({"new_password": "new-password-1"}, {"role": "admin"}, {"active": False}):
            first, cookie = _signed_in(session, user)
            second, _ = _signed_in(session, user)
            change_account(session, "admin", user.id, **change)
            assert {check_session(session, s, T0, CONFIG).reason for s in (first, second)} <= {"revoked"}
            assert resume_session(session, cookie, T0, CONFIG).reason == "revoked"
            if change == {"active": False}:
                change_account(session, "admin", user.id, active=True)

        first, _ = _signed_in(session, user)
        assert live_sessions(session, Scope(branch_ids=None, label="x"), user.id, T0) == 1
        assert sign_out_everywhere(session, "admin", user.id) == 1
        assert check_session(session, first, T0, CONFIG).reason == "revoked"
        assert change_account(session, "admin", user.id, unlock=True) is None   # an unlock leaves sessions alone
        assert check_session(session, untouched, T0, CONFIG).ok
        details = session.execute(select(AuditLog.detail).where(AuditLog.action.in_(["user_change",
                                                                                    "sessions_revoke"]))).scalars()
        assert [d for d in details if "session" in d] == [
            "qian: password reset, 2 session(s) ended", "qian: role viewer -> admin, 2 session(s) ended",
            "qian: deactivated, 2 session(s) ended", "qian: 1 session(s)"]


def test_sessions_that_ended_a_month_ago_are_cleared_at_the_next_sign_in(empty_engine):
    with Session(empty_engine) as session:
        user = _user(session, "zhou")
        old, _ = _signed_in(session, user, T0 - timedelta(days=45))
        recent, _ = _signed_in(session, user, T0 - timedelta(days=10))
        _signed_in(session, user, T0)
        assert session.get(UserSession, old) is None
        assert check_session(session, recent, T0, CONFIG).reason == "idle"
