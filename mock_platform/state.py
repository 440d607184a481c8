"""What the mock platform knows: accounts with deterministic figures, tokens, the clock, faults and a call log."""

from __future__ import annotations

import random
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
TOKEN_LIFETIME = 7200
USER_SOURCES = (0, 1, 17, 30, 35, 43)  # a few of the documented user_source values (search, card share, QR...)


@dataclass
class WechatAccount:
    """An official account: credentials, the first day it has data, and figures made from a seed."""

    original_id: str
    appid: str
    secret: str
    start: date
    base: int = 1_000
    quiet_days: set[date] = field(default_factory=set)  # nobody followed or left: no getusersummary row at all
    _cumulative: dict[date, int] = field(default_factory=dict, repr=False)

    def sources(self, day: date) -> list[tuple[int, int, int]]:
        """(user_source, new_user, cancel_user) of the sources that moved on `day` (others are absent)."""
        if day in self.quiet_days:
            return []
        rng = random.Random(f"{self.appid}:{day.isoformat()}")
        found = []
        for source in USER_SOURCES:
            if rng.random() < 0.35:
                continue
            new, cancel = rng.randint(0, 40), rng.randint(0, 6)
            if new or cancel:
                found.append((source, new, cancel))
        return found

    def cumulate(self, day: date) -> int:
        if day in self._cumulative:
            return self._cumulative[day]
        total, current = self.base, self.start
        while current <= day:
            if current in self._cumulative:
                total = self._cumulative[current]
            else:
                total += sum(new - cancel for _, new, cancel in self.sources(current))
                self._cumulative[current] = total
            current += timedelta(days=1)
        return total


@dataclass
class Faults:
    """Failures to inject. Counters count down as the faults fire."""

    expire_token_after_calls: int | None = None   # the token in use dies after this many data calls (42001)
    quota_appids: set[str] = field(default_factory=set)      # data calls answer 45009
    malformed_appids: set[str] = field(default_factory=set)  # data calls answer a body that is not JSON
    busy_calls: int = 0        # the next data calls answer errcode -1
    slow_calls: int = 0        # the next data calls answer after `slow_seconds`
    slow_seconds: float = 0.0


@dataclass
class PlatformState:
    now: Callable[[], datetime] = field(default=lambda: datetime.now(CHINA))
    wechat_accounts: dict[str, WechatAccount] = field(default_factory=dict)  # by appid
    wecom_corps: dict = field(default_factory=dict)  # corp id -> mock_platform.wecom.WecomCorp
    faults: Faults = field(default_factory=Faults)
    tokens: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # token -> (appid or corp id, expiry)
    calls: list[tuple[str, str, dict]] = field(default_factory=list)       # (path, owner, body)
    data_calls_per_token: dict[str, int] = field(default_factory=dict)
    robot_keys: set[str] = field(default_factory=set)                           # group-robot webhook keys
    robot_messages: list[tuple[str, str, datetime]] = field(default_factory=list)  # (key, content, received)
    robot_refusals: list[tuple[str, int, datetime]] = field(default_factory=list)  # (key, errcode, when)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_wechat(self, account: WechatAccount) -> WechatAccount:
        self.wechat_accounts[account.appid] = account
        return account

    def issue_token(self, owner: str, revoke_others: bool = False) -> str:
        with self.lock:
            if revoke_others:
                for token in [t for t, (o, _) in self.tokens.items() if o == owner]:
                    del self.tokens[token]
            token = secrets.token_urlsafe(24)
            self.tokens[token] = (owner, self.now() + timedelta(seconds=TOKEN_LIFETIME))
            return token

    def current_token(self, owner: str) -> str | None:
        now = self.now()
        with self.lock:
            live = [(expiry, t) for t, (o, expiry) in self.tokens.items() if o == owner and expiry > now]
        return max(live)[1] if live else None

    def check_token(self, token: str | None) -> tuple[str | None, dict | None]:
        """(owner, None) for a live token, else (None, the documented error body)."""
        if not token:
            return None, {"errcode": 41001, "errmsg": "access_token missing"}
        with self.lock:
            found = self.tokens.get(token)
            if found is None:
                return None, {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
            owner, expiry = found
            if expiry <= self.now():
                return None, {"errcode": 42001, "errmsg": "access_token expired"}
            used = self.data_calls_per_token.get(token, 0) + 1
            self.data_calls_per_token[token] = used
            limit = self.faults.expire_token_after_calls
            if limit is not None and used > limit:
                self.tokens[token] = (owner, self.now())  # expired mid-run; fires once
                self.faults.expire_token_after_calls = None
                return None, {"errcode": 42001, "errmsg": "access_token expired"}
        return owner, None

    def log(self, path: str, owner: str, body: dict) -> None:
        with self.lock:
            self.calls.append((path, owner, body))

    def take(self, counter: str) -> bool:
        """Consume one of a counted fault (busy_calls, slow_calls); True when it fires."""
        with self.lock:
            left = getattr(self.faults, counter)
            if left > 0:
                setattr(self.faults, counter, left - 1)
                return True
        return False
