"""The registry of import kinds: one small spec per kind. Another area adds its kind with a
`Column` tuple, a resolver (codes in the file -> ids in the database) and `register(...)`."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select, update
from sqlmodel import Session

from models.campaign import CampaignDeposit, MigrantCampaign, NameListEntry, SmsMessage, Visit, VisitOutcome
from models.customers import Customer, CustomerKind, KeyPerson, KeyRole, Occupation, Village
from models.followers import FollowerDaily, MarketingEvent, OfficialAccount
from models.importing.spec import Column, ImportKind, Resolved, RowCheck, attach, lookup, lookup_pairs
from models.org import Branch, BranchKind, BranchLevel, Region, Staff, StaffRole
from models.store.frames import read_frame

KINDS: dict[str, ImportKind] = {}


def register(kind: ImportKind) -> ImportKind:
    if kind.key in KINDS:
        raise KeyError(f"import kind {kind.key!r} registered twice")
    KINDS[kind.key] = kind
    return kind


def _copy(frame: pd.DataFrame, *fields: str) -> Resolved:
    """Start the stored rows with the file's columns that the table keeps under the same name."""
    return Resolved(frame[[f for f in fields if f in frame.columns]].copy())


def _branches(session: Session, resolved: Resolved, frame: pd.DataFrame, field: str = "branch_code",
              target: str = "branch_id", required: bool = True) -> None:
    if field in frame.columns:
        found = lookup(session, Branch.__table__, "code", frame[field], "id")
        attach(resolved, frame[field], found, {target: "id"}, field, ("网点代码", "branch code"), required)


def _staff(session: Session, resolved: Resolved, frame: pd.DataFrame, field: str = "employee_no") -> None:
    if field in frame.columns:
        found = lookup(session, Staff.__table__, "employee_no", frame[field], "id")
        attach(resolved, frame[field], found, {"staff_id": "id"}, field, ("员工工号", "employee number"), False)


def _customers(session: Session, resolved: Resolved, frame: pd.DataFrame, mapping: dict[str, str],
               field: str = "customer_code", required: bool = True) -> None:
    if field in frame.columns:
        found = lookup(session, Customer.__table__, "code", frame[field], "id", "branch_id", "village_id")
        attach(resolved, frame[field], found, mapping, field, ("客户号", "customer code"), required)


def _season(session: Session, resolved: Resolved, frame: pd.DataFrame) -> None:
    found = lookup(session, MigrantCampaign.__table__, "season", frame["season"].astype("Int64"), "id")
    attach(resolved, frame["season"].astype("Int64"), found, {"campaign_id": "id"}, "season",
           ("营销季（年份）", "campaign season"))


def _entries(session: Session, resolved: Resolved) -> None:
    """The name-list entry of (season, customer): SMS and visits hang off it."""
    pairs = resolved.frame[["campaign_id", "customer_id"]]
    found = lookup_pairs(session, NameListEntry.__table__, ("campaign_id", "customer_id"), pairs, "id", "branch_id")
    merged = pairs.reset_index().merge(found, on=["campaign_id", "customer_id"], how="left").set_index("index")
    resolved.frame["entry_id"] = merged["id"].astype("Int64")
    resolved.frame["branch_id"] = merged["branch_id"].astype("Int64")
    missing = resolved.frame["entry_id"].isna() & pairs.notna().all(axis=1)
    resolved.reject(missing, "customer_code", "该客户不在本季返乡名单中", "this customer is not on the season's name list")


