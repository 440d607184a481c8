"""Demo accounts, one per role, so that a meeting can show each view in one click."""

from __future__ import annotations

import pandas as pd

from models.accounts import User, UserRole
from models.auth import hash_password
from models.org import StaffRole
from sample_data.context import GenContext
from sample_data.org import STORY_BRANCH_CODE

DEMO_PASSWORD = "demo-2026"


def generate_demo_accounts(ctx: GenContext) -> dict[str, pd.DataFrame]:
    branches = ctx.frames["branch"]
    staff = ctx.frames["staff"]
    story = int(branches.loc[branches["code"] == STORY_BRANCH_CODE, "id"].iloc[0])
    city = int(branches.loc[branches["id"] == story, "parent_id"].iloc[0])
    president = staff[(staff["branch_id"] == story) & (staff["role"] == StaffRole.PRESIDENT.value)].iloc[0]
    manager = staff[(staff["branch_id"] == story) & (staff["role"] == StaffRole.ACCOUNT_MANAGER.value)].iloc[0]
    password_hash = hash_password(DEMO_PASSWORD)
    rows = [
        {"username": "demo_admin", "display_name": "总行管理员", "role": UserRole.ADMIN.value, "branch_id": None,
         "staff_id": None},
        {"username": "demo_city", "display_name": f"{branches.loc[branches['id'] == city, 'name'].iloc[0]}行长",
         "role": UserRole.PRESIDENT.value, "branch_id": city, "staff_id": None},
        {"username": "demo_president", "display_name": f"{president['name']}（月河社区支行行长）",
         "role": UserRole.PRESIDENT.value, "branch_id": story, "staff_id": int(president["id"])},
        {"username": "demo_staff", "display_name": f"{manager['name']}（客户经理）", "role": UserRole.STAFF.value,
         "branch_id": story, "staff_id": int(manager["id"])},
        {"username": "demo_viewer", "display_name": "会议投屏", "role": UserRole.VIEWER.value, "branch_id": None,
         "staff_id": None},
    ]
    frame = pd.DataFrame(rows)
    frame.insert(0, "id", range(1, len(frame) + 1))
    frame["password_hash"] = password_hash
    frame["email"] = frame["username"] + "@bank.example.cn"
    frame["is_demo"] = True
    frame["is_active"] = True
    frame["failed_logins"] = 0
    frame["locale"] = ""
    for column in ("branch_id", "staff_id"):
        frame[column] = frame[column].astype("Int64")
    return {User.__tablename__: frame}
