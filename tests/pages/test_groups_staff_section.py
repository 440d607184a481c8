"""The groups page's WeCom staff section: staff-day figures (imported through the same pipeline as the sync's rows)
beside the per-group figures, with the line that says which figures come from where, in Chinese and English."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
from sqlalchemy import select, text
from sqlmodel import Session

from components.data import refresh_data_version
from models.importing.pipeline import commit_frame
from models.org import Staff
from tests.conftest import DEMO_END
from tests.pages.conftest import page

PAGE = "app_pages/groups.py"


def _without_staff_days(engine) -> None:
    """The demo seeds staff-day figures; these tests bring their own."""
    with Session(engine) as session:
        for table in ("staffcontactdaily", "staffgroupchatdaily"):
            session.execute(text(f"DELETE FROM {table}"))
        session.commit()


def _staff_days(engine, staff: int = 3, days: int = 20) -> list[str]:
    _without_staff_days(engine)
    with Session(engine) as session:
        numbers = list(session.execute(select(Staff.employee_no).order_by(Staff.id).limit(staff)).scalars())
        rows = [(n, DEMO_END - timedelta(days=d), i, d) for i, n in enumerate(numbers) for d in range(days)]
        contact = pd.DataFrame([{"staff": n, "day": day, "chat_cnt": 10 + i, "message_cnt": 40 + 10 * i + d,
                                 "reply_percentage": 80.0 + i, "avg_reply_time": 5 + i, "new_contact_cnt": 1}
                                for n, day, i, d in rows])
        owners = pd.DataFrame([{"staff": n, "day": day, "new_chat_cnt": int(d == 0), "chat_total": 3 + i,
                                "chat_has_msg": 2, "new_member_cnt": 4, "member_total": 300 + d, "member_has_msg": 25,
                                "msg_total": 200 + i} for n, day, i, d in rows])
        for kind, frame in (("staff_contact_daily", contact), ("staff_group_daily", owners)):
            assert commit_frame(kind, frame, f"test {kind}", session, "tester").committed
    return numbers


def _staff_frames(app) -> list[pd.DataFrame]:
    return [f.value for f in app.dataframe]


def test_staff_section_shows_staff_and_owner_figures_and_their_sources(own_demo_env):
    _staff_days(own_demo_env)
    test = page(PAGE)
    test.session_state["groups_section"] = "员工服务（企业微信）"  # the lazy tab, opened
    app = test.run()
    assert not app.exception, app.exception
    assert "员工服务（企业微信）" in [tab.label for tab in app.tabs]
    assert any("会话内容存档" in c.value and "企业微信客户联系接口" in c.value for c in app.caption)
    frames = _staff_frames(app)
    contact = next(f for f in frames if "已回复聊天占比" in f.columns)
    assert len(contact) == 3 and contact["发送消息数"].iloc[0] == 20 * 60 + sum(range(20))  # most messages first
    owners = next(f for f in frames if "日均有消息的群" in f.columns)
    assert len(owners) == 3 and set(owners["新建群"]) == {1}


def test_staff_section_in_english_and_empty_without_figures(own_demo_env, monkeypatch):
    _without_staff_days(own_demo_env)
    test = page(PAGE)
    test.session_state["ui_language"] = "en"
    test.session_state["groups_section"] = "Staff service (WeCom)"
    app = test.run()
    assert not app.exception, app.exception
    assert "Staff service (WeCom)" in [tab.label for tab in app.tabs]
    assert any("No WeCom staff statistics" in i.value for i in app.info)
    _staff_days(own_demo_env, staff=2)
    refresh_data_version()   # the version is cached for 5 s; a sync in another process shows within that
    test = page(PAGE)
    test.session_state["ui_language"] = "en"
    test.session_state["groups_section"] = "Staff service (WeCom)"
    app = test.run()
    assert not app.exception, app.exception
    assert any("conversation archive" in c.value and "file import" in c.value for c in app.caption)
    assert any("Chats replied to" in f.columns and len(f) == 2 for f in _staff_frames(app)), [(list(f.columns), len(f)) for f in _staff_frames(app)]
