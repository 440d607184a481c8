"""One HTTP client for every platform call: a connection pool, a rate limit shared by every thread, retries
with backoff, access tokens from the database cache, and the platforms' error codes turned into exceptions.

Error codes, as the platforms document them:
- WeChat global return codes, https://developers.weixin.qq.com/doc/oplatform/developers/errCode/errCode.html
  (and https://developers.weixin.qq.com/doc/offiaccount/Getting_Started/Global_Return_Code.html):
  -1 system busy (retry later); 40001 invalid credential / access_token invalid or not latest; 40014 invalid
  access_token; 42001 access_token expired; 45009 daily API quota reached; 45011 minute quota (too frequent).
- WeCom global error codes, https://developer.work.weixin.qq.com/document/path/90313: the same -1, 40001,
  40014, 42001, 45009 and 45033 (too many concurrent calls).
- Data-cube date errors (https://developers.weixin.qq.com/doc/offiaccount/Analytics/User_Analysis_Data_Interface.html):
  61500 date format error, 61501 date range error: our request was wrong, so they are `PlatformBug`.

What each error does here: -1, HTTP 5xx and timeouts are retried with exponential backoff (tenacity); a token
error refreshes the token once and repeats the call (a second one fails the account); a quota code raises
`QuotaReached` (the account stops, the others go on, the next run resumes); any other code raises `PlatformBug`.
Messages name the path and the code, never the URL (it carries the token) or a secret; httpx's own request log
is silenced for the same reason.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from models.connections import AccessTokenCache, CredentialKind
from models.settings import Settings, settings
from models.sync.secret_box import decrypt, encrypt

logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO line holds the URL, and the URL the token
logging.getLogger("httpcore").setLevel(logging.WARNING)

TOKEN_CODES = frozenset({40001, 40014, 42001})
QUOTA_CODES = frozenset({45009, 45011, 45033})
BUSY_CODE = -1
TOKEN_MARGIN = timedelta(minutes=5)  # a cached token is used until this long before the platform's expiry
ATTEMPTS = 4


class PlatformError(RuntimeError):
    """A platform call that did not give data. `errcode` is the platform's code (None: no code)."""

    def __init__(self, message: str, errcode: int | None = None, path: str = "") -> None:
        super().__init__(message)
        self.errcode = errcode
        self.path = path


class SystemBusy(PlatformError):
    """errcode -1 or HTTP 5xx: retried with backoff."""


class TokenExpired(PlatformError):
    """40001 / 40014 / 42001 on a data call: the token is refreshed once."""


class TokenRejected(PlatformError):
    """The platform refused a freshly fetched token too."""


class CredentialRejected(PlatformError):
    """The token endpoint refused the stored secret (wrong AppSecret / corp secret, IP not allowed...)."""


class QuotaReached(PlatformError):
    """The account's daily quota or frequency limit: stop this account, resume on the next run."""


class PlatformBug(PlatformError):
    """An error code that means our request was wrong (e.g. 61500/61501 date errors): fail loudly."""


class MalformedResponse(PlatformError):
    """The answer is not the JSON object the documentation describes."""


class PlatformUnavailable(PlatformError):
    """Still busy or timing out after every retry."""


class RateLimiter:
    """At most `rate` calls per second across every thread (calls spaced 1/rate apart)."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


@dataclass(frozen=True)
class CredentialRef:
    """A credential as a sync uses it: ids and the decrypted secret (kept out of repr)."""

    id: int
    kind: str
    account_key: str
    appid: str = ""
    secret: str = field(default="", repr=False)


def _checked(response: httpx.Response, path: str) -> dict:
    if response.status_code >= 500:
        raise SystemBusy(f"{path}: HTTP {response.status_code}", path=path)
    if response.status_code != 200:
        raise PlatformBug(f"{path}: HTTP {response.status_code}", path=path)
    try:
        body = response.json()
    except ValueError:
        raise MalformedResponse(f"{path}: 返回的不是 JSON / the answer is not JSON "
                                f"({len(response.content)} bytes)", path=path) from None
    if not isinstance(body, dict):
        raise MalformedResponse(f"{path}: 返回的不是 JSON 对象 / the answer is not a JSON object", path=path)
    code = body.get("errcode", 0)
    if code in (0, None):
        return body
    try:
        code = int(code)
    except (TypeError, ValueError):
        raise MalformedResponse(f"{path}: errcode {code!r} is not a number", path=path) from None
    message = f"{path}: errcode {code} {str(body.get('errmsg', ''))[:120]}"
    if code == BUSY_CODE:
        raise SystemBusy(message, code, path)
    if code in TOKEN_CODES:
        raise TokenExpired(message, code, path)
    if code in QUOTA_CODES:
        raise QuotaReached(message, code, path)
    raise PlatformBug(message, code, path)


# --- tokens, per platform --------------------------------------------------------------------------------

def _wechat_token(client: ApiClient, credential: CredentialRef, force: bool) -> tuple[str, int]:
    """getStableAccessToken: POST /cgi-bin/stable_token {grant_type: client_credential, appid, secret,
    force_refresh} -> {access_token, expires_in (7200)}.
    https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html"""
    body = client.raw("POST", client.config.wechat_api_base, "/cgi-bin/stable_token", json={
        "grant_type": "client_credential", "appid": credential.appid, "secret": credential.secret,
        "force_refresh": force}, account=credential.account_key, token_call=True)
    return body["access_token"], int(body.get("expires_in", 7200))


def _wecom_token(client: ApiClient, credential: CredentialRef, force: bool) -> tuple[str, int]:
    """gettoken: GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET -> {access_token, expires_in (7200)}.
    https://developer.work.weixin.qq.com/document/path/91039"""
    body = client.raw("GET", client.config.wecom_api_base, "/cgi-bin/gettoken",
                      params={"corpid": credential.account_key, "corpsecret": credential.secret},
                      account=credential.account_key, token_call=True)
    return body["access_token"], int(body.get("expires_in", 7200))


