"""One JSON line per event, for the bank's log collector: sign-ins, imports, syncs, pushes, refusals, errors.

Every line passes through `redact` last, whatever wrote it: a mainland mobile number keeps only its first three and
last four digits (as on the pages), and the value after a secret-looking name (`password=`, `corpsecret=`,
`access_token=`, `key=` in a webhook URL...) is replaced. The audit log's events are logged by `models.auth.audit`
through `log_event`, so the database and the log tell the same story.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT_LOGGER = "cockpit"
EVENT_LOGGER = "cockpit.events"
FIELDS_ATTRIBUTE = "cockpit_fields"

MOBILE = re.compile(r"(?<!\d)(\+?86[- ]?)?(1[3-9]\d)\d{4}(\d{4})(?!\d)")
SECRET_VALUE = re.compile(
    r"(?i)\b(password|passwd|passphrase|secret|corpsecret|appsecret|secret_key|access_token|token|key|"
    r"authorization)(\\?[\"']?\s*[=:]\s*\\?[\"']?)(bearer\s+)?([^\s&\"',;}\\]+)"
)
HANDLER_NAME = "cockpit-json-lines"


def redact(text: str) -> str:
    """Mask mobile numbers and secret values in a log line."""
    masked = MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(3)}", text)
    return SECRET_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}[redacted]", masked)


class JsonLines(logging.Formatter):
    """`{"ts", "level", "logger", "event", ...fields, "error"}` on one line, UTF-8, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        payload.update(getattr(record, FIELDS_ATTRIBUTE, {}) or {})
        if record.exc_info:
            payload["error"] = self.formatException(record.exc_info)
        return redact(json.dumps(payload, ensure_ascii=False, default=str))


class CurrentStderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time of the record, not the one at start-up (a test's captured
    stream is closed after the test; a later record must not fail on it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging(level: str = "INFO", path: Path | str | None = None) -> logging.Logger:
    """Send the `cockpit` loggers to stderr (or `path`) as JSON lines; calling it again replaces the handler (never two). Records
    still propagate: the root logger has no handler in production (so no second copy), and tests' caplog sees them."""
    logger = logging.getLogger(ROOT_LOGGER)
    logger.setLevel(level.upper())
    for old in [h for h in logger.handlers if h.get_name() == HANDLER_NAME]:   # the newest settings win
        logger.removeHandler(old)
        old.close()
    handler: logging.Handler = logging.FileHandler(path, encoding="utf-8") if path else CurrentStderr()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(JsonLines())
    logger.addHandler(handler)
    return logger


def log_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """An event with its fields as JSON keys (`log_event("sign_in", user="wang", outcome="ok")`)."""
    logging.getLogger(EVENT_LOGGER).log(level, event, extra={FIELDS_ATTRIBUTE: fields})
