"""The daily WeChat sync at bank scale against the mock platform: one new day for N official accounts
(default 1,000), at COCKPIT_SYNC_CALLS_PER_SECOND (default 50): wall time, calls per second, and the time spent
writing (the pipeline with its rollup refresh; the windows handed over together are one transaction). Targets: fetch < 60 s, refresh < 60 s.

    python -m bench.sync_bench                              # a new SQLite file with 1,000 accounts on 100 branches
    python -m bench.sync_bench --url sqlite:///data/large.db # an existing (seeded) database: its first N accounts
    python -m bench.sync_bench --url postgresql+psycopg://postgres@127.0.0.1:5432/test --accounts 1000
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session

from mock_platform import CHINA, MockServer, PlatformState, WechatAccount
from models.db import make_engine
from models.followers import FollowerDaily, OfficialAccount
from models.migrations import create_all, migrate
from models.org import Branch, BranchLevel
from models.scope import Scope
from models.settings import settings
from models.sync import wechat
from models.sync.credentials import save_credential
from models.sync.http import ApiClient
from models.sync.runner import run_sync

TARGET_SECONDS = 60


def _accounts(engine, count: int) -> list[tuple[str, object]]:
    """(original id, last stored day) of the first `count` accounts; made on 100 branches when there are none."""
    with Session(engine) as session:
        found = session.execute(select(OfficialAccount.wechat_id).order_by(OfficialAccount.id).limit(count)).scalars().all()
        if not found:
            branches = [Branch(code=f"BENCH{b:03d}", name=f"基准支行{b}", level=BranchLevel.SUB_BRANCH) for b in range(100)]
            session.add_all(branches)
            session.flush()
            session.add_all(OfficialAccount(branch_id=branches[i % 100].id, wechat_id=f"gh_bench{i:05d}",
                                            name=f"基准服务号{i}") for i in range(count))
            session.commit()
            found = [f"gh_bench{i:05d}" for i in range(count)]
        last = dict(session.execute(select(OfficialAccount.wechat_id, func.max(FollowerDaily.day))
                                    .join(FollowerDaily, FollowerDaily.account_id == OfficialAccount.id)
                                    .where(OfficialAccount.wechat_id.in_(found)).group_by(OfficialAccount.wechat_id)).all())
    return [(key, last.get(key)) for key in found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--calls-per-second", type=float, default=50)
    args = parser.parse_args(argv)
    url = args.url or f"sqlite:///{tempfile.mkdtemp(prefix='sync-bench-')}/bench.db"
    engine = make_engine(url)
    migrate(engine) if args.url else create_all(engine)
    accounts = _accounts(engine, args.accounts)
    stored = [d for _, d in accounts if d is not None]
    day = (max(stored) + timedelta(days=1)) if stored else datetime.now(CHINA).date() - timedelta(days=1)
    now = datetime.combine(day + timedelta(days=1), datetime.min.time(), CHINA).replace(hour=8, minute=15)
    state = PlatformState(now=lambda: now)
    with MockServer(state) as server:
        os.environ.update(WECHAT_API_BASE=server.url, COCKPIT_SYNC_CALLS_PER_SECOND=str(args.calls_per_second))
        settings.cache_clear()
        with Session(engine) as session:
            for index, (key, _) in enumerate(accounts):
                mock = state.add_wechat(WechatAccount(key, f"wxbench{index:010d}", f"bench-secret-{index}",
                                                      start=day - timedelta(days=30)))
                save_credential(session, Scope.head_office(), "bench", "wechat", key, mock.secret, appid=mock.appid)
        writing = {"seconds": 0.0}
        lock = threading.Lock()
        real = wechat.commit_frame

        def timed(*a, **k):
            started = time.perf_counter()
            try:
                return real(*a, **k)
            finally:
                with lock:
                    writing["seconds"] += time.perf_counter() - started

        wechat.commit_frame = timed
        client = ApiClient(engine)
        started = time.perf_counter()
        results = run_sync(engine, ["wechat"], since=day, until=day, now=now.astimezone(UTC), client=client)
        wall = time.perf_counter() - started
        wechat.commit_frame = real
        calls = sum(client.calls.values())
    failed = [r for r in results if not r.ok]
    print(f"backend {engine.dialect.name}, {len(accounts):,} accounts, day {day}")
    print(f"  wall {wall:.1f} s, {calls:,} calls ({sum(client.token_fetches.values()):,} token), "
          f"{calls / wall:.1f} calls/s (bound {args.calls_per_second:g}), {len(failed)} failed")
    print(f"  writing (pipeline + rollup refresh, a group commit of the windows handed over together): "
          f"{writing['seconds']:.1f} s")
    print(f"  target: fetch < {TARGET_SECONDS} s ({'met' if calls / args.calls_per_second < TARGET_SECONDS else 'missed'} "
          f"by the bound alone: {calls / args.calls_per_second:.0f} s), writes < {TARGET_SECONDS} s "
          f"({'met' if writing['seconds'] < TARGET_SECONDS else 'missed'})")
    engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
