"""One day of the WeCom sync for many staff against the local mock: wall time and calls per second at the
configured bound (`COCKPIT_SYNC_CALLS_PER_SECOND`, default 50).

    python -m bench.wecom_sync --staff 20000 [--groups-per-user 1] [--rate 50] [--db sqlite:///data/wecom_bench.db]

Without --db it uses a fresh SQLite file in a temporary folder. The staff-day source makes two calls per staff
member and day (get_user_behavior_data and statistic_group_by_day answer per user only when asked for one user:
both sum over the users they are given), so at 50 calls/s 20,000 staff take about 800 s: the bound, not the code,
sets the time. Groups add one groupchat/get per group.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wecom_sync")
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--groups-per-user", type=int, default=0)
    parser.add_argument("--rate", type=float, default=float(os.environ.get("COCKPIT_SYNC_CALLS_PER_SECOND", 50)))
    parser.add_argument("--db", default="")
    args = parser.parse_args(argv)

    from cryptography.fernet import Fernet
    from sqlmodel import Session

    from mock_platform import CHINA, MockServer, PlatformState
    from mock_platform.wecom import make_corp
    from models.db import make_engine
    from models.migrations import create_all
    from models.org import Branch, BranchLevel, Staff
    from models.scope import Scope
    from models.settings import settings
    from models.sync.credentials import save_credential
    from models.sync.http import ApiClient
    from models.sync.runner import run_sync
    from models.sync.wecom import latest_complete_day

    folder = tempfile.mkdtemp(prefix="wecom_bench_")
    url = args.db or f"sqlite:///{folder}/wecom.db"
    os.environ.setdefault("COCKPIT_SECRETS_KEY", Fernet.generate_key().decode())
    os.environ["COCKPIT_SYNC_CALLS_PER_SECOND"] = str(args.rate)
    engine = make_engine(url)
    create_all(engine)
    now = datetime.now(CHINA)
    yesterday = latest_complete_day(now)
    userids = [f"bench{i:06d}" for i in range(args.staff)]
    with Session(engine) as session:
        branch = Branch(code="BENCH-WC", name="基准支行", level=BranchLevel.SUB_BRANCH)
        session.add(branch)
        session.flush()
        session.add_all([Staff(branch_id=branch.id, employee_no=f"EB{i:06d}", name=f"员工{i}", role="account_manager",
                               wecom_userid=u) for i, u in enumerate(userids)])
        session.commit()
    corp = make_corp("wwbench000000001", "bench-secret-Zq9", userids, [f"wm{i:06d}" for i in range(200)], now,
                     groups_per_user=args.groups_per_user)
    state = PlatformState(now=lambda: now)
    state.wecom_corps[corp.corp_id] = corp
    with MockServer(state) as server:
        os.environ["WECOM_API_BASE"] = server.url
        settings.cache_clear()
        with Session(engine) as session:
            save_credential(session, Scope.head_office(), "bench", "wecom", corp.corp_id, corp.secret)
        started = time.perf_counter()
        with ApiClient(engine) as client:
            results = run_sync(engine, ["wecom"], since=yesterday, until=yesterday, now=now, client=client)
        wall = time.perf_counter() - started
    calls = len(state.calls)
    print(f"WeCom sync of one day ({yesterday}) for {args.staff:,} staff, {len(corp.groups):,} groups, "
          f"bound {args.rate:g} calls/s, {url.split(':')[0]}:")
    for result in results:
        print(f"  {result.line()[:160]}")
    print(f"  wall {wall:.1f} s, {calls:,} calls, {calls / wall:.1f} calls/s "
          f"(target: fetch < 60 s at 50 calls/s; the calls alone need {calls / args.rate:.0f} s at the bound)")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
