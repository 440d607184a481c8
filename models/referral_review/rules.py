"""Reward rules edited forward only, and closing a quarter for payroll."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.auth import audit
from models.measures.referrals import KIND_LABELS, rule_overlaps
from models.metrics.referrals import (
    QuarterClosed,
    ReferralInputError,
    last_closed_day,
    parse_quarter,
    quarter_of,
    refuse_closed,
    reward_ledger_rows,
    reward_rules,
    store_reward_ledger,
    stored_quarters,
)
from models.referral_review.common import ADMINS, bump_data_version, conflict, refuse, require_role
from models.referrals import Campaign, LedgerStatus, RewardLedger, RewardQuarter, RewardRule
from models.scope import Scope

MAX_YUAN = 10_000.0


def _series(session: Session, customer_kind: str, campaign_id: int | None) -> list[RewardRule]:
    statement = select(RewardRule).where(RewardRule.customer_kind == customer_kind)
    statement = statement.where(RewardRule.campaign_id.is_(None) if campaign_id is None
                                else RewardRule.campaign_id == int(campaign_id))
    return list(session.execute(statement.order_by(RewardRule.valid_from)).scalars())


def _describe(rule: RewardRule | None) -> str:
    if rule is None:
        return "none"
    return (f"#{rule.id} {rule.customer_kind} campaign={rule.campaign_id or '-'} {rule.yuan_per_customer:g}元 "
            f"{rule.valid_from}~{rule.valid_to or '∞'}")


def rule_series_stamp(session: Session, scope: Scope | None, customer_kind: str, campaign_id: int | None) -> str:
    """What the editor saw of one kind's rules for one campaign (or the general ones): the form sends it
    back, and a change in between is a conflict rather than a silent overwrite."""
    return "|".join(f"{r.id}:{r.yuan_per_customer:g}:{r.valid_from}:{r.valid_to or ''}"
                    for r in _series(session, customer_kind, campaign_id))


def set_reward_rule(session: Session, scope: Scope, actor: str, customer_kind: str, yuan_per_customer: float,
                    valid_from: date, campaign_id: int | None = None, note: str = "",
                    seen: str | None = None) -> RewardRule:
    """Admins only. From `valid_from` on, one kind's customers (of one campaign, or every customer no
    campaign rule covers) earn `yuan_per_customer`: the rule in force that day ends the day before, days
    before it keep their rule (forward only); a rule starting that very day gets the new rate. Refused when
    `valid_from` lies in a closed quarter. The stored ledgers of open quarters from that day on are
    recomputed in the same transaction. `seen` is `rule_series_stamp` as the form showed it."""
    action = "reward_rule"
    detail = f"{customer_kind} campaign={campaign_id or '-'} {yuan_per_customer}元 from {valid_from}"
    require_role(session, scope, actor, action, ADMINS, detail)
    problems = []
    if customer_kind not in KIND_LABELS:
        problems.append(f"客户类型应为 personal 或 corporate / customer kind must be personal or corporate: {customer_kind}")
    if not 0 <= float(yuan_per_customer) <= MAX_YUAN:
        problems.append(f"每户奖励应在 0～{MAX_YUAN:g} 元之间 / the reward per customer must be 0 to {MAX_YUAN:g} yuan")
    if campaign_id is not None and session.get(Campaign, int(campaign_id)) is None:
        problems.append(f"未知活动 / unknown campaign {campaign_id}")
    if len(note) > 200:
        problems.append("说明最多200字 / the note has at most 200 characters")
    if problems:
        raise ReferralInputError(problems)
    try:
        refuse_closed(session, valid_from, "修改计酬规则")
    except QuarterClosed as exc:
        refuse(session, actor, action, f"closed quarter: {detail}", exc)
    if seen is not None and seen != rule_series_stamp(session, scope, customer_kind, campaign_id):
        conflict(session, actor, action, f"stale form: {detail}",
                 "另一位管理员刚修改了这类规则，请查看最新规则后再提交（您填写的内容仍在表单中）/ another admin has just "
                 "changed these rules: check the current rules and submit again (what you typed is still in the form)")
    now = datetime.now(UTC)
    series = _series(session, customer_kind, campaign_id)
    same_day = next((r for r in series if r.valid_from == valid_from), None)
    if same_day is not None:
        before = _describe(same_day)
        same_day.yuan_per_customer, same_day.note, same_day.set_by, same_day.set_at = \
            float(yuan_per_customer), note.strip(), actor, now
        rule, changes = same_day, [f"before: {before}"]
    else:
        changes = []
        current = next((r for r in series if r.valid_from < valid_from and (r.valid_to is None or r.valid_to >= valid_from)),
                       None)
        if current is not None:
            before = _describe(current)
            current.valid_to = valid_from - timedelta(days=1)
            session.add(current)
            changes.append(f"ended: {before} -> to {current.valid_to}")
        later = [r.valid_from for r in series if r.valid_from > valid_from]
        rule = RewardRule(customer_kind=customer_kind, campaign_id=campaign_id, yuan_per_customer=float(yuan_per_customer),
                          valid_from=valid_from, valid_to=min(later) - timedelta(days=1) if later else None,
                          note=note.strip(), set_by=actor, set_at=now)
    session.add(rule)
    session.flush()
    overlaps = rule_overlaps(reward_rules(session))
    if overlaps:  # cannot happen by the steps above; refuse rather than store two rates for one day
        session.rollback()
        raise ReferralInputError(overlaps)
    recomputed = [q for q in stored_quarters(session, Scope.head_office(), valid_from)]
    for quarter in recomputed:
        store_reward_ledger(session, Scope.head_office(), quarter)
    bump_data_version(session)
    audit(session, actor, action, "ok", f"{'; '.join(changes)}; after: {_describe(rule)}; ledgers recomputed: "
                                        f"{', '.join(recomputed) or '-'}")
    session.commit()
    session.refresh(rule)
    return rule


def close_quarter(session: Session, scope: Scope, actor: str, quarter: str, today: date | None = None) -> pd.DataFrame:
    """Admins only: export a finished quarter's ledger for payroll and close it. The ledger is computed
    once more, stored as approved, and the quarter recorded as closed, all in one transaction; from then
    on nothing changes its amounts. Quarters close in order (the one after the newest closed). Returns the
    ledger as stored: what the payroll workbook holds."""
    action = "close_quarter"
    require_role(session, scope, actor, action, ADMINS, quarter)
    quarter = quarter.strip().upper()
    start, end = parse_quarter(quarter)
    today = today or date.today()
    if end >= today:
        raise ReferralInputError([f"{quarter} 尚未结束（{end} 结束），不能结账 / {quarter} has not ended yet ({end})"])
    existing = session.get(RewardQuarter, quarter)
    if existing is not None:
        conflict(session, actor, action, f"{quarter} already closed",
                 f"{quarter} 已由 {existing.closed_by} 于 {existing.closed_at:%Y-%m-%d %H:%M} 结账 / {quarter} was "
                 f"already closed by {existing.closed_by} at {existing.closed_at:%Y-%m-%d %H:%M}")
    closed_to = last_closed_day(session)
    if closed_to is not None and start != closed_to + timedelta(days=1):
        raise ReferralInputError([f"季度须按顺序结账：下一个是 {quarter_of(closed_to + timedelta(days=1))} / quarters "
                                  f"close in order: the next one is {quarter_of(closed_to + timedelta(days=1))}"])
    everyone = Scope.head_office()
    store_reward_ledger(session, everyone, quarter)
    session.execute(update(RewardLedger).where(RewardLedger.quarter == quarter).values(status=LedgerStatus.APPROVED.value))
    staff_paid, amount = session.execute(
        select(func.count(), func.coalesce(func.sum(RewardLedger.amount), 0.0))
        .where(RewardLedger.quarter == quarter, RewardLedger.amount > 0)).one()
    session.add(RewardQuarter(quarter=quarter, closed_at=datetime.now(UTC), closed_by=actor, staff_paid=int(staff_paid),
                              amount=float(amount)))
    try:
        session.flush()
    except IntegrityError:  # another admin closed it a moment ago
        conflict(session, actor, action, f"{quarter} closed concurrently",
                 f"{quarter} 刚被另一位管理员结账 / another admin has just closed {quarter}")
    bump_data_version(session)
    audit(session, actor, action, "ok", f"{quarter}: before=open after=closed; {int(staff_paid)} staff paid, "
                                        f"{float(amount):,.2f} 元 exported for payroll")
    session.commit()
    return reward_ledger_rows(session, everyone, quarter)
