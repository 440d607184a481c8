"""WeCom customer contact (企业微信 客户联系): what the groups and staff syncs share, and the staff-day sync.

Token: `gettoken` with the corp id and the customer-contact secret (`http._wecom_token`,
https://developer.work.weixin.qq.com/document/path/91039), cached in the database like every token.

Who to ask about: `externalcontact/get_follow_user_list` (GET; `follow_user`: the userids with customer contact,
https://developer.work.weixin.qq.com/document/path/92571). Each userid is mapped to a staff member by
`staff.wecom_userid`, else by `staff.employee_no` (many banks make the WeCom userid the employee number); a
userid that maps to nobody is not fetched and is named in the run's detail (never silently dropped).

Staff-day figures (source `wecom_staff`), per mapped userid, in windows of at most 30 days up to yesterday:
- `externalcontact/get_user_behavior_data` 「获取联系客户统计数据」
  (https://developer.work.weixin.qq.com/document/path/92132): POST {userid: [...], start_time, end_time}
  (Unix seconds of China midnights; at most 30 days; the last 180 days). The answer `behavior_data` is one item
  per day, `stat_time` plus chat_cnt, message_cnt, reply_percentage (0-100), avg_reply_time (minutes),
  negative_feedback_cnt, new_apply_cnt, new_contact_cnt, summed over the userids asked for: so one userid a call.
- `externalcontact/groupchat/statistic_group_by_day` 「获取群聊数据统计（按自然日聚合）」
  (https://developer.work.weixin.qq.com/document/path/92133): POST {day_begin_time, day_end_time,
  owner_filter: {userid_list}} ("最大查询跨度为30天", "取值范围：昨天至前180天", owner list at most 100). `items`
  are {stat_time, data: {new_chat_cnt, chat_total, chat_has_msg, new_member_cnt, member_total, member_has_msg,
  msg_total, ...}} per day, summed over the owners: so one owner a call, per owner and day.
A day WeCom leaves out of a window has no activity and is stored as zeros. Each window goes through the import
pipeline (`staff_contact_daily`, then `staff_group_daily` with the account's progress in its transaction).

Error codes (https://developer.work.weixin.qq.com/document/path/90313) are handled by `models.sync.http`: -1
retried, 40001/40014/42001 refresh the token once, 45009/45033 stop the corp for this run, anything else (e.g.
40058 for a bad date range, 81017 for a missing owner filter) is our bug and fails loudly.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.connections import CredentialKind
from models.importing.kinds.wecom import CONTACT_FIELDS, GROUP_FIELDS
from models.importing.pipeline import ImportResult, commit_frame
from models.org import Staff
from models.sync.http import ApiClient, CredentialRef, MalformedResponse, PlatformBug
from models.sync.state import WRITE_LOCK, AccountResult, advance, last_complete_day

CREDENTIAL_KIND = CredentialKind.WECOM
STAFF_SOURCE = "wecom_staff"
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_SPAN_DAYS = 30      # "最大查询跨度为30天"
KEPT_DAYS = 180         # "企业微信仅存储180天的数据"
FIRST_SYNC_DAYS = 90    # a corp never synced starts this many days back
OWNERS_PER_CALL = 100   # owner_filter.userid_list: "最多100个"
FOLLOW_USERS = "/cgi-bin/externalcontact/get_follow_user_list"
BEHAVIOR = "/cgi-bin/externalcontact/get_user_behavior_data"
GROUP_BY_DAY = "/cgi-bin/externalcontact/groupchat/statistic_group_by_day"
SYNC_USER = "sync:wecom"
SHOWN_UNMAPPED = 20


def latest_complete_day(now: datetime) -> date:
    """The newest day WeCom's statistics hold: yesterday in China ("取值范围：昨天至前180天")."""
    return now.astimezone(CHINA).date() - timedelta(days=1)


def day_start(day: date) -> int:
    """The Unix time of the day's China midnight (what stat_time, day_begin_time and start_time hold)."""
    return int(datetime.combine(day, time(0), CHINA).timestamp())


def china_day(seconds) -> date:
    return datetime.fromtimestamp(int(seconds), CHINA).date()


