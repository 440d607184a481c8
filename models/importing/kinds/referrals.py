"""Referral events from the referral platform, with codes and campaigns resolved."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.customers import CustomerKind
from models.importing.kinds.lookups import copy_fields, labelled_choices, resolve_customers
from models.importing.spec import Column, ImportKind, Resolved, attach, lookup, register
from models.referrals import Campaign, InviteCode, ReferralEvent, ReferralProduct, ReferralStage, ShareChannel
from models.store.frames import read_frame


def _register_referral_event_kind() -> None:

    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = copy_fields(frame, "event_ref", "stage", "day", "product", "amount", "customer_kind", "effective",
                         "share_channel", "device_id", "phone_prefix", "reversed_on")
        found = lookup(session, InviteCode.__table__, "code", frame["code"], "id", "staff_id", "branch_id",
                       "campaign_id")
        attach(resolved, frame["code"], found, {"code_id": "id", "staff_id": "staff_id", "branch_id": "branch_id",
                                                "campaign_id": "campaign_id"}, "code", ("邀请码", "invitation code"))
        if "customer_code" in frame.columns:
            resolve_customers(session, resolved, frame, {"customer_id": "id"}, required=False)
        out = resolved.frame
        dates = read_frame(session, select(Campaign.id.label("campaign_id"), Campaign.start_date, Campaign.end_date))
        window = out[["campaign_id"]].reset_index().merge(dates, on="campaign_id", how="left").set_index("index")
        day = pd.to_datetime(out["day"])
        outside = out["campaign_id"].notna() & (
            (day < pd.to_datetime(window["start_date"])) | (day > pd.to_datetime(window["end_date"])))
        resolved.reject(outside.fillna(False), "day", "日期不在该活动的起止日期内", "the date is outside the campaign's dates",
                        frame["day"])
        customer_needed = out["stage"].isin([ReferralStage.REGISTER.value, ReferralStage.PARTICIPATE.value,
                                             ReferralStage.CONVERT.value])
        if "customer_id" not in out.columns:
            out["customer_id"] = pd.NA
        resolved.reject((customer_needed & out["customer_id"].isna()).fillna(False), "customer_code",
                        "注册、参与、转化必须有客户号", "register, participate and convert need a customer code")
        return resolved

    register(ImportKind(
        key="referral_event", label=("邀请码推荐事件", "Referral events by invitation code"),
        table=ReferralEvent.__table__, natural_key=("event_ref",), resolve=resolve, unique=("event_ref",),
        columns=(
            Column("event_ref", ("事件编号", "流水号", "event id", "event ref")),
            Column("code", ("邀请码", "推荐码", "invitation code", "code")),
            Column("stage", ("环节", "阶段", "stage"), "choice", choices=labelled_choices(ReferralStage, {
                "click": ("点击",), "register": ("注册",), "participate": ("参与", "参加活动"), "convert": ("转化", "成交")})),
            Column("day", ("日期", "date", "day"), "date"),
            Column("customer_code", ("客户号", "customer code"), required=False),
            Column("product", ("产品", "product"), "choice", required=False, default="",
                   choices={**labelled_choices(ReferralProduct, {
                       "e_banking": ("电子银行", "手机银行"), "deposit": ("存款",), "wealth": ("理财",),
                       "precious_metal": ("贵金属",), "credit_card": ("信用卡",), "activity": ("活动",)})}),
            Column("amount", ("金额", "金额（元）", "amount"), "float", required=False, min_value=0, default=0.0),
            Column("customer_kind", ("客户类型", "customer kind"), "choice", required=False,
                   default=CustomerKind.PERSONAL.value,
                   choices=labelled_choices(CustomerKind, {"personal": ("个人",), "corporate": ("对公", "企业")})),
            Column("effective", ("有效户", "effective"), "bool", required=False, default=False),
            Column("share_channel", ("分享渠道", "share channel"), "choice", required=False, default="",
                   choices={**labelled_choices(ShareChannel, {"wechat_chat": ("微信好友", "微信聊天"), "moments": ("朋友圈",),
                                                      "weibo": ("微博",)})}),
            Column("device_id", ("设备号", "device id"), required=False, default=""),
            Column("phone_prefix", ("手机号前七位", "phone prefix"), required=False, default=""),
            Column("reversed_on", ("撤销日期", "reversed on"), "date", required=False),
        ),
        note=("同一事件编号再次导入会更新原记录，不会重复计数。", "Re-importing an event id updates it; it is never counted twice."),
        example=({"event_ref": "WX20261101000123", "code": "G000002", "stage": "转化", "day": "2026-11-01",
                  "customer_code": "C00000001", "product": "电子银行", "amount": "0", "customer_kind": "个人",
                  "effective": "是", "share_channel": "朋友圈", "device_id": "", "phone_prefix": "1381234",
                  "reversed_on": ""},),
    ))


_register_referral_event_kind()
