"""Field-work writes (models.fieldwork) on SQLite and PostgreSQL: after each write the campaign rollups equal a
rebuild from the raw rows and the figures moved; who may write what (refused, nothing written, audited);
two people editing one record; the audit keeps the values before and after."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models.accounts import AuditLog
from models.campaign import CareAction, MigrantCampaign, NameListEntry, SmsMessage, Visit, season_dates
from models.customers import Customer, Village
from models.fieldwork import (
    FieldworkConflict,
    FieldworkError,
    FieldworkRefused,
    delete_visit,
    edit_visit,
    mark_care_done,
    record_sms_reply,
    record_visit,
)
from models.metrics import campaign as campaign_metrics
from models.metrics.fieldwork import field_work, staff_figures
from models.refresh.campaign import refresh_campaign_lists
from models.rollup_tables.campaign import CampaignStaffDaily, CampaignVillageDaily
from models.scope import Scope
from models.system import DataVersion
from tests.db.small_bank import S1, S2, S3, A, B, add_two_branches

SEASON = season_dates(2026)
FESTIVAL = SEASON["spring_festival"]
TODAY = date(2026, 11, 30)
DAY = FESTIVAL + timedelta(days=-8)  # every worker home (returned festival - 10), round 1 due
E1, E2, E3, E4 = 1, 2, 3, 4  # entries: E1, E2 of S1; E3 of S2; E4 of S3 (branch B)

STAFF1 = Scope.for_branches({A}, role="staff", staff_id=S1)
STAFF2 = Scope.for_branches({A}, role="staff", staff_id=S2)
PRESIDENT_A = Scope.for_branches({A}, role="president", staff_id=None)
PRESIDENT_B = Scope.for_branches({B}, role="president", staff_id=None)
VIEWER = Scope(branch_ids=None, role="viewer", read_only=True)
VIEWER_A = Scope.for_branches({A}, role="viewer", read_only=True)
ADMIN = Scope.head_office()


@pytest.fixture
def world(empty_engine):
    """Two branches, three staff, four listed workers with an SMS each, one care action; rollups built."""
    with Session(empty_engine) as session:
        add_two_branches(session)
        session.add_all([Village(id=1, code="V1", name="东村", township="东镇", branch_id=A),
                         Village(id=2, code="V2", name="西村", township="西镇", branch_id=B)])
        session.flush()
        owners = {1: (A, S1, 1), 2: (A, S1, 1), 3: (A, S2, 1), 4: (B, S3, 2)}
        session.add_all([Customer(id=c, code=f"C{c}", branch_id=b, staff_id=s, village_id=v, name=f"工人{c}",
                                  phone=f"1380000000{c}") for c, (b, s, v) in owners.items()])
        session.add(MigrantCampaign(id=1, season=2026, name="2026", **SEASON))
        session.flush()
        session.add_all([NameListEntry(id=c, campaign_id=1, customer_id=c, branch_id=b, village_id=v, staff_id=s,
                                       returned_on=FESTIVAL - timedelta(days=10),
                                       leaves_on=FESTIVAL + timedelta(days=12), last_year_deposits=20_000.0)
                         for c, (b, s, v) in owners.items()])
        session.flush()
        session.add_all([SmsMessage(id=c, entry_id=c, branch_id=b, sent_on=FESTIVAL - timedelta(days=28))
                         for c, (b, _, _) in owners.items()])
        session.flush()
        session.add(CareAction(id=1, entry_id=E1, branch_id=A, kind="elderly", action_date=FESTIVAL - timedelta(days=15),
                               cost=15.0))
        session.add(DataVersion(id=1, version=1))
        session.commit()
        refresh_campaign_lists(session.connection(), None, None)
        session.commit()
    return empty_engine


def rollups(session: Session) -> dict[str, pd.DataFrame]:
    frames = {}
    for table in (CampaignStaffDaily.__table__, CampaignVillageDaily.__table__):
        rows = session.execute(select(table)).mappings().all()
        frame = pd.DataFrame([dict(r) for r in rows]).drop(columns=["id"])
        key = "staff_id" if "staff_id" in frame else "village_id"
        frames[table.name] = frame.sort_values(["campaign_id", "branch_id", key, "day"]).reset_index(drop=True)
    return frames


def assert_rollups_equal_a_rebuild(engine) -> None:
    with Session(engine) as session:
        after_write = rollups(session)
    with engine.begin() as conn:  # every branch, every day, from the raw rows
        refresh_campaign_lists(conn, None, None)
    with Session(engine) as session:
        rebuilt = rollups(session)
    for name in after_write:
        pd.testing.assert_frame_equal(after_write[name], rebuilt[name], check_dtype=False)


def figures(engine, staff_id: int = S1, day: date = DAY) -> dict:
    with Session(engine) as session:
        return staff_figures(session, ADMIN, 1, day, staff_id)


def version(engine) -> int:
    with Session(engine) as session:
        return session.get(DataVersion, 1).version


def audits(engine, action: str | None = None) -> list[AuditLog]:
    with Session(engine) as session:
        statement = select(AuditLog).order_by(AuditLog.id)
        if action:
            statement = statement.where(AuditLog.action == action)
        return list(session.execute(statement).scalars())


def counts(engine) -> tuple:
    """Everything a field-work write could change, to prove a refusal changed nothing."""
    with Session(engine) as session:
        visits = session.execute(select(Visit.entry_id, Visit.visit_round, Visit.visit_date, Visit.outcome, Visit.note,
                                        Visit.version).order_by(Visit.id)).all()
        sms = session.execute(select(SmsMessage.replied_on, SmsMessage.note, SmsMessage.version)
                              .order_by(SmsMessage.id)).all()
        care = session.execute(select(CareAction.done_on, CareAction.note, CareAction.version)).all()
        return visits, sms, care, session.get(DataVersion, 1).version


def test_a_recorded_visit_moves_the_figures_and_the_rollups_equal_a_rebuild(world):
    before = figures(world)
    assert before["visits_due"] == 2 and before["visits_done"] == 0
    with Session(world) as session:
        written = record_visit(session, STAFF1, "staff1", E1, 1, DAY, "target_set", "will_deposit", 30_000.0,
                               "愿意春节后存", today=TODAY)
    after = figures(world)
    assert after["visits_done"] == 1 and after["visits_due"] == 1
    assert figures(world, day=DAY - timedelta(days=1))["visits_done"] == 0  # a day before the visit: unchanged
    assert version(world) == 2
    assert_rollups_equal_a_rebuild(world)
    with Session(world) as session:
        visit = session.get(Visit, written.record_id)
        assert (visit.staff_id, visit.intention, visit.intended_amount, visit.version) == (S1, "will_deposit", 30_000.0, 1)
        work = field_work(session, STAFF1, 1, DAY, S1)
    assert E1 not in set(work["next"]["entry_id"]) and E2 in set(work["next"]["entry_id"])
    line = audits(world, "visit_record")[-1]
    detail = json.loads(line.detail)
    assert line.username == "staff1" and detail["before"] is None and detail["after"]["note"] == "愿意春节后存"


def test_the_campaign_page_sees_a_visit_at_once(world):
    with Session(world) as session:
        shown = campaign_metrics.list_totals(campaign_metrics.list_counts(session, PRESIDENT_A, 1, DAY))
        record_visit(session, PRESIDENT_A, "president", E3, 1, DAY, "welcomed", today=TODAY)
    with Session(world) as session:
        now = campaign_metrics.list_totals(campaign_metrics.list_counts(session, PRESIDENT_A, 1, DAY))
    assert now["round1_on_time"] == shown["round1_on_time"] + 1
    assert now["round1_due"] == shown["round1_due"] - 1


def test_edit_and_delete_keep_before_and_after_in_the_audit(world):
    with Session(world) as session:
        written = record_visit(session, STAFF1, "staff1", E1, 1, DAY, "welcomed", today=TODAY)
    with Session(world) as session:
        edited = edit_visit(session, STAFF1, "staff1", written.record_id, 1, DAY + timedelta(days=5), "deposit_promised",
                            "considering", 8_000.0, "改期", today=TODAY)
    assert edited.version == 2
    assert figures(world)["visits_done"] == 0  # moved after DAY: not done as of DAY any more
    assert figures(world, day=DAY + timedelta(days=5))["visits_done"] == 1
    assert_rollups_equal_a_rebuild(world)
    detail = json.loads(audits(world, "visit_edit")[-1].detail)
    assert detail["before"]["outcome"] == "welcomed" and detail["before"]["visit_date"] == DAY.isoformat()
    assert detail["after"]["outcome"] == "deposit_promised" and detail["after"]["intended_amount"] == 8_000.0
    with Session(world) as session:
        delete_visit(session, STAFF1, "staff1", written.record_id, 2)
    with Session(world) as session:
        assert session.get(Visit, written.record_id) is None
    assert figures(world, day=DAY + timedelta(days=5))["visits_done"] == 0
    assert_rollups_equal_a_rebuild(world)
    detail = json.loads(audits(world, "visit_delete")[-1].detail)
    assert detail["before"]["note"] == "改期" and detail["after"] is None


def test_a_long_edit_is_audited_in_two_lines_so_nothing_is_cut(world):
    with Session(world) as session:
        written = record_visit(session, STAFF1, "staff1", E1, 1, DAY, "welcomed", note="甲" * 200, today=TODAY)
        edit_visit(session, STAFF1, "staff1", written.record_id, 1, DAY, "declined", "no", None, "乙" * 200,
                   today=TODAY)
    lines = [json.loads(a.detail) for a in audits(world, "visit_edit")]
    assert [list(line) for line in lines] == [["visit", "entry", "before"], ["visit", "entry", "after"]]
    assert lines[0]["before"]["note"] == "甲" * 200 and lines[1]["after"]["note"] == "乙" * 200


def test_an_sms_reply_counts_at_once_and_can_be_withdrawn(world):
    replied_on = FESTIVAL - timedelta(days=26)
    with Session(world) as session:
        before = campaign_metrics.list_totals(campaign_metrics.list_counts(session, STAFF1, 1, DAY))
        record_sms_reply(session, STAFF1, "staff1", E1, 1, replied_on, 3, "回复了3", today=TODAY)
    with Session(world) as session:
        now = campaign_metrics.list_totals(campaign_metrics.list_counts(session, STAFF1, 1, DAY))
        assert now["sms_replied"] == before["sms_replied"] + 1
        assert session.get(SmsMessage, E1).reply_code == 3
    assert_rollups_equal_a_rebuild(world)
    with Session(world) as session:
        record_sms_reply(session, STAFF1, "staff1", E1, 2, None, None, "", today=TODAY)
    with Session(world) as session:
        assert campaign_metrics.list_totals(campaign_metrics.list_counts(session, STAFF1, 1, DAY))["sms_replied"] \
            == before["sms_replied"]
    assert_rollups_equal_a_rebuild(world)
    detail = json.loads(audits(world, "sms_reply")[-1].detail)
    assert detail["before"]["replied_on"] == replied_on.isoformat() and detail["after"]["replied_on"] is None


def test_a_care_action_is_ticked_done_with_a_note(world):
    with Session(world) as session:
        mark_care_done(session, STAFF1, "staff1", 1, 1, FESTIVAL - timedelta(days=14), "送了鸡蛋", today=TODAY)
    with Session(world) as session:
        care = session.get(CareAction, 1)
        assert (care.done_on, care.note, care.version) == (FESTIVAL - timedelta(days=14), "送了鸡蛋", 2)
        listed = field_work(session, STAFF1, 1, DAY, S1)["care"]
    assert listed["done_on"].notna().all()
    detail = json.loads(audits(world, "care_done")[-1].detail)
    assert detail["before"] == {"done_on": None, "note": ""} and detail["after"]["note"] == "送了鸡蛋"
    assert version(world) == 2


# ---------------------------------------------------------------- who may write what

def _prepare(engine) -> int:
    """A visit on E1 (S1's, branch A) that the refused writers try to change."""
    with Session(engine) as session:
        return record_visit(session, ADMIN, "admin", E1, 2, DAY, "welcomed", today=TODAY).record_id


WRITES = {
    "record_visit": lambda s, scope, visit: record_visit(s, scope, "who", E1, 1, DAY, "welcomed", today=TODAY),
    "edit_visit": lambda s, scope, visit: edit_visit(s, scope, "who", visit, 1, DAY, "declined", today=TODAY),
    "delete_visit": lambda s, scope, visit: delete_visit(s, scope, "who", visit, 1),
    "sms_reply": lambda s, scope, visit: record_sms_reply(s, scope, "who", E1, 1, DAY - timedelta(days=20), 1,
                                                          today=TODAY),
    "care_done": lambda s, scope, visit: mark_care_done(s, scope, "who", 1, 1, DAY, "x", today=TODAY),
}
REFUSED = {"another staff member": (STAFF2, "not_assigned"), "president of another branch": (PRESIDENT_B, "outside_scope"),
           "viewer": (VIEWER, "read_only"), "viewer of the branch": (VIEWER_A, "read_only")}


def test_a_write_outside_ones_rights_is_refused_audited_and_writes_nothing(world):
    """Every write, by each caller who may not make it: refused with the reason, nothing written, one
    refusal line in the audit log naming the caller."""
    visit = _prepare(world)
    for who, (scope, reason) in REFUSED.items():
        for write, call in WRITES.items():
            before = counts(world)
            refusals = len([a for a in audits(world) if a.outcome == "refused"])
            with Session(world) as session, pytest.raises(FieldworkRefused) as refused:
                call(session, scope, visit)
            assert refused.value.code == reason, (who, write)
            assert counts(world) == before, (who, write)
            lines = [a for a in audits(world) if a.outcome == "refused"]
            assert len(lines) == refusals + 1, (who, write)
            assert lines[-1].username == "who" and reason in lines[-1].detail, (who, write)


@pytest.mark.parametrize("scope", [PRESIDENT_A, ADMIN], ids=["president of the branch", "head office"])
def test_a_president_writes_for_the_staff_of_their_branches(world, scope):
    with Session(world) as session:
        written = record_visit(session, scope, "boss", E3, 1, DAY, "welcomed", today=TODAY)
        assert session.get(Visit, written.record_id).staff_id == S2  # credited to the entry's contact staff
    assert figures(world, S2)["visits_done"] == 1


def test_a_staff_account_without_a_staff_record_writes_nothing(world):
    with Session(world) as session, pytest.raises(FieldworkRefused):
        record_visit(session, Scope.for_branches({A}, role="staff", staff_id=None), "who", E1, 1, DAY, "welcomed",
                     today=TODAY)


# ---------------------------------------------------------------- two people, one record

def test_the_second_of_two_editors_is_told_and_nothing_is_overwritten(world):
    with Session(world) as session:
        written = record_visit(session, STAFF1, "staff1", E1, 1, DAY, "welcomed", today=TODAY)
    with Session(world) as first, Session(world) as second:
        edit_visit(first, STAFF1, "staff1", written.record_id, 1, DAY, "target_set", note="first", today=TODAY)
        with pytest.raises(FieldworkConflict) as conflict:
            edit_visit(second, PRESIDENT_A, "president", written.record_id, 1, DAY, "declined", note="second",
                       today=TODAY)
    assert conflict.value.code == "changed"
    with Session(world) as session:
        visit = session.get(Visit, written.record_id)
        assert (visit.outcome, visit.note, visit.version) == ("target_set", "first", 2)
    assert not audits(world, "visit_edit")[1:], "only the first edit is audited"
    with Session(world) as session, pytest.raises(FieldworkConflict):
        delete_visit(session, PRESIDENT_A, "president", written.record_id, 1)
    with Session(world) as session, pytest.raises(FieldworkConflict) as taken:
        record_visit(session, PRESIDENT_A, "president", E1, 1, DAY, "declined", today=TODAY)
    assert taken.value.code == "visit_exists"
    with Session(world) as first, Session(world) as second:
        mark_care_done(first, STAFF1, "staff1", 1, 1, DAY, "a", today=TODAY)
        with pytest.raises(FieldworkConflict):
            mark_care_done(second, PRESIDENT_A, "president", 1, 1, DAY, "b", today=TODAY)
        record_sms_reply(first, STAFF1, "staff1", E1, 1, DAY - timedelta(days=20), 1, today=TODAY)
        with pytest.raises(FieldworkConflict):
            record_sms_reply(second, PRESIDENT_A, "president", E1, 1, None, today=TODAY)


@pytest.mark.parametrize(("day", "note", "code"), [
    (TODAY + timedelta(days=1), "", "future_date"),
    (SEASON["start_date"] - timedelta(days=1), "", "outside_season"),
    (DAY, "长" * 201, "note_too_long"),
])
def test_a_bad_value_is_refused_before_anything_is_written(world, day, note, code):
    before = counts(world)
    with Session(world) as session, pytest.raises(FieldworkError) as error:
        record_visit(session, STAFF1, "staff1", E1, 1, day, "welcomed", note=note, today=TODAY)
    assert error.value.code == code
    assert counts(world) == before
    with Session(world) as session:
        assert session.execute(select(func.count()).select_from(AuditLog)).scalar_one() == 0