def windows(first: date, last: date, span: int) -> list[tuple[date, date]]:
    found, begin = [], first
    while begin <= last:
        end = min(begin + timedelta(days=span - 1), last)
        found.append((begin, end))
        begin = end + timedelta(days=1)
    return found


def follow_users(client: ApiClient, credential: CredentialRef) -> list[str]:
    body = client.call(credential, FOLLOW_USERS, method="GET")
    users = body.get("follow_user")
    if not isinstance(users, list) or not all(isinstance(u, str) and u for u in users):
        raise MalformedResponse(f"{FOLLOW_USERS}: 缺少 follow_user / the answer lacks follow_user", path=FOLLOW_USERS)
    return sorted(set(users))


def map_userids(engine: Engine, userids: Iterable[str]) -> tuple[dict[str, tuple[int, int]], list[str]]:
    """{userid: (staff id, branch id)} for the userids that name a staff member (by wecom_userid, then by
    employee_no), and the sorted userids that name nobody."""
    wanted = sorted(set(userids))
    found: dict[str, tuple[int, int]] = {}
    with Session(engine) as session:
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start:start + 1000]
            for key, staff_id, branch_id in session.execute(
                    select(Staff.wecom_userid, Staff.id, Staff.branch_id).where(Staff.wecom_userid.in_(chunk))):
                found.setdefault(key, (staff_id, branch_id))
            rest = [u for u in chunk if u not in found]
            for key, staff_id, branch_id in session.execute(
                    select(Staff.employee_no, Staff.id, Staff.branch_id).where(Staff.employee_no.in_(rest))):
                found.setdefault(key, (staff_id, branch_id))
    return found, [u for u in wanted if u not in found]


def unmapped_detail(unmapped: list[str]) -> str:
    if not unmapped:
        return ""
    shown = ", ".join(unmapped[:SHOWN_UNMAPPED]) + (f" (+{len(unmapped) - SHOWN_UNMAPPED})"
                                                    if len(unmapped) > SHOWN_UNMAPPED else "")
    return (f"{len(unmapped)} 个企业微信账号没有对应员工（在员工名单中填写企业微信账号）/ {len(unmapped)} WeCom "
            f"userid(s) match no staff member (add them to the staff list): {shown}")


def refused(imported: ImportResult, path: str) -> PlatformBug:
    preview = imported.preview
    why = preview.refusal.en if preview.refusal else \
        "; ".join(f"{r.column}: {r.reason_en} {r.value}" for r in preview.rejects.head(3).itertuples())
    return PlatformBug(f"{preview.filename} refused by the import checks: {why}", path=path)


# --- staff-day figures ---------------------------------------------------------------------------------------

def _numbers(item: dict, fields: Iterable[str], path: str, optional: Iterable[str] = ()) -> dict:
    row = {}
    for name in fields:
        value = item.get(name)
        if value is None and name in optional:
            row[name] = None
            continue
        try:
            row[name] = float(value) if name in optional else int(value)
        except (TypeError, ValueError):
            raise MalformedResponse(f"{path}: {name} 不是数字 / {name} is not a number", path=path) from None
    return row


def _per_day(items, path: str, begin: date, end: date, figures) -> dict[date, dict]:
    if not isinstance(items, list) or not all(isinstance(i, dict) and "stat_time" in i for i in items):
        raise MalformedResponse(f"{path}: 缺少逐日数据 / the answer lacks its daily items", path=path)
    days = {}
    for item in items:
        try:
            day = china_day(item["stat_time"])
        except (TypeError, ValueError, OverflowError):
            raise MalformedResponse(f"{path}: stat_time {item['stat_time']!r} is not a time", path=path) from None
        if not begin <= day <= end:
            raise PlatformBug(f"{path}: WeCom answered day {day} outside {begin}..{end}", path=path)
        days[day] = figures(item)
    return days


