"""The WeCom customer-contact API, as documented (see `models/sync/wecom.py` and `wecom_groups.py` for the pages):

- GET /cgi-bin/gettoken?corpid=ID&corpsecret=SECRET -> {access_token, expires_in: 7200}; an unknown corp id
  answers 40013, a wrong secret 40001 (https://developer.work.weixin.qq.com/document/path/91039).
- GET /cgi-bin/externalcontact/get_follow_user_list -> {follow_user: [userid...]} (92571).
- POST /cgi-bin/externalcontact/groupchat/list {status_filter, owner_filter: {userid_list <= 100}, cursor, limit
  1..1000} -> {group_chat_list: [{chat_id, status}], next_cursor} (92120); no owner filter with more than 1,000
  members answers 81017.
- POST /cgi-bin/externalcontact/groupchat/get {chat_id, need_name} -> {group_chat: {chat_id, name, owner,
  create_time, member_list: [{userid, type, join_time, join_scene, ...}], admin_list, member_version}} (92122).
  The member list is who is in the group at the mock's `now`.
- POST /cgi-bin/externalcontact/groupchat/statistic_group_by_day {day_begin_time, day_end_time, owner_filter}
  -> {items: [{stat_time, data: {...}}]} summed over the owners, one item a day (92133).
- POST /cgi-bin/externalcontact/get_user_behavior_data {userid: [...], start_time, end_time} -> {behavior_data:
  [{stat_time, chat_cnt, ...}]} summed over the users (92132).
Both statistics take at most 30 days ("最大查询跨度为30天") from 180 days back to yesterday ("取值范围：昨天至前
180天"); anything else answers 40058 (invalid parameter). A corp's `quiet_days` are left out of the statistics
(an empty day). The shared faults apply: token expiry mid-run (42001), quota (45009) and a malformed body per
corp id (`quota_appids`, `malformed_appids` hold corp ids too), busy (-1) and slow answers.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_platform.faults import injected_fault
from mock_platform.state import CHINA, PlatformState

MAX_SPAN_DAYS = 30
KEPT_DAYS = 180
BAD_PARAMETER = {"errcode": 40058, "errmsg": "invalid parameter"}


@dataclass
class WecomMember:
    userid: str
    type: int                      # 1 staff, 2 external contact
    joined_at: datetime
    join_scene: int = 3
    left_at: datetime | None = None

    def present(self, now: datetime) -> bool:
        return self.joined_at <= now and (self.left_at is None or self.left_at > now)


@dataclass
class WecomGroup:
    chat_id: str
    name: str
    owner: str
    created_at: datetime
    members: list[WecomMember] = field(default_factory=list)


@dataclass
class WecomCorp:
    """A corp: its customer-contact secret, the userids with customer contact, their groups and their figures."""

    corp_id: str
    secret: str
    users: list[str] = field(default_factory=list)
    groups: dict[str, WecomGroup] = field(default_factory=dict)
    quiet_days: set[date] = field(default_factory=set)

    def behavior(self, userid: str, day: date) -> dict:
        rng = random.Random(f"{self.corp_id}:{userid}:{day.isoformat()}:b")
        chats = rng.randint(0, 30)
        figures = {"chat_cnt": chats, "message_cnt": chats * rng.randint(1, 6), "new_apply_cnt": rng.randint(0, 4),
                   "new_contact_cnt": rng.randint(0, 5), "negative_feedback_cnt": int(rng.random() < 0.1)}
        if chats:  # "若数据项不返回，代表..." : no reply figures without chats
            figures["reply_percentage"] = round(rng.uniform(55, 100), 1)
            figures["avg_reply_time"] = rng.randint(1, 45)
        return figures

    def group_stats(self, userid: str, day: date) -> dict:
        rng = random.Random(f"{self.corp_id}:{userid}:{day.isoformat()}:g")
        chats = 1 + rng.randint(0, 6)
        members = chats * rng.randint(20, 180)
        speakers = rng.randint(0, members // 4)
        return {"new_chat_cnt": int(rng.random() < 0.05), "chat_total": chats, "chat_has_msg": rng.randint(0, chats),
                "new_member_cnt": rng.randint(0, 9), "member_total": members, "member_has_msg": speakers,
                "msg_total": speakers * rng.randint(1, 8), "migrate_trainee_chat_cnt": 0}


def make_corp(corp_id: str, secret: str, users: list[str], contacts: list[str], now: datetime,
              groups_per_user: int = 2, seed: int = 7) -> WecomCorp:
    """A corp with demo-like groups: each user owns `groups_per_user` groups whose members are drawn from the
    external `contacts` (and the owner), joined over the last 120 days; some leave before `now`, some after."""
    rng = random.Random(f"{corp_id}:{seed}")
    names = ("湖畔小区邻里群", "新客户服务群", "网球爱好者", "校友会", "基金定投有奖竞赛", "城南支行客户群", "教育局单位群")
    corp = WecomCorp(corp_id, secret, list(users))
    for user in users:
        for index in range(groups_per_user):
            created = now - timedelta(days=rng.randint(100, 400))
            chat_id = f"wr{corp_id[-4:]}{user[-4:]}{index:02d}{rng.randrange(16 ** 8):08x}AAAA"
            group = WecomGroup(chat_id, f"{names[rng.randrange(len(names))]}{index + 1}", user, created,
                               [WecomMember(user, 1, created, 1)])
            for contact in rng.sample(contacts, min(len(contacts), rng.randint(3, 12))):
                joined = now - timedelta(days=rng.randint(1, 120), hours=rng.randint(0, 23))
                left = None
                if rng.random() < 0.2:
                    left = joined + timedelta(days=rng.randint(1, 150))
                group.members.append(WecomMember(contact, 2, joined, rng.choice((1, 2, 3)), left))
            corp.groups[chat_id] = group
    return corp


def _day(seconds) -> date:
    return datetime.fromtimestamp(int(seconds), CHINA).date()


def _stat_time(day: date) -> int:
    return int(datetime.combine(day, time(0), CHINA).timestamp())


def _range(state: PlatformState, begin_time, end_time) -> list[date] | None:
    """The days asked for, or None when the range breaks the documented limits."""
    try:
        begin, end = _day(begin_time), _day(end_time if end_time is not None else begin_time)
    except (TypeError, ValueError, OverflowError):
        return None
    today = state.now().astimezone(CHINA).date()
    if end < begin or (end - begin).days >= MAX_SPAN_DAYS or end >= today or begin < today - timedelta(days=KEPT_DAYS):
        return None
    return [begin + timedelta(days=i) for i in range((end - begin).days + 1)]


async def _data_call(request: Request, state: PlatformState, name: str, answer) -> Response:
    owner, error = state.check_token(request.query_params.get("access_token"))
    if error is not None:
        return JSONResponse(error)
    body: dict = {}
    if request.method == "POST":
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
        if not isinstance(body, dict):
            return JSONResponse({"errcode": 47001, "errmsg": "data format error"})
    state.log(name, owner, body)
    fault = await injected_fault(state, owner, "system busy", "api freq out of limit")
    if fault is not None:
        return fault
    corp = state.wecom_corps.get(owner)
    if corp is None:
        return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
    found = answer(corp, body)
    return JSONResponse(found if "errcode" in found else {"errcode": 0, "errmsg": "ok", **found})


def _owners(body: dict) -> list[str] | None:
    owners = (body.get("owner_filter") or {}).get("userid_list")
    return owners if isinstance(owners, list) else None


def routes(state: PlatformState) -> list[Route]:
    async def gettoken(request: Request) -> Response:
        corp = state.wecom_corps.get(request.query_params.get("corpid", ""))
        if corp is None:
            return JSONResponse({"errcode": 40013, "errmsg": "invalid corpid"})
        if request.query_params.get("corpsecret") != corp.secret:
            return JSONResponse({"errcode": 40001, "errmsg": "invalid credential"})
        token = state.current_token(corp.corp_id) or state.issue_token(corp.corp_id)
        state.log("gettoken", corp.corp_id, {})
        return JSONResponse({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200})

    def follow_users(corp: WecomCorp, body: dict) -> dict:
        return {"follow_user": list(corp.users)}

    def group_list(corp: WecomCorp, body: dict) -> dict:
        owners = _owners(body)
        limit = body.get("limit", 1000)
        if owners is None and len(corp.users) > 1000:
            return {"errcode": 81017, "errmsg": "owner_filter required: too many members in the visible range"}
        if (owners is not None and not 1 <= len(owners) <= 100) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            return BAD_PARAMETER
        chats = sorted(c for c, g in corp.groups.items() if owners is None or g.owner in owners)
        cursor = str(body.get("cursor") or "")
        offset = int(cursor[3:]) if cursor.startswith("cur") and cursor[3:].isdigit() else 0
        page = chats[offset:offset + limit]
        more = offset + limit < len(chats)
        return {"group_chat_list": [{"chat_id": c, "status": 0} for c in page],
                "next_cursor": f"cur{offset + limit}" if more else ""}

    def group_get(corp: WecomCorp, body: dict) -> dict:
        group = corp.groups.get(str(body.get("chat_id", "")))
        if group is None:
            return {"errcode": 40050, "errmsg": "chat_id not exist"}
        now = state.now()
        members = [{"userid": m.userid, "type": m.type, "join_time": int(m.joined_at.timestamp()),
                    "join_scene": m.join_scene, "group_nickname": "",
                    **({"name": m.userid[-4:]} if body.get("need_name") else {})}
                   for m in group.members if m.present(now)]
        return {"group_chat": {"chat_id": group.chat_id, "name": group.name, "owner": group.owner,
                               "create_time": int(group.created_at.timestamp()), "notice": "",
                               "member_list": members, "admin_list": [], "member_version": str(len(members))}}

    def by_day(corp: WecomCorp, body: dict) -> dict:
        owners = _owners(body)
        days = _range(state, body.get("day_begin_time"), body.get("day_end_time"))
        if days is None or not owners or len(owners) > 100:
            return BAD_PARAMETER
        items = []
        for day in days:
            if day in corp.quiet_days:
                continue
            figures = [corp.group_stats(o, day) for o in owners if o in corp.users]
            items.append({"stat_time": _stat_time(day),
                          "data": {k: sum(f[k] for f in figures) for k in corp.group_stats("", day)}})
        return {"items": items}

    def behavior(corp: WecomCorp, body: dict) -> dict:
        users = body.get("userid")
        days = _range(state, body.get("start_time"), body.get("end_time"))
        if days is None or not isinstance(users, list) or not users or len(users) > 100:
            return BAD_PARAMETER
        data = []
        for day in days:
            if day in corp.quiet_days:
                continue
            figures = [corp.behavior(u, day) for u in users if u in corp.users]
            item = {"stat_time": _stat_time(day)}
            for key in ("chat_cnt", "message_cnt", "new_apply_cnt", "new_contact_cnt", "negative_feedback_cnt"):
                item[key] = sum(f[key] for f in figures)
            for key in ("reply_percentage", "avg_reply_time"):
                values = [f[key] for f in figures if key in f]
                if values:
                    item[key] = round(sum(values) / len(values), 1)
            data.append(item)
        return {"behavior_data": data}

    def handler(name: str, answer):
        async def handle(request: Request) -> Response:
            return await _data_call(request, state, name, answer)
        return handle

    base = "/cgi-bin/externalcontact"
    return [
        Route("/cgi-bin/gettoken", gettoken, methods=["GET"]),
        Route(f"{base}/get_follow_user_list", handler("get_follow_user_list", follow_users), methods=["GET"]),
        Route(f"{base}/groupchat/list", handler("groupchat/list", group_list), methods=["POST"]),
        Route(f"{base}/groupchat/get", handler("groupchat/get", group_get), methods=["POST"]),
        Route(f"{base}/groupchat/statistic_group_by_day", handler("statistic_group_by_day", by_day), methods=["POST"]),
        Route(f"{base}/get_user_behavior_data", handler("get_user_behavior_data", behavior), methods=["POST"]),
    ]
