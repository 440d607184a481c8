"""Tasks from alerts and campaign targets, the writes, on SQLite and PostgreSQL: who may create, close,
reopen and cancel a task (everyone else is refused, nothing is written, the refusal is audited); two
people closing one task; the brief's count of tasks closed this week; splitting a branch target; the
attainment figures recomputed from the raw rows after a target write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models.accounts import AuditLog, User, UserRole
from models.auth import scope_for_user
from models.campaign import CampaignDeposit, CampaignTarget, MigrantCampaign, NameListEntry, TargetLevel, season_dates
from models.customers import Customer, Village
from models.groups import SocialGroup
from models.metrics import brief
from models.metrics import campaign as campaign_metrics
from models.metrics import tasks as task_metrics
from models.metrics.org import data_version
from models.org import Branch, BranchLevel, Staff
from models.refresh import refresh_rollups
from models.targets import TargetError, TargetRefused, set_branch_target, split_branch_target
from models.tasklist import Task, TaskSource, TaskStatus
from models.tasks import TaskConflict, TaskError, TaskRefused, cancel_task, close_task, create_task, reopen_task

TODAY = datetime.now(UTC).date()
SEASON = 2026


@dataclass
class World:
    engine: object
    users: dict[str, int]
    staff: dict[str, int]
    branches: dict[str, int]
    villages: dict[str, int]
    group_b: int
    campaign_id: int


@pytest.fixture
def world(empty_engine) -> World:
    """Two sub-branches under one city branch; a president, two staff and a group in each; head office, a
    viewer; one season with two villages of branch A and deposits credited to them."""
    with Session(empty_engine) as s:
        city = Branch(code="C", name="城区支行", level=BranchLevel.BRANCH)
        s.add(city)
        s.flush()
        a = Branch(code="A", name="月河支行", level=BranchLevel.SUB_BRANCH, parent_id=city.id)
        b = Branch(code="B", name="南湖支行", level=BranchLevel.SUB_BRANCH, parent_id=city.id)
        s.add_all([a, b])
        s.flush()
        staff = {name: Staff(branch_id=branch.id, employee_no=name, name=name, role="account_manager")
                 for name, branch in (("a1", a), ("a2", a), ("b1", b), ("pa", a), ("pb", b))}
        s.add_all(staff.values())
        s.flush()
        users = {
            "admin": User(username="admin", role=UserRole.ADMIN),
            "pres_a": User(username="pres_a", role=UserRole.PRESIDENT, branch_id=a.id, staff_id=staff["pa"].id),
            "pres_b": User(username="pres_b", role=UserRole.PRESIDENT, branch_id=b.id, staff_id=staff["pb"].id),
            "pres_city": User(username="pres_city", role=UserRole.PRESIDENT, branch_id=city.id),
            "staff_a1": User(username="staff_a1", role=UserRole.STAFF, branch_id=a.id, staff_id=staff["a1"].id),
            "staff_a2": User(username="staff_a2", role=UserRole.STAFF, branch_id=a.id, staff_id=staff["a2"].id),
            "viewer": User(username="viewer", role=UserRole.VIEWER),
        }
        s.add_all(users.values())
        group_b = SocialGroup(code="G1", branch_id=b.id, staff_id=staff["b1"].id, kind="community", name="南湖群",
                              created_on=date(2026, 1, 1))
        villages = {"v1": Village(code="V1", name="东村", township="甲镇", branch_id=a.id),
                    "v2": Village(code="V2", name="西村", township="甲镇", branch_id=a.id)}
        s.add_all([group_b, *villages.values()])
        s.flush()
        dates = season_dates(SEASON)
        campaign = MigrantCampaign(season=SEASON, name="2026", **dates)
        s.add(campaign)
        s.flush()
        for n, (village, amount) in enumerate((("v1", 30_000.0), ("v2", 50_000.0), ("v2", 20_000.0))):
            customer = Customer(code=f"K{n}", branch_id=a.id, village_id=villages[village].id, name=f"工{n}",
                                staff_id=staff["a1"].id)
            s.add(customer)
            s.flush()
            s.add(NameListEntry(campaign_id=campaign.id, customer_id=customer.id, branch_id=a.id,
                                village_id=villages[village].id, staff_id=staff["a1"].id))
            s.add(CampaignDeposit(campaign_id=campaign.id, customer_id=customer.id, branch_id=a.id,
                                  village_id=villages[village].id, staff_id=staff["a1"].id,
                                  day=dates["start_date"] + timedelta(days=3 + n), amount=amount))
        s.commit()
        world = World(empty_engine, {k: int(u.id) for k, u in users.items()}, {k: int(v.id) for k, v in staff.items()},
                      {"city": int(city.id), "a": int(a.id), "b": int(b.id)},
                      {k: int(v.id) for k, v in villages.items()}, int(group_b.id), int(campaign.id))
    return world


def counts(engine) -> tuple[int, int, int]:
    """(tasks, audit entries, data version)."""
    with Session(engine) as s:
        return (s.execute(select(func.count()).select_from(Task)).scalar_one(),
                s.execute(select(func.count()).select_from(AuditLog)).scalar_one(), data_version(s))


def last_audit(engine) -> AuditLog:
    with Session(engine) as s:
        return s.execute(select(AuditLog).order_by(AuditLog.id.desc())).scalars().first()


def new_task(world: World, who: str = "pres_a", staff: str = "a1", **kwargs) -> int:
    with Session(world.engine) as s:
        return create_task(s, world.users[who], assignee_staff_id=world.staff[staff], title=kwargs.pop("title", "跟进"),
                           due_on=kwargs.pop("due_on", TODAY + timedelta(days=3)), **kwargs)


def version_of(world: World, task_id: int) -> int:
    with Session(world.engine) as s:
        return int(s.get(Task, task_id).version)


# ---------------------------------------------------------------- create


def test_a_president_creates_a_task_from_an_alert_for_their_staff(world):
    before = counts(world.engine)
    task_id = new_task(world, source_kind=TaskSource.LAGGING_VILLAGE, village_id=world.villages["v1"],
                       title="  追赶 东村  目标 ")
    with Session(world.engine) as s:
        task = s.get(Task, task_id)
        assert (task.branch_id, task.assignee_staff_id, task.status, task.version) == \
            (world.branches["a"], world.staff["a1"], TaskStatus.OPEN, 1)
        assert task.title == "追赶 东村 目标" and task.ref_village_id == world.villages["v1"]
        assert task.created_by_user_id == world.users["pres_a"]
    after = counts(world.engine)
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)
    entry = last_audit(world.engine)
    assert (entry.username, entry.action, entry.outcome) == ("pres_a", "task_create", "ok")
    assert '"after"' in entry.detail and "追赶" in entry.detail


def test_head_office_and_a_parent_president_may_assign_in_their_branches(world):
    new_task(world, who="admin", staff="b1", source_kind=TaskSource.SILENT_GROUP, group_id=world.group_b)
    new_task(world, who="pres_city", staff="a2")
    assert counts(world.engine)[0] == 2


@pytest.mark.parametrize(("who", "staff", "extra"), [
    ("staff_a1", "a2", {}),                                   # a staff member may not hand out tasks
    ("viewer", "a1", {}),                                     # a viewer writes nothing
    ("pres_b", "a1", {}),                                     # another branch's staff
    ("pres_a", "a1", {"source_kind": TaskSource.SILENT_GROUP, "group_id": "group_b"}),  # another branch's group
])
def test_who_may_not_create_a_task_is_refused_nothing_written_audited(world, who, staff, extra):
    extra = {k: (world.group_b if v == "group_b" else v) for k, v in extra.items()}
    tasks, audits, version = counts(world.engine)
    with pytest.raises(TaskRefused):
        new_task(world, who=who, staff=staff, **extra)
    assert counts(world.engine) == (tasks, audits + 1, version)
    entry = last_audit(world.engine)
    assert (entry.username, entry.action, entry.outcome) == (who, "task_create", "refused")


def test_a_task_needs_a_title_and_a_due_date_not_in_the_past(world):
    with pytest.raises(TaskError, match="title"):
        new_task(world, title="   ")
    with pytest.raises(TaskError, match="past"):
        new_task(world, due_on=TODAY - timedelta(days=1))
    assert counts(world.engine)[0] == 0


def test_an_unknown_or_disabled_account_is_refused(world):
    with Session(world.engine) as s:
        s.get(User, world.users["pres_a"]).is_active = False
        s.commit()
    with pytest.raises(TaskRefused):
        new_task(world)
    with Session(world.engine) as s, pytest.raises(TaskRefused):
        create_task(s, None, assignee_staff_id=world.staff["a1"], title="x", due_on=TODAY)


# ---------------------------------------------------------------- close, reopen, cancel


def test_the_assignee_closes_with_a_note_and_the_audit_keeps_before_and_after(world):
    task_id = new_task(world)
    before = counts(world.engine)
    with Session(world.engine) as s:
        close_task(s, world.users["staff_a1"], task_id, "已上门，客户答应节后存5万", version_of(world, task_id))
    with Session(world.engine) as s:
        task = s.get(Task, task_id)
        assert (task.status, task.version, task.closed_by_user_id) == (TaskStatus.DONE, 2, world.users["staff_a1"])
        assert task.closing_note == "已上门，客户答应节后存5万" and task.closed_at is not None
    assert counts(world.engine) == (before[0], before[1] + 1, before[2] + 1)
    entry = last_audit(world.engine)
    assert entry.action == "task_close" and '"before": {"status": "open"' in entry.detail
    assert '"after": {"status": "done"' in entry.detail


@pytest.mark.parametrize("who", ["staff_a2", "viewer", "pres_b"])
def test_who_may_not_close_a_task_is_refused_nothing_written_audited(world, who):
    task_id = new_task(world)
    tasks, audits, version = counts(world.engine)
    with Session(world.engine) as s, pytest.raises(TaskRefused):
        close_task(s, world.users[who], task_id, "done", 1)
    assert counts(world.engine) == (tasks, audits + 1, version)
    with Session(world.engine) as s:
        assert s.get(Task, task_id).status == TaskStatus.OPEN
    assert (last_audit(world.engine).username, last_audit(world.engine).outcome) == (who, "refused")


def test_a_close_needs_a_note(world):
    task_id = new_task(world)
    with Session(world.engine) as s, pytest.raises(TaskError, match="what was done"):
        close_task(s, world.users["staff_a1"], task_id, "  ", 1)


def test_two_people_closing_one_task_the_second_gets_a_conflict_and_nothing_changes(world):
    task_id = new_task(world)
    seen = version_of(world, task_id)  # both opened the page on this version
    with Session(world.engine) as s:
        close_task(s, world.users["pres_a"], task_id, "行长已电话确认", seen)
    tasks, audits, version = counts(world.engine)
    with Session(world.engine) as s, pytest.raises(TaskConflict, match="changed by someone else"):
        close_task(s, world.users["staff_a1"], task_id, "我也去过了", seen)
    with Session(world.engine) as s:
        task = s.get(Task, task_id)
        assert (task.closing_note, task.version, task.closed_by_user_id) == ("行长已电话确认", 2, world.users["pres_a"])
    assert counts(world.engine) == (tasks, audits + 1, version)
    assert last_audit(world.engine).outcome == "refused"


def test_a_president_reopens_and_cancels_staff_may_not(world):
    task_id = new_task(world)
    with Session(world.engine) as s:
        close_task(s, world.users["staff_a1"], task_id, "done", 1)
    with Session(world.engine) as s, pytest.raises(TaskRefused):
        reopen_task(s, world.users["staff_a1"], task_id, "not enough", 2)
    with Session(world.engine) as s, pytest.raises(TaskError):
        reopen_task(s, world.users["pres_a"], task_id, "", 2)
    with Session(world.engine) as s:
        reopen_task(s, world.users["pres_a"], task_id, "客户还没存", 2)
    with Session(world.engine) as s:
        task = s.get(Task, task_id)
        assert (task.status, task.closed_at, task.version) == (TaskStatus.OPEN, None, 3)
    with Session(world.engine) as s, pytest.raises(TaskRefused):
        cancel_task(s, world.users["staff_a1"], task_id, "no", 3)
    with Session(world.engine) as s, pytest.raises(TaskRefused):
        cancel_task(s, world.users["pres_b"], task_id, "no", 3)
    with Session(world.engine) as s:
        cancel_task(s, world.users["pres_a"], task_id, "提醒已解除", 3)
    with Session(world.engine) as s:
        assert s.get(Task, task_id).status == TaskStatus.CANCELLED
    assert last_audit(world.engine).action == "task_cancel"


# ---------------------------------------------------------------- reads and the brief


def scope_of(world: World, who: str):
    with Session(world.engine) as s:
        return scope_for_user(s, s.get(User, world.users[who]))


def test_lists_are_scoped_and_overdue_is_an_open_task_past_its_due_date(world):
    mine = new_task(world, staff="a1")
    new_task(world, staff="a2")
    new_task(world, who="pres_b", staff="b1")
    with Session(world.engine) as s:
        assert set(task_metrics.branch_tasks(s, scope_of(world, "pres_a"), as_of=TODAY)["assignee_name"]) == {"a1", "a2"}
        assert len(task_metrics.branch_tasks(s, scope_of(world, "pres_city"), as_of=TODAY)) == 3
        own = task_metrics.my_tasks(s, scope_of(world, "staff_a1"), as_of=TODAY)
        assert own["task_id"].tolist() == [mine]
        assert task_metrics.my_tasks(s, scope_of(world, "viewer"), as_of=TODAY).empty
        later = task_metrics.branch_tasks(s, scope_of(world, "pres_a"), as_of=TODAY + timedelta(days=4))
        assert set(later["state"]) == {task_metrics.OVERDUE}
        assert task_metrics.task_counts(s, scope_of(world, "pres_a"), as_of=TODAY + timedelta(days=4)) == \
            {"open": 2, "overdue": 2, "done_week": 0}


def test_the_brief_counts_tasks_closed_this_week_as_a_recount_from_the_rows(world):
    ids = [new_task(world) for _ in range(4)]
    now = datetime.now(UTC)
    for task_id, closed_at in zip(ids, (now, now - timedelta(days=2), now - timedelta(days=9)), strict=False):
        with Session(world.engine) as s:
            close_task(s, world.users["staff_a1"], task_id, "ok", 1, now=closed_at)
    with Session(world.engine) as s:
        raw_this = s.execute(select(func.count()).select_from(Task).where(
            Task.status == TaskStatus.DONE, Task.closed_at >= datetime.combine(TODAY - timedelta(days=6),
                                                                               datetime.min.time(), tzinfo=UTC))
        ).scalar_one()
        scope = scope_of(world, "pres_a")
        this = brief.week_figures(s, scope, end=date(2026, 1, 1), tasks_until=TODAY)
        last = brief.week_figures(s, scope, end=date(2025, 12, 25), tasks_until=TODAY - timedelta(days=7))
        other = brief.week_figures(s, scope_of(world, "pres_b"), end=date(2026, 1, 1), tasks_until=TODAY)
    assert this.tasks_closed == raw_this == 2
    assert last.tasks_closed == 1
    assert other.tasks_closed == 0
    said = [x for x in brief.what_changed(this, last) if x.key == "tasks_closed"]
    assert said == [brief.Sentence("tasks_closed", "good", {"n": 2, "before": 1})]
    assert not [x for x in brief.what_changed(other, other) if x.key == "tasks_closed"]


# ---------------------------------------------------------------- campaign targets


def targets_of(world: World, level: str) -> dict:
    with Session(world.engine) as s:
        rows = s.execute(select(CampaignTarget).where(CampaignTarget.level == level)).scalars()
        return {(r.branch_id, r.village_id, r.staff_id): r.deposit_target for r in rows}


def test_head_office_sets_a_branch_target_others_are_refused(world):
    with Session(world.engine) as s:
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["a"], 200_000)
    with Session(world.engine) as s:
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["a"], 150_000)
    assert targets_of(world, TargetLevel.BRANCH) == {(world.branches["a"], None, None): 150_000}
    for who in ("pres_a", "staff_a1", "viewer"):
        audits = counts(world.engine)[1]
        with Session(world.engine) as s, pytest.raises(TargetRefused):
            set_branch_target(s, world.users[who], world.campaign_id, world.branches["a"], 1)
        assert counts(world.engine)[1] == audits + 1 and last_audit(world.engine).outcome == "refused"
    assert targets_of(world, TargetLevel.BRANCH) == {(world.branches["a"], None, None): 150_000}


def test_a_split_may_not_exceed_the_branch_target_and_says_by_how_much(world):
    with Session(world.engine) as s:
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["a"], 100_000)
    v1, v2 = world.villages["v1"], world.villages["v2"]
    with Session(world.engine) as s, pytest.raises(TargetError, match="more than the branch target of 100,000 yuan "
                                                                     r"\(by 20,000\)"):
        split_branch_target(s, world.users["pres_a"], world.campaign_id, world.branches["a"],
                            {v1: 60_000, v2: 60_000}, {})
    with Session(world.engine) as s, pytest.raises(TargetError, match="staff add up"):
        split_branch_target(s, world.users["pres_a"], world.campaign_id, world.branches["a"],
                            {v1: 40_000}, {world.staff["a1"]: 80_000, world.staff["a2"]: 30_000})
    assert targets_of(world, TargetLevel.VILLAGE) == {}
    with Session(world.engine) as s:
        split_branch_target(s, world.users["pres_a"], world.campaign_id, world.branches["a"],
                            {v1: 40_000, v2: 60_000}, {world.staff["a1"]: 70_000, world.staff["a2"]: 0})
    assert targets_of(world, TargetLevel.VILLAGE) == {(world.branches["a"], v1, None): 40_000,
                                                      (world.branches["a"], v2, None): 60_000}
    assert targets_of(world, TargetLevel.STAFF) == {(world.branches["a"], None, world.staff["a1"]): 70_000}
    assert last_audit(world.engine).action == "target_split"
    with Session(world.engine) as s, pytest.raises(TargetError, match="cannot be lower"):
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["a"], 90_000)


@pytest.mark.parametrize(("who", "branch", "villages", "error"), [
    ("pres_b", "a", {}, TargetRefused),            # another branch
    ("staff_a1", "a", {}, TargetRefused),          # staff may not split
    ("viewer", "a", {}, TargetRefused),
    ("pres_city", "b", {"v1": 1}, TargetRefused),  # a village of another branch
])
def test_who_may_not_split_is_refused_nothing_written(world, who, branch, villages, error):
    with Session(world.engine) as s:
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["a"], 100_000)
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["b"], 100_000)
    before = counts(world.engine)
    with Session(world.engine) as s, pytest.raises(error):
        split_branch_target(s, world.users[who], world.campaign_id, world.branches[branch],
                            {world.villages[k]: v for k, v in villages.items()}, {})
    assert counts(world.engine) == (before[0], before[1] + 1, before[2])
    assert targets_of(world, TargetLevel.VILLAGE) == {}


def test_attainment_after_a_target_write_equals_a_recount_from_the_raw_rows(world):
    refresh_rollups(world.engine)  # the campaign rollups of the season's deposits and list (targets are in none)
    with Session(world.engine) as s:
        set_branch_target(s, world.users["admin"], world.campaign_id, world.branches["a"], 160_000)
    with Session(world.engine) as s:
        split_branch_target(s, world.users["pres_city"], world.campaign_id, world.branches["a"],
                            {world.villages["v1"]: 50_000, world.villages["v2"]: 100_000}, {world.staff["a1"]: 160_000})
    with Session(world.engine) as s:
        scope = scope_of(world, "pres_a")
        campaign = campaign_metrics.campaigns(s, scope).iloc[0]
        as_of = campaign["end_date"].date()
        view = campaign_metrics.campaign_view(campaign_metrics.season_summary(s, scope, world.campaign_id),
                                              campaign_metrics.list_counts(s, scope, world.campaign_id, as_of),
                                              campaign, as_of, scope)
        raw_deposits = dict(s.execute(select(CampaignDeposit.village_id, func.sum(CampaignDeposit.amount))
                                      .group_by(CampaignDeposit.village_id)).all())
        raw_targets = dict(s.execute(select(CampaignTarget.village_id, CampaignTarget.deposit_target)
                                     .where(CampaignTarget.level == TargetLevel.VILLAGE)).all())
        raw_branch = s.execute(select(func.sum(CampaignTarget.deposit_target))
                               .where(CampaignTarget.level == TargetLevel.BRANCH)).scalar_one()
    assert view["progress"]["target"] == raw_branch == 160_000
    assert view["progress"]["attainment"] == pytest.approx(sum(raw_deposits.values()) / raw_branch)
    villages = view["villages"].set_index("village_id")
    for village_id, target in raw_targets.items():
        assert villages.loc[village_id, "deposit_target"] == target
        assert villages.loc[village_id, "attainment"] == pytest.approx(raw_deposits[village_id] / target)
    staff = view["staff"].set_index("staff_id")
    assert staff.loc[world.staff["a1"], "attainment"] == pytest.approx(100_000 / 160_000)