def _choices(enum, labels: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    return {member.value: (member.value, *labels.get(member.value, ())) for member in enum}


# --- official-account follower figures (the WeChat platform's user-analysis download) ---------------------

def _resolve_followers(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "day", "new_follows", "unfollows", "net_follows", "cumulative")
    names = frame["account"]
    table = OfficialAccount.__table__
    by_id = lookup(session, table, "wechat_id", names, "id", "branch_id")
    by_name = lookup(session, table, "name", names[~names.isin(by_id.index)], "id", "branch_id")
    found = pd.concat([by_id, by_name])
    found = found[~found.index.duplicated()]
    attach(resolved, names, found, {"account_id": "id", "branch_id": "branch_id"}, "account",
           ("公众号（原始ID或名称）", "official account (ID or name)"))
    return resolved


register(ImportKind(
    key="follower_daily", label=("公众号粉丝日数据", "Official-account daily followers"),
    table=FollowerDaily.__table__, natural_key=("account_id", "day"), resolve=_resolve_followers,
    columns=(
        Column("day", ("时间", "日期", "date", "day", "统计日期"), "date"),
        Column("new_follows", ("新关注人数", "新增关注人数", "new follows", "new_user", "new followers"), "int", min_value=0),
        Column("unfollows", ("取消关注人数", "cancel_user", "unfollows", "取关人数"), "int", min_value=0),
        Column("net_follows", ("净增关注人数", "net follows", "net_user", "净增人数"), "int"),
        Column("cumulative", ("累积关注人数", "累计关注人数", "cumulate_user", "cumulative", "total followers"), "int",
               min_value=0),
        Column("account", ("公众号", "account", "公众号名称", "原始ID", "wechat_id"), "text", required=False),
    ),
    unique=("account", "day"), options=("account",),
    row_checks=(RowCheck("net", lambda f: f["net_follows"] == f["new_follows"] - f["unfollows"],
                         ("净增关注人数 ≠ 新关注人数 − 取消关注人数", "net follows ≠ new follows − unfollows"),
                         "net_follows"),),
    title_rows=("用户分析 · 用户增长", ""),
    example=({"day": "2026-09-01", "new_follows": "1,204", "unfollows": "37", "net_follows": "1,167",
              "cumulative": "25,310"},
             {"day": "2026-09-02", "new_follows": "866", "unfollows": "41", "net_follows": "825",
              "cumulative": "26,135"}),
    note=("账号可在页面上选择，或在文件中加“公众号”列（原始ID或名称）。",
          "Choose the account on the page, or add a 公众号 / account column (ID or name)."),
))


# --- official accounts (before their figures can be imported) ------------------------------------------------

def _resolve_accounts(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "wechat_id", "name")
    _branches(session, resolved, frame)
    return resolved


register(ImportKind(
    key="official_account", label=("公众号名单", "Official accounts"), table=OfficialAccount.__table__,
    natural_key=("wechat_id",), resolve=_resolve_accounts, unique=("wechat_id",),
    columns=(
        Column("wechat_id", ("原始ID", "公众号原始ID", "wechat id", "wechat_id"), max_length=64),
        Column("name", ("公众号名称", "account name", "name"), max_length=64),
        Column("branch_code", ("网点代码", "机构号", "branch code")),
    ),
    example=({"wechat_id": "gh_zj00113", "name": "湘家荡支行服务号", "branch_code": "ZJ001-10"},),
))


def _resolve_regions(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    return _copy(frame, "code", "name")


register(ImportKind(
    key="region", label=("片区", "Regions"), table=Region.__table__, natural_key=("code",),
    resolve=_resolve_regions, unique=("code",),
    columns=(Column("code", ("片区代码", "region code", "code"), max_length=32),
             Column("name", ("片区名称", "region", "name"), max_length=64)),
    example=({"code": "R04", "name": "湾北片区"},),
))


# --- organisation: branches, staff, villages ----------------------------------------------------------------

def _resolve_branches(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "code", "name", "level", "city", "kind", "households")
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
        Column("level", ("层级", "level"), "choice", choices=_choices(BranchLevel, {
            "head_office": ("总行",), "branch": ("分行",), "sub_branch": ("支行",), "outlet": ("网点", "营业网点")})),
        Column("parent_code", ("上级网点代码", "上级机构号", "parent code"), required=False),
        Column("region_code", ("片区代码", "region code"), required=False),
        Column("city", ("城市", "city"), required=False, max_length=32, default=""),
        Column("kind", ("类型", "kind", "网点类型"), "choice", required=False, default=BranchKind.URBAN.value,
               choices=_choices(BranchKind, {"community": ("社区",), "county": ("县域",), "urban": ("城区",)})),
        Column("households", ("服务户数", "households"), "int", required=False, min_value=0),
    ),
    example=({"code": "ZJ001-13", "name": "湘家荡支行", "level": "支行", "parent_code": "ZJ001", "region_code": "R03",
              "city": "嘉兴", "kind": "县域", "households": ""},),
))

