"""The login gate: form, demo logins, OIDC, sign-out, and the session that outlives a reload.

Streamlit's memory holds only the id of a row in `user_session`; every run checks that row (revoked,
expired, idle) before anything is drawn. A browser keeps the session across reloads, tabs and server
restarts through an HttpOnly cookie that the routes in serve.py set and delete; this module hands them
a one-time token from the page (see README, "How sessions work")."""

from __future__ import annotations

import json

import streamlit as st
from sqlmodel import Session

from components.data import engine, require_database, set_signed_in_user
from components.i18n import LANGUAGE_KEY, t
from components.text import escape_markdown
from models.accounts import User
from models.auth import admit_demo, audit, authenticate, demo_accounts, save_language, user_by_email, user_by_id
from models.login_sessions import (
    COOKIE_NAME,
    HANDOFF_PATH,
    SIGNOUT_PATH,
    check_session,
    pending_handoff,
    resume_session,
    revoke_session,
    start_session,
    username_of,
)

AUTH_KEY = "_auth_session"            # {"session_id", "user_id", "handoff"}
COOKIE_READ_KEY = "_auth_cookie_read"  # the cookie of this connection was looked at (once is enough)
CLEAR_COOKIE_KEY = "_auth_clear_cookie"
NOTICE_KEY = "_auth_notice"


def oidc_configured() -> bool:
    """True when `.streamlit/secrets.toml` (or `secrets.files`) has an [auth] section for st.login."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def _oidc_email() -> str | None:
    if not oidc_configured():
        return None
    try:
        if st.user.is_logged_in:
            return str(st.user.get("email") or "").strip().lower() or None
    except Exception:  # noqa: BLE001 - st.user unavailable outside a browser session
        return None
    return None


def _adopt_oidc_identity() -> None:
    """Map an identity-provider login to a local account by e-mail; an unknown e-mail gets nothing."""
    email = _oidc_email()
    if email is None or st.session_state.get(AUTH_KEY):
        return
    with Session(engine()) as session:
        user = user_by_email(session, email)
        user_id = user.id if user else None
        audit(session, email, "login", "ok" if user else "failed", "oidc" if user else "oidc: no account for e-mail")
        session.commit()
    if user_id is None:
        st.session_state[NOTICE_KEY] = "auth.oidc_unknown"
        st.session_state["_oidc_refused"] = True
        return
    _sign_in(user_id, with_cookie=False)


def _cookie_value() -> str | None:
    try:
        return st.context.cookies.get(COOKIE_NAME) or None
    except Exception:  # noqa: BLE001 - no browser connection (AppTest, scripts)
        return None


def _resume_from_cookie() -> None:
    """A new connection (reload, new tab, server restart) brings the cookie; a good one signs the
    browser back in, a bad one (tampered, revoked, expired, idle) is audited once and deleted."""
    if st.session_state.get(COOKIE_READ_KEY):
        return
    st.session_state[COOKIE_READ_KEY] = True
    value = _cookie_value()
    if value is None:
        return
    with Session(engine()) as session:
        check = resume_session(session, value)
        user = user_by_id(session, check.user_id) if check.ok else None
    if user is None:
        st.session_state[NOTICE_KEY] = "auth.expired"
        st.session_state[CLEAR_COOKIE_KEY] = True
        return
    st.session_state[AUTH_KEY] = {"session_id": check.session_id, "user_id": user.id, "handoff": None}
    if LANGUAGE_KEY not in st.session_state and user.locale in ("zh", "en"):
        st.session_state[LANGUAGE_KEY] = user.locale


def signed_in_user() -> User | None:
    """The signed-in, active user whose session row is still good on this run, or None."""
    _adopt_oidc_identity()
    if not st.session_state.get(AUTH_KEY):
        _resume_from_cookie()
    state = st.session_state.get(AUTH_KEY)
    user = None
    if state:
        with Session(engine()) as session:
            check = check_session(session, state["session_id"])
            user = user_by_id(session, state["user_id"]) if check.ok else None
            if user is None:
                audit(session, username_of(session, state["user_id"]), "session", "failed", f"{check.reason} session")
                session.commit()
        if user is None:
            st.session_state.pop(AUTH_KEY, None)
            st.session_state[NOTICE_KEY] = "auth.expired"
            st.session_state[CLEAR_COOKIE_KEY] = True
            if _oidc_email():
                st.logout()   # else the identity provider's cookie would sign a revoked user straight back in
    set_signed_in_user(user.id if user else None)
    return user


def _sign_in(user_id: int, with_cookie: bool = True) -> None:
    """Start a session row; the current connection is signed in at once (AppTest relies on it), the
    cookie follows when the page has sent the handoff token to the route."""
    with Session(engine()) as session:
        started = start_session(session, user_id, with_cookie=with_cookie)
        user = user_by_id(session, user_id)
    st.session_state[AUTH_KEY] = {"session_id": started.session_id, "user_id": int(user_id),
                                  "handoff": started.handoff}
    st.session_state[COOKIE_READ_KEY] = True
    st.session_state.pop(CLEAR_COOKIE_KEY, None)
    if user is not None and user.locale in ("zh", "en"):
        st.session_state[LANGUAGE_KEY] = user.locale


def _route(path: str) -> str:
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}{path}" if base else path


def _post_script(path: str, body: str = "") -> str:
    """A same-origin POST from the page; the answer's Set-Cookie is HttpOnly, so no script reads it."""
    return ("<script>fetch(" + json.dumps(_route(path)) + ", {method: 'POST', credentials: 'same-origin', "
            "headers: {'Content-Type': 'text/plain'}, body: " + json.dumps(body) + "});</script>")