TOKEN_FETCHERS: dict[str, Callable[[ApiClient, CredentialRef, bool], tuple[str, int]]] = {
    CredentialKind.WECHAT: _wechat_token,
    CredentialKind.WECOM: _wecom_token,
}


class ApiClient:
    """Shared by every thread of one sync. `calls[account_key]` counts the HTTP calls made for each account."""

    def __init__(self, engine: Engine, config: Settings | None = None, backoff: float = 0.5,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.config = config or settings()
        self.backoff = backoff
        self.clock = clock
        self.limiter = RateLimiter(self.config.sync_calls_per_second)
        pool = max(4, self.config.sync_workers * 2)
        self.http = httpx.Client(timeout=self.config.sync_timeout_seconds,
                                 limits=httpx.Limits(max_connections=pool, max_keepalive_connections=pool))
        self.calls: Counter[str] = Counter()
        self.token_fetches: Counter[str] = Counter()
        self._count_lock = threading.Lock()
        self._token_locks: dict[int, threading.Lock] = {}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def base(self, kind: str) -> str:
        return self.config.wecom_api_base if kind == CredentialKind.WECOM else self.config.wechat_api_base

    def raw(self, method: str, base: str, path: str, *, account: str, json: dict | None = None,
            params: dict | None = None, token_call: bool = False) -> dict:
        """One call with retries on busy / timeouts; the JSON object, or an exception from this module."""
        def attempt() -> dict:
            self.limiter.acquire()
            with self._count_lock:
                self.calls[account] += 1
            try:
                response = self.http.request(method, base + path, json=json, params=params)
            except httpx.TimeoutException:
                raise SystemBusy(f"{path}: 超时 / timed out after {self.config.sync_timeout_seconds:g}s",
                                 path=path) from None
            except httpx.RequestError as exc:  # its text may hold the URL, and so the token: only its type
                raise SystemBusy(f"{path}: 连接失败 / connection failed ({type(exc).__name__})", path=path) from None
            return _checked(response, path)

        retrying = Retrying(stop=stop_after_attempt(ATTEMPTS), reraise=True,
                            wait=wait_exponential(multiplier=self.backoff, max=30 * self.backoff),
                            retry=retry_if_exception_type(SystemBusy))
        try:
            return retrying(attempt)
        except SystemBusy as exc:
            raise PlatformUnavailable(f"{exc} ({ATTEMPTS} attempts)", exc.errcode, path) from None
        except (TokenExpired, PlatformBug) as exc:
            if token_call:  # the token endpoint refused the secret itself
                raise CredentialRejected(f"{path}: 平台拒绝了保存的密钥 / the platform refused the stored secret "
                                         f"(errcode {exc.errcode})", exc.errcode, path) from None
            raise

    # --- the token cache (database, shared by every process) --------------------------------------------

    def token(self, credential: CredentialRef, rejected: str | None = None) -> str:
        """A valid token: the cached one, or a new one. With `rejected` (a token the platform just refused),
        a different valid token cached by another process meanwhile is used; else a forced refresh."""
        lock = self._token_locks.setdefault(credential.id, threading.Lock())
        with lock, Session(self.engine) as session:
            now = self.clock()
            row = session.get(AccessTokenCache, credential.id)
            if row is not None and _aware(row.expires_at) > now:
                cached = decrypt(row.token_cipher, self.config, "the cached access token")
                if rejected is None or cached != rejected:
                    return cached
            token, expires_in = TOKEN_FETCHERS[credential.kind](self, credential, rejected is not None)
            with self._count_lock:
                self.token_fetches[credential.account_key] += 1
            expires = now + timedelta(seconds=expires_in) - TOKEN_MARGIN
            row = row or AccessTokenCache(credential_id=credential.id, token_cipher="", fetched_at=now,
                                          expires_at=expires)
            row.token_cipher, row.fetched_at, row.expires_at = encrypt(token, self.config), now, expires
            session.add(row)
            session.commit()
            return token

    def call(self, credential: CredentialRef, path: str, *, json: dict | None = None, params: dict | None = None,
             method: str = "POST") -> dict:
        """A data call with the credential's token; a token error refreshes the token once and repeats."""
        base = self.base(credential.kind)
        token = self.token(credential)
        try:
            return self.raw(method, base, path, json=json, params={**(params or {}), "access_token": token},
                            account=credential.account_key)
        except TokenExpired:
            token = self.token(credential, rejected=token)
        try:
            return self.raw(method, base, path, json=json, params={**(params or {}), "access_token": token},
                            account=credential.account_key)
        except TokenExpired as exc:
            raise TokenRejected(f"{exc} (after one token refresh)", exc.errcode, path) from None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
