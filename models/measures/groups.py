"""Group measures: pure functions of frames (weighted medians, unique members, health, service promise,
KPIs), and `conversation_drivers`, the statement the expert snapshot and the experts table share."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, or_, select
from sqlmodel import Session

from models.customers import Customer
from models.groups import GroupMembership, MemberRole, PointsKind, SocialGroup
from models.scope import Scope
from models.store.frames import read_frame

DEFAULT_DORMANT_DAYS = 14
MIN_RANKED_MEMBERS = 10
PROMISE_KEPT_SHARE = 0.9  # a group or staff member "keeps" the 10-minute promise at 90% of questions or better


def conversation_drivers(session: Session, scope: Scope, top_n: int = 3, kind: str | None = None,
                         group_ids=None) -> pd.DataFrame:
    """Per group, its `top_n` posters and every expert or opinion leader, with their messages and the
    group's total member messages over the recorded period (only the groups of `group_ids` when given: a
    refresh recomputing the groups whose stays were written)."""
    per_member = (
        select(GroupMembership.group_id, GroupMembership.customer_id,
               func.max(GroupMembership.role).label("role"), func.sum(GroupMembership.messages).label("messages"))
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(scope.clause(GroupMembership.branch_id))
        .group_by(GroupMembership.group_id, GroupMembership.customer_id)
    )
    if group_ids is not None:
        per_member = per_member.where(GroupMembership.group_id.in_(sorted({int(g) for g in group_ids})))
    if kind:
        per_member = per_member.where(SocialGroup.kind == kind)
    per_member = per_member.subquery()
    ranked = select(
        per_member,
        func.row_number().over(partition_by=per_member.c.group_id,
                               order_by=(per_member.c.messages.desc(), per_member.c.customer_id)).label("rank"),
        func.sum(per_member.c.messages).over(partition_by=per_member.c.group_id).label("group_messages"),
    ).subquery()
    statement = (
        select(ranked.c.group_id, ranked.c.customer_id, Customer.name.label("customer_name"), ranked.c.role,
               ranked.c.messages, ranked.c.group_messages, ranked.c.rank)
        .join(Customer, Customer.id == ranked.c.customer_id)
        .where(or_(ranked.c.rank <= top_n, ranked.c.role != MemberRole.MEMBER.value))
        .order_by(ranked.c.group_id, ranked.c.rank)
    )
    frame = read_frame(session, statement)
    columns = ["group_id", "customer_id", "customer_name", "role", "messages", "group_messages", "rank"]
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    frame = frame.astype({"messages": "int64", "group_messages": "int64", "rank": "int64"})
    frame["share"] = frame["messages"] / frame["group_messages"].where(frame["group_messages"] > 0)
    return frame


# ---------------------------------------------------------------- pure measures


def weighted_median(values: pd.Series | np.ndarray, weights: pd.Series | np.ndarray) -> float | None:
    """The smallest value at which the cumulative weight reaches half the total (None without weight).
    Example: minutes 4, 12, 30 with 3, 1, 2 answered questions -> 4 (3 of 6 questions by 4 minutes)."""
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = ~np.isnan(values) & (weights > 0)
    values, weights = values[keep], weights[keep]
    if weights.sum() <= 0:
        return None
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def median_reply_by_key(histogram: pd.DataFrame) -> pd.DataFrame:
    """Weighted median reply minutes per key of a `reply_time_histogram` frame."""
    if histogram.empty:
        return pd.DataFrame({"key": pd.Series(dtype="int64"), "median_reply_minutes": pd.Series(dtype="float64")})
    rows = [{"key": key, "median_reply_minutes": weighted_median(part["minutes"], part["answered"])}
            for key, part in histogram.groupby("key")]
    return pd.DataFrame(rows).astype({"median_reply_minutes": "float64"})


def count_unique_members(memberships: pd.DataFrame, as_of: date, key: str | None = None) -> int | pd.Series:
    """Customers in at least one group on `as_of` (joined on or before, not yet left), each counted once;
    per `key` (e.g. owner staff) when given. `memberships` has customer_id, joined_on, left_on."""
    as_of = pd.Timestamp(as_of)
    joined = pd.to_datetime(memberships["joined_on"])
    left = pd.to_datetime(memberships["left_on"])
    active = memberships[(joined <= as_of) & (left.isna() | (left > as_of))]
    if key is None:
        return int(active["customer_id"].nunique())
    return active.groupby(key)["customer_id"].nunique()


def dormant_groups(groups: pd.DataFrame, last_message: pd.DataFrame, end: date,
                   dormant_days: int = DEFAULT_DORMANT_DAYS) -> pd.DataFrame:
    """Groups where no customer has posted for at least `dormant_days` days by `end`; a group that never
    had a customer message counts its silence from its creation. Longest silence first."""
    if groups.empty:
        return groups.assign(last_message_day=pd.Series(dtype="datetime64[ns]"), days_silent=pd.Series(dtype="int64"))
    end_ts = pd.Timestamp(end)
    frame = groups[pd.to_datetime(groups["created_on"]) <= end_ts].merge(last_message, on="group_id", how="left")
    since = frame["last_message_day"].fillna(pd.to_datetime(frame["created_on"]))
    frame["days_silent"] = (end_ts - since).dt.days.astype("int64")
    dormant = frame[frame["days_silent"] >= dormant_days]
    return dormant.sort_values(["days_silent", "group_id"], ascending=[False, True]).reset_index(drop=True)


def group_health(groups: pd.DataFrame, summary: pd.DataFrame, reply_medians: pd.DataFrame,
                 last_message: pd.DataFrame, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS) -> pd.DataFrame:
    """One row per group: members, active share, messages per day, trend (customer messages in the
    recent window vs the window before; None when the earlier window was silent), questions answered
    within 10 minutes, median reply, days since a customer last posted and the dormant flag."""
    frame = groups.merge(summary, on="group_id", how="inner")
    frame = frame.merge(reply_medians.rename(columns={"key": "group_id"}), on="group_id", how="left")
    frame = frame.merge(last_message, on="group_id", how="left")
    end_ts = pd.Timestamp(end)
    frame["active_share"] = frame["active_member_days"] / frame["member_days"].where(frame["member_days"] > 0)
    frame["messages_per_day"] = frame["messages"] / frame["days"].where(frame["days"] > 0)
    frame["trend"] = (frame["recent_messages"] - frame["previous_messages"]) / frame["previous_messages"].where(
        frame["previous_messages"] > 0)
    frame["within_10min_share"] = frame["answered_within_10min"] / frame["customer_questions"].where(
        frame["customer_questions"] > 0)
    since = frame["last_message_day"].fillna(pd.to_datetime(frame["created_on"]))
    frame["days_silent"] = (end_ts - since).dt.days.astype("int64")
    frame["dormant"] = frame["days_silent"] >= dormant_days
    columns = ["group_id", "group_name", "kind", "platform", "branch_name", "staff_name", "members_end",
               "active_share", "messages_per_day", "trend", "customer_questions", "within_10min_share",
               "median_reply_minutes", "last_message_day", "days_silent", "dormant"]
    return frame[columns].sort_values(["dormant", "days_silent", "active_share"],
                                      ascending=[False, False, True]).reset_index(drop=True)


def service_promise_table(counts: pd.DataFrame, reply_medians: pd.DataFrame) -> pd.DataFrame:
    """Share of customer questions answered within the 10-minute promise, unanswered questions and the
    median reply, per key; worst keeper first."""
    frame = counts.merge(reply_medians, on="key", how="left")
    frame["within_10min_share"] = frame["answered_within_10min"] / frame["customer_questions"].where(
        frame["customer_questions"] > 0)
    frame["unanswered"] = frame["customer_questions"] - frame["staff_replies"]
    frame["keeps_promise"] = frame["within_10min_share"] >= PROMISE_KEPT_SHARE
    return frame.sort_values(["within_10min_share", "key"]).reset_index(drop=True)


def contribution_ranking(value: pd.DataFrame, min_members: int = MIN_RANKED_MEMBERS) -> pd.DataFrame:
    """Network value per member: deposits, products and conversion per customer held; rank 1 is the
    network whose members bring the bank the most deposits each. Networks under `min_members` members
    (a new customer's own service group) are listed but not ranked: one rich member is not a network."""
    frame = value.copy()
    members = frame["members"].where(frame["members"] > 0)
    frame["deposits_per_member"] = frame["deposits"] / members
    frame["products_per_member"] = frame["products"] / members
    frame["conversion_rate"] = frame["converted"] / frame["brought_in"].where(frame["brought_in"] > 0)
    rankable = frame["deposits_per_member"].where(frame["members"] >= min_members)
    frame["rank"] = rankable.rank(ascending=False, method="min").astype("Int64")
    return frame.sort_values(["rank", "key"], na_position="last").reset_index(drop=True)


def expert_summary(drivers: pd.DataFrame) -> pd.DataFrame:
    """Per group: how many experts / opinion leaders it holds, their share of members' messages, and
    the top poster with their share."""
    if drivers.empty:
        return pd.DataFrame(columns=["group_id", "experts", "expert_share", "top_poster", "top_share", "top_role"])
    is_expert = drivers["role"] != MemberRole.MEMBER.value
    experts = drivers[is_expert].groupby("group_id").agg(experts=("customer_id", "nunique"),
                                                         expert_messages=("messages", "sum"))
    top = drivers[drivers["rank"] == 1].set_index("group_id")
    totals = drivers.groupby("group_id")["group_messages"].first()
    frame = pd.DataFrame({"group_messages": totals}).join(experts, how="left")
    frame["experts"] = frame["experts"].fillna(0).astype("int64")
    frame["expert_share"] = frame["expert_messages"].fillna(0) / frame["group_messages"].where(frame["group_messages"] > 0)
    frame["top_poster"] = top["customer_name"]
    frame["top_share"] = top["share"]
    frame["top_role"] = top["role"]
    return frame.reset_index()[["group_id", "experts", "expert_share", "top_poster", "top_share", "top_role"]]


def monthly_points(daily: pd.DataFrame) -> pd.DataFrame:
    """Points earned and redeemed per calendar month (redeemed as a positive number)."""
    if daily.empty:
        return pd.DataFrame({"month": pd.Series(dtype="datetime64[ns]"), "earned": pd.Series(dtype="int64"),
                             "redeemed": pd.Series(dtype="int64")})
    month = daily["day"].dt.to_period("M").dt.to_timestamp()
    redeem = daily["kind"] == PointsKind.REDEEM.value
    frame = pd.DataFrame({"month": month, "earned": daily["points"].where(~redeem, 0),
                          "redeemed": -daily["points"].where(redeem, 0)})
    return frame.groupby("month", as_index=False).sum().astype({"earned": "int64", "redeemed": "int64"})


def kpis_from(summary: pd.DataFrame, days: int, reply_histogram: pd.DataFrame, unique_members: int,
              group_count: int, dormant_count: int) -> dict[str, float | int | None]:
    """The headline: groups, unique members, active share, messages per day, median reply, dormant groups."""
    member_days = int(summary["member_days"].sum()) if not summary.empty else 0
    return {
        "groups": group_count,
        "members": unique_members,
        "active_share": (int(summary["active_member_days"].sum()) / member_days) if member_days else None,
        "messages_per_day": (int(summary["messages"].sum()) / days) if days > 0 and not summary.empty else None,
        "median_reply_minutes": weighted_median(reply_histogram["minutes"], reply_histogram["answered"])
        if not reply_histogram.empty else None,
        "within_10min_share": (int(summary["answered_within_10min"].sum()) / int(summary["customer_questions"].sum()))
        if not summary.empty and int(summary["customer_questions"].sum()) else None,
        "dormant_groups": dormant_count,
    }


def unique_member_changes(stays: pd.DataFrame) -> pd.DataFrame:
    """From stays (key, customer_id, joined_on, left_on): per key, the days on which the number of
    customers in at least one stay changes, with the number from that day on. A customer's overlapping
    or touching stays are merged first, so each customer counts once per key."""
    if stays.empty:
        return pd.DataFrame({"key": pd.Series(dtype="object"), "day": pd.Series(dtype="datetime64[ns]"),
                             "members": pd.Series(dtype="int64")})
    never = np.iinfo("int64").max
    start = pd.to_datetime(stays["joined_on"]).to_numpy().astype("datetime64[D]")
    stop = pd.to_datetime(stays["left_on"]).to_numpy().astype("datetime64[D]")
    frame = pd.DataFrame({
        "key": stays["key"].to_numpy(), "customer_id": stays["customer_id"].to_numpy(),
        "start": start.astype("int64"), "stop": np.where(np.isnat(stop), never, stop.astype("int64")),
    })
    frame = frame[frame["start"] < frame["stop"]].sort_values(["key", "customer_id", "start"], kind="stable")
    reach = frame.groupby(["key", "customer_id"], sort=False)["stop"].cummax()
    previous_reach = reach.groupby([frame["key"], frame["customer_id"]], sort=False).shift(1)
    new_island = previous_reach.isna() | (frame["start"] > previous_reach)
    island = new_island.cumsum()
    islands = pd.DataFrame({"key": frame["key"], "island": island, "start": frame["start"], "stop": reach}) \
        .groupby("island").agg(key=("key", "first"), start=("start", "first"), stop=("stop", "max"))
    events = pd.concat([
        pd.DataFrame({"key": islands["key"], "day": islands["start"], "change": 1}),
        pd.DataFrame({"key": islands["key"], "day": islands["stop"], "change": -1})[islands["stop"] != never],
    ])
    daily = events.groupby(["key", "day"], as_index=False)["change"].sum()
    daily["members"] = daily.groupby("key")["change"].cumsum()
    daily["day"] = daily["day"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    return daily[["key", "day", "members"]].reset_index(drop=True)
