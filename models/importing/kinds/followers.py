"""Follower kinds: the official accounts' daily follower statistics and the accounts themselves."""

from __future__ import annotations

import pandas as pd
from sqlmodel import Session

from models.followers import FollowerDaily, OfficialAccount
from models.importing.kinds.lookups import copy_fields, resolve_branches
from models.importing.spec import Column, ImportKind, Resolved, RowCheck, attach, lookup, register

# --- official-account follower figures (the WeChat platform's user-analysis download) ---------------------

def _resolve_followers(session: Session, frame: pd.DataFrame, options: dict) -> Resolved:
    resolved = copy_fields(frame, "day", "new_follows", "unfollows", "net_follows", "cumulative")
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
    resolved = copy_fields(frame, "wechat_id", "name")
    resolve_branches(session, resolved, frame)
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
