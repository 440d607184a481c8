"""Customer-group kinds: WeCom groups, their daily statistics and members."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.groups import GroupDaily, GroupKind, GroupMembership, MemberRole, Platform, SocialGroup
from models.importing.kinds.lookups import (
    CUSTOMER,
    copy_fields,
    labelled_choices,
    resolve_customers,
    staff_by_wecom_id,
)
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


GROUP_KIND_LABELS = {"client_unit": ("客户单位群",), "branch_named": ("网点冠名群",), "friends": ("朋友群",),
                     "prize_contest": ("有奖竞赛群",), "community": ("社区群",), "interest": ("兴趣群",),
                     "new_customer_service": ("新客户服务群",)}


def _resolve_social_groups(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "code", "name", "kind", "platform", "created_on")
    attach(resolved, frame["owner"], staff_by_wecom_id(session, frame["owner"]),
           {"staff_id": "id", "branch_id": "branch_id"}, "owner", ("群主（企业微信账号或工号）", "owner (WeCom userid or employee no)"))
    return resolved


def _register_group_kinds() -> None:

    register(ImportKind(
        key="social_group", label=("客户群名单", "Customer groups"), table=SocialGroup.__table__, natural_key=("code",),
        resolve=_resolve_social_groups, unique=("code",),
        columns=(
            Column("code", ("群编号", "群ID", "chat_id", "group code"), max_length=32),
            Column("name", ("群名称", "群名", "group name"), max_length=80),
            Column("owner", ("群主", "群主账号", "owner")),
            Column("kind", ("群类型", "kind"), "choice", choices=labelled_choices(GroupKind, GROUP_KIND_LABELS)),
            Column("platform", ("平台", "platform"), "choice", required=False, default=Platform.WECOM.value,
                   choices=labelled_choices(Platform, {"wechat": ("微信",), "wecom": ("企业微信",)})),
            Column("created_on", ("创建日期", "建群日期", "created on"), "date"),
        ),
        example=({"code": "G0000001", "name": "湖畔小区邻里群", "owner": "E900001", "kind": "社区群",
                  "platform": "企业微信", "created_on": "2026-03-08"},),
    ))

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
