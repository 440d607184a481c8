"""The referral running totals held as columns give exactly the SQL running-total figures, for any
period, campaign, scope and staff member, and are loaded once per data version."""

from __future__ import annotations

import random
from datetime import timedelta

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.auth import bump_data_version
from models.measures.referrals import running_totals_statement
from models.metrics import referrals as R
from models.metrics.referrals.running_columns import forget_running_columns, held_bytes, running_columns
from models.org import Branch
from models.rollup_tables import ALL_CAMPAIGNS
from models.scope import Scope
from models.store.frames import read_frame
from tests.conftest import DEMO_END
from tests.db.test_rollups import statements_run_by

COLUMNS = ["staff_id", "branch_id", "events", "clicks", "invites", "participants", "conversions", "conversion_amount"]


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[COLUMNS].sort_values(["staff_id", "branch_id"]).reset_index(drop=True)
    return frame.astype({c: "int64" for c in COLUMNS if c != "conversion_amount"}).astype({"conversion_amount": float})


def test_columns_equal_the_sql_running_totals_for_random_periods_and_scopes(demo_session):
    forget_running_columns()
    first, last = R.referral_date_range(demo_session, Scope.head_office())
    branch_ids = [int(b) for b in demo_session.execute(select(Branch.id).order_by(Branch.id)).scalars()]
    keys = [ALL_CAMPAIGNS, *[int(c) for c in R.campaigns(demo_session)["campaign_id"]]]
    rng = random.Random(20)
    span = (last - first).days
    scopes = [Scope.head_office(), *[Scope.for_branches([b]) for b in rng.sample(branch_ids, 3)],
              Scope.for_branches(rng.sample(branch_ids, 5))]
    compared = nonempty = 0
    for _ in range(6):
        start = first + timedelta(days=rng.randint(-30, span))
        end = start + timedelta(days=rng.randint(0, 400))
        for scope in scopes:
            for key in keys:
                expected = read_frame(demo_session, running_totals_statement(scope, start, end, key))
                got = running_columns(demo_session, key).period(scope, start, end)
                pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_exact=True)
                compared += 1
                nonempty += not expected.empty
    assert compared == 6 * len(scopes) * len(keys) and nonempty > compared // 4
    owner = int(read_frame(demo_session, running_totals_statement(Scope.head_office(), first, last, ALL_CAMPAIGNS))
                ["staff_id"].iloc[0])
    for key in keys:  # one staff member's row (the channel view asks for it)
        expected = read_frame(demo_session, running_totals_statement(Scope.head_office(), first, last, key, owner))
        got = running_columns(demo_session, key).period(Scope.head_office(), first, last, owner)
        pd.testing.assert_frame_equal(_sorted(got), _sorted(expected), check_exact=True)
    assert held_bytes() > 0


def test_a_period_outside_the_history_is_empty(demo_session):
    first, last = R.referral_date_range(demo_session, Scope.head_office())
    columns = running_columns(demo_session, ALL_CAMPAIGNS)
    assert columns.period(Scope.head_office(), first - timedelta(days=40), first - timedelta(days=1)).empty
    assert columns.period(Scope.head_office(), last + timedelta(days=1), last + timedelta(days=30)).empty
    assert columns.period(Scope.for_branches([-1]), first, last).empty


def test_columns_are_read_once_per_data_version(demo_engine):
    forget_running_columns()
    end = DEMO_END
    start = end - timedelta(days=60)
    with Session(demo_engine) as session:
        first = statements_run_by(session, lambda: R.staff_referral_totals(session, Scope.head_office(), start, end))
    with Session(demo_engine) as session:
        again = statements_run_by(session, lambda: R.staff_referral_totals(session, Scope.head_office(), start, end))
    assert any("referralstaffrunning" in s for s in first)
    assert not any("referralstaffrunning" in s for s in again)  # another session: the same columns
    with Session(demo_engine) as session:
        bump_data_version(session)
        session.commit()
    with Session(demo_engine) as session:
        after = statements_run_by(session, lambda: R.staff_referral_totals(session, Scope.head_office(), start, end))
    assert any("referralstaffrunning" in s for s in after)  # a write moved the version: read afresh


def test_held_columns_answer_a_preset_period_with_the_snapshot_figures(demo_session):
    forget_running_columns()
    last = R.referral_date_range(demo_session, Scope.head_office())[1]
    start = last - timedelta(days=89)
    snapshot = R.staff_referral_totals(demo_session, Scope.head_office(), start, last)  # nothing held: the snapshot
    running_columns(demo_session, ALL_CAMPAIGNS)
    statements = statements_run_by(
        demo_session, lambda: R.staff_referral_totals(demo_session, Scope.head_office(), start, last))
    assert not any("referralstaffwindow" in s for s in statements)
    from_columns = R.staff_referral_totals(demo_session, Scope.head_office(), start, last)
    assert len(snapshot) > 0
    pd.testing.assert_frame_equal(from_columns.sort_values("staff_id").reset_index(drop=True),
                                  snapshot.sort_values("staff_id").reset_index(drop=True), check_dtype=False)