STAFF_ROLE_LABELS = {"president": ("行长", "支行行长"), "account_manager": ("客户经理",), "wealth_manager": ("理财经理",),
                     "lobby_manager": ("大堂经理",), "teller": ("柜员",)}


def _resolve_staff(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "employee_no", "name", "role", "phone", "email")
    _branches(session, resolved, frame)
    return resolved


register(ImportKind(
    key="staff", label=("员工名单", "Staff"), table=Staff.__table__, natural_key=("employee_no",),
    resolve=_resolve_staff, unique=("employee_no",),
    columns=(
        Column("employee_no", ("工号", "员工工号", "employee no", "employee_no"), max_length=32),
        Column("name", ("姓名", "name"), max_length=32),
        Column("branch_code", ("网点代码", "机构号", "branch code")),
        Column("role", ("岗位", "role"), "choice", choices=_choices(StaffRole, STAFF_ROLE_LABELS)),
        Column("phone", ("手机号", "电话", "phone"), required=False, max_length=20, default=""),
        Column("email", ("邮箱", "email"), required=False, max_length=120, default=""),
    ),
    example=({"employee_no": "E900001", "name": "张晓燕", "branch_code": "ZJ001-01", "role": "客户经理",
              "phone": "13800000001", "email": "e900001@bank.example.cn"},),
))


def _resolve_villages(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "code", "name", "township", "households")
    _branches(session, resolved, frame)
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

def _resolve_customers(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "code", "name", "phone", "gender", "birth_year", "kind", "occupation", "is_prospect",
                     "e_banking", "deposit_balance", "wealth_balance", "products_held", "opened_on")
    _branches(session, resolved, frame)
    _staff(session, resolved, frame)
    if "village_code" in frame.columns:
        found = lookup(session, Village.__table__, "code", frame["village_code"], "id")
        attach(resolved, frame["village_code"], found, {"village_id": "id"}, "village_code", ("村代码", "village code"),
               False)
    return resolved


OCCUPATION_LABELS = {"migrant_worker": ("外出务工", "农民工"), "farmer": ("农户", "务农"), "employee": ("职员", "上班族"),
                     "civil_servant": ("公务员",), "business_owner": ("个体工商户", "企业主"), "retiree": ("退休",),
                     "student": ("学生",), "enterprise": ("企业",)}

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
               choices=_choices(CustomerKind, {"personal": ("个人",), "corporate": ("对公", "企业")})),
        Column("occupation", ("职业", "occupation"), "choice", required=False, default="",
               choices=_choices(Occupation, OCCUPATION_LABELS)),
        Column("is_prospect", ("潜力客户", "prospect"), "bool", required=False, default=False),
        Column("e_banking", ("开通电子银行", "e-banking"), "bool", required=False, default=False),
        Column("deposit_balance", ("存款余额", "deposit balance"), "float", required=False, min_value=0, default=0.0),
        Column("wealth_balance", ("理财余额", "wealth balance"), "float", required=False, min_value=0, default=0.0),
        Column("products_held", ("持有产品数", "products held"), "int", required=False, min_value=0, default=0),
        Column("opened_on", ("开户日期", "opened on"), "date", required=False),
    ),
    example=({"code": "C90000001", "name": "王建国", "branch_code": "ZJ001-08", "employee_no": "", "village_code": "",
              "phone": "13900000002", "gender": "男", "birth_year": "1979", "kind": "个人", "occupation": "外出务工",
              "is_prospect": "否", "e_banking": "是", "deposit_balance": "86,500.00", "wealth_balance": "0",
              "products_held": "2", "opened_on": "2019/3/8"},),
))


