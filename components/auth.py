"""Login form, demo logins, logout and session expiry. The session holds only a user id and the
time it was last seen; the Scope is rebuilt from the database on every run."""

from __future__ import annotations

import streamlit as st
from sqlmodel import Session

from components.data import engine, require_database
from components.i18n import LANGUAGE_KEY, t
from models.accounts import User
from models.auth import (
    audit,
    authenticate,
    demo_accounts,
    save_language,
    session_expired,
    user_by_email,
    user_by_id,
    utcnow,
)

AUTH_KEY = "_auth_session"


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
        st.session_state["_auth_notice"] = "auth.oidc_unknown"
        st.session_state["_oidc_refused"] = True
        return
    _sign_in(user_id)


def signed_in_user() -> User | None:
    """The logged-in, active user, or None (also when the session went idle too long)."""
    _adopt_oidc_identity()
    state = st.session_state.get(AUTH_KEY)
    if not state:
        return None
    if session_expired(state.get("last_seen")):
        st.session_state.pop(AUTH_KEY, None)
        st.session_state["_auth_notice"] = "auth.expired"
        return None
    with Session(engine()) as session:
        user = user_by_id(session, state["user_id"])
    if user is None:
        st.session_state.pop(AUTH_KEY, None)
        return None
    state["last_seen"] = utcnow()
    return user


def _sign_in(user_id: int) -> None:
    st.session_state[AUTH_KEY] = {"user_id": int(user_id), "last_seen": utcnow()}
    with Session(engine()) as session:
        user = user_by_id(session, user_id)
        if user is not None and user.locale in ("zh", "en"):
            st.session_state[LANGUAGE_KEY] = user.locale


def remember_language(language: str) -> None:
    """Store the language a signed-in user picked, so it follows them to their next session."""
    state = st.session_state.get(AUTH_KEY)
    if state:
        with Session(engine()) as session:
            save_language(session, state["user_id"], language)


def login_view() -> None:
    """The only page a visitor without a session gets."""
    st.title(t("app.title"))
    require_database()
    notice = st.session_state.pop("_auth_notice", None)
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
        st.error(t({"locked": "auth.locked", "inactive": "auth.inactive"}.get(result.reason, "auth.failed")))
    if oidc_configured():
        with left:
            if st.session_state.pop("_oidc_refused", False):
                st.button(t("auth.logout"), key="oidc_logout", on_click=st.logout)
            else:
                st.button(t("auth.oidc"), key="oidc_login", icon=":material/badge:", on_click=st.login)
    with right:
        with Session(engine()) as session:
            demos = [(u.id, u.display_name or u.username, u.role) for u in demo_accounts(session)]
        if demos:
            st.subheader(t("auth.demo"))
            for user_id, name, role in demos:
                if st.button(t("auth.demo_as", name=name) + f" · {t('role.' + role)}", key=f"demo_login_{user_id}",
                             width="stretch"):
                    with Session(engine()) as session:
                        audit(session, name, "login", "ok", "demo account")
                        session.commit()
                    _sign_in(user_id)
                    st.rerun()


def account_box(user: User) -> None:
    st.sidebar.caption(t("auth.signed_in_as", name=user.display_name or user.username, role=t(f"role.{user.role}")))
    if st.sidebar.button(t("auth.logout"), key="logout_button", icon=":material/logout:"):
        with Session(engine()) as session:
            audit(session, user.username, "logout")
            session.commit()
        language = st.session_state.get(LANGUAGE_KEY)
        st.session_state.clear()
        if language:
            st.session_state[LANGUAGE_KEY] = language
        if _oidc_email():
            st.logout()
        st.rerun()
