"""规则与复核 / Rules & reviews through the forms, as each demo role: an admin confirms, clears (reason
required) and reverses flags, sets a rule forward only and closes a quarter; a president reviews only his
branches and sees no rule, reversal or closing form; staff and viewers cannot open the page, and a forged
visit by them is refused on the server. Every write is checked in the database and the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from components.auth import AUTH_KEY
from components.data import SIGNED_IN_KEY
from models.accounts import AuditLog, User
from models.login_sessions import start_session
from models.referral_review import decide_flag
from models.referrals import FraudClearance, RewardQuarter, RewardRule
from models.rollup_tables.referrals import ReferralFraudFlag
from models.scope import Scope
from tests.pages.conftest import PROJECT_ROOT, TIMEOUT, page, run_page

PAGE = "app_pages/rules.py"


def button(app: AppTest, label: str):
    found = [b for b in app.button if b.label == label]
    assert found, f"no button {label!r} among {[b.label for b in app.button]}"
    return found[0]


def has_button(app: AppTest, label: str) -> bool:
    return any(b.label == label for b in app.button)


def picker(app: AppTest):
    return next(s for s in app.selectbox if s.label == "选择一条风险提示")


def flag_rule(engine, event_id: int) -> str:
    with Session(engine) as session:
        return session.execute(select(ReferralFraudFlag.rule).where(ReferralFraudFlag.event_id == event_id)).scalars().first()


def decisions(engine) -> list[tuple]:
    with Session(engine) as session:
        return session.execute(select(FraudClearance.event_id, FraudClearance.decision, FraudClearance.cleared_by,
                                      FraudClearance.note, FraudClearance.version)
                               .where(FraudClearance.cleared_by.like("demo_%")).order_by(FraudClearance.id)).all()


def audit_rows(engine, action: str) -> list[tuple]:
    with Session(engine) as session:
        return session.execute(select(AuditLog.username, AuditLog.outcome, AuditLog.detail)
                               .where(AuditLog.action == action).order_by(AuditLog.id)).all()


def first_event(app: AppTest) -> int:
    return int(str(picker(app).value).split("|")[0])


def test_the_admin_sees_the_work_list_the_rules_and_every_form(demo_env):
    app = run_page(PAGE)
    assert [t.value for t in app.title] == ["规则与复核"]
    assert [tab.label for tab in app.tabs][:3] == ["风险复核", "奖励规则", "季度结账"]
    flags = app.dataframe[0].value
    assert {"推荐编号", "网点", "员工", "复核状态", "理由"} <= set(flags.columns) and len(flags) > 0
    assert set(flags["复核状态"]) == {"待复核"}
    rules = app.dataframe[1].value
    assert {"规则编号", "适用活动", "每户奖励（元）", "生效日"} <= set(rules.columns)
    assert has_button(app, "提交复核结论") and has_button(app, "保存规则")
    next(s for s in app.selectbox if s.label == "季度").select("2026Q3").run()
    assert has_button(app, "结账并生成工资台账")
    ledger = app.dataframe[-1].value
    assert ledger["计酬依据"].str.contains("规则#").any(), "each ledger line names the rule that paid it"
    next(s for s in app.selectbox if s.label == "季度").select("2026Q2").run()
    assert any("已结账" in s.value for s in app.success)
    assert any(b.label.startswith("下载工资台账") for b in app.get("download_button"))
    assert not has_button(app, "结账并生成工资台账")


def test_an_admin_confirms_a_flag_and_reverses_it_with_a_reason(own_demo_env):
    test = page(PAGE)
    app = test.run()
    event_id = first_event(app)
    app.radio[0].set_value("confirmed")
    button(app, "提交复核结论").click().run()
    assert not app.exception
    assert any("已保存" in s.value for s in app.success)
    assert decisions(own_demo_env) == [(event_id, "confirmed", "demo_admin", "", 1)]
    assert "before=open after=confirmed" in audit_rows(own_demo_env, "fraud_decision")[-1][2]

    app.button_group[0].set_value("confirmed").run()
    assert set(app.dataframe[0].value["复核状态"]) == {"已确认违规"}
    assert has_button(app, "提交改判")
    button(app, "提交改判").click().run()          # no reason
    assert any("reason" in e.value for e in app.error)
    assert decisions(own_demo_env)[0][1] == "confirmed"
    app.text_area[0].input("客户本人另有真实交易 / genuine use")
    button(app, "提交改判").click().run()
    assert decisions(own_demo_env) == [(event_id, "cleared", "demo_admin", "客户本人另有真实交易 / genuine use", 2)]
    assert "before=confirmed" in audit_rows(own_demo_env, "fraud_reversal")[-1][2]


def test_clearing_without_a_reason_is_refused_and_nothing_is_written(own_demo_env):
    app = page(PAGE).run()
    app.radio[0].set_value("cleared")
    button(app, "提交复核结论").click().run()
    assert any("reason" in e.value for e in app.error)
    assert decisions(own_demo_env) == []
    app.text_area[0].input("同村同姓但非亲属 / not related")
    button(app, "提交复核结论").click().run()
    assert [d[1:4] for d in decisions(own_demo_env)] == [("cleared", "demo_admin", "同村同姓但非亲属 / not related")]


def test_the_second_reviewer_gets_a_clear_message_and_keeps_what_he_typed(own_demo_env):
    app = page(PAGE).run()
    event_id = first_event(app)
    with Session(own_demo_env) as session:  # someone else decides while this form is open
        decide_flag(session, Scope.head_office(), "demo_other", event_id, flag_rule(own_demo_env, event_id), "confirmed")
    app.radio[0].set_value("cleared")
    app.text_area[0].input("我核实过，是正常客户")
    button(app, "提交复核结论").click().run()
    assert not app.exception
    assert any("demo_other" in w.value for w in app.warning), [w.value for w in app.warning]
    assert any("我核实过，是正常客户" in c.value for c in app.caption)
    with Session(own_demo_env) as session:
        row = session.execute(select(FraudClearance).where(FraudClearance.event_id == event_id)).scalars().one()
    assert (row.decision, row.cleared_by) == ("confirmed", "demo_other")
    assert audit_rows(own_demo_env, "fraud_decision")[-1][:2] == ("demo_admin", "conflict")


def test_an_admin_sets_a_rule_forward_only_and_a_stale_form_is_a_conflict(own_demo_env):
    app = page(PAGE).run()
    with Session(own_demo_env) as session:
        before = session.execute(select(func.count()).select_from(RewardRule)).scalar_one()
    app.number_input(key="rules_yuan").set_value(22.0)
    app.date_input(key="rules_valid_from").set_value(date(2030, 1, 1))
    app.text_input(key="rules_note").input("年度调整")
    button(app, "保存规则").click().run()
    assert any("已保存规则" in s.value for s in app.success), [e.value for e in app.error]
    with Session(own_demo_env) as session:
        new = session.execute(select(RewardRule).order_by(RewardRule.id.desc())).scalars().first()
        ended = session.execute(select(RewardRule).where(RewardRule.valid_to == date(2029, 12, 31))).scalars().one()
    assert (new.yuan_per_customer, new.valid_from, new.set_by, new.campaign_id) == (22.0, date(2030, 1, 1), "demo_admin", None)
    assert ended.customer_kind == "personal"

    with Session(own_demo_env) as session:  # another admin changes the same rules meanwhile
        session.add(RewardRule(customer_kind="personal", yuan_per_customer=30.0, valid_from=date(2031, 1, 1),
                               set_by="demo_other"))
        session.commit()
    app.number_input(key="rules_yuan").set_value(25.0)
    app.date_input(key="rules_valid_from").set_value(date(2032, 1, 1))
    button(app, "保存规则").click().run()
    assert any("another admin" in w.value for w in app.warning)
    with Session(own_demo_env) as session:
        assert session.execute(select(func.count()).select_from(RewardRule)).scalar_one() == before + 2


def test_a_rule_inside_a_quarter_closed_meanwhile_is_refused_on_the_server(own_demo_env):
    app = page(PAGE).run()
    app.date_input(key="rules_valid_from").set_value(date(2026, 8, 1))  # 2026Q3: open while the form is drawn
    with Session(own_demo_env) as session:  # another admin closes 2026Q3 meanwhile
        session.add(RewardQuarter(quarter="2026Q3", closed_at=datetime.now(UTC), closed_by="demo_other"))
        session.commit()
        rules = session.execute(select(func.count()).select_from(RewardRule)).scalar_one()
    button(app, "保存规则").click().run()
    assert any("closed" in e.value for e in app.error), [e.value for e in app.error]
    assert audit_rows(own_demo_env, "reward_rule")[-1][1] == "refused"
    with Session(own_demo_env) as session:
        assert session.execute(select(func.count()).select_from(RewardRule)).scalar_one() == rules


def test_an_admin_closes_a_quarter_and_gets_the_payroll_workbook(own_demo_env):
    app = page(PAGE).run()
    next(s for s in app.selectbox if s.label == "季度").select("2026Q3").run()
    button(app, "结账并生成工资台账").click().run()
    assert any("勾选" in w.value for w in app.warning)
    with Session(own_demo_env) as session:
        assert session.get(RewardQuarter, "2026Q3") is None
    app.checkbox(key="rules_close_confirm").check()
    button(app, "结账并生成工资台账").click().run()
    assert not app.exception
    with Session(own_demo_env) as session:
        closed = session.get(RewardQuarter, "2026Q3")
    assert closed is not None and closed.closed_by == "demo_admin"
    assert any(b.label.startswith("下载工资台账") for b in app.get("download_button"))
    assert audit_rows(own_demo_env, "close_quarter")[-1][:2] == ("demo_admin", "ok")


def test_a_president_reviews_his_branches_but_sets_no_rule_reverses_nothing_and_closes_nothing(own_demo_env):
    app = run_page(PAGE, username="demo_president")
    flags = app.dataframe[0].value
    assert set(flags["网点"]) == {"月河社区支行"}
    assert not has_button(app, "保存规则") and any("只有总行管理员" in i.value for i in app.info)
    next(s for s in app.selectbox if s.label == "季度").select("2026Q3").run()
    assert not has_button(app, "结账并生成工资台账")
    app.radio[0].set_value("confirmed")
    button(app, "提交复核结论").click().run()
    assert [d[1:3] for d in decisions(own_demo_env)] == [("confirmed", "demo_president")]
    app.button_group[0].set_value("confirmed").run()
    assert not has_button(app, "提交改判") and any("总行管理员" in c.value for c in app.caption)


def forged_visit(engine, username: str) -> AppTest:
    """The page script run directly by a signed-in account whose navigation does not offer it: what a
    crafted request would reach."""
    with Session(engine) as session:
        user = session.execute(select(User).where(User.username == username)).scalars().one()
        started = start_session(session, user.id, with_cookie=False)
        session_id = started.session_id
        user_id = user.id
    app = AppTest.from_file(str(PROJECT_ROOT / PAGE), default_timeout=TIMEOUT)
    app.session_state[AUTH_KEY] = {"session_id": session_id, "user_id": user_id, "handoff": None}
    app.session_state[SIGNED_IN_KEY] = user_id
    return app.run()


@pytest.mark.parametrize("username", ["demo_staff", "demo_viewer"])
def test_staff_and_viewers_cannot_open_the_page_nor_write_through_it(own_demo_env, username):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        run_page(PAGE, username=username)
    app = forged_visit(own_demo_env, username)
    assert not app.exception
    assert any("仅限总行管理员和行长" in e.value for e in app.error)
    assert not app.button and not app.text_area and not app.dataframe
    assert decisions(own_demo_env) == []
