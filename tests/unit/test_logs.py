"""JSON log lines: one per event, parseable, and nothing in them that must stay private."""

from __future__ import annotations

import json
import logging

from models.logs import JsonLines, configure_logging, log_event, redact


def test_mobile_numbers_are_masked_as_on_the_pages():
    assert redact("客户 13812345678 来电, 另一个 +8615900001111") == "客户 138****5678 来电, 另一个 +86159****1111"
    assert redact("订单 2026113012345678") == "订单 2026113012345678"  # not a mobile number: 16 digits


def test_secret_values_are_replaced_wherever_they_appear():
    line = redact('GET /cgi-bin/token?grant_type=client_credential&appid=wx1&secret=s3cr3tValue '
                  'corpsecret=abc123 {"password": "hunter2"} Authorization: Bearer eyJhbGciOi '
                  '/cgi-bin/webhook/send?key=693a91f6-7xxx access_token=ACCESS')
    for leaked in ("s3cr3tValue", "abc123", "hunter2", "eyJhbGciOi", "693a91f6-7xxx", "ACCESS"):
        assert leaked not in line, leaked
    assert "appid=wx1" in line and line.count("[redacted]") == 6


def test_an_event_is_one_json_line_with_its_fields(tmp_path):
    path = tmp_path / "cockpit.log"
    logger = configure_logging("INFO", path)
    configure_logging("INFO", path)  # twice: still one handler
    assert sum(isinstance(h.formatter, JsonLines) for h in logger.handlers) == 1
    try:
        log_event("import", user="admin", outcome="ok", detail="follower_daily 2 rows; 联系人 13900001111")
        try:
            raise RuntimeError("boom password=letmein")
        except RuntimeError:
            logging.getLogger("cockpit.app").exception("page failed")
    finally:
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["event"] == "import" and first["user"] == "admin" and first["level"] == "info"
    assert "139****1111" in first["detail"]
    assert second["level"] == "error" and "RuntimeError" in second["error"] and "letmein" not in lines[1]
