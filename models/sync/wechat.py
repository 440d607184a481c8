"""Official-account followers from the WeChat data API into `followerdaily`, through the import pipeline.

Per account: getusersummary (new_user / cancel_user per day and user_source: summed over the sources) and
getusercumulate (cumulate_user per day), in windows of at most 7 days, from the day after the last complete
day to the last complete day on the platform (yesterday, once it is 08:00 in China). Each window is one
`commit_frame("follower_daily", ...)`: the same validation, rollup refresh, audit and data version as a file,
with the account's progress recorded in the same transaction, so a run killed half-way resumes where it stopped.

https://developers.weixin.qq.com/doc/offiaccount/Analytics/User_Analysis_Data_Interface.html
(begin_date / end_date yyyy-MM-dd, maximum span 7 days; "query the previous day's data after 08:00";
list items {ref_date, user_source, new_user, cancel_user} and {ref_date, cumulate_user}).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.connections import CredentialKind
from models.followers import FollowerDaily, OfficialAccount
from models.importing.pipeline import commit_frame
from models.sync.http import ApiClient, CredentialRef, MalformedResponse, PlatformBug
from models.sync.state import WRITE_LOCK, AccountResult, advance, last_complete_day

SOURCE = "wechat"
CREDENTIAL_KIND = CredentialKind.WECHAT
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
MAX_SPAN_DAYS = 7        # "maximum time span 7": begin..end holds at most 7 days
COMPLETE_AT = time(8, 0)  # the previous day is complete after 08:00 China time
FIRST_SYNC_DAYS = 90     # an account never synced nor imported starts this many days back
SUMMARY = "/datacube/getusersummary"
CUMULATE = "/datacube/getusercumulate"
SYNC_USER = "sync:wechat"


def latest_complete_day(now: datetime) -> date:
    """The newest day the platform has complete at `now`: yesterday from 08:00 China time, else the day before."""
    local = now.astimezone(CHINA)
    return local.date() - timedelta(days=1 if local.time() >= COMPLETE_AT else 2)


def windows(first: date, last: date, span: int = MAX_SPAN_DAYS) -> list[tuple[date, date]]:
    """[first, last] cut into consecutive windows of at most `span` days (begin and end inclusive)."""
    found = []
    begin = first
    while begin <= last:
        end = min(begin + timedelta(days=span - 1), last)
        found.append((begin, end))
        begin = end + timedelta(days=1)
    return found


def _items(body: dict, path: str, fields: tuple[str, ...]) -> pd.DataFrame:
    items = body.get("list")
    if not isinstance(items, list) or not all(isinstance(i, dict) and set(fields) <= i.keys() for i in items):
        raise MalformedResponse(f"{path}: 缺少 list 或字段 {', '.join(fields)} / the answer lacks list or "
                                f"the fields {', '.join(fields)}", path=path)
    frame = pd.DataFrame(items, columns=list(fields))
    try:
        frame["ref_date"] = pd.to_datetime(frame["ref_date"], format="%Y-%m-%d").dt.date
        for column in fields[1:]:
            frame[column] = pd.to_numeric(frame[column], errors="raise").astype("int64")
    except (ValueError, TypeError):
        raise MalformedResponse(f"{path}: 日期或数字无法识别 / a date or number does not parse", path=path) from None
    return frame


def daily_rows(summary: dict, cumulate: dict, account_key: str, begin: date, end: date) -> pd.DataFrame:
    """One row per day of the window that getusercumulate reports: the new and cancelled follows summed over
    user_source (a day no source moved has no getusersummary row: 0 and 0), net, cumulative."""
    moves = _items(summary, SUMMARY, ("ref_date", "new_user", "cancel_user"))
    totals = _items(cumulate, CUMULATE, ("ref_date", "cumulate_user")).drop_duplicates("ref_date")
    outside = [d for d in pd.concat([moves["ref_date"], totals["ref_date"]]) if not begin <= d <= end]
    if outside:
        raise PlatformBug(f"the platform answered day {outside[0]} outside {begin}..{end}", path=SUMMARY)
    per_day = moves.groupby("ref_date", as_index=False)[["new_user", "cancel_user"]].sum()
    orphan = set(per_day["ref_date"]) - set(totals["ref_date"])
    if orphan:
        raise MalformedResponse(f"{SUMMARY}: day {min(orphan)} has follows but no cumulate_user", path=SUMMARY)
    rows = totals.merge(per_day, on="ref_date", how="left").fillna({"new_user": 0, "cancel_user": 0})
    rows = rows.sort_values("ref_date")
    return pd.DataFrame({
        "day": rows["ref_date"].to_numpy(),
        "new_follows": rows["new_user"].astype("int64").to_numpy(),
        "unfollows": rows["cancel_user"].astype("int64").to_numpy(),
        "net_follows": (rows["new_user"] - rows["cancel_user"]).astype("int64").to_numpy(),
        "cumulative": rows["cumulate_user"].to_numpy(),
        "account": account_key,
    })


def _imported_until(engine: Engine, account_key: str) -> date | None:
    """The newest day a file import (or an earlier sync) stored for the account."""
    with Session(engine) as session:
        return session.execute(select(func.max(FollowerDaily.day)).join(
            OfficialAccount, OfficialAccount.id == FollowerDaily.account_id)
            .where(OfficialAccount.wechat_id == account_key)).scalar()


def first_day_to_fetch(engine: Engine, account_key: str, last: date) -> date:
    done = last_complete_day(engine, SOURCE, account_key) or _imported_until(engine, account_key)
    return done + timedelta(days=1) if done else last - timedelta(days=FIRST_SYNC_DAYS - 1)


def sync_account(engine: Engine, client: ApiClient, credential: CredentialRef, since: date | None,
                 until: date | None, now: datetime, on_window: Callable[[], None] | None = None) -> AccountResult:
    """Fetch and store one account's days; raises the platform's exceptions (the runner records them)."""
    account = credential.account_key
    last = min(until, latest_complete_day(now)) if until else latest_complete_day(now)
    first = since or first_day_to_fetch(engine, account, last)
    result = AccountResult(SOURCE, account)
    for begin, end in windows(first, last, MAX_SPAN_DAYS):
        body = {"begin_date": begin.isoformat(), "end_date": end.isoformat()}
        frame = daily_rows(client.call(credential, SUMMARY, json=body), client.call(credential, CUMULATE, json=body),
                           account, begin, end)
        with WRITE_LOCK, Session(engine) as session:
            if frame.empty:  # before the account's start: nothing to store, the days are done
                advance(session, SOURCE, account, end)
                session.commit()
            else:
                imported = commit_frame("follower_daily", frame, f"api:wechat {account} {begin}~{end}", session,
                                        SYNC_USER, before_commit=lambda s, e=end: advance(s, SOURCE, account, e))
                if not imported.committed:
                    rejects = imported.preview.rejects
                    why = imported.preview.refusal.en if imported.preview.refusal else \
                        "; ".join(f"{r.column}: {r.reason_en}" for r in rejects.head(3).itertuples())
                    raise PlatformBug(f"{begin}~{end} refused by the import checks: {why}", path=SUMMARY)
                result.rows_written += imported.preview.new + imported.preview.changed
        result.first_day = result.first_day or begin
        result.last_day = end
        result.windows += 1
        if on_window is not None:
            on_window()
    return result
