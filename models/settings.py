"""Settings in one typed place, read once from the environment and `.streamlit/secrets.toml` ([cockpit]
table). No streamlit import: the app, the ASGI routes, manage.py and tests read the same values.

| setting | environment | secrets.toml [cockpit] | default |
|---|---|---|---|
| idle limit | COCKPIT_IDLE_MINUTES | idle_minutes | 480 (8 hours) |
| longest session | COCKPIT_SESSION_MAX_HOURS | session_max_hours | 168 (7 days) |
| session-signing secret | COCKPIT_SESSION_SECRET | session_secret | generated once into data/session_secret |
| Secure cookie behind a TLS proxy | COCKPIT_COOKIE_SECURE | cookie_secure | off (on by itself under https) |
| production | COCKPIT_ENV=production | production | off: a missing secret is then an error |
| key that encrypts the platforms' secrets (Fernet) | COCKPIT_SECRETS_KEY | secrets_key | generated once into data/secrets_key |
| WeChat official-account API | WECHAT_API_BASE | wechat_api_base | https://api.weixin.qq.com |
| WeCom API | WECOM_API_BASE | wecom_api_base | https://qyapi.weixin.qq.com |
| platform calls per second (all threads) | COCKPIT_SYNC_CALLS_PER_SECOND | sync_calls_per_second | 50 |
| seconds before a platform call times out | COCKPIT_SYNC_TIMEOUT_SECONDS | sync_timeout_seconds | 20 |
| accounts fetched at once | COCKPIT_SYNC_WORKERS | sync_workers | 8 |
| the app's address, linked from the brief pushed to WeCom | COCKPIT_PUBLIC_URL | public_url | none (no link) |
| log level (JSON lines) | COCKPIT_LOG_LEVEL | log_level | INFO |
| log file (else standard error) | COCKPIT_LOG_FILE | log_file | standard error (journald under systemd) |
"""

from __future__ import annotations

import base64
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
SECRETS_KEY_FILE = PROJECT_ROOT / "data" / "secrets_key"
DEFAULT_WECHAT_API_BASE = "https://api.weixin.qq.com"
DEFAULT_WECOM_API_BASE = "https://qyapi.weixin.qq.com"
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
    secrets_key: str = field(default="", repr=False)
    wechat_api_base: str = DEFAULT_WECHAT_API_BASE
    wecom_api_base: str = DEFAULT_WECOM_API_BASE
    sync_calls_per_second: float = 50.0
    sync_timeout_seconds: float = 20.0
    sync_workers: int = 8
    public_url: str = ""
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


def _new_session_secret() -> str:
    return secrets.token_urlsafe(48)


def _new_fernet_key() -> str:
    """A Fernet key: 32 random bytes, URL-safe base64 (what `Fernet.generate_key()` makes)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def _generated_secret(path: Path, make=_new_session_secret) -> str:
    """The demo/dev install's secret: made once (mode 0600) so a restart keeps everyone signed in.
    Written to a private temporary file and linked into place, so two processes starting together
    agree on one secret and neither reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(make())
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
                  secret_file: Path = SECRET_FILE, secrets_key_file: Path | None = None) -> Settings:
    """Environment first, then secrets.toml, then the defaults. The generated secrets key lives beside the
    generated session secret (`data/secrets_key`) unless `secrets_key_file` says otherwise."""
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
    secrets_key = str(pick("COCKPIT_SECRETS_KEY", "secrets_key") or "")
    if not secrets_key:
        if production:
            raise SettingsError("set COCKPIT_SECRETS_KEY (or secrets_key under [cockpit] in secrets.toml)")
        secrets_key = _generated_secret(secrets_key_file or secret_file.with_name(SECRETS_KEY_FILE.name),
                                        _new_fernet_key)
    try:
        calls = float(pick("COCKPIT_SYNC_CALLS_PER_SECOND", "sync_calls_per_second") or 50)
        timeout = float(pick("COCKPIT_SYNC_TIMEOUT_SECONDS", "sync_timeout_seconds") or 20)
        workers = int(pick("COCKPIT_SYNC_WORKERS", "sync_workers") or 8)
    except ValueError as exc:
        raise SettingsError("COCKPIT_SYNC_CALLS_PER_SECOND, COCKPIT_SYNC_TIMEOUT_SECONDS and COCKPIT_SYNC_WORKERS "
                            "must be numbers") from exc
    if calls <= 0 or timeout <= 0 or workers <= 0:
        raise SettingsError("COCKPIT_SYNC_CALLS_PER_SECOND, COCKPIT_SYNC_TIMEOUT_SECONDS and COCKPIT_SYNC_WORKERS "
                            "must be positive")
    return Settings(
        idle_limit=timedelta(minutes=idle_minutes), session_max_age=timedelta(hours=max_hours),
        session_secret=secret, cookie_secure=_truthy(pick("COCKPIT_COOKIE_SECURE", "cookie_secure") or False),
        production=production, secrets_key=secrets_key,
        wechat_api_base=str(pick("WECHAT_API_BASE", "wechat_api_base") or DEFAULT_WECHAT_API_BASE).rstrip("/"),
        wecom_api_base=str(pick("WECOM_API_BASE", "wecom_api_base") or DEFAULT_WECOM_API_BASE).rstrip("/"),
        sync_calls_per_second=calls, sync_timeout_seconds=timeout, sync_workers=workers,
        public_url=_public_url(str(pick("COCKPIT_PUBLIC_URL", "public_url") or "")),
        log_level=str(pick("COCKPIT_LOG_LEVEL", "log_level") or "INFO").upper(),
        log_file=str(pick("COCKPIT_LOG_FILE", "log_file") or ""),
    )


def _public_url(value: str) -> str:
    """The app's address as people open it (http or https, no query), without a trailing slash."""
    value = value.strip().rstrip("/")
    if value and (not value.startswith(("https://", "http://")) or any(c in value for c in "?#<>()[]\\\" \n")):
        raise SettingsError("COCKPIT_PUBLIC_URL must be the app's http(s) address, e.g. https://cockpit.bank.example")
    return value


@cache
def settings() -> Settings:
    """The process's settings, read on first use."""
    return load_settings()
