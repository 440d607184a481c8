"""Official accounts with a year of daily follower figures, marketing events and occasional drops.

The community branch `STORY_BRANCH_CODE` carries seed 001's story: 100+ new followers a day while
community events ran, a slide into net losses (掉粉) once they stopped, then a Mid-Autumn crab
group-buy and a DIY mooncake event with partner merchants that brought 3,000+ followers in a week.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
import numpy as np
import pandas as pd

from models.followers import FollowerDaily, MarketingEvent, OfficialAccount
from models.org import BranchLevel
from sample_data.context import GenContext
from sample_data.org import STORY_BRANCH_CODE

WEEKDAY_FACTOR = np.array([1.12, 1.06, 1.0, 1.0, 0.96, 0.74, 0.70])
EVENT_TEMPLATES = [
    ("社区亲子嘉年华", "community_event", ""), ("反诈宣传进社区", "community_event", ""),
    ("养老金规划讲座", "lecture", ""), ("周末便民集市", "partner_promo", "社区商户联盟"),
    ("扫码抽奖送好礼", "prize_draw", ""), ("理财沙龙", "lecture", ""), ("商户联盟优惠周", "partner_promo", "本地生活商户"),
    ("敬老茶话会", "community_event", ""), ("社区美食节", "partner_promo", "老字号食品店"), ("亲子手工课", "community_event", ""),
    ("社区电影夜", "community_event", "本地影院"), ("社区义诊", "community_event", "社区卫生服务中心"),
]
STORY_EARLY_EVENTS = [
    ("社区广场舞大赛", "community_event", "社区居委会"), ("社区书法写福字", "community_event", "社区书法协会"),
    ("社区趣味运动会", "community_event", "社区居委会"), ("社区义诊", "community_event", "社区卫生服务中心"),
    ("亲子阅读会", "community_event", "社区图书馆"), ("老年智能手机课堂", "lecture", "社区老年大学"),
    ("周末便民集市", "partner_promo", "社区商户联盟"), ("反诈宣传进社区", "community_event", "派出所"),
    ("母亲节插花沙龙", "festival", "花艺工作室"), ("社区乒乓球赛", "community_event", "社区居委会"),
]


def mid_autumn_for_story(end: date) -> date:
    """The latest Mid-Autumn Festival that ends at least two weeks before `end` (lunar 8/15)."""
    for year in (end.year, end.year - 1):
        for day, name in holidays.China(years=year, language="en_US").items():
            if name == "Mid-Autumn Festival" and day <= end - timedelta(days=14):
                return day
    raise ValueError(f"no Mid-Autumn Festival before {end}")


def holiday_factor(days: pd.DatetimeIndex) -> np.ndarray:
    """Fewer people open a bank's account on public holidays (Spring Festival most of all)."""
    calendar = holidays.China(years=sorted(set(days.year)), language="en_US")
    factor = np.ones(len(days))
    for i, day in enumerate(days.date):
        name = calendar.get(day)
        if name:
            factor[i] = 0.6 if "Spring Festival" in name or "Eve" in name else 0.75
    return factor


def _story_profile(days: pd.DatetimeIndex, mid_autumn: date) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    offset = (days - pd.Timestamp(mid_autumn)).days.to_numpy()
    new = np.select(
        [offset < -150, offset < -75, offset < -10, offset < -6, offset < -3, offset < 0, offset < 30],
        [np.full(len(offset), 128.0), 128.0 - (offset + 150) * (100.0 / 75.0), np.full(len(offset), 22.0),
         np.full(len(offset), 450.0), np.full(len(offset), 650.0), np.full(len(offset), 320.0),
         140.0 - offset * (70.0 / 30.0)],
        default=70.0,
    )
    unfollows = np.select(
        [offset < -150, offset < -75, offset < -10, offset < 0], [np.full(len(offset), 14.0),
         14.0 + (offset + 150) * (24.0 / 75.0), np.full(len(offset), 40.0), np.full(len(offset), 30.0)],
        default=20.0,
    )
    events: list[dict] = []
    first = pd.Timestamp(days[0]).date()
    start = first + timedelta(days=6)
    i = 0
    while (start - mid_autumn).days < -152:
        name, kind, partner = STORY_EARLY_EVENTS[i % len(STORY_EARLY_EVENTS)]
        events.append({"name": name, "kind": kind, "start_date": start, "end_date": start + timedelta(days=2),
                       "partner": partner, "cost": 3000.0 + 500 * (i % 4)})
        start += timedelta(days=21)
        i += 1
    for event in events:
        in_event = (days >= pd.Timestamp(event["start_date"])) & (days <= pd.Timestamp(event["end_date"]) + pd.Timedelta(days=1))
        new = np.where(in_event, new * 1.7, new)
    events.append({"name": "中秋大闸蟹团购", "kind": "group_buy", "start_date": mid_autumn - timedelta(days=10),
                   "end_date": mid_autumn - timedelta(days=4), "partner": "湖畔水产合作社", "cost": 18000.0})
    events.append({"name": "DIY月饼亲子活动", "kind": "community_event", "start_date": mid_autumn - timedelta(days=6),
                   "end_date": mid_autumn - timedelta(days=1), "partner": "桂香斋饼屋", "cost": 8000.0})
    return new, unfollows, events