def behavior_rows(body: dict, userid: str, begin: date, end: date) -> list[dict]:
    """One staff member's get_user_behavior_data answer as one row per day of the window (missing days: zeros)."""
    optional = ("reply_percentage", "avg_reply_time")
    days = _per_day(body.get("behavior_data"), BEHAVIOR, begin, end,
                    lambda item: _numbers(item, CONTACT_FIELDS, BEHAVIOR, optional))
    zero = {f: (None if f in optional else 0) for f in CONTACT_FIELDS}
    return [{"staff": userid, "day": d, **days.get(d, zero)} for d in _days(begin, end)]


def group_day_rows(body: dict, userid: str, begin: date, end: date) -> list[dict]:
    """One owner's statistic_group_by_day answer as one row per day of the window (missing days: zeros)."""
    def figures(item: dict) -> dict:
        data = item.get("data")
        if not isinstance(data, dict):
            raise MalformedResponse(f"{GROUP_BY_DAY}: an item lacks data", path=GROUP_BY_DAY)
        return _numbers(data, GROUP_FIELDS, GROUP_BY_DAY)

    days = _per_day(body.get("items"), GROUP_BY_DAY, begin, end, figures)
    zero = dict.fromkeys(GROUP_FIELDS, 0)
    return [{"staff": userid, "day": d, **days.get(d, zero)} for d in _days(begin, end)]


def _days(begin: date, end: date) -> list[date]:
    return [begin + timedelta(days=i) for i in range((end - begin).days + 1)]


def _fetch_user(client: ApiClient, credential: CredentialRef, userid: str, begin: date,
                end: date) -> tuple[list[dict], list[dict]]:
    behavior = client.call(credential, BEHAVIOR, json={
        "userid": [userid], "start_time": day_start(begin), "end_time": day_start(end)})
    groups = client.call(credential, GROUP_BY_DAY, json={
        "day_begin_time": day_start(begin), "day_end_time": day_start(end),
        "owner_filter": {"userid_list": [userid]}})
    return behavior_rows(behavior, userid, begin, end), group_day_rows(groups, userid, begin, end)


def first_day_to_fetch(engine: Engine, source: str, account_key: str, last: date) -> date:
    done = last_complete_day(engine, source, account_key)
    return done + timedelta(days=1) if done else last - timedelta(days=FIRST_SYNC_DAYS - 1)


def sync_staff(engine: Engine, client: ApiClient, credential: CredentialRef, since: date | None,
               until: date | None, now: datetime) -> AccountResult:
    """One corp's staff-day figures from the day after its last complete day to yesterday."""
    corp = credential.account_key
    last = min(until, latest_complete_day(now)) if until else latest_complete_day(now)
    first = max(since or first_day_to_fetch(engine, STAFF_SOURCE, corp, last), last - timedelta(days=KEPT_DAYS - 1))
    result = AccountResult(STAFF_SOURCE, corp)
    if first > last:
        return result
    mapped, unmapped = map_userids(engine, follow_users(client, credential))
    result.detail = unmapped_detail(unmapped)
    users = sorted(mapped)
    with ThreadPoolExecutor(max_workers=max(1, client.config.sync_workers), thread_name_prefix="wecom") as pool:
        for begin, end in windows(first, last, MAX_SPAN_DAYS):
            contact, groups = [], []
            for user_contact, user_groups in pool.map(lambda u, b=begin, e=end: _fetch_user(client, credential, u,
                                                                                             b, e), users):
                contact += user_contact
                groups += user_groups
            label = f"api:wecom {corp} {begin}~{end}"
            with WRITE_LOCK, Session(engine) as session:
                if not users:
                    advance(session, STAFF_SOURCE, corp, end)
                    session.commit()
                else:
                    for kind, rows, path, last_one in (("staff_contact_daily", contact, BEHAVIOR, False),
                                                       ("staff_group_daily", groups, GROUP_BY_DAY, True)):
                        imported = commit_frame(kind, pd.DataFrame(rows), label, session, SYNC_USER,
                                                before_commit=(lambda s, e=end: advance(s, STAFF_SOURCE, corp, e))
                                                if last_one else None)
                        if not imported.committed:
                            raise refused(imported, path)
                        result.rows_written += imported.preview.new + imported.preview.changed
            result.first_day = result.first_day or begin
            result.last_day = end
            result.windows += 1
    return result
