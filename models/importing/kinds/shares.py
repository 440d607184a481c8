"""Staff shares of referral content per channel and day."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.importing.kinds.lookups import copy_fields, labelled_choices
from models.importing.spec import Column, ImportKind, Resolved, attach, lookup, register
from models.org import Staff
from models.referrals import ShareChannel, ShareEvent


def _register_share_kind() -> None:

    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = copy_fields(frame, "channel", "day", "shares", "clicks")
        found = lookup(session, Staff.__table__, "employee_no", frame["employee_no"], "id", "branch_id")
        attach(resolved, frame["employee_no"], found, {"staff_id": "id", "branch_id": "branch_id"}, "employee_no",
               ("员工工号", "employee number"))
        return resolved

    register(ImportKind(
        key="share_event", label=("推广分享与点击（按员工按日）", "Shares and clicks per staff and day"),
        table=ShareEvent.__table__, natural_key=("staff_id", "channel", "day"), resolve=resolve,
        unique=("employee_no", "channel", "day"),
        columns=(
            Column("employee_no", ("员工工号", "工号", "employee no")),
            Column("channel", ("渠道", "channel"), "choice", choices=labelled_choices(ShareChannel, {
                "wechat_chat": ("微信好友", "微信聊天"), "moments": ("朋友圈",), "weibo": ("微博",)})),
            Column("day", ("日期", "date", "day"), "date"),
            Column("shares", ("分享次数", "shares"), "int", min_value=0),
            Column("clicks", ("点击次数", "clicks"), "int", min_value=0),
        ),
        example=({"employee_no": "E000001", "channel": "朋友圈", "day": "2026-11-01", "shares": "3", "clicks": "41"},),
    ))


_register_share_kind()
