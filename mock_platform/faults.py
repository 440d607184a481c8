"""The fault switches every mock platform obeys the same way (slow, busy, quota, malformed body), in one place."""

from __future__ import annotations

import asyncio

from starlette.responses import JSONResponse, PlainTextResponse, Response

from mock_platform.state import PlatformState


async def injected_fault(state: PlatformState, owner: str, busy_message: str, quota_message: str) -> Response | None:
    """The answer a switched-on fault gives for `owner` (an appid or corp id), or None to answer normally.
    Each platform words its busy and quota errors as its documentation does."""
    if state.take("slow_calls"):
        await asyncio.sleep(state.faults.slow_seconds)
    if state.take("busy_calls"):
        return JSONResponse({"errcode": -1, "errmsg": busy_message})
    if owner in state.faults.quota_appids:
        return JSONResponse({"errcode": 45009, "errmsg": quota_message})
    if owner in state.faults.malformed_appids:
        return PlainTextResponse("<html><body>502 Bad Gateway</body></html>")
    return None
