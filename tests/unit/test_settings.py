"""Settings come from the environment, then secrets.toml, then defaults; the session secret is made
once for a demo install and never shown."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from models.settings import Settings, SettingsError, load_settings


def test_defaults_give_eight_idle_hours_and_a_secret_kept_in_a_private_file(tmp_path):
    secret_file = tmp_path / "data" / "session_secret"
    first = load_settings({}, tmp_path / "missing.toml", secret_file)
    assert first.idle_limit == timedelta(hours=8) and first.touch_interval == timedelta(minutes=1)
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert load_settings({}, tmp_path / "missing.toml", secret_file).session_secret == first.session_secret
    assert first.session_secret not in repr(first)


def test_the_environment_wins_over_secrets_toml(tmp_path):
    toml = tmp_path / "secrets.toml"
    toml.write_text('[cockpit]\nidle_minutes = 30\nsession_secret = "from-the-toml-file-0123456789abcdef"\n')
    from_toml = load_settings({}, toml, tmp_path / "unused")
    assert from_toml.idle_limit == timedelta(minutes=30)
    assert from_toml.session_secret == "from-the-toml-file-0123456789abcdef"
    assert not (tmp_path / "unused").exists()
    from_env = load_settings({"COCKPIT_IDLE_MINUTES": "0.25", "COCKPIT_COOKIE_SECURE": "1"}, toml, tmp_path / "x")
    assert from_env.idle_limit == timedelta(seconds=15) and from_env.touch_interval == timedelta(seconds=1.5)
    assert from_env.cookie_secure


def test_production_without_a_secret_and_bad_values_are_refused(tmp_path):
    with pytest.raises(SettingsError, match="COCKPIT_SESSION_SECRET"):
        load_settings({"COCKPIT_ENV": "production"}, tmp_path / "none.toml", tmp_path / "secret")
    with pytest.raises(SettingsError, match="at least"):
        load_settings({"COCKPIT_SESSION_SECRET": "short"}, tmp_path / "none.toml", tmp_path / "secret")
    with pytest.raises(SettingsError, match="numbers"):
        load_settings({"COCKPIT_IDLE_MINUTES": "eight hours"}, tmp_path / "none.toml", tmp_path / "secret")
    assert Settings().idle_limit == timedelta(hours=8)


def test_servers_starting_together_agree_on_one_generated_secret(tmp_path):
    secret_file = tmp_path / "data" / "session_secret"
    with ThreadPoolExecutor(8) as pool:
        found = set(pool.map(lambda _: load_settings({}, tmp_path / "none.toml", secret_file).session_secret,
                             range(16)))
    made = sorted(secret_file.parent.iterdir())
    assert len(found) == 1 and made == [secret_file.with_name("secrets_key"), secret_file]  # no temporary left


def test_secrets_key_is_generated_once_as_a_fernet_key_and_required_in_production(tmp_path):
    from cryptography.fernet import Fernet

    secret_file = tmp_path / "data" / "session_secret"
    first = load_settings({}, tmp_path / "none.toml", secret_file)
    key_file = secret_file.with_name("secrets_key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    Fernet(first.secrets_key.encode())  # a valid key
    assert load_settings({}, tmp_path / "none.toml", secret_file).secrets_key == first.secrets_key
    assert first.secrets_key not in repr(first)
    with pytest.raises(SettingsError, match="COCKPIT_SECRETS_KEY"):
        load_settings({"COCKPIT_ENV": "production", "COCKPIT_SESSION_SECRET": "s" * 40}, tmp_path / "none.toml",
                      tmp_path / "other" / "secret")


def test_platform_settings_from_the_environment(tmp_path):
    found = load_settings({"WECHAT_API_BASE": "http://127.0.0.1:9/", "WECOM_API_BASE": "http://127.0.0.1:8",
                           "COCKPIT_SYNC_CALLS_PER_SECOND": "5"}, tmp_path / "none.toml", tmp_path / "secret")
    assert (found.wechat_api_base, found.wecom_api_base, found.sync_calls_per_second) == \
        ("http://127.0.0.1:9", "http://127.0.0.1:8", 5.0)
    defaults = load_settings({}, tmp_path / "none.toml", tmp_path / "secret")
    assert defaults.wechat_api_base == "https://api.weixin.qq.com"
    assert defaults.wecom_api_base == "https://qyapi.weixin.qq.com"
    with pytest.raises(SettingsError):
        load_settings({"COCKPIT_SYNC_CALLS_PER_SECOND": "0"}, tmp_path / "none.toml", tmp_path / "secret")