def _resolve_key_persons(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "role")
    _customers(session, resolved, frame, {"customer_id": "id", "branch_id": "branch_id", "village_id": "village_id"})
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
        Column("role", ("角色", "role"), "choice", choices=_choices(KeyRole, KEY_ROLE_LABELS)),
        Column("village_code", ("村代码", "village code"), required=False),
    ),
    example=({"customer_code": "C00000001", "role": "村主任", "village_code": ""},),
))


# --- marketing events ---------------------------------------------------------------------------------------

def _resolve_events(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "name", "kind", "start_date", "end_date", "partner", "cost")
    _branches(session, resolved, frame)
    return resolved


EVENT_KIND_LABELS = {"community_event": ("社区活动",), "lecture": ("讲座",), "partner_promo": ("商户联盟", "异业合作"),
                     "prize_draw": ("抽奖",), "festival": ("节日活动",), "group_buy": ("团购",)}

register(ImportKind(
    key="marketing_event", label=("营销活动", "Marketing events"), table=MarketingEvent.__table__,
    natural_key=("branch_id", "name", "start_date"), resolve=_resolve_events, unique=("branch_code", "name", "start_date"),
    columns=(
        Column("branch_code", ("网点代码", "机构号", "branch code")),
        Column("name", ("活动名称", "event", "name"), max_length=80),
        Column("kind", ("活动类型", "kind"), "choice",
               choices={k: (k, *v) for k, v in EVENT_KIND_LABELS.items()}),
        Column("start_date", ("开始日期", "start date"), "date"),
        Column("end_date", ("结束日期", "end date"), "date"),
        Column("partner", ("合作方", "partner"), required=False, max_length=80, default=""),
        Column("cost", ("费用（元）", "cost"), "float", required=False, min_value=0, default=0.0),
    ),
    row_checks=(RowCheck("dates", lambda f: f["end_date"] >= f["start_date"],
                         ("结束日期早于开始日期", "the end date is before the start date"), "end_date"),),
    example=({"branch_code": "ZJ001-01", "name": "重阳敬老茶话会", "kind": "社区活动", "start_date": "2026-10-29",
              "end_date": "2026-10-29", "partner": "社区居委会", "cost": "1,200"},),
))


# --- migrant-worker campaign (213N) ---------------------------------------------------------------------------

SEASON = Column("season", ("营销季", "年份", "season"), "int", min_value=2000, max_value=2100)
CUSTOMER = Column("customer_code", ("客户号", "customer code"))


def _resolve_name_list(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "expected_return", "returned_on", "leaves_on", "last_year_deposits")
    _season(session, resolved, frame)
    _customers(session, resolved, frame, {"customer_id": "id", "branch_id": "branch_id", "village_id": "village_id"})
    _customers(session, resolved, frame, {"foreman_customer_id": "id"}, "foreman_code", required=False)
    _staff(session, resolved, frame)
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
    resolved = _copy(frame, "sent_on", "delivered", "replied_on", "reply_code")
    _season(session, resolved, frame)
    _customers(session, resolved, frame, {"customer_id": "id"})
    _entries(session, resolved)
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
    resolved = _copy(frame, "visit_round", "visit_date", "outcome", "income_learned", "collection_target")
    _season(session, resolved, frame)
    _customers(session, resolved, frame, {"customer_id": "id"})
    _entries(session, resolved)
    _staff(session, resolved, frame)
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
        Column("outcome", ("走访结果", "outcome"), "choice", choices=_choices(VisitOutcome, VISIT_LABELS)),
        Column("income_learned", ("了解到的年收入（元）", "income learned"), "float", required=False, min_value=0),
        Column("collection_target", ("吸存目标（元）", "collection target"), "float", required=False, min_value=0),
    ),
    example=({"season": "2026", "customer_code": "C00000001", "visit_round": "1", "visit_date": "2026-02-08",
              "employee_no": "", "outcome": "已定目标", "income_learned": "80,000", "collection_target": "50,000"},),
))


def _resolve_deposits(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "day", "amount")
    _season(session, resolved, frame)
    _customers(session, resolved, frame, {"customer_id": "id", "branch_id": "branch_id", "village_id": "village_id"})
    _staff(session, resolved, frame)
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

