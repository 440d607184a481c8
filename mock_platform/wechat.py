"""The WeChat official-account API, as documented:

- access token: GET /cgi-bin/token?grant_type=client_credential&appid=APPID&secret=APPSECRET
  (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html) and
  POST /cgi-bin/stable_token {grant_type, appid, secret, force_refresh}
  (https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html):
  {"access_token": ..., "expires_in": 7200}; a wrong secret 40001 (token) / 40125 (stable_token), an unknown
  appid 40013.
- user analysis (https://developers.weixin.qq.com/doc/offiaccount/Analytics/User_Analysis_Data_Interface.html):
  POST /datacube/getusersummary and /datacube/getusercumulate?access_token=TOKEN with {"begin_date",
  "end_date"} (yyyy-MM-dd, at most 7 days, end at most yesterday). getusersummary lists
  {ref_date, user_source, new_user, cancel_user} for each day and source that moved; getusercumulate lists
  {ref_date, user_source: 0, cumulate_user} per day. Days before the account's start are absent, and so is
  yesterday before 08:00 China time ("query the previous day's data after 08:00"). A malformed date answers
  61500, a bad range (over 7 days, end before begin, end after yesterday) 61501.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_platform.faults import injected_fault
from mock_platform.state import CHINA, PlatformState, WechatAccount

MAX_SPAN_DAYS = 7
COMPLETE_AT = time(8, 0)


def _token_answer(state: PlatformState, appid: str, secret: str, force: bool, stable: bool) -> JSONResponse:
    account = state.wechat_accounts.get(appid)
    if account is None:
        return JSONResponse({"errcode": 40013, "errmsg": "invalid appid"})
    if secret != account.secret:
        return JSONResponse({"errcode": 40125 if stable else 40001, "errmsg": "invalid appsecret"})
    current = None if force else state.current_token(appid)
    token = current or state.issue_token(appid, revoke_others=force)
    state.log("token", appid, {"force_refresh": force})
    return JSONResponse({"access_token": token, "expires_in": 7200})


def latest_complete_day(now: datetime) -> date:
    """Yesterday once it is 08:00 in China, else the day before."""
    local = now.astimezone(CHINA)
    return local.date() - timedelta(days=1 if local.time() >= COMPLETE_AT else 2)


def _dates(state: PlatformState, body: dict) -> tuple[date, date] | JSONResponse:
    try:
        begin = date.fromisoformat(str(body["begin_date"]))
        end = date.fromisoformat(str(body["end_date"]))
    except (KeyError, ValueError):
        return JSONResponse({"errcode": 61500, "errmsg": "date format error"})
    yesterday = state.now().astimezone(CHINA).date() - timedelta(days=1)
    if end < begin or (end - begin).days >= MAX_SPAN_DAYS or end > yesterday:
        return JSONResponse({"errcode": 61501, "errmsg": "date range error"})
    return begin, end


def _days(state: PlatformState, account: WechatAccount, begin: date, end: date) -> list[date]:
    last = min(end, latest_complete_day(state.now()))
    first = max(begin, account.start)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def _data_call(request: Request, state: PlatformState, path: str, build) -> Response:
    owner, error = state.check_token(request.query_params.get("access_token"))
    if error is not None:
        return JSONResponse(error)
    try:
        body = await request.json()
    except ValueError:
        return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
    if not isinstance(body, dict):
        return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
    state.log(path, owner, body)
    fault = await injected_fault(state, owner, "system error", "reach max api daily quota limit")
    if fault is not None:
        return fault
    found = _dates(state, body)
    if isinstance(found, JSONResponse):
        return found
    account = state.wechat_accounts[owner]
    return JSONResponse({"list": build(account, _days(state, account, *found))})


def routes(state: PlatformState) -> list[Route]:
    async def token(request: Request) -> Response:
        params = request.query_params
        if params.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        return _token_answer(state, params.get("appid", ""), params.get("secret", ""), False, stable=False)

    async def stable_token(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
        if body.get("grant_type") != "client_credential":
            return JSONResponse({"errcode": 40002, "errmsg": "invalid grant_type"})
        return _token_answer(state, str(body.get("appid", "")), str(body.get("secret", "")),
                             bool(body.get("force_refresh", False)), stable=True)

    def summary_rows(account: WechatAccount, days: list[date]) -> list[dict]:
        return [{"ref_date": day.isoformat(), "user_source": source, "new_user": new, "cancel_user": cancel}
                for day in days for source, new, cancel in account.sources(day)]

    def cumulate_rows(account: WechatAccount, days: list[date]) -> list[dict]:
        return [{"ref_date": day.isoformat(), "user_source": 0, "cumulate_user": account.cumulate(day)}
                for day in days]

    async def getusersummary(request: Request) -> Response:
        return await _data_call(request, state, "getusersummary", summary_rows)

    async def getusercumulate(request: Request) -> Response:
        return await _data_call(request, state, "getusercumulate", cumulate_rows)

    return [
        Route("/cgi-bin/token", token, methods=["GET"]),
        Route("/cgi-bin/stable_token", stable_token, methods=["POST"]),
        Route("/datacube/getusersummary", getusersummary, methods=["POST"]),
        Route("/datacube/getusercumulate", getusercumulate, methods=["POST"]),
    ]
