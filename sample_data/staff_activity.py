"""WeCom staff-day statistics for the demo: for every staff member who owns a customer group, the last 90 days of
「联系客户统计」 (`staffcontactdaily`) and of their groups' 「群聊数据统计」 (`staffgroupchatdaily`), as the WeCom sync
would store them. Deterministic for (scale, seed, end); weekends are quieter."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from models.groups import SocialGroup
from models.staff_activity import StaffContactDaily, StaffGroupChatDaily
from sample_data.context import GenContext

DAYS = 90


def generate_staff_activity(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("staff_activity")
    groups = ctx.frames[SocialGroup.__tablename__]
    owners = groups.dropna(subset=["staff_id"]).groupby(["staff_id", "branch_id"]).size().rename("groups").reset_index()
    days = pd.date_range(ctx.end - timedelta(days=DAYS - 1), ctx.end)
    grid = owners.merge(pd.DataFrame({"day": days}), how="cross").sort_values(["staff_id", "day"], kind="stable")
    n = len(grid)
    busy = np.where(grid["day"].dt.day_of_week >= 5, 0.45, 1.0)
    skill = grid["staff_id"].map(pd.Series(rng.uniform(0.6, 1.4, len(owners)), index=owners["staff_id"])).to_numpy()
    chats = rng.poisson(14 * busy * skill)
    answered = chats > 0
    contact = pd.DataFrame({
        "id": np.arange(1, n + 1), "staff_id": grid["staff_id"].astype("int64").to_numpy(),
        "branch_id": grid["branch_id"].astype("int64").to_numpy(), "day": grid["day"].dt.date.to_numpy(),
        "chat_cnt": chats, "message_cnt": chats * rng.integers(2, 6, n),
        "reply_percentage": np.where(answered, np.round(np.clip(rng.normal(88, 8, n) * skill ** 0.2, 30, 100), 1),
                                     np.nan),
        "avg_reply_time": np.where(answered, np.round(np.clip(rng.gamma(2.0, 6.0, n) / skill, 1, 240), 1), np.nan),
        "new_apply_cnt": rng.poisson(1.2 * busy), "new_contact_cnt": rng.poisson(1.6 * busy * skill),
        "negative_feedback_cnt": rng.binomial(1, 0.06, n),
    })
    owner = grid["staff_id"].to_numpy()
    new_groups = rng.binomial(1, 0.02, n)
    total = grid["groups"].to_numpy() + pd.Series(new_groups).groupby(owner).cumsum().to_numpy()
    joins, leaves = rng.poisson(3 * busy), rng.poisson(1.5 * busy)
    base = grid["staff_id"].map(pd.Series(rng.integers(60, 150, len(owners)), index=owners["staff_id"])).to_numpy()
    members = np.maximum(total, total * base + pd.Series(joins - leaves).groupby(owner).cumsum().to_numpy())
    speakers = rng.binomial(members, 0.08 * busy)
    group_days = pd.DataFrame({
        "id": np.arange(1, n + 1), "staff_id": contact["staff_id"], "branch_id": contact["branch_id"],
        "day": contact["day"], "new_chat_cnt": new_groups, "chat_total": total,
        "chat_has_msg": rng.binomial(total, 0.7 * busy), "new_member_cnt": joins,
        "member_total": members, "member_has_msg": speakers, "msg_total": speakers * rng.integers(1, 7, n),
    })
    return {StaffContactDaily.__tablename__: contact, StaffGroupChatDaily.__tablename__: group_days}