def _groups(session: Session, resolved: Resolved, frame: pd.DataFrame) -> None:
    from models.groups import SocialGroup

    table = SocialGroup.__table__
    by_code = lookup(session, table, "code", frame["group"], "id", "branch_id")
    by_name = lookup(session, table, "name", frame["group"][~frame["group"].isin(by_code.index)], "id", "branch_id")
    found = pd.concat([by_code, by_name])
    attach(resolved, frame["group"], found[~found.index.duplicated()], {"group_id": "id", "branch_id": "branch_id"},
           "group", ("客户群（编号或群名）", "group (code or name)"))


def _resolve_group_daily(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = _copy(frame, "day", "members", "joins", "leaves", "active_members", "messages", "customer_messages",
                     "customer_questions", "staff_replies", "answered_within_10min", "median_first_reply_minutes")
    _groups(session, resolved, frame)
    return resolved


def _register_group_kinds() -> None:
    from models.groups import GroupDaily, GroupMembership, MemberRole

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
        resolved = _copy(frame, "joined_on", "left_on", "role", "brought_in", "messages")
        _groups(session, resolved, frame)
        _customers(session, resolved, frame, {"customer_id": "id"})
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
                   choices=_choices(MemberRole, {"member": ("成员", "群成员"), "community_expert": ("社区达人",),
                                                 "opinion_leader": ("意见领袖",)})),
            Column("brought_in", ("经此群获客", "brought in"), "bool", required=False, default=False),
            Column("messages", ("发言数", "messages"), "int", required=False, min_value=0, default=0),
        ),
        row_checks=(RowCheck("left_after_join", lambda f: ~(f["left_on"] < f["joined_on"]).fillna(False),
                             ("退群日期早于入群日期", "left before joining"), "left_on"),),
        example=({"group": "G0000001", "customer_code": "C00000001", "joined_on": "2026-03-08", "left_on": "",
                  "role": "社区达人", "brought_in": "否", "messages": "57"},),
    ))


def _register_share_kind() -> None:
    from models.referrals import ShareChannel, ShareEvent

    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = _copy(frame, "channel", "day", "shares", "clicks")
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
            Column("channel", ("渠道", "channel"), "choice", choices=_choices(ShareChannel, {
                "wechat_chat": ("微信好友", "微信聊天"), "moments": ("朋友圈",), "weibo": ("微博",)})),
            Column("day", ("日期", "date", "day"), "date"),
            Column("shares", ("分享次数", "shares"), "int", min_value=0),
            Column("clicks", ("点击次数", "clicks"), "int", min_value=0),
        ),
        example=({"employee_no": "E000001", "channel": "朋友圈", "day": "2026-11-01", "shares": "3", "clicks": "41"},),
    ))


_register_group_kinds()
_register_share_kind()

