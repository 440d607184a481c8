"""WeCom customer groups and who is in them (source `wecom_groups`), into `socialgroup` and `groupmembership`
through the import pipeline (kinds `social_group` and `group_member`).

- `externalcontact/groupchat/list` 「获取客户群列表」 (https://developer.work.weixin.qq.com/document/path/92120):
  POST {status_filter: 0, owner_filter: {userid_list: at most 100}, cursor, limit: 1..1000} ->
  {group_chat_list: [{chat_id, status}], next_cursor}; without an owner filter a corp of over 1,000 visible
  members answers 81017, so the mapped owners are always given, 100 a call, page by page until next_cursor is
  empty.
- `externalcontact/groupchat/get` 「获取客户群详情」 (https://developer.work.weixin.qq.com/document/path/92122):
  POST {chat_id, need_name: 1} -> {group_chat: {chat_id, name, owner, create_time, member_list: [{userid, type
  (1 staff, 2 external contact), join_time, join_scene (1 invited, 2 invitation link, 3 QR code), invitor,
  group_nickname, name}], admin_list, member_version}}.

WeCom gives who is in a group now, not who left: leaves come from comparing member lists day by day. Each run
takes one snapshot, labelled with the day the run completes (yesterday in China): a customer in the group
today without an open stay starts a stay on the China date of `join_time`; an open stay whose customer is no
longer listed ends on the snapshot's day (a member present in the last snapshot and gone today left today).
Running it twice changes nothing (the second diff is empty); a run killed before its membership transaction
leaves the day undone and the next run diffs again. Members of type 1 (staff) are not customers and are
skipped; an external contact is a customer through `customer.wecom_external_userid`, and the run's detail counts
the contacts that match no customer. A group whose owner maps to no staff member cannot be placed in a branch:
its owner is named in the detail and the group is not fetched. New groups get a kind guessed from the name
(`guess_kind`); a stored group keeps the kind the bank gave it.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.customers import Customer
from models.groups import GroupKind, GroupMembership, Platform, SocialGroup
from models.importing.pipeline import commit_frame
from models.sync.http import ApiClient, CredentialRef, MalformedResponse
from models.sync.state import WRITE_LOCK, AccountResult, advance, last_complete_day
from models.sync.wecom import (
    OWNERS_PER_CALL,
    SYNC_USER,
    china_day,
    follow_users,
    latest_complete_day,
    map_userids,
    refused,
    unmapped_detail,
)

SOURCE = "wecom_groups"
GROUP_LIST = "/cgi-bin/externalcontact/groupchat/list"
GROUP_GET = "/cgi-bin/externalcontact/groupchat/get"
PAGE = 1000
EXTERNAL = 2
CODE_LENGTH = 32
KIND_WORDS = (  # the first kind whose word is in the group's name
    (GroupKind.NEW_CUSTOMER_SERVICE, ("新客户", "新客", "服务群")),
    (GroupKind.PRIZE_CONTEST, ("竞赛", "有奖", "比赛", "定投")),
    (GroupKind.COMMUNITY, ("社区", "小区", "邻里", "业主")),
    (GroupKind.INTEREST, ("网球", "篮球", "书法", "种菜", "摄影", "兴趣", "跑步", "读书")),
    (GroupKind.FRIENDS, ("校友", "同乡", "老乡", "朋友", "同学")),
    (GroupKind.CLIENT_UNIT, ("单位", "政府", "部队", "公司", "集团", "医院", "学校")),
)


def guess_kind(name: str) -> str:
    """The kind of a new group from words in its name; a branch-named group when none matches."""
    for kind, words in KIND_WORDS:
        if any(word in (name or "") for word in words):
            return kind.value
    return GroupKind.BRANCH_NAMED.value


def group_code(chat_id: str) -> str:
    """`socialgroup.code` of a WeCom chat: the chat id itself when it fits, else a stable digest of it."""
    return chat_id if len(chat_id) <= CODE_LENGTH else "wc" + hashlib.sha1(chat_id.encode()).hexdigest()[:30]


def member_changes(open_stays: pd.DataFrame, present: pd.DataFrame, day: date) -> pd.DataFrame:
    """Pure: the stays to write after a snapshot taken on `day`.

    `open_stays` (group, customer_code, joined_on): the stored stays without a leave day; `present` (group,
    customer_code, joined_on): the customers in the groups now. A present customer without an open stay starts
    one (left_on empty); an open stay whose customer is absent ends on `day` (never before it began). Only the
    groups in `present` are judged (a group not fetched keeps its stays)."""
    columns = ["group", "customer_code", "joined_on", "left_on"]
    key = ["group", "customer_code"]
    present = present.drop_duplicates(key)
    judged = open_stays[open_stays["group"].isin(set(present["group"]))]
    merged = present.merge(judged[key].assign(_open=True), on=key, how="left")
    joins = merged[merged["_open"].isna()][key + ["joined_on"]].assign(left_on=None)
    gone = judged.merge(present[key].assign(_present=True), on=key, how="left")
    gone = gone[gone["_present"].isna()]
    leaves = gone[key + ["joined_on"]].assign(left_on=[max(day, j) for j in gone["joined_on"]])
    found = pd.concat([f for f in (joins, leaves) if not f.empty], ignore_index=True) if len(joins) + len(leaves) \
        else pd.DataFrame(columns=columns)
    return found[columns].sort_values(key + ["joined_on"]).reset_index(drop=True)


def _chat_ids(client: ApiClient, credential: CredentialRef, owners: list[str]) -> list[str]:
    found: list[str] = []
    for start in range(0, len(owners), OWNERS_PER_CALL):
        cursor = ""
        while True:
            body = {"status_filter": 0, "owner_filter": {"userid_list": owners[start:start + OWNERS_PER_CALL]},
                    "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            answer = client.call(credential, GROUP_LIST, json=body)
            chats = answer.get("group_chat_list")
            if not isinstance(chats, list) or not all(isinstance(c, dict) and c.get("chat_id") for c in chats):
                raise MalformedResponse(f"{GROUP_LIST}: 缺少 group_chat_list / the answer lacks group_chat_list",
                                        path=GROUP_LIST)
            found += [str(c["chat_id"]) for c in chats]
            cursor = str(answer.get("next_cursor") or "")
            if not cursor:
                break
    return sorted(set(found))


def _chat(client: ApiClient, credential: CredentialRef, chat_id: str) -> dict:
    chat = client.call(credential, GROUP_GET, json={"chat_id": chat_id, "need_name": 1}).get("group_chat")
    members = chat.get("member_list") if isinstance(chat, dict) else None
    if not isinstance(members, list) or not all(isinstance(m, dict) and m.get("userid") and "join_time" in m
                                                for m in members) or not chat.get("owner"):
        raise MalformedResponse(f"{GROUP_GET}: 缺少群主或成员列表 / the answer lacks the owner or member_list",
                                path=GROUP_GET)
    try:
        chat["_created"] = china_day(chat.get("create_time", 0))
        for member in members:
            member["_joined"] = china_day(member["join_time"])
            member["type"] = int(member.get("type", 0))
    except (TypeError, ValueError, OverflowError):
        raise MalformedResponse(f"{GROUP_GET}: create_time/join_time is not a time", path=GROUP_GET) from None
    return chat


def _stored(engine: Engine, codes: list[str], external_ids: list[str]) -> tuple[dict, dict, pd.DataFrame]:
    """Stored kinds of the groups, customer codes of the external contacts, and the groups' open stays."""
    kinds, customers, stays = {}, {}, []
    with Session(engine) as session:
        for start in range(0, max(len(codes), len(external_ids)), 1000):
            group_chunk, contact_chunk = codes[start:start + 1000], external_ids[start:start + 1000]
            if group_chunk:
                kinds.update(session.execute(select(SocialGroup.code, SocialGroup.kind)
                                             .where(SocialGroup.code.in_(group_chunk))).all())
                stays += session.execute(
                    select(SocialGroup.code, Customer.code, GroupMembership.joined_on)
                    .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
                    .join(Customer, Customer.id == GroupMembership.customer_id)
                    .where(SocialGroup.code.in_(group_chunk), GroupMembership.left_on.is_(None))).all()
            if contact_chunk:
                customers.update(session.execute(select(Customer.wecom_external_userid, Customer.code)
                                                 .where(Customer.wecom_external_userid.in_(contact_chunk))).all())
    return kinds, customers, pd.DataFrame(stays, columns=["group", "customer_code", "joined_on"])


