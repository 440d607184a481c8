"""A local stand-in for the platforms' HTTP APIs, for tests, the bench and staging (never imported by the app).

`PlatformState` (state.py) holds the accounts, the tokens issued, the clock, the faults to inject and a log of
every call; each platform module adds its routes (`wechat.routes(state)`; WeCom and the group robot add
`wecom.py` / `robot.py` with the same shape and list themselves in `app.ROUTE_MODULES`); `MockServer`
(server.py) serves them with uvicorn on 127.0.0.1 in a thread."""

from mock_platform.app import build_app
from mock_platform.server import MockServer
from mock_platform.state import CHINA, Faults, PlatformState, WechatAccount

__all__ = ["CHINA", "Faults", "MockServer", "PlatformState", "WechatAccount", "build_app"]
