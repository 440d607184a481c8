"""Social groups per branch, their members, a year of daily activity, and the points ledger.

Every sub-branch gets groups of every kind in DOMAIN.md §2. Each group follows a health profile:
thriving (activity rising), steady, or fading into dormancy (no customer message for weeks at the
end). New-customer service groups either keep the 10-minute reply promise or break it. Community
experts and opinion leaders (KeyPerson) sit in their compound's group and a few others and post
far more than ordinary members, so groups that hold them are livelier.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from models.customers import KeyRole
from models.groups import (
    GroupDaily,
    GroupKind,
    GroupMembership,
    MemberRole,
    Platform,
    PointsKind,
    PointsLedger,
    SocialGroup,
)
from models.org import BranchKind, BranchLevel, StaffRole
from sample_data.context import GenContext

CLIENT_UNITS = ["区税务局", "市人民医院", "第一中学", "武警中队", "城投集团", "供电公司", "自来水公司", "区教育局",
                "烟草专卖局", "交警大队", "市中心医院", "港务集团", "区政府办公室", "燃气集团"]
FRIENDS = ["一中校友会", "师范学院校友群", "安徽老乡会", "江西同乡会", "河南老乡互助群", "高中同学群", "退伍老兵联谊群",
           "温州商会群"]
PRIZE_CONTESTS = ["基金定投大赛群", "理财知识有奖竞答群", "贵金属模拟交易赛群"]
INTERESTS = ["网球群", "篮球群", "足球群", "书法群", "种菜群", "广场舞群", "摄影群", "钓鱼群", "太极拳群", "读书会",
             "羽毛球群", "烘焙群"]
BRANCH_NAMED = ["财富俱乐部", "客户福利群", "邻里服务群"]

# kind: (groups per branch (low, high), members (low, high), daily share of members who post, questions per message)
KIND_PLAN: dict[str, tuple[tuple[int, int], tuple[int, int], float, float]] = {
    GroupKind.CLIENT_UNIT.value: ((2, 4), (30, 160), 0.05, 0.16),
    GroupKind.BRANCH_NAMED.value: ((1, 2), (120, 400), 0.045, 0.12),
    GroupKind.FRIENDS.value: ((1, 3), (25, 120), 0.11, 0.06),
    GroupKind.PRIZE_CONTEST.value: ((1, 1), (60, 300), 0.07, 0.10),
    GroupKind.INTEREST.value: ((2, 4), (15, 80), 0.16, 0.05),
    GroupKind.NEW_CUSTOMER_SERVICE.value: ((8, 12), (1, 3), 0.22, 0.45),
}
COMMUNITY_PLAN = ((100, 420), 0.09, 0.10)
WEEKDAY_FACTOR = np.array([1.0, 1.0, 1.0, 1.02, 1.05, 1.2, 1.15])
POINTS_PER_KIND = {PointsKind.POST.value: 5, PointsKind.SHARE.value: 10, PointsKind.LIKE.value: 1,
                   PointsKind.EVENT.value: 50, PointsKind.BUY.value: 200}
EARN_MIX = [(PointsKind.POST.value, 0.30), (PointsKind.SHARE.value, 0.20), (PointsKind.LIKE.value, 0.32),
            (PointsKind.EVENT.value, 0.12), (PointsKind.BUY.value, 0.06)]
GIFTS = np.array([300, 500, 1000, 2000])


def _short(branch_name: str) -> str:
    return branch_name.removesuffix("支行")


def _plan_groups(ctx: GenContext, rng: np.random.Generator) -> pd.DataFrame:
    """One row per group: branch, owner, kind, platform, name, created_on, target size and profile."""
    branches = ctx.frames["branch"]
    subs = branches[branches["level"] == BranchLevel.SUB_BRANCH.value]
    staff = ctx.frames["staff"]
    villages = ctx.frames["village"]
    customers = ctx.frames["customer"]
    managers = staff[staff["role"].isin([StaffRole.ACCOUNT_MANAGER.value, StaffRole.WEALTH_MANAGER.value])]
    managers_by_branch = managers.groupby("branch_id")["id"].apply(np.array).to_dict()
    staff_by_branch = staff.groupby("branch_id")["id"].apply(np.array).to_dict()
    villages_by_branch = villages.groupby("branch_id")
    opened = pd.to_datetime(customers["opened_on"])
    new_customers = customers[(opened >= pd.Timestamp(ctx.start) + pd.Timedelta(days=20)) & ~customers["is_prospect"]
                              & (customers["kind"] == "personal")]
    # Only the columns read below (sampling picks by position, so the same people): not every column taken per branch.
    new_customers = new_customers[["id", "branch_id", "name", "opened_on"]]
    new_by_branch = new_customers.groupby("branch_id")

    rows: list[dict] = []
    for position, branch in enumerate(subs.itertuples(index=False)):
        short = _short(branch.name)
        owners_any = staff_by_branch.get(int(branch.id), np.array([], dtype=int))
        owners_mgr = managers_by_branch.get(int(branch.id), owners_any)
        if len(owners_any) == 0:
            continue

        def add(kind: str, name: str, size: int, village_id=None, customer_id=None, created=None,
                owners: np.ndarray = owners_mgr, branch_id: int = int(branch.id)) -> None:
            if created is None:
                age = int(rng.integers(40, 1800)) if rng.random() > 0.15 else int(rng.integers(60, ctx.scale.days - 30))
                created = ctx.end - timedelta(days=age)
            platform = Platform.WECOM.value if kind in (GroupKind.CLIENT_UNIT.value, GroupKind.NEW_CUSTOMER_SERVICE.value) \
                or rng.random() < 0.2 else Platform.WECHAT.value
            rows.append({"branch_id": branch_id, "staff_id": int(owners[rng.integers(0, len(owners))]),
                         "kind": kind, "platform": platform, "name": name, "created_on": created,
                         "target_size": size, "village_id": village_id, "service_customer_id": customer_id})

        for kind, ((low, high), (size_low, size_high), _rate, _q) in KIND_PLAN.items():
            if kind == GroupKind.NEW_CUSTOMER_SERVICE.value:
                continue
            count = int(rng.integers(low, high + 1))
            for i in range(count):
                size = int(rng.integers(size_low, size_high + 1))
                if kind == GroupKind.CLIENT_UNIT.value:
                    unit = CLIENT_UNITS[(position * 3 + i) % len(CLIENT_UNITS)]
                    add(kind, f"{short}·{unit}金融服务群", size)
                elif kind == GroupKind.BRANCH_NAMED.value:
                    add(kind, f"{short}支行{BRANCH_NAMED[i % len(BRANCH_NAMED)]}", size, owners=owners_any)
                elif kind == GroupKind.FRIENDS.value:
                    add(kind, f"{FRIENDS[(position + i * 3) % len(FRIENDS)]}（{short}）", size, owners=owners_any)
                elif kind == GroupKind.PRIZE_CONTEST.value:
                    add(kind, f"{short}{PRIZE_CONTESTS[position % len(PRIZE_CONTESTS)]}", size)
                elif kind == GroupKind.INTEREST.value:
                    picks = rng.choice(len(INTERESTS), size=count, replace=False)
                    add(kind, f"{short}{INTERESTS[int(picks[i])]}", size, owners=owners_any)
        if int(branch.id) in villages_by_branch.groups:
            suffix = "乡亲群" if branch.kind == BranchKind.COUNTY.value else "业主群"
            for village in villages_by_branch.get_group(int(branch.id)).itertuples(index=False):
                (size_low, size_high), _r, _q = COMMUNITY_PLAN
                add(GroupKind.COMMUNITY.value, f"{village.name}{suffix}", int(rng.integers(size_low, size_high + 1)),
                    village_id=int(village.id), owners=owners_any)
        if int(branch.id) in new_by_branch.groups:
            newcomers = new_by_branch.get_group(int(branch.id))
            low, high = KIND_PLAN[GroupKind.NEW_CUSTOMER_SERVICE.value][0]
            picks = newcomers.sample(n=min(len(newcomers), int(rng.integers(low, high + 1))),
                                     random_state=int(rng.integers(0, 2**31)))
            for person in picks.itertuples(index=False):
                add(GroupKind.NEW_CUSTOMER_SERVICE.value, f"{person.name}专属服务群", int(rng.integers(1, 4)),
                    customer_id=int(person.id), created=person.opened_on)
    groups = pd.DataFrame(rows)
    groups.insert(0, "id", np.arange(1, len(groups) + 1))
    groups.insert(1, "code", [f"G{i:07d}" for i in groups["id"]])
    n = len(groups)
    is_service = (groups["kind"] == GroupKind.NEW_CUSTOMER_SERVICE.value).to_numpy()
    draw = rng.random(n)
    groups["profile"] = np.select([draw < 0.28, draw < 0.82], ["thriving", "steady"], default="fading")
    groups.loc[is_service & (groups["profile"] == "fading"), "profile"] = "steady"
    groups["keeps_promise"] = np.where(is_service, rng.random(n) < 0.72, rng.random(n) < 0.4)
    return groups


def _memberships(ctx: GenContext, rng: np.random.Generator, groups: pd.DataFrame) -> pd.DataFrame:
    """Members drawn from the group's branch (a compound's group from its residents first), so one
    customer sits in several groups; experts and opinion leaders join their compound's group and a
    few others."""
    customers = ctx.frames["customer"]
    key = ctx.frames["keyperson"]
    experts = key[key["role"].isin([KeyRole.COMMUNITY_EXPERT.value, KeyRole.OPINION_LEADER.value])]
    role_of = dict(zip(experts["customer_id"], experts["role"], strict=True))
    experts_by_branch = experts.groupby("branch_id")["customer_id"].apply(np.array).to_dict()
    experts_by_village = experts.groupby("village_id")["customer_id"].apply(np.array).to_dict()
    ids_by_branch = customers.groupby("branch_id")["id"].apply(np.array).to_dict()
    ids_by_village = customers.groupby("village_id")["id"].apply(np.array).to_dict()

    parts_group: list[np.ndarray] = []
    parts_customer: list[np.ndarray] = []
    for group in groups.itertuples(index=False):
        if group.kind == GroupKind.NEW_CUSTOMER_SERVICE.value:
            pool = ids_by_branch[group.branch_id]
            others = rng.choice(pool, size=group.target_size - 1, replace=False) if group.target_size > 1 else []
            chosen = np.unique(np.concatenate([[group.service_customer_id], others]).astype(np.int64))
        else:
            if pd.notna(group.village_id):
                residents = ids_by_village.get(int(group.village_id), np.array([], dtype=np.int64))
                size = min(group.target_size, int(len(residents) * rng.uniform(0.35, 0.7)))
                chosen = rng.choice(residents, size=size, replace=False)
                chosen = np.union1d(chosen, experts_by_village.get(int(group.village_id), []))
            else:
                pool = ids_by_branch[group.branch_id]
                chosen = rng.choice(pool, size=min(group.target_size, len(pool)), replace=False)
                branch_experts = experts_by_branch.get(group.branch_id, np.array([], dtype=np.int64))
                if len(branch_experts) and group.kind in (GroupKind.INTEREST.value, GroupKind.BRANCH_NAMED.value,
                                                          GroupKind.PRIZE_CONTEST.value):
                    extra = branch_experts[rng.random(len(branch_experts)) < 0.3]
                    chosen = np.union1d(chosen, extra)
        parts_group.append(np.full(len(chosen), group.id, dtype=np.int64))
        parts_customer.append(np.asarray(chosen, dtype=np.int64))
    members = pd.DataFrame({"group_id": np.concatenate(parts_group), "customer_id": np.concatenate(parts_customer)})
    info = groups.set_index("id")
    members["branch_id"] = info.loc[members["group_id"], "branch_id"].to_numpy()
    created = pd.to_datetime(info.loc[members["group_id"], "created_on"]).to_numpy()
    profile = info.loc[members["group_id"], "profile"].to_numpy()
    end = np.datetime64(pd.Timestamp(ctx.end))
    span = (end - created).astype("timedelta64[D]").astype(np.int64)
    n = len(members)
    # Thriving groups keep gaining members late; fading ones filled early and then stalled.
    shape = np.select([profile == "thriving", profile == "fading"], [rng.beta(1.4, 1.0, n), rng.beta(1.0, 3.5, n)],
                      default=rng.beta(1.0, 1.6, n))
    founders = rng.random(n) < 0.25
    offset = np.where(founders, 0, np.floor(shape * span)).astype(np.int64)
    service = info.loc[members["group_id"], "kind"].to_numpy() == GroupKind.NEW_CUSTOMER_SERVICE.value
    offset = np.where(service, 0, offset)
    joined = created + offset.astype("timedelta64[D]")
    leave_p = np.select([profile == "thriving", profile == "fading"], [0.05, 0.32], default=0.1)
    leaves = (rng.random(n) < leave_p) & (span - offset > 1)
    stay = np.maximum(1, np.floor(rng.random(n) * (span - offset))).astype(np.int64)
    left = np.where(leaves, joined + stay.astype("timedelta64[D]"), np.datetime64("NaT"))
    members["joined_on"] = pd.to_datetime(joined).date
    members["left_on"] = pd.Series(pd.to_datetime(left)).dt.date.where(leaves, None).to_numpy()
    members["role"] = members["customer_id"].map(role_of).fillna(MemberRole.MEMBER.value).to_numpy()
    members["_joined"] = pd.to_datetime(joined)
    members["_left"] = pd.to_datetime(left)
    return members


def _brought_in(ctx: GenContext, members: pd.DataFrame, groups: pd.DataFrame) -> np.ndarray:
    """The earliest non-service group a person joined is where the bank reached them, if they were
    not a customer yet then (a prospect still, or opened their account on or after joining)."""
    customers = ctx.frames["customer"].set_index("id")
    kind = groups.set_index("id").loc[members["group_id"], "kind"].to_numpy()
    candidates = members[kind != GroupKind.NEW_CUSTOMER_SERVICE.value].sort_values(["customer_id", "_joined", "group_id"])
    first = candidates.drop_duplicates("customer_id")
    opened = pd.to_datetime(customers.loc[first["customer_id"], "opened_on"]).to_numpy()
    prospect = customers.loc[first["customer_id"], "is_prospect"].to_numpy().astype(bool)
    reached = prospect | (opened >= first["_joined"].to_numpy())
    flagged = set(first.index[reached])
    return members.index.isin(list(flagged))


def _daily(ctx: GenContext, rng: np.random.Generator, groups: pd.DataFrame, members: pd.DataFrame,
           chunk_groups: int = 2000) -> tuple[pd.DataFrame, np.ndarray]:
    """Daily rows for every group, built in chunks of groups so the large scale stays within memory."""
    frames, totals = [], []
    chunk_of = (np.arange(len(groups)) // chunk_groups)
    member_chunk = pd.Series(chunk_of, index=groups["id"]).loc[members["group_id"]].to_numpy()
    for chunk in range(int(chunk_of.max()) + 1 if len(groups) else 0):
        daily, total = _daily_chunk(ctx, rng, groups[chunk_of == chunk].reset_index(drop=True),
                                    members[member_chunk == chunk])
        frames.append(daily)
        totals.append(total)
    daily = pd.concat(frames, ignore_index=True)
    daily.insert(0, "id", np.arange(1, len(daily) + 1))
    return daily, np.concatenate(totals)


def _daily_chunk(ctx: GenContext, rng: np.random.Generator, groups: pd.DataFrame,
                 members: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Group × day matrices (members from the stays; activity from each group's profile); returns the
    rows from each group's creation on, and each group's customer messages over the period."""
    days = ctx.days
    n_days, n_groups = len(days), len(groups)
    start = np.datetime64(pd.Timestamp(ctx.start))
    position = pd.Series(np.arange(n_groups), index=groups["id"])
    g = position.loc[members["group_id"]].to_numpy()
    join_idx = (members["_joined"].to_numpy() - start).astype("timedelta64[D]").astype(np.int64)
    left_raw = members["_left"].to_numpy()
    has_left = ~pd.isna(left_raw)
    left_idx = np.where(has_left, (np.where(has_left, left_raw, start) - start).astype("timedelta64[D]").astype(np.int64),
                        np.iinfo(np.int64).max)
    base = np.bincount(g[(join_idx < 0) & (left_idx >= 0)], minlength=n_groups)
    in_window = (join_idx >= 0) & (join_idx < n_days)
    joins = np.bincount(g[in_window] * n_days + join_idx[in_window], minlength=n_groups * n_days).reshape(n_groups, n_days)
    out_window = has_left & (left_idx >= 0) & (left_idx < n_days)
    leaves = np.bincount(g[out_window] * n_days + left_idx[out_window], minlength=n_groups * n_days).reshape(n_groups, n_days)
    member_count = base[:, None] + np.cumsum(joins - leaves, axis=1)

    kinds = groups["kind"].to_numpy()
    rate = np.array([COMMUNITY_PLAN[1] if k == GroupKind.COMMUNITY.value else KIND_PLAN[k][2] for k in kinds])
    question_share = np.array([COMMUNITY_PLAN[2] if k == GroupKind.COMMUNITY.value else KIND_PLAN[k][3] for k in kinds])
    expert_count = np.bincount(g[members["role"].to_numpy() != MemberRole.MEMBER.value], minlength=n_groups)
    rate = rate * rng.uniform(0.7, 1.3, n_groups) * (1 + 0.3 * np.minimum(expert_count, 4))
    profile = groups["profile"].to_numpy()
    t = np.linspace(0, 1, n_days)[None, :]
    curve = np.where((profile == "thriving")[:, None], 0.75 + 0.7 * t, 1.0 + 0 * t)
    dormant_from = n_days - rng.integers(25, 120, n_groups)
    fading = profile == "fading"
    fade = np.clip(1 - (np.arange(n_days)[None, :] / np.maximum(dormant_from, 1)[:, None]) ** 3, 0, 1)
    fade = np.where(np.arange(n_days)[None, :] >= dormant_from[:, None], 0.0, fade)
    curve = np.where(fading[:, None], curve * fade, curve)
    daily_rate = np.clip(rate[:, None] * curve * WEEKDAY_FACTOR[days.day_of_week][None, :]
                         * rng.gamma(6.0, 1 / 6.0, (n_groups, n_days)), 0, 0.95)
    active = rng.binomial(member_count, daily_rate)
    customer_messages = active + rng.poisson(active * 1.6)
    questions = rng.binomial(customer_messages, question_share[:, None])
    keeps = groups["keeps_promise"].to_numpy()
    service = kinds == GroupKind.NEW_CUSTOMER_SERVICE.value
    level = np.where(service, np.where(keeps, rng.uniform(1.5, 4.5, n_groups), rng.uniform(14, 45, n_groups)),
                     np.where(keeps, rng.uniform(5, 12, n_groups), rng.uniform(12, 60, n_groups)))
    median_reply = np.round(level[:, None] * rng.lognormal(0, 0.3, (n_groups, n_days)), 1)
    answer_p = np.where(keeps, 0.98, 0.85)[:, None]
    replies = rng.binomial(questions, answer_p)
    within = rng.binomial(replies, 1 / (1 + (median_reply / 10.0) ** 2.2))
    broadcasts = rng.poisson(np.where(service, 0.05, 0.4)[:, None] * np.ones((1, n_days)))
    messages = customer_messages + replies + broadcasts * (member_count > 0)

    created_idx = ((pd.to_datetime(groups["created_on"]).to_numpy() - start).astype("timedelta64[D]").astype(np.int64))
    keep = np.arange(n_days)[None, :] >= np.maximum(created_idx, 0)[:, None]
    rows_g, rows_d = np.nonzero(keep)
    daily = pd.DataFrame({
        "group_id": groups["id"].to_numpy()[rows_g], "branch_id": groups["branch_id"].to_numpy()[rows_g],
        "day": days.date[rows_d], "members": member_count[rows_g, rows_d], "joins": joins[rows_g, rows_d],
        "leaves": leaves[rows_g, rows_d], "active_members": active[rows_g, rows_d],
        "messages": messages[rows_g, rows_d], "customer_messages": customer_messages[rows_g, rows_d],
        "customer_questions": questions[rows_g, rows_d], "staff_replies": replies[rows_g, rows_d],
        "answered_within_10min": within[rows_g, rows_d],
        "median_first_reply_minutes": np.where(replies > 0, median_reply, np.nan)[rows_g, rows_d],
    })
    totals = np.where(keep, customer_messages, 0).sum(axis=1)
    return daily, totals


