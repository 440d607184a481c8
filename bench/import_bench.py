"""1,000,000 follower-daily rows (1,000 accounts x 1,000 days) imported from one CSV file in one
transaction: time and peak memory against the targets (under 60 s, under 1 GB).

    python -m bench.import_bench                      # SQLite file in a temporary folder
    python -m bench.import_bench --url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import io
import resource
import sys
import tempfile
import time
import uuid
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import create_engine, func, select, text
from sqlmodel import Session

from models.db import make_engine
from models.followers import FollowerDaily, OfficialAccount
from models.importing import commit
from models.migrations import create_all
from models.org import Branch

ACCOUNTS = 1_000
DAYS = 1_000
TARGET_SECONDS = 60
TARGET_BYTES = 1024**3


def peak_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux reports KiB


def make_file() -> bytes:
    """The platform's columns plus the account, written a hundred accounts at a time."""
    rng = np.random.default_rng(8)
    days = pd.date_range(date(2023, 1, 1), periods=DAYS).strftime("%Y-%m-%d")
    buffer = io.StringIO()
    for first in range(0, ACCOUNTS, 100):
        count = min(100, ACCOUNTS - first)
        new = rng.integers(0, 2_000, (count, DAYS))
        lost = rng.integers(0, 300, (count, DAYS))
        net = new - lost
        cumulative = 100_000 + np.cumsum(net, axis=1)
        pd.DataFrame({
            "时间": np.tile(days, count), "新关注人数": new.ravel(), "取消关注人数": lost.ravel(),
            "净增关注人数": net.ravel(), "累积关注人数": cumulative.ravel(),
            "公众号": np.repeat([f"gh_bench{i:04d}" for i in range(first, first + count)], DAYS),
        }).to_csv(buffer, index=False, header=first == 0)
    return buffer.getvalue().encode("utf-8-sig")


def prepare(url: str | None, workdir: str):
    if url and url.startswith("postgresql"):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(url, schema=schema)

        def cleanup() -> None:
            engine.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    else:
        engine = make_engine(url or f"sqlite:///{workdir}/bench.db")

        def cleanup() -> None:
            engine.dispose()
    create_all(engine)
    with Session(engine) as session:
        session.add(Branch(id=1, code="HO", name="总行", level="head_office"))
        session.flush()
        session.add_all(OfficialAccount(branch_id=1, wechat_id=f"gh_bench{i:04d}", name=f"测试服务号{i}")
                        for i in range(ACCOUNTS))
        session.commit()
    return engine, cleanup


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        engine, cleanup = prepare(args.url, workdir)
        try:
            data = make_file()
            print(f"file: {len(data) / 1024 / 1024:.1f} MB, {ACCOUNTS * DAYS:,} rows, backend {engine.dialect.name}")
            started = time.perf_counter()
            with Session(engine) as session:
                result = commit("follower_daily", data, "bench.csv", session, "bench")
            elapsed = time.perf_counter() - started
            peak_import = peak_bytes()
            with engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(FollowerDaily)).scalar()
            started_again = time.perf_counter()
            with Session(engine) as session:
                again = commit("follower_daily", data, "bench.csv", session, "bench")
            elapsed_again = time.perf_counter() - started_again
        finally:
            cleanup()
    peak = peak_bytes()
    ok = result.committed and stored == ACCOUNTS * DAYS and elapsed < TARGET_SECONDS and peak < TARGET_BYTES
    print(f"import:   {elapsed:6.1f} s  (target < {TARGET_SECONDS} s)  {result.preview.counts()}  stored={stored:,}")
    print(f"re-import:{elapsed_again:6.1f} s  {again.preview.counts()}")
    print(f"peak RSS: {peak_import / 1024 / 1024:6.0f} MB after the import, {peak / 1024 / 1024:.0f} MB after the re-import"
          f" (target < {TARGET_BYTES // 1024 // 1024} MB)")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
