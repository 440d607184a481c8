"""Customer-group kinds: WeCom groups, their daily statistics and members."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.groups import GroupDaily, GroupMembership, MemberRole, SocialGroup
from models.importing.kinds.lookups import CUSTOMER, copy_fields, labelled_choices, resolve_customers
from models.importing.spec import Column, ImportKind, Resolved, RowCheck, attach, lookup, register


def _groups(session: Session, resolved: Resolved, frame: pd.DataFrame) -> None:

    table = SocialGroup.__table__
    by_code = lookup(session, table, "code", frame["group"], "id", "branch_id")
    by_name = lookup(session, table, "name", frame["group"][~frame["group"].isin(by_code.index)], "id", "branch_id")
    found = pd.concat([by_code, by_name])
    attach(resolved, frame["group"], found[~found.index.duplicated()], {"group_id": "id", "branch_id": "branch_id"},
           "group", ("客户群（编号或群名）", "group (code or name)"))


def _resolve_group_daily(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "day", "members", "joins", "leaves", "active_members", "messages", "customer_messages",
                     "customer_questions", "staff_replies", "answered_within_10min", "median_first_reply_minutes")
    _groups(session, resolved, frame)
    return resolved


def _register_group_kinds() -> None:

    count = {"type": "int", "required": False, "min_value": 0, "default": 0}
    register(ImportKind(
        key="group_daily", label=("企业微信客户群日统计", "WeCom customer-group daily statistics"),
        table=GroupDaily.__table__, natural_key=("group_id", "day"), resolve=_resolve_group_daily,
        unique=("group", "day"),
        columns=(
            Column("group", ("群编号", "群名称", "客户群", "group", "group code")),
            Column("day", ("日期", "统计日期", "date", "day"), "date"),
            Column("members", ("群成员总数", "群成员数", "members"), "int", min_value=0),
            Column("joins", ("新增群成员数", "入群人数", "joins"), **count),
            Column("leaves", ("退群人数", "退群成员数", "leaves"), **count),
            Column("active_members", ("发过消息的群成员数", "活跃成员数", "active members"), **count),
            Column("messages", ("群聊消息总数", "消息总数", "messages"), **count),
            Column("customer_messages", ("客户消息数", "customer messages"), **count),
            Column("customer_questions", ("客户提问数", "customer questions"), **count),
            Column("staff_replies", ("员工回复数", "staff replies"), **count),
            Column("answered_within_10min", ("10分钟内回复数", "answered within 10 min"), **count),
            Column("median_first_reply_minutes", ("首次回复时长中位数（分钟）", "median first reply minutes"), "float",
                   required=False, min_value=0),
        ),
        row_checks=(
            RowCheck("active", lambda f: ~(f["active_members"] > f["members"]).fillna(False),
                     ("发过消息的成员数大于群成员总数", "more active members than members"), "active_members"),
            RowCheck("answered", lambda f: ~(f["answered_within_10min"] > f["customer_questions"]).fillna(False),
                     ("10分钟内回复数大于客户提问数", "more answered within 10 minutes than questions asked"),
                     "answered_within_10min"),
        ),
        example=({"group": "G0000001", "day": "2026-11-01", "members": "186", "joins": "3", "leaves": "1",
                  "active_members": "42", "messages": "1,305", "customer_messages": "960", "customer_questions": "12",
                  "staff_replies": "15", "answered_within_10min": "11", "median_first_reply_minutes": "4.5"},),
    ))

    def resolve_members(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = copy_fields(frame, "joined_on", "left_on", "role", "brought_in", "messages")
        _groups(session, resolved, frame)
        resolve_customers(session, resolved, frame, {"customer_id": "id"})
        return resolved

    register(ImportKind(
        key="group_member", label=("客户群成员名单", "Group member lists"), table=GroupMembership.__table__,
        natural_key=("group_id", "customer_id", "joined_on"), resolve=resolve_members,
        unique=("group", "customer_code", "joined_on"),
        columns=(
            Column("group", ("群编号", "群名称", "客户群", "group", "group code")),
            CUSTOMER,
            Column("joined_on", ("入群日期", "入群时间", "joined on"), "date"),
            Column("left_on", ("退群日期", "left on"), "date", required=False),
            Column("role", ("成员身份", "role"), "choice", required=False, default=MemberRole.MEMBER.value,
                   choices=labelled_choices(MemberRole, {"member": ("成员", "群成员"), "community_expert": ("社区达人",),
                                                 "opinion_leader": ("意见领袖",)})),
            Column("brought_in", ("经此群获客", "brought in"), "bool", required=False, default=False),
            Column("messages", ("发言数", "messages"), "int", required=False, min_value=0, default=0),
        ),
        row_checks=(RowCheck("left_after_join", lambda f: ~(f["left_on"] < f["joined_on"]).fillna(False),
                             ("退群日期早于入群日期", "left before joining"), "left_on"),),
        example=({"group": "G0000001", "customer_code": "C00000001", "joined_on": "2026-03-08", "left_on": "",
                  "role": "社区达人", "brought_in": "否", "messages": "57"},),
    ))


_register_group_kinds()
