"""Settings in one typed place, read once from the environment and `.streamlit/secrets.toml` ([cockpit]
table). No streamlit import: the app, the ASGI routes, manage.py and tests read the same values.

| setting | environment | secrets.toml [cockpit] | default |
|---|---|---|---|
| idle limit | COCKPIT_IDLE_MINUTES | idle_minutes | 480 (8 hours) |
| longest session | COCKPIT_SESSION_MAX_HOURS | session_max_hours | 168 (7 days) |
| session-signing secret | COCKPIT_SESSION_SECRET | session_secret | generated once into data/session_secret |
| Secure cookie behind a TLS proxy | COCKPIT_COOKIE_SECURE | cookie_secure | off (on by itself under https) |
| production | COCKPIT_ENV=production | production | off: a missing secret is then an error |
| log level (JSON lines) | COCKPIT_LOG_LEVEL | log_level | INFO |
| log file (else standard error) | COCKPIT_LOG_FILE | log_file | standard error (journald under systemd) |
"""

from __future__ import annotations

import os
import secrets
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path

from models.db import PROJECT_ROOT

SECRETS_TOML = PROJECT_ROOT / ".streamlit" / "secrets.toml"
SECRET_FILE = PROJECT_ROOT / "data" / "session_secret"
MIN_SECRET_LENGTH = 32


class SettingsError(RuntimeError):
    """A setting that cannot be used; the message names the variable to set (never its value)."""


@dataclass(frozen=True)
class Settings:
    idle_limit: timedelta = timedelta(hours=8)
    session_max_age: timedelta = timedelta(days=7)
    session_secret: str = field(default="", repr=False)
    cookie_secure: bool = False
    production: bool = False
    log_level: str = "INFO"
    log_file: str = ""

    @property
    def touch_interval(self) -> timedelta:
        """How often a busy session writes its last_seen: once a minute, sooner when the idle limit is short."""
        return min(timedelta(minutes=1), self.idle_limit / 10)


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _read_toml(path: Path) -> Mapping[str, object]:
    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        section = tomllib.load(handle).get("cockpit", {})
    return section if isinstance(section, Mapping) else {}


def _generated_secret(path: Path) -> str:
    """The demo/dev install's secret: made once (mode 0600) so a restart keeps everyone signed in.
    Written to a private temporary file and linked into place, so two processes starting together
    agree on one secret and neither reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    value = path.read_text(encoding="ascii").strip()
    if len(value) < MIN_SECRET_LENGTH:
        raise SettingsError(f"{path} is too short; delete it to have a new one made")
    return value


def load_settings(environ: Mapping[str, str] | None = None, secrets_toml: Path = SECRETS_TOML,
                  secret_file: Path = SECRET_FILE) -> Settings:
    """Environment first, then secrets.toml, then the defaults."""
    environ = os.environ if environ is None else environ
    toml = _read_toml(secrets_toml)

    def pick(env_name: str, toml_name: str) -> object | None:
        if environ.get(env_name, "") != "":
            return environ[env_name]
        return toml.get(toml_name)

    try:
        idle_minutes = float(pick("COCKPIT_IDLE_MINUTES", "idle_minutes") or 8 * 60)
        max_hours = float(pick("COCKPIT_SESSION_MAX_HOURS", "session_max_hours") or 7 * 24)
    except ValueError as exc:
        raise SettingsError("COCKPIT_IDLE_MINUTES and COCKPIT_SESSION_MAX_HOURS must be numbers") from exc
    if idle_minutes <= 0 or max_hours <= 0:
        raise SettingsError("COCKPIT_IDLE_MINUTES and COCKPIT_SESSION_MAX_HOURS must be positive")
    production = environ.get("COCKPIT_ENV", "").lower() == "production" or _truthy(toml.get("production", False))
    secret = str(pick("COCKPIT_SESSION_SECRET", "session_secret") or "")
    if not secret:
        if production:
            raise SettingsError("set COCKPIT_SESSION_SECRET (or session_secret under [cockpit] in secrets.toml)")
        secret = _generated_secret(secret_file)
    if len(secret) < MIN_SECRET_LENGTH:
        raise SettingsError(f"COCKPIT_SESSION_SECRET needs at least {MIN_SECRET_LENGTH} characters")
    return Settings(
        idle_limit=timedelta(minutes=idle_minutes), session_max_age=timedelta(hours=max_hours),
        session_secret=secret, cookie_secure=_truthy(pick("COCKPIT_COOKIE_SECURE", "cookie_secure") or False),
        production=production,
        log_level=str(pick("COCKPIT_LOG_LEVEL", "log_level") or "INFO").upper(),
        log_file=str(pick("COCKPIT_LOG_FILE", "log_file") or ""),
    )


@cache
def settings() -> Settings:
    """The process's settings, read on first use."""
    return load_settings()
