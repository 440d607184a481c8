"""Migrant-campaign kinds: the name list, SMS replies, visits and deposits of a season."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.campaign import CampaignDeposit, NameListEntry, SmsMessage, Visit, VisitOutcome
from models.importing.kinds.lookups import (
    CUSTOMER,
    SEASON,
    copy_fields,
    labelled_choices,
    resolve_customers,
    resolve_entries,
    resolve_season,
    resolve_staff,
)
from models.importing.spec import Column, ImportKind, Resolved, RowCheck, register


def _resolve_name_list(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "expected_return", "returned_on", "leaves_on", "last_year_deposits")
    resolve_season(session, resolved, frame)
    resolve_customers(session, resolved, frame, {"customer_id": "id", "branch_id": "branch_id", "village_id": "village_id"})
    resolve_customers(session, resolved, frame, {"foreman_customer_id": "id"}, "foreman_code", required=False)
    resolve_staff(session, resolved, frame)
    return resolved


register(ImportKind(
    key="name_list", label=("返乡农民工名单", "Migrant name list"), table=NameListEntry.__table__,
    natural_key=("campaign_id", "customer_id"), resolve=_resolve_name_list, unique=("season", "customer_code"),
    columns=(
        SEASON, CUSTOMER,
        Column("employee_no", ("联系员工工号", "员工工号", "employee no"), required=False),
        Column("foreman_code", ("包工头客户号", "foreman code"), required=False),
        Column("expected_return", ("预计返乡日期", "expected return"), "date", required=False),
        Column("returned_on", ("实际返乡日期", "returned on"), "date", required=False),
        Column("leaves_on", ("预计返岗日期", "leaves on"), "date", required=False),
        Column("last_year_deposits", ("上季存款（元）", "last season deposits"), "float", required=False, min_value=0,
               default=0.0),
    ),
    example=({"season": "2026", "customer_code": "C00000001", "employee_no": "", "foreman_code": "",
              "expected_return": "2026/2/5", "returned_on": "", "leaves_on": "20260301", "last_year_deposits": "30,000"},),
))


def _resolve_sms(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "sent_on", "delivered", "replied_on", "reply_code")
    resolve_season(session, resolved, frame)
    resolve_customers(session, resolved, frame, {"customer_id": "id"})
    resolve_entries(session, resolved)
    resolved.frame = resolved.frame.drop(columns=["campaign_id", "customer_id"])
    return resolved


register(ImportKind(
    key="sms_reply", label=("互动短信回复", "SMS replies"), table=SmsMessage.__table__, natural_key=("entry_id",),
    resolve=_resolve_sms, unique=("season", "customer_code"),
    columns=(
        SEASON, CUSTOMER,
        Column("sent_on", ("发送日期", "sent on"), "date"),
        Column("delivered", ("送达", "delivered"), "bool", required=False, default=True),
        Column("replied_on", ("回复日期", "replied on"), "date", required=False),
        Column("reply_code", ("回复编号", "reply code"), "int", required=False, min_value=0, max_value=99),
    ),
    row_checks=(RowCheck("reply_after_send", lambda f: ~(f["replied_on"] < f["sent_on"]).fillna(False),
                         ("回复日期早于发送日期", "replied before the message was sent"), "replied_on"),),
    example=({"season": "2026", "customer_code": "C00000001", "sent_on": "2026-01-20", "delivered": "是",
              "replied_on": "2026-01-21", "reply_code": "2"},),
))


def _resolve_visits(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "visit_round", "visit_date", "outcome", "income_learned", "collection_target")
    resolve_season(session, resolved, frame)
    resolve_customers(session, resolved, frame, {"customer_id": "id"})
    resolve_entries(session, resolved)
    resolve_staff(session, resolved, frame)
    resolved.frame = resolved.frame.drop(columns=["campaign_id", "customer_id"])
    return resolved


VISIT_LABELS = {"welcomed": ("热情接待",), "target_set": ("已定目标",), "deposit_promised": ("承诺存款",),
                "not_home": ("不在家",), "declined": ("拒绝",)}

register(ImportKind(
    key="visit", label=("上门走访记录", "Home visits"), table=Visit.__table__, natural_key=("entry_id", "visit_round"),
    resolve=_resolve_visits, unique=("season", "customer_code", "visit_round"),
    columns=(
        SEASON, CUSTOMER,
        Column("visit_round", ("走访轮次", "round"), "int", min_value=1, max_value=3),
        Column("visit_date", ("走访日期", "visit date"), "date"),
        Column("employee_no", ("走访员工工号", "员工工号", "employee no"), required=False),
        Column("outcome", ("走访结果", "outcome"), "choice", choices=labelled_choices(VisitOutcome, VISIT_LABELS)),
        Column("income_learned", ("了解到的年收入（元）", "income learned"), "float", required=False, min_value=0),
        Column("collection_target", ("吸存目标（元）", "collection target"), "float", required=False, min_value=0),
    ),
    example=({"season": "2026", "customer_code": "C00000001", "visit_round": "1", "visit_date": "2026-02-08",
              "employee_no": "", "outcome": "已定目标", "income_learned": "80,000", "collection_target": "50,000"},),
))


def _resolve_deposits(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "day", "amount")
    resolve_season(session, resolved, frame)
    resolve_customers(session, resolved, frame, {"customer_id": "id", "branch_id": "branch_id", "village_id": "village_id"})
    resolve_staff(session, resolved, frame)
    return resolved


register(ImportKind(
    key="campaign_deposit", label=("返乡存款（按客户按日）", "Campaign deposits (per customer per day)"),
    table=CampaignDeposit.__table__, natural_key=("campaign_id", "customer_id", "day"), resolve=_resolve_deposits,
    unique=("season", "customer_code", "day"),
    columns=(
        SEASON, CUSTOMER,
        Column("day", ("存入日期", "日期", "day", "date"), "date"),
        Column("amount", ("存款金额（元）", "金额", "amount"), "float", min_value=0.01),
        Column("employee_no", ("营销员工工号", "员工工号", "employee no"), required=False),
    ),
    example=({"season": "2026", "customer_code": "C00000001", "day": "2026-02-10", "amount": "50,000.00",
              "employee_no": ""},),
))



# --- WeCom customer groups (relationship networks) ------------------------------------------------------------