def _member_messages(rng: np.random.Generator, members: pd.DataFrame, groups: pd.DataFrame, totals: np.ndarray,
                     start: pd.Timestamp) -> np.ndarray:
    """Split each group's customer messages among members who were in it during the period; experts
    and opinion leaders carry several times an ordinary member's weight."""
    weight = rng.lognormal(0, 1.0, len(members))
    weight *= np.where(members["role"].to_numpy() != MemberRole.MEMBER.value, 12.0, 1.0)
    present = members["_left"].isna().to_numpy() | (members["_left"] >= start).to_numpy()
    weight = np.where(present, weight, 0.0)
    position = pd.Series(np.arange(len(groups)), index=groups["id"]).loc[members["group_id"]].to_numpy()
    share = weight / np.maximum(np.bincount(position, weights=weight, minlength=len(groups))[position], 1e-9)
    return rng.poisson(totals[position] * share)


def _points(ctx: GenContext, rng: np.random.Generator, members: pd.DataFrame) -> pd.DataFrame:
    """Points earned by group members through the year (more for those who post more), and gifts
    redeemed by those who gathered enough."""
    by_customer = members.groupby("customer_id").agg(branch_id=("branch_id", "first"), group_id=("group_id", "first"),
                                                     messages=("messages", "sum")).reset_index()
    n_days = ctx.scale.days
    counts = np.minimum(rng.poisson(0.5 + 0.016 * by_customer["messages"].to_numpy()), 40)
    idx = np.repeat(np.arange(len(by_customer)), counts)
    kinds, weights = zip(*EARN_MIX, strict=True)
    kind = np.array(kinds)[rng.choice(len(kinds), size=len(idx), p=np.array(weights))]
    points = np.vectorize(POINTS_PER_KIND.get, otypes=[np.int64])(kind) if len(kind) else np.array([], dtype=np.int64)
    earn = pd.DataFrame({"customer_id": by_customer["customer_id"].to_numpy()[idx],
                         "branch_id": by_customer["branch_id"].to_numpy()[idx],
                         "group_id": by_customer["group_id"].to_numpy()[idx],
                         "day_index": rng.integers(0, n_days, len(idx)), "kind": kind, "points": points})
    earned = earn.groupby("customer_id")["points"].sum()
    holders = by_customer.set_index("customer_id").loc[earned.index]
    can = earned.to_numpy() >= GIFTS[0]
    redeem = can & (rng.random(len(earned)) < 0.5)
    gift = GIFTS[np.maximum(np.searchsorted(GIFTS, earned.to_numpy() * 0.9, side="right") - 1, 0)]
    spend = pd.DataFrame({"customer_id": earned.index[redeem], "branch_id": holders["branch_id"].to_numpy()[redeem],
                          "group_id": holders["group_id"].to_numpy()[redeem],
                          "day_index": rng.integers(int(n_days * 0.4), n_days, int(redeem.sum())),
                          "kind": PointsKind.REDEEM.value, "points": -gift[redeem]})
    ledger = pd.concat([earn, spend], ignore_index=True).sort_values(["day_index", "customer_id"], kind="stable")
    ledger["day"] = (pd.Timestamp(ctx.start) + pd.to_timedelta(ledger["day_index"], unit="D")).dt.date
    ledger = ledger.drop(columns="day_index").reset_index(drop=True)
    ledger.insert(0, "id", np.arange(1, len(ledger) + 1))
    return ledger


def generate_groups(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("groups")
    groups = _plan_groups(ctx, rng)
    members = _memberships(ctx, rng, groups)
    members["brought_in"] = _brought_in(ctx, members, groups)
    daily, totals = _daily(ctx, rng, groups, members)
    members["messages"] = _member_messages(rng, members, groups, totals, pd.Timestamp(ctx.start))
    members = members.sort_values(["group_id", "joined_on", "customer_id"], kind="stable").reset_index(drop=True)
    points = _points(ctx, rng, members)
    members.insert(0, "id", np.arange(1, len(members) + 1))
    group_columns = ["id", "code", "branch_id", "staff_id", "kind", "platform", "name", "created_on"]
    member_columns = ["id", "group_id", "customer_id", "branch_id", "joined_on", "left_on", "role", "brought_in", "messages"]
    return {SocialGroup.__tablename__: groups[group_columns], GroupMembership.__tablename__: members[member_columns],
            GroupDaily.__tablename__: daily, PointsLedger.__tablename__: points}
