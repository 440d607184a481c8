"""Referral queries on SQLite and PostgreSQL: demo data checked with independent SQL, and a small
hand-built world for rewards across a mid-quarter rule change and for rejected input."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from models.customers import Customer
from models.metrics import referrals as R
from models.org import Branch, Region, Staff
from models.referral_export import ledger_totals, reward_ledger_workbook
from models.referrals import Campaign, InviteCode, ReferralEvent, RewardLedger, RewardRule
from models.scope import Scope
from sample_data.referrals import rule_change_day
from tests.conftest import DEMO_END

Q3 = (date(2026, 7, 1), date(2026, 9, 30))


def test_staff_board_matches_plain_sql(demo_session):
    board = R.leaderboard(demo_session, Scope.head_office(), *Q3)
    expected = dict(demo_session.execute(text(
        "SELECT staff_id, COUNT(*) FROM referralevent WHERE stage = 'convert' AND reversed_on IS NULL "
        "AND day BETWEEN '2026-07-01' AND '2026-09-30' GROUP BY staff_id")).all())
    got = board.set_index("staff_id")["conversions"]
    assert {k: v for k, v in got.items() if v} == expected
    staff_count = demo_session.execute(select(func.count()).select_from(Staff)).scalar_one()
    assert len(board) == staff_count  # everyone has a row, even with nothing to show
    # competition ranking: rank = 1 + number of staff strictly ahead
    conversions = board["conversions"].to_numpy()
    assert all(board["rank"].iloc[i] == 1 + (conversions > conversions[i]).sum() for i in range(len(board)))
    assert board["rank"].duplicated().any(), "the demo should show ties"


def test_branch_and_region_boards_add_up(demo_session):
    scope = Scope.head_office()
    staff = R.leaderboard(demo_session, scope, *Q3)
    branches = R.leaderboard(demo_session, scope, *Q3, level="branch")
    regions = R.leaderboard(demo_session, scope, *Q3, level="region")
    for column in ("invites", "conversions", "reward_yuan"):
        assert branches[column].sum() == pytest.approx(staff[column].sum())
        assert regions[column].sum() == pytest.approx(staff[column].sum())
    assert branches["previous_rank"].notna().all()


def test_campaign_filter_and_scope(demo_session):
    branch_id = demo_session.execute(select(Branch.id).where(Branch.code == "ZJ001-02")).scalar_one()
    scope = Scope.for_branches([branch_id])
    board = R.leaderboard(demo_session, scope, *Q3, campaign_id=3)
    assert set(board["branch_id"]) == {branch_id}
    expected = demo_session.execute(text(
        "SELECT COUNT(*) FROM referralevent WHERE stage = 'register' AND campaign_id = 3 AND branch_id = :b "
        "AND day BETWEEN '2026-07-01' AND '2026-09-30'"), {"b": branch_id}).scalar_one()
    assert board["invites"].sum() == expected
    assert R.leaderboard(demo_session, Scope.for_branches([]), *Q3).empty


def test_live_q3_rewards_equal_the_stored_ledger_and_span_two_rules(demo_session):
    scope = Scope.head_office()
    computed = R.compute_rewards(demo_session, scope, *Q3)
    stored = R.reward_ledger_rows(demo_session, scope, "2026Q3").set_index("staff_id")
    live = computed.ledger.set_index("staff_id")
    assert live["amount"].sum() == pytest.approx(stored["amount"].sum())
    assert (live["basis"] == stored.loc[live.index, "basis"]).all()
    change = rule_change_day(DEMO_END)
    basis = computed.basis
    days = pd.to_datetime(basis["day"])
    personal = basis["customer_kind"] == "personal"
    assert set(basis.loc[personal & (days < pd.Timestamp(change)), "yuan_per_customer"]) == {15.0}
    assert set(basis.loc[personal & (days >= pd.Timestamp(change)), "yuan_per_customer"]) == {20.0}
    assert set(basis.loc[~personal, "yuan_per_customer"]) == {60.0}
    assert basis["customer_id"].is_unique


def test_planted_fraud_is_flagged_and_withheld_until_cleared(demo_session):
    scope = Scope.head_office()
    review = R.fraud_review(demo_session, scope, date(2026, 1, 1), DEMO_END)
    assert set(R.FRAUD_RULES) <= set(review["rule"])
    cleared = review[review["cleared"]]
    assert set(cleared["rule"]) == {"relative_referral"} and cleared["customer_id"].nunique() == 1
    q3 = R.compute_rewards(demo_session, scope, *Q3)
    open_customers = set(review.loc[~review["cleared"], "customer_id"].astype(int))
    assert not open_customers & set(q3.basis["customer_id"].astype(int))
    assert set(cleared["customer_id"].astype(int)) <= set(q3.basis["customer_id"].astype(int))
    assert q3.ledger["flagged_exclusions"].sum() == len(q3.withheld) > 0
    headline = R.overview_headline(demo_session, scope, DEMO_END)
    assert headline["open_fraud_flags"] > 0 and headline["top_staff"]


def test_funnel_channels_and_internal_referrals(demo_session):
    scope = Scope.head_office()
    funnel = R.funnel(demo_session, scope, *Q3)
    clicks = demo_session.execute(text(
        "SELECT COUNT(*) FROM referralevent WHERE stage = 'click' AND day BETWEEN '2026-07-01' AND '2026-09-30'")).scalar_one()
    assert funnel.iloc[0]["people"] == clicks
    assert funnel["people"].is_monotonic_decreasing
    channels = R.promotion_channels(demo_session, scope, *Q3)
    shares = demo_session.execute(text(
        "SELECT SUM(clicks) FROM shareevent WHERE day BETWEEN '2026-07-01' AND '2026-09-30'")).scalar_one()
    assert channels["clicks"].sum() == shares
    internal = R.internal_referrals(demo_session, scope, *Q3)
    made = demo_session.execute(text(
        "SELECT COUNT(*) FROM internalreferral WHERE day BETWEEN '2026-07-01' AND '2026-09-30'")).scalar_one()
    assert internal["made"].sum() == made
    assert set(internal["role"]) <= {"teller", "lobby_manager"}


def test_funnel_of_a_stored_window_is_summed_by_the_database_and_equals_the_raw_events(demo_session):
    """A preset period (last 30 or 90 days) with no columns held sums the stored window in SQL: the same people
    per stage as a GROUP BY over the raw events, at head office, for one branch and for one staff member."""
    from datetime import timedelta

    from models.metrics.referrals.running_columns import forget_running_columns
    from models.rollup_tables.referrals import ReferralStaffWindow

    last = demo_session.execute(select(func.max(ReferralEvent.day))).scalar_one()
    last = date.fromisoformat(last) if isinstance(last, str) else last
    branch = demo_session.execute(select(func.min(ReferralEvent.branch_id))).scalar_one()
    staff = demo_session.execute(select(ReferralEvent.staff_id).where(ReferralEvent.branch_id == branch)
                                 .group_by(ReferralEvent.staff_id).order_by(func.count().desc()).limit(1)).scalar_one()
    window = ReferralStaffWindow
    for days in (30, 90):
        start = last - timedelta(days=days - 1)
        assert demo_session.execute(select(func.count()).select_from(window).where(
            window.window_days == days, window.end_day == last)).scalar_one() > 0, "the window is stored"
        for scope, staff_id in ((Scope.head_office(), None), (Scope.for_branches([branch]), None),
                                (Scope.head_office(), staff)):
            forget_running_columns()  # the stored window answers, not columns held by another test
            funnel = R.funnel(demo_session, scope, start, last, staff_id=staff_id).set_index("stage")["people"]
            raw = R.staff_referral_totals_raw(demo_session, scope, start, last)
            if staff_id is not None:
                raw = raw[raw["staff_id"] == staff_id]
            expected = {"click": raw["clicks"].sum(), "register": raw["invites"].sum(),
                        "participate": raw["participants"].sum(), "convert": raw["conversions"].sum()}
            assert expected["click"] > 0
            assert {stage: int(funnel.get(stage, 0)) for stage in expected} == \
                {stage: int(n) for stage, n in expected.items()}, (days, scope, staff_id)


def test_export_of_the_page_ledger_has_the_same_totals(demo_session):
    ledger = R.quarter_ledger(demo_session, Scope.head_office(), "2026Q3")
    book = openpyxl.load_workbook(io.BytesIO(reward_ledger_workbook(ledger, "2026Q3")))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == len(ledger) + 2
    assert rows[-1][7] == pytest.approx(ledger_totals(ledger)["amount"])
    assert sum(r[7] for r in rows[1:-1]) == pytest.approx(ledger["amount"].sum())


# ---------------------------------------------------------------- a small world built by hand


@pytest.fixture
def small_world(empty_engine):
    """One branch, two staff, customers, a campaign, codes, personal 15 → 20 yuan on 2026-08-16."""
    with Session(empty_engine) as session:
        session.add(Region(id=1, code="R1", name="片区"))
        session.flush()
        session.add(Branch(id=1, code="B1", name="一支行", level="sub_branch", region_id=1))
        session.flush()
        session.add_all([Staff(id=1, branch_id=1, employee_no="E1", name="王一", role="account_manager", phone="13900000001"),
                         Staff(id=2, branch_id=1, employee_no="E2", name="李二", role="teller", phone="13900000002")])
        session.flush()
        session.add_all([Customer(id=i, code=f"C{i}", branch_id=1, name=f"客户{i}", kind="corporate" if i == 5 else "personal")
                         for i in range(1, 7)])
        session.add(Campaign(id=1, code="ZQ", name="中秋", start_date=date(2026, 8, 1), end_date=date(2026, 9, 30)))
        session.commit()
        R.issue_invite_codes(session, [
            {"code": "G1", "staff_id": 1, "campaign_id": None, "channel": "sms", "issued_on": date(2026, 1, 1)},
            {"code": "ZQ-1", "staff_id": 1, "campaign_id": 1, "channel": "email", "issued_on": date(2026, 7, 28)},
            {"code": "G2", "staff_id": 2, "campaign_id": None, "channel": "sms", "issued_on": date(2026, 1, 1)},
        ])
        R.add_reward_rule(session, "personal", 15.0, date(2026, 1, 1), date(2026, 8, 15))
        R.add_reward_rule(session, "personal", 20.0, date(2026, 8, 16))
        R.add_reward_rule(session, "corporate", 60.0, date(2026, 1, 1))

        def ev(code, customer, day, kind="personal", effective=True):
            return {"code": code, "customer_id": customer, "stage": "convert", "day": day, "product": "e_banking",
                    "customer_kind": kind, "effective": effective, "amount": 0.0}
        R.record_referral_events(session, pd.DataFrame([
            ev("G1", 1, date(2026, 7, 3)), ev("ZQ-1", 2, date(2026, 8, 15)), ev("ZQ-1", 3, date(2026, 8, 16)),
            ev("ZQ-1", 5, date(2026, 9, 1), "corporate"), ev("G2", 4, date(2026, 9, 2)), ev("G2", 6, date(2026, 9, 3)),
            ev("G1", 1, date(2026, 9, 20)),  # same customer again: paid once
            ev("G2", 6, date(2026, 10, 2), effective=False),
        ]))
    return empty_engine


def test_mid_quarter_rule_change_in_the_stored_ledger(small_world):
    with Session(small_world) as session:
        ledger = R.write_reward_ledger(session, Scope.head_office(), "2026Q3").set_index("staff_id")
        assert ledger.loc[1, "amount"] == 15 + 15 + 20 + 60
        assert ledger.loc[1, "basis"] == ("个人 2×15元(规则#1，2026-01-01起) + 个人 1×20元(规则#2，2026-08-16起) + "
                                          "对公 1×60元(规则#3，2026-01-01起) = 110元")
        assert ledger.loc[2, "amount"] == 40 and ledger.loc[2, "effective_customers"] == 2
        board = R.leaderboard(session, Scope.head_office(), *Q3, by="effective_customers").set_index("staff_id")
        assert board.loc[1, "rank"] == 1 and board.loc[2, "rank"] == 2
        assert board.loc[1, "reward_yuan"] == 110


def test_equal_figures_share_the_better_rank(small_world):
    with Session(small_world) as session:
        board = R.leaderboard(session, Scope.head_office(), date(2026, 9, 1), date(2026, 9, 30)).set_index("staff_id")
        # September: staff 1 has two conversions (5 and 1 again), staff 2 two (4 and 6)
        assert board.loc[1, "conversions"] == board.loc[2, "conversions"] == 2
        assert board.loc[1, "rank"] == board.loc[2, "rank"] == 1


def test_recompute_is_idempotent_and_replaces_every_row_of_an_open_quarter(small_world):
    with Session(small_world) as session:
        first = R.write_reward_ledger(session, Scope.head_office(), "2026Q3").set_index("staff_id")
        session.execute(RewardLedger.__table__.update().where(RewardLedger.staff_id == 1).values(status="approved", amount=999.0))
        session.commit()
        again = R.write_reward_ledger(session, Scope.head_office(), "2026Q3").set_index("staff_id")
        assert len(again) == 2
        assert again.loc[1, "amount"] == first.loc[1, "amount"] == 110, "an open quarter is recomputed in full"
        assert set(again["status"]) == {"computed"}


def test_bad_input_is_rejected_and_nothing_is_half_saved(small_world):
    with Session(small_world) as session:
        events_before = session.execute(select(func.count()).select_from(ReferralEvent)).scalar_one()
        bad = pd.DataFrame([
            {"code": "G1", "customer_id": None, "stage": "click", "day": date(2026, 9, 1)},
            {"code": "NOPE", "customer_id": None, "stage": "click", "day": date(2026, 9, 1)},
            {"code": "ZQ-1", "customer_id": None, "stage": "click", "day": date(2026, 10, 5)},
        ])
        with pytest.raises(R.ReferralInputError) as caught:
            R.record_referral_events(session, bad)
        assert "NOPE" in str(caught.value) and "outside the campaign" in str(caught.value)
        assert session.execute(select(func.count()).select_from(ReferralEvent)).scalar_one() == events_before

        with pytest.raises(R.ReferralInputError, match="duplicate|already issued"):
            R.issue_invite_codes(session, [
                {"code": "NEW1", "staff_id": 2, "campaign_id": 1, "channel": "sms", "issued_on": date(2026, 8, 1)},
                {"code": "G1", "staff_id": 2, "campaign_id": None, "channel": "sms", "issued_on": date(2026, 8, 1)},
            ])
        assert session.execute(select(func.count()).select_from(InviteCode)).scalar_one() == 3

        with pytest.raises(R.ReferralInputError, match="overlapping"):
            R.add_reward_rule(session, "personal", 18.0, date(2026, 8, 1), date(2026, 12, 31))
        assert session.execute(select(func.count()).select_from(RewardRule)).scalar_one() == 3


def test_conversion_rate_follows_the_invited_cohort(demo_session):
    board = R.leaderboard(demo_session, Scope.head_office(), *Q3)
    assert (board["conversion_rate"].dropna() <= 1).all()
    expected = demo_session.execute(text(
        "SELECT COUNT(DISTINCT r.customer_id) FROM referralevent r WHERE r.stage = 'register' "
        "AND r.day BETWEEN '2026-07-01' AND '2026-09-30' AND EXISTS (SELECT 1 FROM referralevent c "
        "WHERE c.customer_id = r.customer_id AND c.staff_id = r.staff_id AND c.stage = 'convert' "
        "AND c.reversed_on IS NULL AND c.day <= '2026-09-30')")).scalar_one()
    assert board["invited_converted"].sum() == expected
