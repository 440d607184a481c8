"""Sending markdown to WeCom group robots: one queue for every message of a run, at most 20 messages a minute per
robot, retries with backoff, one outcome per message.

The group robot, as documented (https://developer.work.weixin.qq.com/document/path/91770):
- POST {WECOM_API_BASE}/cgi-bin/webhook/send?key=KEY with {"msgtype": "markdown", "markdown": {"content": ...}};
  the answer is {"errcode": 0, "errmsg": "ok"}.
- markdown content at most 4096 bytes, UTF-8 (a longer one is refused with 40058, "markdown.content exceed max
  length 4096"); each robot at most 20 messages a minute ("每个机器人发送的消息不能超过20条/分钟").
- Error codes (global list, https://developer.work.weixin.qq.com/document/path/90313): -1 system busy, 45009 API
  frequency out of limit (here: the robot's 20 a minute), 93000 invalid webhook url (the key is wrong or the robot
  was removed from its group), 40058 a parameter out of range.

What each outcome does here: -1, HTTP 5xx, timeouts and connection errors are retried with exponential backoff;
45009 waits for the robot's minute to pass and retries; 93000, 40058 and any other code fail that message at
once (retrying cannot help). The key is in the URL only: never in a message, a log line or the audit log, and
httpx's request log (which prints URLs) is silenced by `models.sync.http`.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

import models.sync.http  # noqa: F401  (silences httpx's URL-printing request log before any request)

WEBHOOK_PATH = "/cgi-bin/webhook/send"
MAX_BYTES = 4096
PER_MINUTE = 20
WINDOW_SECONDS = 60.0
BUSY_CODE = -1
FREQUENCY_CODE = 45009
INVALID_WEBHOOK_CODE = 93000
TOO_LONG_CODE = 40058
ATTEMPTS = 4


def content_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass
class Message:
    """One markdown message for one robot. `label` names it in reports (the branch code), never the key."""

    label: str
    key: str = field(repr=False)
    content: str
    attempts: int = 0
    outcome: str = ""      # "ok" | "failed"
    detail: str = ""
    errcode: int | None = None
    sent_at: float | None = None

    @property
    def size(self) -> int:
        return content_bytes(self.content)


class Throttle:
    """At most `per_minute` sends per robot key in any `window` seconds (a sliding window)."""

    def __init__(self, per_minute: int = PER_MINUTE, window: float = WINDOW_SECONDS) -> None:
        self.per_minute = per_minute
        self.window = window
        self._sent: dict[str, deque[float]] = {}

    def ready_at(self, key: str, now: float) -> float:
        """The earliest time a message to `key` may go."""
        sent = self._sent.setdefault(key, deque())
        while sent and sent[0] <= now - self.window:
            sent.popleft()
        return now if len(sent) < self.per_minute else sent[0] + self.window

    def record(self, key: str, at: float) -> None:
        self._sent.setdefault(key, deque()).append(at)


class Attempt(Exception):
    """One failed try: `retry_after` seconds until the next (None: do not retry)."""

    def __init__(self, detail: str, errcode: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errcode = errcode
        self.retry_after = retry_after


def post_markdown(http: httpx.Client, base: str, key: str, content: str, backoff: float, attempt: int) -> None:
    """One POST to the webhook; returns on errcode 0, else raises `Attempt` (never naming the URL or key)."""
    wait = backoff * 2 ** (attempt - 1)
    try:
        response = http.post(base + WEBHOOK_PATH, params={"key": key},
                             json={"msgtype": "markdown", "markdown": {"content": content}})
    except httpx.TimeoutException:
        raise Attempt("超时 / timed out", retry_after=wait) from None
    except httpx.TransportError as exc:
        raise Attempt(f"连接失败 / connection failed ({type(exc).__name__})", retry_after=wait) from None
    if response.status_code >= 500:
        raise Attempt(f"HTTP {response.status_code}", retry_after=wait)
    try:
        body = response.json()
        code = int(body.get("errcode", 0))
    except (ValueError, TypeError, AttributeError):
        raise Attempt(f"返回的不是 JSON / the answer is not JSON (HTTP {response.status_code})",
                      retry_after=wait) from None
    if code == 0:
        return
    message = f"errcode {code} {str(body.get('errmsg', ''))[:80]}".replace(key, "***")
    if code == BUSY_CODE:
        raise Attempt(message, code, retry_after=wait)
    if code == FREQUENCY_CODE:
        raise Attempt(message, code, retry_after=max(wait, WINDOW_SECONDS))
    raise Attempt(message, code)


@dataclass
class Sender:
    """Sends a batch of messages: a queue ordered by when each may go (its robot's throttle, its retry
    backoff), so a robot that must wait never holds up the others. `clock` and `sleep` are injectable
    (tests advance a fake clock instead of waiting)."""

    http: httpx.Client
    base: str
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    backoff: float = 2.0
    attempts: int = ATTEMPTS
    throttle: Throttle = field(default_factory=Throttle)

    def send_all(self, messages: list[Message], on_done: Callable[[Message], None] | None = None) -> list[Message]:
        order = itertools.count()
        queue = [(self.clock(), next(order), message) for message in messages]
        heapq.heapify(queue)
        while queue:
            not_before, _, message = heapq.heappop(queue)
            now = self.clock()
            ready = max(not_before, self.throttle.ready_at(message.key, now))
            if ready > now:
                if queue and queue[0][0] < ready:  # something else may go first: requeue this one
                    heapq.heappush(queue, (ready, next(order), message))
                    continue
                self.sleep(ready - now)
                now = self.clock()
            message.attempts += 1
            self.throttle.record(message.key, now)
            try:
                post_markdown(self.http, self.base, message.key, message.content, self.backoff, message.attempts)
            except Attempt as failed:
                message.detail, message.errcode = failed.detail, failed.errcode
                if failed.retry_after is not None and message.attempts < self.attempts:
                    heapq.heappush(queue, (now + failed.retry_after, next(order), message))
                    continue
                message.outcome = "failed"
            else:
                message.outcome, message.detail, message.errcode, message.sent_at = "ok", "", None, now
            if on_done is not None:
                on_done(message)
        return messages
