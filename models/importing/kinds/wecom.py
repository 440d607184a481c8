"""WeCom staff-day kinds: the 「联系客户统计」 and 「群聊数据统计」 figures per staff member and day, as the WeCom
admin console exports them and as the WeCom sync (`models.sync.wecom_staff`) hands them over. A staff member is
named by the WeCom userid (`staff.wecom_userid`) or, failing that, by the employee number."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.importing.kinds.lookups import copy_fields, staff_by_wecom_id
from models.importing.spec import Column, ImportKind, Resolved, RowCheck, attach, register
from models.staff_activity import StaffContactDaily, StaffGroupChatDaily

STAFF = Column("staff", ("企业微信账号", "成员账号", "员工工号", "工号", "userid", "staff"))
DAY = Column("day", ("日期", "统计日期", "date", "day"), "date")
COUNT = {"type": "int", "required": False, "min_value": 0, "default": 0}


def _resolver(*fields: str):
    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = copy_fields(frame, "day", *fields)
        attach(resolved, frame["staff"], staff_by_wecom_id(session, frame["staff"]),
               {"staff_id": "id", "branch_id": "branch_id"}, "staff", ("员工（企业微信账号或工号）", "staff (WeCom userid or employee no)"))
        return resolved
    return resolve


CONTACT_FIELDS = ("chat_cnt", "message_cnt", "reply_percentage", "avg_reply_time", "new_apply_cnt", "new_contact_cnt",
                  "negative_feedback_cnt")
GROUP_FIELDS = ("new_chat_cnt", "chat_total", "chat_has_msg", "new_member_cnt", "member_total", "member_has_msg",
                "msg_total")

register(ImportKind(
    key="staff_contact_daily", label=("企业微信联系客户统计（按员工按日）", "WeCom customer contact per staff and day"),
    table=StaffContactDaily.__table__, natural_key=("staff_id", "day"), resolve=_resolver(*CONTACT_FIELDS),
    unique=("staff", "day"),
    columns=(
        STAFF, DAY,
        Column("chat_cnt", ("聊天总数", "chat_cnt", "chats"), **COUNT),
        Column("message_cnt", ("发送消息数", "message_cnt", "messages"), **COUNT),
        Column("reply_percentage", ("已回复聊天占比", "reply_percentage", "reply %"), "float", required=False,
               min_value=0, max_value=100),
        Column("avg_reply_time", ("平均首次回复时长（分钟）", "平均首次回复时长", "avg_reply_time"), "float",
               required=False, min_value=0),
        Column("new_apply_cnt", ("发起申请数", "new_apply_cnt"), **COUNT),
        Column("new_contact_cnt", ("新增客户数", "new_contact_cnt", "new contacts"), **COUNT),
        Column("negative_feedback_cnt", ("删除/拉黑成员的客户数", "negative_feedback_cnt"), **COUNT),
    ),
    example=({"staff": "E900001", "day": "2026-11-01", "chat_cnt": "18", "message_cnt": "64",
              "reply_percentage": "92.5", "avg_reply_time": "6", "new_apply_cnt": "3", "new_contact_cnt": "2",
              "negative_feedback_cnt": "0"},),
))

register(ImportKind(
    key="staff_group_daily", label=("企业微信群聊数据统计（按群主按日）", "WeCom group chats per owner and day"),
    table=StaffGroupChatDaily.__table__, natural_key=("staff_id", "day"), resolve=_resolver(*GROUP_FIELDS),
    unique=("staff", "day"),
    columns=(
        Column("staff", ("群主", *STAFF.aliases)), DAY,
        Column("new_chat_cnt", ("新增客户群数量", "新增群数", "new_chat_cnt"), **COUNT),
        Column("chat_total", ("截至当天客户群总数量", "客户群总数", "chat_total"), **COUNT),
        Column("chat_has_msg", ("有发过消息的客户群数量", "chat_has_msg"), **COUNT),
        Column("new_member_cnt", ("客户群新增群人数", "新增群人数", "new_member_cnt"), **COUNT),
        Column("member_total", ("截至当天客户群总人数", "群总人数", "member_total"), **COUNT),
        Column("member_has_msg", ("有发过消息的群成员数", "member_has_msg"), **COUNT),
        Column("msg_total", ("客户群消息总数", "msg_total"), **COUNT),
    ),
    row_checks=(
        RowCheck("chats", lambda f: ~(f["chat_has_msg"] > f["chat_total"]).fillna(False),
                 ("有消息的群数大于群总数", "more groups with messages than groups"), "chat_has_msg"),
        RowCheck("members", lambda f: ~(f["member_has_msg"] > f["member_total"]).fillna(False),
                 ("发言成员数大于群总人数", "more members who spoke than members"), "member_has_msg"),
    ),
    example=({"staff": "E900001", "day": "2026-11-01", "new_chat_cnt": "1", "chat_total": "6", "chat_has_msg": "4",
              "new_member_cnt": "9", "member_total": "812", "member_has_msg": "57", "msg_total": "403"},),
))
