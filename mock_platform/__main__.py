"""Run the mock platform for staging or a demo:

    python -m mock_platform --port 8088 --wechat gh_zj00101:wx0000000000000001:SECRET [--wechat ...]
    WECHAT_API_BASE=http://127.0.0.1:8088 python manage.py sync wechat
"""

from __future__ import annotations

import argparse
from datetime import date, timedelta

import uvicorn

from mock_platform.app import build_app
from mock_platform.state import CHINA, PlatformState, WechatAccount


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m mock_platform", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    parser.add_argument("--wechat", action="append", default=[], metavar="ORIGINAL_ID:APPID:SECRET")
    parser.add_argument("--start", help="first day with data, YYYY-MM-DD (default: 180 days ago)")
    args = parser.parse_args(argv)
    state = PlatformState()
    start = date.fromisoformat(args.start) if args.start else date.today() - timedelta(days=180)
    for index, spec in enumerate(args.wechat):
        original_id, appid, secret = spec.split(":", 2)
        state.add_wechat(WechatAccount(original_id, appid, secret, start=start, base=1_000 * (index + 1)))
    print(f"mock platform on http://{args.host}:{args.port} ({len(state.wechat_accounts)} official accounts, "
          f"China time now {state.now().astimezone(CHINA):%Y-%m-%d %H:%M})")
    uvicorn.run(build_app(state), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
