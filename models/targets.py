"""Campaign targets, the writes: head office sets each branch's season target; a president (or head office)
splits it over the branch's villages and staff members. The split of each kind may not exceed the branch
target. Role and scope come from the signed-in account's database record.

The attainment figures read the targets at query time (`models.metrics.campaign.targets`: the branch
target is the sum of BRANCH rows in scope, a village's or staff member's its own row), against deposits
from the rollups; no rollup holds a target, so a target write refreshes no rollup table: it bumps the
data version in the same transaction, which makes every cached attainment re-read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import NoReturn

from sqlalchemy import delete, select
from sqlmodel import Session

from models.accounts import UserRole
from models.auth import audit, bump_data_version
from models.campaign import CampaignTarget, MigrantCampaign, TargetLevel
from models.customers import Village
from models.org import Branch, Staff
from models.tasks import actor_for


class TargetError(ValueError):
    """A target that may not or cannot be saved; the message (中文 / English) is for the person who asked."""


class TargetRefused(TargetError):
    """The signed-in account may not set this target (role or scope)."""


def _refuse(session: Session, who: str, action: str, message: str, error: type[TargetError] = TargetRefused) -> NoReturn:
    session.rollback()
    audit(session, who, action, "refused", message)
    session.commit()
    raise error(message)


def _yuan(value: float) -> str:
    return f"{value:,.0f}"


def _rows(session: Session, campaign_id: int, branch_id: int, level: str) -> list[CampaignTarget]:
    return list(session.execute(select(CampaignTarget).where(
        CampaignTarget.campaign_id == int(campaign_id), CampaignTarget.branch_id == int(branch_id),
        CampaignTarget.level == level)).scalars())


def branch_target(session: Session, campaign_id: int, branch_id: int) -> float:
    return float(sum(r.deposit_target for r in _rows(session, campaign_id, branch_id, TargetLevel.BRANCH.value)))


def split_totals(session: Session, campaign_id: int, branch_id: int) -> dict[str, float]:
    """What is split so far over villages and over staff members."""
    return {level: float(sum(r.deposit_target for r in _rows(session, campaign_id, branch_id, level)))
            for level in (TargetLevel.VILLAGE.value, TargetLevel.STAFF.value)}


def set_branch_target(session: Session, user_id: int | None, campaign_id: int, branch_id: int, amount: float) -> None:
    """Head office sets a branch's deposit target for a season (replacing the one before). A target below
    what the branch has already split over villages or staff is refused: lower the split first."""
    actor = actor_for(session, user_id)
    action = "target_branch"
    if actor.user.role != UserRole.ADMIN:
        _refuse(session, actor.name, action, "只有总行可以下达网点目标 / only head office sets branch targets")
    if session.get(MigrantCampaign, int(campaign_id)) is None:
        _refuse(session, actor.name, action, f"营销季 {campaign_id} 不存在 / there is no season {campaign_id}",
                TargetError)
    branch = session.get(Branch, int(branch_id))
    if branch is None:
        _refuse(session, actor.name, action, f"网点 {branch_id} 不存在 / there is no branch {branch_id}", TargetError)
    amount = float(amount)
    if not amount >= 0:
        _refuse(session, actor.name, action, "目标不能为负数 / a target cannot be negative", TargetError)
    split = split_totals(session, campaign_id, branch_id)
    largest = max(split.values())
    if amount < largest:
        _refuse(session, actor.name, action,
                f"{branch.name} 已分解 {_yuan(largest)} 元，目标不能低于已分解金额 / {branch.name} has already split "
                f"{_yuan(largest)} yuan over villages or staff; the target cannot be lower than that", TargetError)
    rows = _rows(session, campaign_id, branch_id, TargetLevel.BRANCH.value)
    before = sum(r.deposit_target for r in rows)
    for extra in rows[1:]:
        session.delete(extra)
    if rows:
        rows[0].deposit_target = amount
        session.add(rows[0])
    else:
        session.add(CampaignTarget(campaign_id=int(campaign_id), branch_id=int(branch_id),
                                   level=TargetLevel.BRANCH.value, deposit_target=amount))
    session.flush()
    bump_data_version(session)
    audit(session, actor.name, action, detail=json.dumps(
        {"campaign": int(campaign_id), "branch": int(branch_id), "before": before if rows else None, "after": amount}))
    session.commit()


def split_branch_target(session: Session, user_id: int | None, campaign_id: int, branch_id: int,
                        villages: Mapping[int, float], staff: Mapping[int, float]) -> None:
    """A president of the branch (or head office) splits its target: `villages` and `staff` map ids to yuan
    (0 removes that target). Each kind's sum may be at most the branch target; villages and staff members
    must be the branch's own. Replaces the branch's village and staff targets of the season at once."""
    actor = actor_for(session, user_id)
    action = "target_split"
    if actor.user.role not in (UserRole.ADMIN, UserRole.PRESIDENT):
        _refuse(session, actor.name, action, "只有行长和总行可以分解目标 / only presidents and head office split targets")
    if not actor.scope.allows(int(branch_id)):
        _refuse(session, actor.name, action, f"网点 {branch_id} 不在您的范围内 / branch {branch_id} is outside your "
                "branches")
    target = branch_target(session, campaign_id, branch_id)
    if target <= 0:
        _refuse(session, actor.name, action, "总行尚未下达本网点本季的目标 / head office has not set this branch's "
                "target for the season", TargetError)
    wanted = {TargetLevel.VILLAGE.value: {int(k): float(v) for k, v in villages.items()},
              TargetLevel.STAFF.value: {int(k): float(v) for k, v in staff.items()}}
    owners = {TargetLevel.VILLAGE.value: Village, TargetLevel.STAFF.value: Staff}
    words = {TargetLevel.VILLAGE.value: ("各村", "the villages"), TargetLevel.STAFF.value: ("各员工", "the staff")}
    for level, amounts in wanted.items():
        if any(not value >= 0 for value in amounts.values()):
            _refuse(session, actor.name, action, "目标不能为负数 / a target cannot be negative", TargetError)
        for key in amounts:
            row = session.get(owners[level], key)
            if row is None or row.branch_id != int(branch_id):
                _refuse(session, actor.name, action, f"{level} {key} 不属于该网点 / {level} {key} is not this branch's")
        total = sum(amounts.values())
        if total > target + 0.005:
            zh, en = words[level]
            _refuse(session, actor.name, action,
                    f"{zh}目标合计 {_yuan(total)} 元，超过网点目标 {_yuan(target)} 元（多 {_yuan(total - target)} 元）/ "
                    f"{en} add up to {_yuan(total)} yuan, more than the branch target of {_yuan(target)} yuan "
                    f"(by {_yuan(total - target)})", TargetError)
    before = split_totals(session, campaign_id, branch_id)
    session.execute(delete(CampaignTarget).where(
        CampaignTarget.campaign_id == int(campaign_id), CampaignTarget.branch_id == int(branch_id),
        CampaignTarget.level.in_([TargetLevel.VILLAGE.value, TargetLevel.STAFF.value])))
    for level, amounts in wanted.items():
        for key, value in sorted(amounts.items()):
            if value > 0:
                session.add(CampaignTarget(
                    campaign_id=int(campaign_id), branch_id=int(branch_id), level=level, deposit_target=value,
                    village_id=key if level == TargetLevel.VILLAGE.value else None,
                    staff_id=key if level == TargetLevel.STAFF.value else None))
    session.flush()
    bump_data_version(session)
    after = split_totals(session, campaign_id, branch_id)
    audit(session, actor.name, action, detail=json.dumps(
        {"campaign": int(campaign_id), "branch": int(branch_id), "target": target, "before": before, "after": after,
         "villages": {k: v for k, v in wanted[TargetLevel.VILLAGE.value].items() if v > 0},
         "staff": {k: v for k, v in wanted[TargetLevel.STAFF.value].items() if v > 0}})[:500])
    session.commit()
