"""我的外勤 / My field work, as each role uses it: the staff member records a visit, an SMS reply and a care action
from the forms and the figures move; each role that may not make a write is refused by the server even when
the form was on its screen (the account changed under it), nothing is written and the refusal is audited; two
people editing one visit: the second is told and keeps what they typed."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, update
from sqlmodel import Session

from models.accounts import AuditLog
from models.auth import scope_for_user, user_by_id
from models.campaign import CareAction, NameListEntry, SmsMessage, Visit
from models.fieldwork import FieldworkRefused, edit_visit, record_visit
from tests.pages.conftest import page

DAY = date(2026, 2, 18)   # the 2026 season: two of the demo staff member's workers are due for round 2
ENTRY = 1849              # the demo staff member's first worker to visit on DAY
PRESIDENT_USER = 3


def open_page(username: str, language: str = "zh", day: date = DAY):
    test = page("app_pages/fieldwork.py", username)
    test.session_state["ui_language"] = language
    app = test.run()
    assert not app.exception, app.exception
    app.date_input(key="fieldwork_as_of_2026").set_value(day).run()
    assert not app.exception, app.exception
    return app


def texts(app, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(app, kind)]


def keys(app) -> set[str]:
    return {getattr(b, "key", None) for b in app.button}


def visits_of(engine, entry_id: int = ENTRY) -> list[Visit]:
    with Session(engine) as session:
        return list(session.execute(select(Visit).where(Visit.entry_id == entry_id).order_by(Visit.visit_round))
                    .scalars())


def refusals(engine) -> list[AuditLog]:
    with Session(engine) as session:
        return list(session.execute(select(AuditLog).where(AuditLog.outcome == "refused")).scalars())


def fill_visit(app, entry_id: int = ENTRY, note: str = "春节后来存") -> None:
    prefix = f"fw_new_{entry_id}_"
    app.selectbox(key=f"{prefix}outcome").set_value("deposit_promised")
    app.selectbox(key=f"{prefix}intention").set_value("will_deposit")
    app.number_input(key=f"{prefix}amount").set_value(30000.0)
    app.text_area(key=f"{prefix}note").input(note)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_staff_member_records_a_visit_and_the_figures_move(own_demo_env, language):
    app = open_page("demo_staff", language)
    assert any("2." in m and "**" in m for m in texts(app, "markdown")), "the ranked cards are drawn"
    done_before = next(m.value for m in app.metric if m.label == ("已走访" if language == "zh" else "Visits done"))
    fill_visit(app)
    app.button(key=f"fw_new_{ENTRY}_save").click().run()
    assert not app.exception, app.exception
    assert not texts(app, "error"), texts(app, "error")
    assert texts(app, "success") == ["已保存，数字已更新。" if language == "zh" else "Saved; the figures are updated."]
    [visit] = [v for v in visits_of(own_demo_env) if v.visit_round == 2]
    assert (visit.visit_date, visit.outcome, visit.intention, visit.intended_amount, visit.note) == \
        (DAY, "deposit_promised", "will_deposit", 30000.0, "春节后来存")
    done_after = next(m.value for m in app.metric if m.label == ("已走访" if language == "zh" else "Visits done"))
    assert int(done_after) == int(done_before) + 1
    assert f"fw_new_{ENTRY}_save" not in keys(app), "the worker left the list of visits to make"


def test_the_staff_member_records_an_sms_reply_and_ticks_a_care_action(own_demo_env):
    app = open_page("demo_staff")
    with Session(own_demo_env) as session:
        sms = session.execute(select(SmsMessage).join(NameListEntry, NameListEntry.id == SmsMessage.entry_id)
                              .where(NameListEntry.staff_id == 2, NameListEntry.campaign_id == 2,
                                     SmsMessage.delivered, SmsMessage.replied_on.is_(None))).scalars().first()
        care = session.execute(select(CareAction).join(NameListEntry, NameListEntry.id == CareAction.entry_id)
                               .where(NameListEntry.staff_id == 2, NameListEntry.campaign_id == 2)).scalars().first()
    prefix = f"fw_sms_{sms.id}_"
    app.date_input(key=f"{prefix}date").set_value(date(2026, 1, 28))
    app.number_input(key=f"{prefix}code").set_value(2)
    app.text_area(key=f"{prefix}note").input("回复2：想了解理财")
    app.button(key=f"{prefix}save").click().run()
    assert not app.exception and not texts(app, "error"), texts(app, "error")
    with Session(own_demo_env) as session:
        stored = session.get(SmsMessage, sms.id)
        assert (stored.replied_on, stored.reply_code, stored.note, stored.version) == \
            (date(2026, 1, 28), 2, "回复2：想了解理财", 2)
    prefix = f"fw_care_{care.id}_"
    app.checkbox(key=f"{prefix}done").check()
    app.date_input(key=f"{prefix}date").set_value(date(2026, 2, 3))
    app.text_area(key=f"{prefix}note").input("送了鸡蛋，老人很高兴")
    app.button(key=f"{prefix}save").click().run()
    assert not app.exception and not texts(app, "error"), texts(app, "error")
    with Session(own_demo_env) as session:
        stored = session.get(CareAction, care.id)
        assert (stored.done_on, stored.note) == (date(2026, 2, 3), "送了鸡蛋，老人很高兴")


def test_a_staff_member_is_refused_a_worker_reassigned_meanwhile_and_keeps_what_they_typed(own_demo_env):
    app = open_page("demo_staff")
    fill_visit(app, note="我填写的内容")
    with Session(own_demo_env) as session:  # the worker is handed to a colleague while the form is open
        session.execute(update(NameListEntry).where(NameListEntry.id == ENTRY).values(staff_id=5))
        session.commit()
    before = len(refusals(own_demo_env))
    app.button(key=f"fw_new_{ENTRY}_save").click().run()
    assert not app.exception, app.exception
    assert texts(app, "error") == ["这位农民工不是分配给您的，未保存。（已记录）"]
    assert not [v for v in visits_of(own_demo_env) if v.visit_round == 2]
    assert len(refusals(own_demo_env)) == before + 1 and refusals(own_demo_env)[-1].username == "demo_staff"
    assert app.text_area(key=f"fw_new_{ENTRY}_note").value == "我填写的内容"


def test_a_president_is_refused_a_worker_of_another_branch(own_demo_env):
    app = open_page("demo_president")
    app.selectbox(key="fieldwork_staff").set_value(2).run()
    fill_visit(app)
    with Session(own_demo_env) as session:  # the worker moves to a branch outside the president's
        other = session.execute(select(NameListEntry.branch_id).where(NameListEntry.branch_id != 3)).scalars().first()
        session.execute(update(NameListEntry).where(NameListEntry.id == ENTRY).values(branch_id=other))
        session.commit()
    app.button(key=f"fw_new_{ENTRY}_save").click().run()
    assert not app.exception, app.exception
    assert texts(app, "error") == ["这条记录不在您的网点范围内，未保存。（已记录）"]
    assert not [v for v in visits_of(own_demo_env) if v.visit_round == 2]
    lines = refusals(own_demo_env)
    assert lines and lines[-1].username == "demo_president" and "outside_scope" in lines[-1].detail


def test_a_president_records_for_a_staff_member_of_the_branch(own_demo_env):
    app = open_page("demo_president")
    app.selectbox(key="fieldwork_staff").set_value(2).run()
    fill_visit(app)
    app.button(key=f"fw_new_{ENTRY}_save").click().run()
    assert not app.exception and not texts(app, "error"), texts(app, "error")
    [visit] = [v for v in visits_of(own_demo_env) if v.visit_round == 2]
    assert visit.staff_id == 2  # credited to the worker's contact staff, not to the president


def test_a_viewer_gets_no_form_and_the_server_refuses_the_viewer_account(own_demo_env):
    viewer = open_page("demo_viewer")
    assert not [k for k in keys(viewer) if k and k.startswith("fw_")], "a viewer gets no form"
    assert texts(viewer, "info")[0] == "只读：您可以查看，但不能登记。"
    # no form means no click: the write a viewer might still send is refused by the server, from the account
    with Session(own_demo_env) as session:
        scope = scope_for_user(session, user_by_id(session, 5))
        with pytest.raises(FieldworkRefused):
            record_visit(session, scope, "demo_viewer", ENTRY, 2, DAY, "welcomed", today=date.today())
    assert not [v for v in visits_of(own_demo_env) if v.visit_round == 2]
    assert refusals(own_demo_env)[-1].username == "demo_viewer"


def test_two_people_edit_one_visit_the_second_is_told_and_keeps_their_text(own_demo_env):
    app = open_page("demo_staff")
    visit = visits_of(own_demo_env)[0]
    prefix = f"fw_visit_{visit.id}_"
    app.text_area(key=f"{prefix}note").input("我的修改")
    with Session(own_demo_env) as session:  # the president edits the same visit first
        president = scope_for_user(session, user_by_id(session, PRESIDENT_USER))
        edit_visit(session, president, "demo_president", visit.id, visit.version, visit.visit_date, "welcomed",
                   note="行长的修改", today=date.today())
    app.button(key=f"{prefix}save").click().run()
    assert not app.exception, app.exception
    assert texts(app, "error") == ["保存失败：在您编辑期间，其他人已修改了这条记录。您填写的内容仍保留在表单中；"
                                   "请点「载入最新内容」查看对方的修改后再保存。"]
    assert app.text_area(key=f"{prefix}note").value == "我的修改"
    with Session(own_demo_env) as session:
        assert session.get(Visit, visit.id).note == "行长的修改"
    app.button(key=f"{prefix}reload").click().run()
    assert app.text_area(key=f"{prefix}note").value == "行长的修改"
    app.text_area(key=f"{prefix}note").input("看过之后再改")
    app.button(key=f"{prefix}save").click().run()
    assert not texts(app, "error"), texts(app, "error")
    with Session(own_demo_env) as session:
        assert session.get(Visit, visit.id).note == "看过之后再改"
        edits = session.execute(select(AuditLog).where(AuditLog.action == "visit_edit").order_by(AuditLog.id)).scalars()
        last = json.loads(list(edits)[-1].detail)
    assert last["before"]["note"] == "行长的修改" and last["after"]["note"] == "看过之后再改"
