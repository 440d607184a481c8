"""Head office's referral writes on SQLite and PostgreSQL: reward rules apply forward only, a closed quarter
never changes, every ledger line names its rule, fraud decisions withhold or pay and the ledger and the
leaderboard follow (equal to a recomputation from the raw rows), and every role outside the rules is
refused on the server with nothing written but the audit entry."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models.accounts import AuditLog
from models.customers import Customer
from models.metrics import referrals as R
from models.org import Branch, Region, Staff
from models.referral_review import (
    ReviewConflict,
    ReviewRefused,
    close_quarter,
    decide_flag,
    reverse_decision,
    rule_series_stamp,
    set_reward_rule,
)
from models.referrals import Campaign, FraudClearance, RewardLedger, RewardQuarter, RewardRule
from models.rollup_tables.referrals import ReferralFraudFlag
from models.scope import Scope
from models.system import DataVersion

Q3 = (date(2026, 7, 1), date(2026, 9, 30))
Q4 = (date(2026, 10, 1), date(2026, 12, 31))
AFTER_Q3 = date(2026, 11, 1)
ADMIN = Scope.head_office()
PRESIDENT_1 = Scope.for_branches([1], role="president", staff_id=1)
PRESIDENT_2 = Scope.for_branches([2], role="president")
STAFF_1 = Scope.for_branches([1], role="staff", staff_id=2)
VIEWER = Scope(branch_ids=None, role="viewer", read_only=True)


@pytest.fixture
def world(empty_engine):
    """Two branches; staff 1 (branch 1) converts his own customer record (customer 7, his phone) and staff 3
    (branch 2) his (customer 8): two self-referral flags. Personal 15 yuan, corporate 60, from 2026-01-01."""
    with Session(empty_engine) as session:
        session.add(Region(id=1, code="R1", name="片区"))
        session.flush()
        session.add_all([Branch(id=1, code="B1", name="一支行", level="sub_branch", region_id=1),
                         Branch(id=2, code="B2", name="二支行", level="sub_branch", region_id=1)])
        session.flush()
        session.add_all([
            Staff(id=1, branch_id=1, employee_no="E1", name="王一", role="account_manager", phone="13900000001"),
            Staff(id=2, branch_id=1, employee_no="E2", name="李二", role="teller", phone="13900000002"),
            Staff(id=3, branch_id=2, employee_no="E3", name="赵三", role="account_manager", phone="13900000003")])
        session.flush()
        phones = {7: "13900000001", 8: "13900000003"}
        session.add_all([Customer(id=i, code=f"C{i}", branch_id=2 if i == 8 else 1, name=f"客户{i}",
                                  phone=phones.get(i, f"1380000000{i}"), kind="corporate" if i == 5 else "personal")
                         for i in range(1, 10)])
        session.add(Campaign(id=1, code="ZQ", name="中秋", start_date=date(2026, 8, 1), end_date=date(2026, 12, 31)))
        session.commit()
        R.issue_invite_codes(session, [
            {"code": "G1", "staff_id": 1, "campaign_id": None, "channel": "sms", "issued_on": date(2026, 1, 1)},
            {"code": "ZQ-1", "staff_id": 1, "campaign_id": 1, "channel": "email", "issued_on": date(2026, 7, 28)},
            {"code": "G2", "staff_id": 2, "campaign_id": None, "channel": "sms", "issued_on": date(2026, 1, 1)},
            {"code": "G3", "staff_id": 3, "campaign_id": None, "channel": "sms", "issued_on": date(2026, 1, 1)},
        ])
        R.add_reward_rule(session, "personal", 15.0, date(2026, 1, 1))
        R.add_reward_rule(session, "corporate", 60.0, date(2026, 1, 1))

        def ev(code, customer, day, kind="personal"):
            return {"code": code, "customer_id": customer, "stage": "convert", "day": day, "product": "e_banking",
                    "customer_kind": kind, "effective": True, "amount": 0.0}
        R.record_referral_events(session, pd.DataFrame([
            ev("G1", 1, date(2026, 7, 3)), ev("ZQ-1", 2, date(2026, 8, 15)), ev("ZQ-1", 5, date(2026, 9, 1), "corporate"),
            ev("G1", 7, date(2026, 7, 20)),                       # himself: flagged, withheld
            ev("G2", 4, date(2026, 9, 2)), ev("G3", 8, date(2026, 8, 5)), ev("G3", 6, date(2026, 8, 6)),
            ev("G1", 3, date(2026, 10, 10)), ev("ZQ-1", 9, date(2026, 10, 12)),
        ]))
    return empty_engine


def flag_of(session: Session, customer_id: int) -> tuple[int, str]:
    row = session.execute(select(ReferralFraudFlag.event_id, ReferralFraudFlag.rule)
                          .where(ReferralFraudFlag.customer_id == customer_id)).first()
    assert row is not None, "the fixture plants a self-referral"
    return int(row[0]), str(row[1])


def count(session: Session, table) -> int:
    return session.execute(select(func.count()).select_from(table)).scalar_one()


def refusals(session: Session, action: str) -> int:
    return session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == action, AuditLog.outcome == "refused")).scalar_one()


def version(session: Session) -> int:
    row = session.get(DataVersion, 1)
    return row.version if row else 0


def stored(session: Session, quarter: str) -> pd.Series:
    return R.reward_ledger_rows(session, ADMIN, quarter).set_index("staff_id")["amount"].sort_index()


def raw_reward(session: Session, staff_id: int, start: date, end: date) -> float:
    """Independent of the page's functions: each customer's first live effective conversion in the period,
    at the rule of its kind and campaign valid that day (campaign rule first), unless a flag on that
    staff member and customer is open or confirmed."""
    events = pd.read_sql("SELECT id, staff_id, customer_id, customer_kind, campaign_id, day FROM referralevent "
                         "WHERE stage = 'convert' AND effective AND reversed_on IS NULL ORDER BY day, id",
                         session.connection())
    events["day"] = pd.to_datetime(events["day"]).dt.date
    first = events.drop_duplicates("customer_id")
    first = first[(first["staff_id"] == staff_id) & (first["day"] >= start) & (first["day"] <= end)]
    held = set(pd.read_sql(
        "SELECT f.staff_id, f.customer_id FROM referralfraudflag f LEFT JOIN fraudclearance c "
        "ON c.event_id = f.event_id AND c.rule = f.rule WHERE c.decision IS NULL OR c.decision = 'confirmed'",
        session.connection()).itertuples(index=False, name=None))
    rules = pd.read_sql("SELECT customer_kind, campaign_id, yuan_per_customer, valid_from, valid_to FROM rewardrule",
                        session.connection())
    total = 0.0
    for row in first.itertuples(index=False):
        if (row.staff_id, row.customer_id) in held:
            continue
        def covers(rule, day=row.day, kind=row.customer_kind):
            return (rule.customer_kind == kind and pd.Timestamp(rule.valid_from).date() <= day
                    and (pd.isna(rule.valid_to) or day <= pd.Timestamp(rule.valid_to).date()))
        own = [r for r in rules.itertuples(index=False) if covers(r) and pd.notna(r.campaign_id)
               and pd.notna(row.campaign_id) and int(r.campaign_id) == int(row.campaign_id)]
        general = [r for r in rules.itertuples(index=False) if covers(r) and pd.isna(r.campaign_id)]
        total += (own or general)[0].yuan_per_customer if (own or general) else 0.0
    return total


# ---------------------------------------------------------------- rules


def test_a_rule_change_applies_forward_only_and_each_line_names_its_rule(world):
    with Session(world) as session:
        R.write_reward_ledger(session, ADMIN, "2026Q3")
        before_q3 = stored(session, "2026Q3")
        assert before_q3.loc[1] == 15 + 15 + 60, "customer 7 (himself) is withheld"
        seen = rule_series_stamp(session, ADMIN, "personal", None)
        v0 = version(session)
        rule = set_reward_rule(session, ADMIN, "demo_admin", "personal", 25.0, date(2026, 10, 1), note="上调", seen=seen)
        assert version(session) == v0 + 1
        old = session.execute(select(RewardRule).where(RewardRule.valid_from == date(2026, 1, 1),
                                                       RewardRule.customer_kind == "personal")).scalars().one()
        assert old.valid_to == date(2026, 9, 30) and rule.valid_to is None and rule.set_by == "demo_admin"
        pd.testing.assert_series_equal(stored(session, "2026Q3"), before_q3)  # days before it keep their rule
        q4 = R.compute_rewards(session, ADMIN, *Q4).ledger.set_index("staff_id")
        assert q4.loc[1, "amount"] == 25 + 25 == raw_reward(session, 1, *Q4)
        assert f"规则#{rule.id}，2026-10-01起" in q4.loc[1, "basis"]
        q3 = R.compute_rewards(session, ADMIN, *Q3).ledger.set_index("staff_id")
        assert f"规则#{old.id}，2026-01-01起" in q3.loc[1, "basis"] and f"规则#{rule.id}" not in q3.loc[1, "basis"]
        audit = session.execute(select(AuditLog).where(AuditLog.action == "reward_rule")).scalars().one()
        assert "ended:" in audit.detail and "after:" in audit.detail


def test_a_campaign_rule_pays_its_campaign_only(world):
    with Session(world) as session:
        set_reward_rule(session, ADMIN, "demo_admin", "personal", 30.0, date(2026, 10, 1), campaign_id=1)
        q4 = R.compute_rewards(session, ADMIN, *Q4).ledger.set_index("staff_id")
        assert q4.loc[1, "amount"] == 15 + 30 == raw_reward(session, 1, *Q4)  # G1 general, ZQ-1 campaign
        preview = R.reward_ledger_preview(session, ADMIN, *Q4).set_index("staff_id")
        assert preview.loc[1, "amount"] == 45 and preview.loc[1, "basis"] == q4.loc[1, "basis"]


def test_a_stale_rule_form_is_a_conflict_and_writes_nothing(world):
    with Session(world) as session:
        seen = rule_series_stamp(session, ADMIN, "personal", None)
        set_reward_rule(session, ADMIN, "admin_a", "personal", 18.0, date(2026, 10, 1), seen=seen)
        rules = count(session, RewardRule)
        with pytest.raises(ReviewConflict, match="another admin"):
            set_reward_rule(session, ADMIN, "admin_b", "personal", 22.0, date(2026, 11, 1), seen=seen)
        assert count(session, RewardRule) == rules


# ---------------------------------------------------------------- closed quarters


def test_a_closed_quarter_never_changes(world):
    with Session(world) as session:
        ledger = close_quarter(session, ADMIN, "demo_admin", "2026Q3", today=AFTER_Q3)
        assert set(ledger["status"]) == {"approved"}
        closed = session.get(RewardQuarter, "2026Q3")
        assert closed.closed_by == "demo_admin" and closed.amount == pytest.approx(ledger["amount"].sum())
        frozen = stored(session, "2026Q3")
        event_id, rule = flag_of(session, 7)
        rules, decisions = count(session, RewardRule), count(session, FraudClearance)

        with pytest.raises(R.QuarterClosed):  # a rule valid from a day inside it
            set_reward_rule(session, ADMIN, "demo_admin", "personal", 40.0, date(2026, 9, 15))
        with pytest.raises(R.QuarterClosed):  # recomputing (manage.py compute-rewards)
            R.write_reward_ledger(session, ADMIN, "2026Q3")
        with pytest.raises(R.QuarterClosed):  # a fraud decision on one of its referrals
            decide_flag(session, ADMIN, "demo_admin", event_id, rule, "cleared", "同事核实 / checked")
        assert count(session, RewardRule) == rules and count(session, FraudClearance) == decisions
        assert refusals(session, "reward_rule") == 1 and refusals(session, "fraud_decision") == 1
        set_reward_rule(session, ADMIN, "demo_admin", "personal", 40.0, date(2026, 10, 1))  # after it: fine
        pd.testing.assert_series_equal(stored(session, "2026Q3"), frozen)
        assert R.quarter_ledger(session, ADMIN, "2026Q3")["amount"].sum() == frozen.sum()

        with pytest.raises(ReviewConflict, match="already closed"):
            close_quarter(session, ADMIN, "other_admin", "2026Q3", today=AFTER_Q3)
        with pytest.raises(R.ReferralInputError, match="not ended"):
            close_quarter(session, ADMIN, "demo_admin", "2026Q4", today=AFTER_Q3)
        assert count(session, RewardQuarter) == 1


# ---------------------------------------------------------------- fraud review


def test_confirm_clear_and_reverse_move_the_ledger_and_the_board_with_the_raw_rows(world):
    with Session(world) as session:
        R.write_reward_ledger(session, ADMIN, "2026Q3")
        event_id, rule = flag_of(session, 7)

        def follows(expected: float) -> None:
            assert stored(session, "2026Q3").loc[1] == expected == raw_reward(session, 1, *Q3)
            board = R.leaderboard(session, ADMIN, *Q3, by="reward_yuan").set_index("staff_id")
            assert board.loc[1, "reward_yuan"] == expected
            assert R.quarter_ledger(session, ADMIN, "2026Q3").set_index("staff_id").loc[1, "amount"] == expected

        follows(90.0)  # open: withheld
        v0 = version(session)
        decision = decide_flag(session, PRESIDENT_1, "president_1", event_id, rule, "confirmed", today=AFTER_Q3)
        assert decision.decision == "confirmed" and decision.version == 1 and version(session) == v0 + 1
        follows(90.0)  # confirmed: still withheld
        assert R.fraud_work_list(session, ADMIN, *Q3, status="confirmed")["event_id"].tolist() == [event_id]
        assert R.fraud_work_list(session, PRESIDENT_2, *Q3, status="confirmed").empty

        with pytest.raises(ReviewConflict, match="already decided"):  # a second reviewer, the list out of date
            decide_flag(session, ADMIN, "demo_admin", event_id, rule, "cleared", "查无问题", today=AFTER_Q3)
        with pytest.raises(R.ReferralInputError, match="reason"):
            reverse_decision(session, ADMIN, "demo_admin", event_id, rule, "  ", seen_version=1)
        with pytest.raises(ReviewConflict, match="changed"):
            reverse_decision(session, ADMIN, "demo_admin", event_id, rule, "复核", seen_version=0)
        reversed_ = reverse_decision(session, ADMIN, "demo_admin", event_id, rule, "本人另有真实业务 / genuine use",
                                     seen_version=1, today=AFTER_Q3)
        assert reversed_.decision == "cleared" and reversed_.version == 2 and reversed_.cleared_by == "demo_admin"
        follows(105.0)  # cleared: paid
        entries = session.execute(select(AuditLog.action, AuditLog.outcome, AuditLog.detail)
                                  .where(AuditLog.action.in_(["fraud_decision", "fraud_reversal"]))
                                  .order_by(AuditLog.id)).all()
        ok = [(a, d) for a, o, d in entries if o == "ok"]
        assert "before=open after=confirmed" in ok[0][1]
        assert "before=confirmed by president_1" in ok[1][1] and "after=cleared" in ok[1][1]
        assert [o for a, o, _ in entries if o != "ok"] == ["conflict", "conflict"]


def test_clearing_needs_a_reason(world):
    with Session(world) as session:
        event_id, rule = flag_of(session, 7)
        for reason in ("", "   "):
            with pytest.raises(R.ReferralInputError, match="reason"):
                decide_flag(session, ADMIN, "demo_admin", event_id, rule, "cleared", reason)
        assert count(session, FraudClearance) == 0
        decide_flag(session, ADMIN, "demo_admin", event_id, rule, "cleared", "独立开户 / own account")
        assert session.execute(select(FraudClearance.note)).scalar_one() == "独立开户 / own account"


@pytest.mark.parametrize("who, scope", [("staff", STAFF_1), ("viewer", VIEWER), ("president_2", PRESIDENT_2)])
def test_roles_outside_the_rules_are_refused_audited_and_write_nothing(world, who, scope):
    with Session(world) as session:
        R.write_reward_ledger(session, ADMIN, "2026Q3")
        event_id, rule = flag_of(session, 7)   # branch 1
        before = (count(session, FraudClearance), count(session, RewardRule), count(session, RewardQuarter),
                  stored(session, "2026Q3").to_dict(), version(session))
        with pytest.raises(ReviewRefused):
            decide_flag(session, scope, who, event_id, rule, "cleared", "看着没问题")
        with pytest.raises(ReviewRefused):
            decide_flag(session, scope, who, event_id, rule, "confirmed")
        with pytest.raises(ReviewRefused):
            set_reward_rule(session, scope, who, "personal", 99.0, date(2026, 10, 1))
        with pytest.raises(ReviewRefused):
            close_quarter(session, scope, who, "2026Q3", today=AFTER_Q3)
        after = (count(session, FraudClearance), count(session, RewardRule), count(session, RewardQuarter),
                 stored(session, "2026Q3").to_dict(), version(session))
        assert after == before
        refused = session.execute(select(AuditLog.username, AuditLog.action).where(AuditLog.outcome == "refused")).all()
        assert sorted(refused) == sorted([(who, "fraud_decision"), (who, "fraud_decision"), (who, "reward_rule"),
                                          (who, "close_quarter")])


def test_a_president_decides_in_his_branches_and_only_an_admin_reverses(world):
    with Session(world) as session:
        own_event, own_rule = flag_of(session, 7)       # branch 1
        other_event, other_rule = flag_of(session, 8)   # branch 2
        decide_flag(session, PRESIDENT_1, "president_1", own_event, own_rule, "cleared", "亲属另有账户 / genuine")
        with pytest.raises(ReviewRefused):
            decide_flag(session, PRESIDENT_1, "president_1", other_event, other_rule, "confirmed")
        with pytest.raises(ReviewRefused):
            reverse_decision(session, PRESIDENT_1, "president_1", own_event, own_rule, "改判", seen_version=1)
        row = session.execute(select(FraudClearance)).scalars().one()
        assert (row.decision, row.version, row.event_id) == ("cleared", 1, own_event)
        assert refusals(session, "fraud_decision") == 1 and refusals(session, "fraud_reversal") == 1
        counts = R.review_counts(session, ADMIN, *Q3)
        assert counts == {"open": 1, "confirmed": 0, "cleared": 1}
        assert session.execute(select(func.count()).select_from(RewardLedger)).scalar_one() == 0
