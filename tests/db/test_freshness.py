"""How fresh the figures are, on SQLite and PostgreSQL: the latest day per source inside the scope, when the
data arrived (seed, file import or sync) and which daily sources are behind, in China time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from mock_platform import CHINA
from models.connections import SyncState
from models.importing.pipeline import commit_frame
from models.metrics.freshness import data_freshness, due_day, summary
from models.org import Branch
from models.scope import Scope
from models.sync.http import ApiClient
from models.sync.runner import run_sync
from tests.conftest import DEMO_END
from tests.sync_fixtures import MOCK_NOW, add_wechat_accounts


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)


def test_due_day_in_china_time():
    assert due_day(_at(date(2026, 12, 1), 10)) == date(2026, 11, 30)
    assert due_day(_at(date(2026, 12, 1), 8)) == date(2026, 11, 29)   # the morning sync has not run yet
    # 23:30 UTC on 30 Nov is 07:30 on 1 Dec in China
    assert due_day(datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) == date(2026, 11, 29)


def test_demo_data_are_fresh_the_next_morning_and_behind_later(demo_session):
    on_time = data_freshness(demo_session, Scope.head_office(), now=_at(DEMO_END + timedelta(days=1), 10))
    assert set(on_time["source"]) == {"followers", "groups", "referrals", "campaign"}
    rows = on_time.set_index("source")
    assert rows.loc["followers", "latest_day"] == DEMO_END and rows.loc["groups", "latest_day"] == DEMO_END
    assert set(on_time["via"]) == {"seed"} and on_time["arrived_at"].notna().all()
    assert (on_time["behind_days"] == 0).all()
    late = data_freshness(demo_session, Scope.head_office(), now=_at(DEMO_END + timedelta(days=4), 10))
    behind = late.set_index("source")["behind_days"].to_dict()
    assert behind == {"followers": 3, "groups": 3, "referrals": 0, "campaign": 0}  # not every day: never behind
    said = summary(late)
    assert said["latest_day"] == DEMO_END and said["via"] == "seed"
    assert [source for source, _, _ in said["behind"]] == ["followers", "groups"]


def test_a_branch_scope_reads_its_own_days(demo_session):
    branch_id = demo_session.execute(select(Branch.id).where(Branch.code == "ZJ001-01")).scalar()
    own = data_freshness(demo_session, Scope.for_branches([branch_id]), sources=("followers",),
                         now=_at(DEMO_END + timedelta(days=1), 10))
    assert list(own["source"]) == ["followers"] and own["latest_day"].iloc[0] == DEMO_END
    nobody = data_freshness(demo_session, Scope.for_branches([]), now=_at(DEMO_END, 10))
    assert nobody["latest_day"].isna().all() and summary(nobody)["latest_day"] is None


def test_sync_then_file_import_say_when_and_how_the_data_arrived(empty_engine, mock_platform):
    add_wechat_accounts(empty_engine, mock_platform, 1)
    run_sync(empty_engine, ["wechat"], since=date(2026, 11, 20), now=MOCK_NOW,
             client=ApiClient(empty_engine, backoff=0.01))
    with Session(empty_engine) as session:
        synced = data_freshness(session, Scope.head_office(), sources=("followers",), now=MOCK_NOW).iloc[0]
        state = session.execute(select(SyncState.last_success_at)).scalar()
    assert synced["latest_day"] == date(2026, 11, 29) and synced["via"] == "sync" and synced["behind_days"] == 0
    assert abs(synced["arrived_at"] - (state if state.tzinfo else state.replace(tzinfo=UTC))) < timedelta(seconds=1)
    frame = pd.DataFrame({"day": [date(2026, 11, 19)], "new_follows": [5], "unfollows": [1], "net_follows": [4],
                          "cumulative": [999], "account": ["gh_test000"]})
    with Session(empty_engine) as session:
        assert commit_frame("follower_daily", frame, "补录.xlsx", session, "admin").committed
        imported = data_freshness(session, Scope.head_office(), sources=("followers",), now=MOCK_NOW).iloc[0]
    assert imported["via"] == "import" and imported["arrived_at"] > synced["arrived_at"]
