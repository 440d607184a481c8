"""Customer kinds: customers and the key persons of their villages."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.customers import (
    AssetTier,
    ChannelPreference,
    Customer,
    CustomerKind,
    KeyPerson,
    KeyRole,
    Occupation,
    Village,
)
from models.importing.kinds.lookups import (
    copy_fields,
    labelled_choices,
    resolve_branches,
    resolve_customers,
    resolve_staff,
)
from models.importing.spec import Column, ImportKind, Resolved, attach, lookup, register
from models.products import Product, ProductEvent


def _resolve_customers(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "code", "name", "phone", "gender", "birth_year", "kind", "occupation", "is_prospect",
                     "e_banking", "deposit_balance", "wealth_balance", "products_held", "opened_on",
                     "wecom_external_userid")
    resolve_branches(session, resolved, frame)
    resolve_staff(session, resolved, frame)
    if "village_code" in frame.columns:
        found = lookup(session, Village.__table__, "code", frame["village_code"], "id")
        attach(resolved, frame["village_code"], found, {"village_id": "id"}, "village_code", ("村代码", "village code"),
               False)
    return resolved


OCCUPATION_LABELS = {"migrant_worker": ("外出务工", "农民工"), "farmer": ("农户", "务农"), "employee": ("职员", "上班族"),
                     "civil_servant": ("公务员",), "business_owner": ("个体工商户", "企业主"), "retiree": ("退休",),
                     "student": ("学生",), "enterprise": ("企业",), "teacher": ("教师", "老师"), "doctor": ("医生",)}

ASSET_TIER_LABELS = {"mass": ("大众", "大众客户"), "affluent": ("贵宾", "富裕", "贵宾客户"), "wealth": ("财富", "财富客户"),
                     "private": ("私行", "私人银行")}
CHANNEL_LABELS = {"branch": ("网点", "柜面"), "mobile": ("手机银行", "APP"), "wechat": ("微信",), "phone": ("电话",)}

register(ImportKind(
    key="customer", label=("客户名单", "Customers"), table=Customer.__table__, natural_key=("code",),
    resolve=_resolve_customers, unique=("code",),
    columns=(
        Column("code", ("客户号", "customer code", "code"), max_length=32),
        Column("name", ("客户姓名", "姓名", "name"), max_length=64),
        Column("branch_code", ("网点代码", "机构号", "branch code")),
        Column("employee_no", ("管户员工工号", "客户经理工号", "employee no"), required=False),
        Column("village_code", ("村代码", "village code"), required=False),
        Column("phone", ("手机号", "phone"), required=False, max_length=20, default=""),
        Column("gender", ("性别", "gender"), "choice", required=False, default="",
               choices={"M": ("M", "男", "male"), "F": ("F", "女", "female")}),
        Column("birth_year", ("出生年份", "birth year"), "int", required=False, min_value=1900, max_value=2030),
        Column("kind", ("客户类型", "customer kind"), "choice", required=False, default=CustomerKind.PERSONAL.value,
               choices=labelled_choices(CustomerKind, {"personal": ("个人",), "corporate": ("对公", "企业")})),
        Column("occupation", ("职业", "occupation"), "choice", required=False, default="",
               choices=labelled_choices(Occupation, OCCUPATION_LABELS)),
        Column("is_prospect", ("潜力客户", "prospect"), "bool", required=False, default=False),
        Column("e_banking", ("开通电子银行", "e-banking"), "bool", required=False, default=False),
        Column("deposit_balance", ("存款余额", "deposit balance"), "float", required=False, min_value=0, default=0.0),
        Column("wealth_balance", ("理财余额", "wealth balance"), "float", required=False, min_value=0, default=0.0),
        Column("products_held", ("持有产品数", "products held"), "int", required=False, min_value=0, default=0),
        Column("opened_on", ("开户日期", "opened on"), "date", required=False),
        Column("wecom_external_userid", ("企业微信外部联系人ID", "external_userid"), required=False, max_length=64),
        Column("asset_tier", ("资产层级", "asset tier"), "choice", required=False, default="",
               choices=labelled_choices(AssetTier, ASSET_TIER_LABELS)),
        Column("channel_preference", ("偏好渠道", "channel preference"), "choice", required=False, default="",
               choices=labelled_choices(ChannelPreference, CHANNEL_LABELS)),
    ),
    example=({"code": "C90000001", "name": "王建国", "branch_code": "ZJ001-08", "employee_no": "", "village_code": "",
              "phone": "13900000002", "gender": "男", "birth_year": "1979", "kind": "个人", "occupation": "外出务工",
              "is_prospect": "否", "e_banking": "是", "deposit_balance": "86,500.00", "wealth_balance": "0",
              "products_held": "2", "opened_on": "2019/3/8"},),
))


def _resolve_key_persons(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "role")
    resolve_customers(session, resolved, frame, {"customer_id": "id", "branch_id": "branch_id", "village_id": "village_id"})
    if "village_code" in frame.columns:
        found = lookup(session, Village.__table__, "code", frame["village_code"], "id")
        given = frame["village_code"].notna()
        chosen = frame["village_code"].map(found["id"]).astype("Int64")
        resolved.frame["village_id"] = chosen.where(given, resolved.frame["village_id"])
        resolved.reject(given & ~frame["village_code"].isin(found.index), "village_code", "未知的村代码",
                        "unknown village code", frame["village_code"])
    return resolved


KEY_ROLE_LABELS = {"village_head": ("村主任", "村支书"), "village_accountant": ("村会计",), "womens_director": ("妇女主任",),
                   "electrician": ("电工",), "shop_owner": ("小卖部店主", "店主"), "village_doctor": ("村医",),
                   "foreman": ("包工头", "工头"), "community_expert": ("社区达人",), "opinion_leader": ("意见领袖",)}

register(ImportKind(
    key="key_person", label=("关键人（村六员、包工头等）", "Key persons"), table=KeyPerson.__table__,
    natural_key=("customer_id", "role"), resolve=_resolve_key_persons, unique=("customer_code", "role"),
    columns=(
        Column("customer_code", ("客户号", "customer code")),
        Column("role", ("角色", "role"), "choice", choices=labelled_choices(KeyRole, KEY_ROLE_LABELS)),
        Column("village_code", ("村代码", "village code"), required=False),
    ),
    example=({"customer_code": "C00000001", "role": "村主任", "village_code": ""},),
))


def _resolve_customer_attributes(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    """Only customers already known: the file updates their attributes and never creates a customer."""
    attributes = ("birth_year", "occupation", "asset_tier", "channel_preference")
    resolved = copy_fields(frame, "code", *attributes)
    found = lookup(session, Customer.__table__, "code", frame["code"], "branch_id", *attributes)
    attach(resolved, frame["code"], found, {"branch_id": "branch_id"}, "code", ("客户号", "customer code"))
    for column in attributes:  # a blank cell keeps what is stored
        if column in resolved.frame.columns and len(found):
            stored = frame["code"].map(found[column])
            resolved.frame[column] = resolved.frame[column].astype(object).where(resolved.frame[column].notna(), stored)
            if column == "birth_year":
                resolved.frame[column] = pd.to_numeric(resolved.frame[column]).astype("Int64")
    return resolved


register(ImportKind(
    key="customer_attributes", label=("客户属性（年龄、职业、资产层级、渠道）", "Customer attributes"),
    table=Customer.__table__, natural_key=("code",), resolve=_resolve_customer_attributes, unique=("code",),
    columns=(
        Column("code", ("客户号", "customer code", "code")),
        Column("birth_year", ("出生年份", "birth year"), "int", required=False, min_value=1900, max_value=2030),
        Column("occupation", ("职业", "occupation"), "choice", required=False,
               choices=labelled_choices(Occupation, OCCUPATION_LABELS)),
        Column("asset_tier", ("资产层级", "asset tier"), "choice", required=False,
               choices=labelled_choices(AssetTier, ASSET_TIER_LABELS)),
        Column("channel_preference", ("偏好渠道", "channel preference"), "choice", required=False,
               choices=labelled_choices(ChannelPreference, CHANNEL_LABELS)),
    ),
    example=({"code": "C00000001", "birth_year": "1958", "occupation": "退休", "asset_tier": "贵宾",
              "channel_preference": "网点"},),
    note=("只更新已有客户；空白单元格保持原值。", "Updates existing customers only; blank cells keep what is stored."),
))


PRODUCT_LABELS = {"deposit": ("存款", "存入"), "withdrawal": ("取款", "支取"), "wealth": ("理财",), "precious_metal": ("贵金属", "黄金"),
                  "credit_card": ("信用卡",), "insurance": ("保险", "代理保险"), "fund": ("基金",), "loan": ("贷款",)}


def _resolve_product_events(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "event_date", "product", "amount", "margin", "group_buy_code")
    found = lookup(session, Customer.__table__, "code", frame["customer_code"], "id", "branch_id", "staff_id")
    attach(resolved, frame["customer_code"], found, {"customer_id": "id", "branch_id": "branch_id",
                                                     "customer_staff_id": "staff_id"},
           "customer_code", ("客户号", "customer code"))
    resolve_staff(session, resolved, frame)  # who served it, when the file says; else the customer's manager
    named = resolved.frame["staff_id"] if "staff_id" in resolved.frame.columns else pd.Series(pd.NA, index=frame.index)
    resolved.frame["staff_id"] = named.astype("Int64").fillna(resolved.frame.pop("customer_staff_id"))
    return resolved


register(ImportKind(
    key="product_event", label=("客户产品往来（存取款、理财、贵金属等）", "Product events"),
    table=ProductEvent.__table__, natural_key=("customer_id", "event_date", "product"),
    resolve=_resolve_product_events, unique=("customer_code", "event_date", "product"),
    columns=(
        Column("customer_code", ("客户号", "customer code")),
        Column("event_date", ("业务日期", "日期", "event date", "date"), "date"),
        Column("product", ("产品", "product"), "choice", choices=labelled_choices(Product, PRODUCT_LABELS)),
        Column("amount", ("金额（元）", "金额", "amount"), "float", min_value=0.01),
        Column("margin", ("银行收益（元）", "收益", "margin"), "float", required=False, min_value=0, default=0.0),
        Column("employee_no", ("经办员工工号", "员工工号", "employee no"), required=False),
        Column("group_buy_code", ("团购活动编号", "group buy code"), required=False, max_length=32, default=""),
    ),
    example=({"customer_code": "C00000001", "event_date": "2026-03-08", "product": "贵金属", "amount": "8,000.00",
              "margin": "240", "employee_no": "", "group_buy_code": "GB2026-01"},),
    note=("同一客户同一天同一产品一行（当天多笔请合计）。", "One row per customer, day and product (sum a day's several)."),
))


# --- marketing events ---------------------------------------------------------------------------------------
