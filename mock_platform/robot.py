"""The WeCom group robot, as documented (https://developer.work.weixin.qq.com/document/path/91770):

POST /cgi-bin/webhook/send?key=KEY with {"msgtype": "markdown", "markdown": {"content": ...}} -> {"errcode": 0,
"errmsg": "ok"}. Refusals as the platform answers them: an unknown key 93000 "invalid webhook url"; markdown
content over 4096 bytes (UTF-8) 40058 "markdown.content exceed max length 4096"; the 21st message to one robot
within a minute 45009 "api freq out of limit"; a body that is not JSON 40035 (invalid parameter). Every message
received is kept in `state.robot_messages` (key, content, time) and the refusals in `state.robot_refusals`.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_platform.state import PlatformState

MAX_BYTES = 4096
PER_MINUTE = 20


def routes(state: PlatformState) -> list[Route]:
    async def send(request: Request) -> Response:
        key = request.query_params.get("key", "")
        now = state.now()
        if key not in state.robot_keys:
            return _refuse(state, key, 93000, "invalid webhook url")
        try:
            body = await request.json()
            content = body["markdown"]["content"] if body.get("msgtype") == "markdown" else body["text"]["content"]
        except (ValueError, KeyError, TypeError, AttributeError):
            return _refuse(state, key, 40035, "invalid parameter")
        if not isinstance(content, str) or len(content.encode("utf-8")) > MAX_BYTES:
            return _refuse(state, key, 40058, "markdown.content exceed max length 4096")
        if state.take("busy_calls"):
            return JSONResponse({"errcode": -1, "errmsg": "system busy"})
        with state.lock:
            recent = [at for k, _, at in state.robot_messages if k == key and at > now - timedelta(minutes=1)]
            if len(recent) >= PER_MINUTE:
                state.robot_refusals.append((key, 45009, now))
                return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
            state.robot_messages.append((key, content, now))
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    return [Route("/cgi-bin/webhook/send", send, methods=["POST"])]


def _refuse(state: PlatformState, key: str, code: int, message: str) -> JSONResponse:
    with state.lock:
        state.robot_refusals.append((key, code, state.now()))
    return JSONResponse({"errcode": code, "errmsg": message})
