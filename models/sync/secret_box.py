"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`) with the key from the settings
(`COCKPIT_SECRETS_KEY`, `secrets_key` in secrets.toml, or `data/secrets_key` made once for a demo install).

A value that the key cannot open (another install's key, a changed key, a damaged row) raises `SecretUnreadable`
whose message names the setting to check and never holds the key, the ciphertext or the secret."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from models.settings import Settings, SettingsError, settings


class SecretUnreadable(RuntimeError):
    """A stored secret the configured key cannot decrypt."""


def _fernet(config: Settings | None = None) -> Fernet:
    key = (config or settings()).secrets_key
    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeError):
        raise SettingsError("COCKPIT_SECRETS_KEY is not a Fernet key (32 bytes, URL-safe base64); "
                            "make one with `python -c 'from cryptography.fernet import Fernet; "
                            "print(Fernet.generate_key().decode())'`") from None


def encrypt(plain: str, config: Settings | None = None) -> str:
    """Ciphertext (ASCII) of `plain`; a new random IV each time, so equal secrets differ at rest."""
    return _fernet(config).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(cipher: str, config: Settings | None = None, what: str = "a stored secret") -> str:
    """The plain text of `cipher`; `SecretUnreadable` when the key does not open it."""
    try:
        return _fernet(config).decrypt(cipher.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError, ValueError):
        raise SecretUnreadable(
            f"无法解密{what}：密钥与加密时不同（检查 COCKPIT_SECRETS_KEY），请重新保存该密钥 / cannot decrypt {what}: "
            "the secrets key differs from the one it was stored with (check COCKPIT_SECRETS_KEY) or the row is "
            "damaged; store the secret again") from None
