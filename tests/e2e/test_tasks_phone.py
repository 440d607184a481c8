"""On a phone (390x844), in a real browser: a president makes a task from an overview alert, the staff
member signs in, finds it on the overview, closes it with a note, and the brief counts it; screenshots of
every step under test-artifacts/screenshots/."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.accounts import User
from models.db import make_engine
from models.org import Staff
from models.tasklist import Task, TaskStatus
from tests.e2e.conftest import ARTIFACTS, wait_for_app
from tests.e2e.test_every_role_and_page import PHONE, assert_clean, open_as

pytestmark = pytest.mark.e2e


def screenshot(tab, name: str) -> None:
    """As conftest's, with a longer wait: the machine running the suite is shared and sometimes slow."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True, timeout=120_000)


def staff_name(url: str, username: str) -> str:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.execute(select(Staff.name).join(User, User.staff_id == Staff.id)
                                   .where(User.username == username)).scalar_one()
    finally:
        engine.dispose()


def task_by_title(url: str, title: str) -> Task | None:
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            return session.execute(select(Task).where(Task.title == title)).scalars().first()
    finally:
        engine.dispose()


def test_a_task_from_an_alert_to_done_on_a_phone(chromium_browser, app_url, e2e_database_url):
    title = f"唤醒沉默群，周五前回报 {uuid.uuid4().hex[:6]}"
    context, tab, errors = open_as(chromium_browser, app_url, "president", PHONE)
    try:
        expander = tab.locator("[data-testid='stExpander']").filter(has_text="建任务").first
        expander.locator("summary").click()
        tab.wait_for_timeout(800)
        title_box = expander.locator("[class*='st-key-overview_task_title_'] textarea")
        screenshot(tab, "tasks_president_alert_390x844")
        assert title_box.input_value(), "the title is written from the alert"
        title_box.fill(title)
        expander.locator("[class*='st-key-overview_task_staff_'] [data-testid='stSelectbox']").click()
        tab.get_by_role("option", name=staff_name(e2e_database_url, "demo_staff")).first.click()
        tab.wait_for_timeout(500)
        screenshot(tab, "tasks_president_create_390x844")
        expander.get_by_role("button", name="建任务").click()
        wait_for_app(tab)
        body = assert_clean(tab, "president after create")
        assert "已建任务" in body
        screenshot(tab, "tasks_president_created_390x844")
        made = task_by_title(e2e_database_url, title)
        assert made is not None and made.status == TaskStatus.OPEN
        assert not errors, errors
    finally:
        context.close()

    context, tab, errors = open_as(chromium_browser, app_url, "staff", PHONE)
    try:
        card = tab.locator(f".st-key-overview_my_tasks_card_{made.id}")
        card.scroll_into_view_if_needed()
        assert title in card.inner_text()
        screenshot(tab, "tasks_staff_overview_390x844")
        card.locator("textarea").fill("已在群里发起春节存款话题，3位客户回复，约了周六上门")
        card.get_by_role("button", name="完成").click()
        wait_for_app(tab)
        body = assert_clean(tab, "staff after close")
        assert "任务已完成" in body
        assert tab.locator(f".st-key-overview_my_tasks_card_{made.id}").count() == 0
        assert "本周完成任务" in body, "the brief counts the task closed this week"
        screenshot(tab, "tasks_staff_closed_390x844")
        closed = task_by_title(e2e_database_url, title)
        assert closed.status == TaskStatus.DONE and closed.closing_note.startswith("已在群里")
        assert not errors, errors
    finally:
        context.close()

    context, tab, errors = open_as(chromium_browser, app_url, "president", PHONE)
    try:
        tab.goto(f"{app_url}/tasks")
        wait_for_app(tab)
        tab.get_by_role("tab", name="已完成").click()
        tab.wait_for_timeout(1000)
        body = assert_clean(tab, "president tasks page")
        assert "近7天完成" in body and tab.locator("[data-testid='stDataFrame']").count() >= 1
        screenshot(tab, "tasks_president_done_390x844")
        assert not errors, errors
    finally:
        context.close()
