"""Tasks and targets through the forms, as each demo role: a president creates a task from an alert, the
staff member closes it on the overview, a second writer is told and keeps the note; head office sets a
branch target and a president splits it; each role that may not write is refused on the server (the
account is changed under an open page, so the form is there but the write must still be refused), with
nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.campaign import CampaignTarget, TargetLevel
from models.org import Staff
from models.tasklist import Task, TaskStatus
from models.tasks import close_task, create_task
from tests.pages.conftest import page

TODAY = datetime.now(UTC).date()


def user(engine, username: str) -> User:
    with Session(engine) as s:
        return s.execute(select(User).where(User.username == username)).scalars().one()


def tasks(engine) -> list[Task]:
    with Session(engine) as s:
        return list(s.execute(select(Task).order_by(Task.id)).scalars())


def audits(engine) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(AuditLog)).scalar_one()


def a_task(engine, title: str = "唤醒沉默群") -> int:
    president, staff = user(engine, "demo_president"), user(engine, "demo_staff")
    with Session(engine) as s:
        return create_task(s, president.id, assignee_staff_id=staff.staff_id, title=title,
                           due_on=TODAY + timedelta(days=2))


def button(app, label: str):
    return next(b for b in app.button if b.label == label)


def set_role(engine, username: str, role: str) -> None:
    """Change an account's role behind an open page (no session revocation: the page stays signed in)."""
    with engine.begin() as conn:
        conn.execute(text('UPDATE "user" SET role = :role WHERE username = :name'), {"role": role, "name": username})


# ---------------------------------------------------------------- tasks


def test_a_president_creates_a_task_from_an_overview_alert(own_demo_env):
    app = page("app.py", "demo_president").run()
    assert not app.exception, app.exception
    expander = next(e for e in app.expander if e.label == "建任务")
    title = next(w for w in app.text_area if w.key.startswith("overview_task_title_")).value
    assert title, "the title is written from the alert"
    assignee = next(w for w in app.selectbox if w.key.startswith("overview_task_staff_"))
    assert expander is not None and assignee.options
    button(app, "建任务").click().run()
    assert not app.exception, app.exception
    assert any("已建任务" in s.value for s in app.success), [e.value for e in app.error]
    made = tasks(own_demo_env)
    assert len(made) == 1 and made[0].title == title
    assert made[0].created_by_user_id == user(own_demo_env, "demo_president").id
    assert made[0].source_kind in {"follower_drop", "silent_group", "lagging_village"}


def test_the_staff_member_closes_their_task_with_a_note_on_the_overview(own_demo_env):
    task_id = a_task(own_demo_env)
    app = page("app.py", "demo_staff").run()
    assert not app.exception, app.exception
    assert any(s.value == "我的任务" for s in app.subheader)
    assert any("唤醒沉默群" in m.value for m in app.markdown)
    app.text_area(key=f"overview_my_tasks_note_{task_id}").input("已在群里发起话题，3位客户回复")
    button(app, "完成").click().run()
    assert not app.exception, app.exception
    assert any("任务已完成" in s.value for s in app.success)
    done = tasks(own_demo_env)[0]
    assert (done.status, done.closing_note) == (TaskStatus.DONE, "已在群里发起话题，3位客户回复")
    assert not any("唤醒沉默群" in m.value for m in app.markdown), "a done task leaves the open list"


def test_a_close_without_a_note_is_refused_and_nothing_changes(own_demo_env):
    a_task(own_demo_env)
    app = page("app.py", "demo_staff").run()
    button(app, "完成").click().run()
    assert any("please say what was done" in e.value for e in app.error)
    assert tasks(own_demo_env)[0].status == TaskStatus.OPEN


def test_a_second_closer_is_told_and_keeps_what_they_typed(own_demo_env):
    task_id = a_task(own_demo_env)
    app = page("app.py", "demo_staff").run()
    app.text_area(key=f"overview_my_tasks_note_{task_id}").input("我下午去过了")
    with Session(own_demo_env) as s:  # meanwhile the president closes it
        close_task(s, user(own_demo_env, "demo_president").id, task_id, "行长已处理", 1)
    button(app, "完成").click().run()
    assert not app.exception, app.exception
    assert any("changed by someone else" in e.value for e in app.error)
    assert any(c.value == "我下午去过了" for c in app.code), "the note typed is shown again"
    assert tasks(own_demo_env)[0].closing_note == "行长已处理"


def test_staff_and_viewers_get_no_task_forms(own_demo_env):
    for username in ("demo_staff", "demo_viewer"):
        for path in ("app.py", "app_pages/tasks.py", "app_pages/campaign.py", "app_pages/groups.py"):
            test = page(path, username)
            test.session_state["groups_section"] = "社群健康度"  # the groups page's alerts sit in its health tab
            app = test.run()
            assert not app.exception, app.exception
            labels = {e.label for e in app.expander}
            assert not labels & {"建任务", "新建任务", "处理任务"}, (username, path, labels)


def test_a_president_turned_viewer_under_an_open_form_is_refused_on_the_server(own_demo_env):
    app = page("app.py", "demo_president").run()
    before = audits(own_demo_env)
    set_role(own_demo_env, "demo_president", "viewer")
    button(app, "建任务").click().run()
    assert any("only presidents and head office" in e.value for e in app.error)
    assert tasks(own_demo_env) == []
    assert audits(own_demo_env) == before + 1