def _register_relationship_kind() -> None:
    import numpy as np

    from models.graph import DEFAULT_WEIGHT, DIRECTED_KINDS, RelationKind, Relationship, RelationSource

    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = _copy(frame, "kind", "weight", "source")
        _customers(session, resolved, frame, {"customer_a_id": "id", "branch_id": "branch_id"}, "customer_a_code")
        _customers(session, resolved, frame, {"customer_b_id": "id", "_b_branch": "branch_id"}, "customer_b_code")
        out = resolved.frame
        resolved.reject((out["customer_a_id"] == out["customer_b_id"]).fillna(False), "customer_b_code",
                        "关系两端是同一人", "both ends of the tie are the same person")
        swap = (~out["kind"].isin(DIRECTED_KINDS) & (out["customer_a_id"] > out["customer_b_id"])).fillna(False)
        a, b = out["customer_a_id"].copy(), out["customer_b_id"].copy()
        out["customer_a_id"], out["customer_b_id"] = a.where(~swap, b), b.where(~swap, a)
        out["branch_id"] = out["branch_id"].where(~swap, out.pop("_b_branch"))
        if "weight" not in frame.columns:
            out["weight"] = np.nan
        out["weight"] = out["weight"].astype("Float64").fillna(out["kind"].map(DEFAULT_WEIGHT).astype("Float64"))
        return resolved

    def recount_ties(session: Session, rows: pd.DataFrame) -> None:
        from models.metrics.graph import refresh_network_ties

        refresh_network_ties(session.connection(), rows["branch_id"].dropna())

    register(ImportKind(
        key="relationship", label=("客户关系", "Customer relationships"), table=Relationship.__table__,
        natural_key=("customer_a_id", "customer_b_id", "kind"), resolve=resolve, post_write=recount_ties,
        unique=("customer_a_code", "customer_b_code", "kind"),
        columns=(
            Column("customer_a_code", ("客户号A", "客户号", "customer a")),
            Column("customer_b_code", ("客户号B", "关系人客户号", "customer b")),
            Column("kind", ("关系类型", "relation"), "choice", choices=_choices(RelationKind, {
                "family": ("亲属", "家人"), "neighbour": ("邻居",), "workplace": ("同单位",), "village": ("同村",),
                "colleague": ("同事",), "referral": ("推荐", "转介绍"), "group": ("同群",)})),
            Column("weight", ("关系强度", "weight"), "float", required=False, min_value=0, max_value=10),
            Column("source", ("来源", "source"), "choice", required=False, default=RelationSource.IMPORT.value,
                   choices=_choices(RelationSource, {"household_survey": ("整村授信", "入户调查"),
                                                     "village_survey": ("村干部座谈",), "staff_visit": ("员工走访",),
                                                     "payroll": ("代发工资",), "import": ("导入",)})),
        ),
        note=("“推荐”关系有方向：客户A推荐了客户B；其他关系不分先后。",
              "A referral tie has a direction (A brought B); other ties have none."),
        example=({"customer_a_code": "C00000001", "customer_b_code": "C00000002", "kind": "亲属", "weight": "",
                  "source": "入户调查"},),
    ))


_register_relationship_kind()


def _register_referral_event_kind() -> None:
    from models.referrals import Campaign, InviteCode, ReferralEvent, ReferralProduct, ReferralStage, ShareChannel

    def resolve(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
        resolved = _copy(frame, "event_ref", "stage", "day", "product", "amount", "customer_kind", "effective",
                         "share_channel", "device_id", "phone_prefix", "reversed_on")
        found = lookup(session, InviteCode.__table__, "code", frame["code"], "id", "staff_id", "branch_id",
                       "campaign_id")
        attach(resolved, frame["code"], found, {"code_id": "id", "staff_id": "staff_id", "branch_id": "branch_id",
                                                "campaign_id": "campaign_id"}, "code", ("邀请码", "invitation code"))
        if "customer_code" in frame.columns:
            _customers(session, resolved, frame, {"customer_id": "id"}, required=False)
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
            Column("stage", ("环节", "阶段", "stage"), "choice", choices=_choices(ReferralStage, {
                "click": ("点击",), "register": ("注册",), "participate": ("参与", "参加活动"), "convert": ("转化", "成交")})),
            Column("day", ("日期", "date", "day"), "date"),
            Column("customer_code", ("客户号", "customer code"), required=False),
            Column("product", ("产品", "product"), "choice", required=False, default="",
                   choices={**_choices(ReferralProduct, {
                       "e_banking": ("电子银行", "手机银行"), "deposit": ("存款",), "wealth": ("理财",),
                       "precious_metal": ("贵金属",), "credit_card": ("信用卡",), "activity": ("活动",)})}),
            Column("amount", ("金额", "金额（元）", "amount"), "float", required=False, min_value=0, default=0.0),
            Column("customer_kind", ("客户类型", "customer kind"), "choice", required=False,
                   default=CustomerKind.PERSONAL.value,
                   choices=_choices(CustomerKind, {"personal": ("个人",), "corporate": ("对公", "企业")})),
            Column("effective", ("有效户", "effective"), "bool", required=False, default=False),
            Column("share_channel", ("分享渠道", "share channel"), "choice", required=False, default="",
                   choices={**_choices(ShareChannel, {"wechat_chat": ("微信好友", "微信聊天"), "moments": ("朋友圈",),
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


__all__ = ["KINDS", "register"]
