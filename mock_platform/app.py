"""The Starlette app: the routes of every platform module over one shared state."""

from __future__ import annotations

from starlette.applications import Starlette

from mock_platform import robot, wechat, wecom
from mock_platform.state import PlatformState

ROUTE_MODULES = [wechat, wecom, robot]  # each with `routes(state) -> list[Route]`


def build_app(state: PlatformState) -> Starlette:
    routes = [route for module in ROUTE_MODULES for route in module.routes(state)]
    return Starlette(routes=routes)