def generate_followers(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("followers")
    branches = ctx.frames["branch"]
    subs = branches[branches["level"] == BranchLevel.SUB_BRANCH.value].reset_index(drop=True)
    days = ctx.days
    n_days = len(days)
    weekday = WEEKDAY_FACTOR[days.day_of_week]
    festive = holiday_factor(days)
    mid_autumn = mid_autumn_for_story(ctx.end)

    accounts = pd.DataFrame(
        {"id": np.arange(1, len(subs) + 1), "branch_id": subs["id"].to_numpy(),
         "wechat_id": [f"gh_{code.lower().replace('-', '')}" for code in subs["code"]],
         "name": [f"{name.removesuffix('支行')}支行服务号" for name in subs["name"]]}
    )
    daily_parts: list[pd.DataFrame] = []
    event_rows: list[dict] = []
    ongoing_drop_branch = 3 if len(subs) > 4 else None
    for position, branch in enumerate(subs.itertuples(index=False)):
        account_id = position + 1
        if branch.code == STORY_BRANCH_CODE:
            new_mean, unfollow_mean, events = _story_profile(days, mid_autumn)
            new_mean = new_mean * np.where(weekday < 0.8, 0.85, 1.0) * np.where(festive < 1, 0.8, 1.0)
            start_followers = 5200
        else:
            households = branch.households if pd.notna(branch.households) else None
            start_followers = int(households * rng.uniform(0.25, 0.4)) if households else int(rng.uniform(1500, 9000))
            daily_rate = rng.uniform(0.0035, 0.0075) * start_followers
            trend = np.linspace(1.0, rng.uniform(1.0, 1.35), n_days)
            new_mean = daily_rate * trend * weekday * festive
            unfollow_mean = np.full(n_days, start_followers * rng.uniform(0.0007, 0.0013))
            events = []
            n_events = int(rng.integers(3, 7))
            for _ in range(n_events):
                offset = int(rng.integers(20, n_days - 10))
                length = int(rng.integers(3, 10))
                name, kind, partner = EVENT_TEMPLATES[int(rng.integers(0, len(EVENT_TEMPLATES)))]
                uplift = rng.uniform(1.8, 3.6)
                ramp = np.ones(n_days)
                ramp[offset : offset + length] = uplift
                tail = np.arange(1, 8)
                ramp[offset + length : offset + length + 7] = 1 + (uplift - 1) * np.exp(-tail / 2.5)[: max(0, min(7, n_days - offset - length))]
                new_mean = new_mean * ramp
                start = days[offset].date()
                events.append({"name": name, "kind": kind, "start_date": start,
                               "end_date": start + timedelta(days=length - 1), "partner": partner,
                               "cost": float(round(rng.uniform(1500, 12000), -2))})
            drop_start = None
            if position == ongoing_drop_branch:
                drop_start, drop_len = n_days - 13, 13
            elif rng.random() < 0.25:
                drop_start, drop_len = int(rng.integers(40, n_days - 60)), int(rng.integers(10, 24))
            if drop_start is not None:
                window = slice(drop_start, drop_start + drop_len)
                new_mean[window] *= 0.45
                unfollow_mean[window] *= 3.2
        new_follows = rng.poisson(np.maximum(new_mean, 0.1))
        unfollows = rng.poisson(np.maximum(unfollow_mean, 0.1))
        net = new_follows - unfollows
        cumulative = np.maximum(start_followers + np.cumsum(net), 0)
        daily_parts.append(
            pd.DataFrame({"account_id": account_id, "branch_id": int(branch.id), "day": days.date,
                          "new_follows": new_follows, "unfollows": unfollows, "net_follows": net,
                          "cumulative": cumulative})
        )
        for event in events:
            event_rows.append({"branch_id": int(branch.id), **event})
    daily = pd.concat(daily_parts, ignore_index=True)
    daily.insert(0, "id", np.arange(1, len(daily) + 1))
    events_frame = pd.DataFrame(event_rows)
    events_frame.insert(0, "id", np.arange(1, len(events_frame) + 1))
    return {OfficialAccount.__tablename__: accounts, FollowerDaily.__tablename__: daily,
            MarketingEvent.__tablename__: events_frame}
