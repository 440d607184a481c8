"""Org kinds: regions, branches (with their parents), staff and villages."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select, update
from sqlmodel import Session

from models.customers import Village
from models.importing.kinds.lookups import copy_fields, labelled_choices, resolve_branches
from models.importing.spec import Column, ImportKind, Resolved, attach, lookup, register
from models.org import Branch, BranchKind, BranchLevel, Region, Staff, StaffRole
from models.store.frames import read_frame


def _resolve_regions(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    return copy_fields(frame, "code", "name")


register(ImportKind(
    key="region", label=("片区", "Regions"), table=Region.__table__, natural_key=("code",),
    resolve=_resolve_regions, unique=("code",),
    columns=(Column("code", ("片区代码", "region code", "code"), max_length=32),
             Column("name", ("片区名称", "region", "name"), max_length=64)),
    example=({"code": "R04", "name": "湾北片区"},),
))


# --- organisation: branches, staff, villages ----------------------------------------------------------------

def _resolve_branches(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "code", "name", "level", "city", "kind", "households")
    if "region_code" in frame.columns:
        found = lookup(session, Region.__table__, "code", frame["region_code"], "id")
        attach(resolved, frame["region_code"], found, {"region_id": "id"}, "region_code", ("片区代码", "region code"),
               False)
    if "parent_code" in frame.columns:
        known = lookup(session, Branch.__table__, "code", frame["parent_code"], "id")
        in_file = frame["parent_code"].isin(frame["code"]) & ~frame["parent_code"].isin(known.index)
        unknown = frame["parent_code"].notna() & ~frame["parent_code"].isin(known.index) & ~in_file
        resolved.frame["parent_id"] = frame["parent_code"].map(known["id"]).astype("Int64")
        resolved.reject(unknown, "parent_code", "未知的上级网点代码", "unknown parent branch code", frame["parent_code"])
        resolved.frame["_parent_code"] = frame["parent_code"]
    return resolved


def _link_parents(session: Session, rows: pd.DataFrame) -> None:
    """Parents that arrived in the same file get their ids once every branch is written."""
    pending = rows[rows["parent_id"].isna() & rows["_parent_code"].notna()] if "_parent_code" in rows else rows.iloc[0:0]
    if pending.empty:
        return
    codes = pd.concat([pending["code"], pending["_parent_code"]]).unique().tolist()
    ids = read_frame(session, select(Branch.code, Branch.id).where(Branch.code.in_(codes))).set_index("code")["id"]
    for code, parent in zip(pending["code"], pending["_parent_code"], strict=True):
        session.execute(update(Branch).where(Branch.code == code).values(parent_id=int(ids[parent])))


register(ImportKind(
    key="branch", label=("机构（网点）名单", "Branches"), table=Branch.__table__, natural_key=("code",),
    resolve=_resolve_branches, post_write=_link_parents, unique=("code",),
    columns=(
        Column("code", ("网点代码", "机构号", "branch code", "code"), max_length=32),
        Column("name", ("网点名称", "机构名称", "branch name", "name"), max_length=64),
        Column("level", ("层级", "level"), "choice", choices=labelled_choices(BranchLevel, {
            "head_office": ("总行",), "branch": ("分行",), "sub_branch": ("支行",), "outlet": ("网点", "营业网点")})),
        Column("parent_code", ("上级网点代码", "上级机构号", "parent code"), required=False),
        Column("region_code", ("片区代码", "region code"), required=False),
        Column("city", ("城市", "city"), required=False, max_length=32, default=""),
        Column("kind", ("类型", "kind", "网点类型"), "choice", required=False, default=BranchKind.URBAN.value,
               choices=labelled_choices(BranchKind, {"community": ("社区",), "county": ("县域",), "urban": ("城区",)})),
        Column("households", ("服务户数", "households"), "int", required=False, min_value=0),
    ),
    example=({"code": "ZJ001-13", "name": "湘家荡支行", "level": "支行", "parent_code": "ZJ001", "region_code": "R03",
              "city": "嘉兴", "kind": "县域", "households": ""},),
))

STAFF_ROLE_LABELS = {"president": ("行长", "支行行长"), "account_manager": ("客户经理",), "wealth_manager": ("理财经理",),
                     "lobby_manager": ("大堂经理",), "teller": ("柜员",)}


def _resolve_staff(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "employee_no", "name", "role", "phone", "email", "wecom_userid")
    resolve_branches(session, resolved, frame)
    return resolved


register(ImportKind(
    key="staff", label=("员工名单", "Staff"), table=Staff.__table__, natural_key=("employee_no",),
    resolve=_resolve_staff, unique=("employee_no",),
    columns=(
        Column("employee_no", ("工号", "员工工号", "employee no", "employee_no"), max_length=32),
        Column("name", ("姓名", "name"), max_length=32),
        Column("branch_code", ("网点代码", "机构号", "branch code")),
        Column("role", ("岗位", "role"), "choice", choices=labelled_choices(StaffRole, STAFF_ROLE_LABELS)),
        Column("phone", ("手机号", "电话", "phone"), required=False, max_length=20, default=""),
        Column("email", ("邮箱", "email"), required=False, max_length=120, default=""),
        Column("wecom_userid", ("企业微信账号", "成员账号", "wecom userid"), required=False, max_length=64),
    ),
    example=({"employee_no": "E900001", "name": "张晓燕", "branch_code": "ZJ001-01", "role": "客户经理",
              "phone": "13800000001", "email": "e900001@bank.example.cn"},),
))


def _resolve_villages(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "code", "name", "township", "households")
    resolve_branches(session, resolved, frame)
    return resolved


register(ImportKind(
    key="village", label=("村（小区）名单", "Villages"), table=Village.__table__, natural_key=("code",),
    resolve=_resolve_villages, unique=("code",),
    columns=(
        Column("code", ("村代码", "village code", "code"), max_length=32),
        Column("name", ("村名", "村（小区）名称", "village", "name"), max_length=64),
        Column("township", ("乡镇", "township"), max_length=64),
        Column("branch_code", ("网点代码", "机构号", "branch code")),
        Column("households", ("户数", "households"), "int", required=False, min_value=0, default=0),
    ),
    example=({"code": "V900001", "name": "南湖村", "township": "凤桥镇", "branch_code": "ZJ001-10", "households": "420"},),
))


# --- customers and key persons -------------------------------------------------------------------------------