def test_a_staff_member_may_not_close_a_task_moved_to_a_colleague(own_demo_env):
    task_id = a_task(own_demo_env)
    app = page("app.py", "demo_staff").run()
    with Session(own_demo_env) as s:  # the president hands it to a colleague while the page is open
        task = s.get(Task, task_id)
        colleague = s.execute(select(Staff.id).where(Staff.branch_id == task.branch_id,
                                                     Staff.id != task.assignee_staff_id)).scalars().first()
        task.assignee_staff_id = colleague
        s.commit()
    app.text_area(key=f"overview_my_tasks_note_{task_id}").input("做完了")
    button(app, "完成").click().run()
    assert any("only the assignee" in e.value for e in app.error)
    assert tasks(own_demo_env)[0].status == TaskStatus.OPEN


def test_the_tasks_page_shows_open_and_done_and_a_president_cancels_one(own_demo_env):
    keep, drop = a_task(own_demo_env, "走访东村"), a_task(own_demo_env, "撤销这项")
    app = page("app_pages/tasks.py", "demo_president").run()
    assert not app.exception, app.exception
    assert [m.value for m in app.metric][:1] == ["2"]
    app.selectbox(key="tasks_manage_task").set_value(drop).run()
    app.radio(key=f"tasks_manage_action_{drop}").set_value("cancel")
    app.text_area(key=f"tasks_manage_reason_{drop}").input("提醒已解除")
    button(app, "提交").click().run()
    assert not app.exception, app.exception
    states = {t.id: t.status for t in tasks(own_demo_env)}
    assert states == {keep: TaskStatus.OPEN, drop: TaskStatus.CANCELLED}


# ---------------------------------------------------------------- targets


def test_head_office_sets_a_branch_target_in_the_app(own_demo_env):
    branch = int(user(own_demo_env, "demo_president").branch_id)
    app = page("app_pages/targets.py", "demo_admin").run()
    assert not app.exception, app.exception
    app.selectbox(key="targets_branch").set_value(branch).run()
    app.number_input(key="targets_amount").set_value(9_000_000.0)
    button(app, "保存网点目标").click().run()
    assert not app.exception, app.exception
    assert any("已保存" in s.value for s in app.success), [e.value for e in app.error]
    with Session(own_demo_env) as s:
        rows = s.execute(select(CampaignTarget.deposit_target).where(
            CampaignTarget.branch_id == branch, CampaignTarget.level == TargetLevel.BRANCH)).scalars().all()
    assert 9_000_000.0 in rows


def test_a_president_splits_the_target_and_an_excess_is_refused_clearly(own_demo_env):
    app = page("app_pages/targets.py", "demo_president").run()
    assert not app.exception, app.exception
    assert not any(e.label == "下达网点目标" for e in app.expander), "only head office sets branch targets"
    inputs = [w for w in app.number_input if "_v_" in w.key]
    assert inputs, "one amount per village"
    with Session(own_demo_env) as s:
        before = s.execute(select(func.count()).select_from(CampaignTarget)).scalar_one()
    inputs[0].set_value(10_000_000_000.0)
    button(app, "保存分解").click().run()
    assert any("超过网点目标" in e.value for e in app.error), [e.value for e in app.error]
    with Session(own_demo_env) as s:
        assert s.execute(select(func.count()).select_from(CampaignTarget)).scalar_one() == before
    app = page("app_pages/targets.py", "demo_president").run()
    villages = [w for w in app.number_input if "_v_" in w.key]
    staff = [w for w in app.number_input if "_s_" in w.key]
    for widget in villages + staff:
        widget.set_value(0.0)
    villages[0].set_value(20_000.0)
    staff[0].set_value(30_000.0)
    button(app, "保存分解").click().run()
    assert any("已保存分解" in s.value for s in app.success), [e.value for e in app.error]
    campaign_id, village_id = int(villages[0].key.split("_")[1]), int(villages[0].key.rsplit("_", 1)[1])
    with Session(own_demo_env) as s:
        split = s.execute(select(CampaignTarget.level, CampaignTarget.village_id, CampaignTarget.deposit_target).where(
            CampaignTarget.campaign_id == campaign_id, CampaignTarget.level != TargetLevel.BRANCH,
            CampaignTarget.branch_id == user(own_demo_env, "demo_president").branch_id)).all()
    assert sorted(split) == [(TargetLevel.STAFF, None, 30_000.0), (TargetLevel.VILLAGE, village_id, 20_000.0)]


def test_a_staff_member_and_a_viewer_only_read_targets(own_demo_env):
    for username in ("demo_staff", "demo_viewer"):
        app = page("app_pages/targets.py", username).run()
        assert not app.exception, app.exception
        assert not [b for b in app.button if b.label in ("保存网点目标", "保存分解")]
        assert any("只能查看" in c.value for c in app.caption)


def test_an_admin_turned_president_under_an_open_form_is_refused(own_demo_env):
    app = page("app_pages/targets.py", "demo_admin").run()
    before = audits(own_demo_env)
    set_role(own_demo_env, "demo_admin", "president")
    with Session(own_demo_env) as s:
        targets = s.execute(select(func.sum(CampaignTarget.deposit_target))).scalar_one()
    button(app, "保存网点目标").click().run()
    assert any("only head office" in e.value for e in app.error)
    with Session(own_demo_env) as s:
        assert s.execute(select(func.sum(CampaignTarget.deposit_target))).scalar_one() == targets
    assert audits(own_demo_env) == before + 1


def test_a_president_turned_staff_under_an_open_split_form_is_refused(own_demo_env):
    app = page("app_pages/targets.py", "demo_president").run()
    with Session(own_demo_env) as s:
        before = s.execute(select(CampaignTarget.id, CampaignTarget.deposit_target)).all()
    set_role(own_demo_env, "demo_president", "staff")
    button(app, "保存分解").click().run()
    assert any("only presidents and head office split targets" in e.value for e in app.error)
    with Session(own_demo_env) as s:
        assert s.execute(select(CampaignTarget.id, CampaignTarget.deposit_target)).all() == before