def sync_cookie() -> None:
    """Draw, once, the invisible element that asks the routes to set the cookie after a sign-in or to
    delete it after a sign-out or a refused cookie. Called by app.py after the gate on every run."""
    state = st.session_state.get(AUTH_KEY)
    if state and state.get("handoff"):
        with Session(engine()) as session:
            pending = pending_handoff(session, state["session_id"], state["handoff"])
        if pending:
            st.sidebar.html(_post_script(HANDOFF_PATH, state["handoff"]), unsafe_allow_javascript=True)
        else:
            state["handoff"] = None
    elif not state and st.session_state.pop(CLEAR_COOKIE_KEY, False):
        st.sidebar.html(_post_script(SIGNOUT_PATH), unsafe_allow_javascript=True)


def remember_language(language: str) -> None:
    """Store the language a signed-in user picked, so it follows them to their next session."""
    state = st.session_state.get(AUTH_KEY)
    if state:
        with Session(engine()) as session:
            save_language(session, state["user_id"], language)


def _refusal(reason: str) -> str:
    """The form's words for a refused sign-in: only a right password may learn that an account is
    deactivated; everything else (unknown, wrong password, locked) reads the same."""
    return t("auth.inactive") if reason == "inactive" else t("auth.failed")


def login_view() -> None:
    """The only page a visitor without a session gets."""
    st.title(t("app.title"))
    require_database()
    notice = st.session_state.pop(NOTICE_KEY, None)
    if notice:
        st.info(t(notice))
    left, right = st.columns([1, 1], gap="large")
    with left, st.form("login_form"):
        st.subheader(t("auth.title"))
        st.caption(t("auth.intro"))
        username = st.text_input(t("auth.username"), key="login_username")
        password = st.text_input(t("auth.password"), type="password", key="login_password")
        submitted = st.form_submit_button(t("auth.submit"), type="primary")
    if submitted:
        with Session(engine()) as session:
            result = authenticate(session, username, password)
        if result.user_id is not None:
            _sign_in(result.user_id)
            st.rerun()
        st.error(_refusal(result.reason))
    if oidc_configured():
        with left:
            if st.session_state.pop("_oidc_refused", False):
                st.button(t("auth.logout"), key="oidc_logout", on_click=st.logout)
            else:
                st.button(t("auth.oidc"), key="oidc_login", icon=":material/badge:", on_click=st.login)
    with right:
        _demo_buttons()


def _demo_buttons() -> None:
    """One-click demo logins (a seeded demo database only), under the same rules as the form."""
    with Session(engine()) as session:
        demos = [(u.id, u.display_name or u.username, u.role) for u in demo_accounts(session)]
    if not demos:
        return
    st.subheader(t("auth.demo"))
    for user_id, name, role in demos:
        if st.button(t("auth.demo_as", name=escape_markdown(name)) + f" · {t('role.' + role)}", key=f"demo_login_{user_id}",
                     width="stretch"):
            with Session(engine()) as session:
                result = admit_demo(session, user_id)
            if result.user_id is not None:
                _sign_in(result.user_id)
                st.rerun()
            st.error(t({"locked": "auth.locked", "inactive": "auth.inactive"}.get(result.reason, "auth.failed")))


def account_box(user: User) -> None:
    st.sidebar.caption(t("auth.signed_in_as", name=escape_markdown(user.display_name or user.username),
                         role=t(f"role.{user.role}")))
    if st.sidebar.button(t("auth.logout"), key="logout_button", icon=":material/logout:"):
        state = st.session_state.get(AUTH_KEY) or {}
        with Session(engine()) as session:
            if state.get("session_id"):
                revoke_session(session, state["session_id"], "signed out")
            audit(session, user.username, "logout")
            session.commit()
        language = st.session_state.get(LANGUAGE_KEY)
        st.session_state.clear()
        if language:
            st.session_state[LANGUAGE_KEY] = language
        st.session_state[COOKIE_READ_KEY] = True
        st.session_state[CLEAR_COOKIE_KEY] = True
        if _oidc_email():
            st.logout()
        st.rerun()