def sync_groups(engine: Engine, client: ApiClient, credential: CredentialRef, since: date | None,
                until: date | None, now: datetime) -> AccountResult:
    """One corp's groups and member lists, as of now, labelled with yesterday (once a day). `since` and `until`
    do not apply: WeCom gives member lists only as they are at the moment of the call."""
    corp = credential.account_key
    day = latest_complete_day(now)
    result = AccountResult(SOURCE, corp)
    done = last_complete_day(engine, SOURCE, corp)
    if done is not None and done >= day:
        return result
    mapped, unmapped = map_userids(engine, follow_users(client, credential))
    chat_ids = _chat_ids(client, credential, sorted(mapped))
    with ThreadPoolExecutor(max_workers=max(1, client.config.sync_workers), thread_name_prefix="wecom") as pool:
        chats = list(pool.map(lambda c: _chat(client, credential, c), chat_ids))
    chats = [c for c in chats if c["owner"] in mapped]  # the list filtered by owner; a transfer meanwhile waits
    codes = [group_code(str(c["chat_id"])) for c in chats]
    externals = sorted({m["userid"] for c in chats for m in c["member_list"] if m["type"] == EXTERNAL})
    kinds, customers, open_stays = _stored(engine, codes, externals)
    groups = pd.DataFrame([{
        "code": code, "name": (str(c.get("name") or "") or f"客户群 {code[-6:]}")[:80], "owner": c["owner"],
        "kind": kinds.get(code) or guess_kind(str(c.get("name") or "")), "platform": Platform.WECOM.value,
        "created_on": c["_created"]} for code, c in zip(codes, chats, strict=True)])
    present = pd.DataFrame([{"group": code, "customer_code": customers[m["userid"]], "joined_on": m["_joined"]}
                            for code, c in zip(codes, chats, strict=True) for m in c["member_list"]
                            if m["type"] == EXTERNAL and m["userid"] in customers],
                           columns=["group", "customer_code", "joined_on"])
    changes = member_changes(open_stays, present, day)
    label = f"api:wecom {corp} groups {day}"
    with WRITE_LOCK, Session(engine) as session:
        if not groups.empty:
            imported = commit_frame("social_group", groups, label, session, SYNC_USER)
            if not imported.committed:
                raise refused(imported, GROUP_GET)
            result.rows_written += imported.preview.new + imported.preview.changed
        if changes.empty:
            advance(session, SOURCE, corp, day)
            session.commit()
        else:
            imported = commit_frame("group_member", changes, label, session, SYNC_USER,
                                    before_commit=lambda s: advance(s, SOURCE, corp, day))
            if not imported.committed:
                raise refused(imported, GROUP_GET)
            result.rows_written += imported.preview.new + imported.preview.changed
    strangers = len([u for u in externals if u not in customers])
    result.detail = "; ".join(filter(None, [
        unmapped_detail(unmapped),
        f"{strangers} 位群成员不是已知客户（客户名单中无其企业微信外部联系人ID）/ {strangers} group member(s) "
        "match no customer's WeCom external_userid" if strangers else ""]))
    result.first_day = result.last_day = day
    result.windows = 1
    return result
