"""The fraud review: an admin or a president (own branches only) confirms a flag (the reward stays
withheld) or clears it (a reason is required, the reward is paid); an admin may reverse a decision, with
a reason. Flags of referrals in a closed quarter are not reviewed any more: the exported amounts stand."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models.auth import audit
from models.metrics.referrals import (
    FRAUD_LOOKBACK_DAYS,
    QuarterClosed,
    ReferralInputError,
    parse_quarter,
    refuse_closed,
    store_reward_ledger,
    stored_quarters,
)
from models.referral_review.common import (
    ADMINS,
    REVIEWERS,
    ReviewRefused,
    bump_data_version,
    conflict,
    refuse,
    require_role,
)
from models.referrals import FraudClearance, FraudDecision
from models.rollup_tables.referrals import ReferralFraudFlag
from models.scope import Scope

MAX_REASON = 200
OPPOSITE = {FraudDecision.CONFIRMED.value: FraudDecision.CLEARED.value,
            FraudDecision.CLEARED.value: FraudDecision.CONFIRMED.value}


def _flag(session: Session, event_id: int, rule: str) -> ReferralFraudFlag | None:
    return session.execute(select(ReferralFraudFlag).where(ReferralFraudFlag.event_id == int(event_id),
                                                           ReferralFraudFlag.rule == rule)).scalars().first()


def _decision(session: Session, event_id: int, rule: str) -> FraudClearance | None:
    return session.execute(select(FraudClearance).where(FraudClearance.event_id == int(event_id),
                                                        FraudClearance.rule == rule)).scalars().first()


def _reason(reason: str | None, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ReferralInputError(["请填写理由 / a reason is required"])
    if len(text) > MAX_REASON:
        raise ReferralInputError([f"理由最多{MAX_REASON}字 / the reason has at most {MAX_REASON} characters"])
    return text


def _checked_flag(session: Session, scope: Scope, actor: str, action: str, roles: tuple[str, ...], event_id: int,
                  rule: str) -> ReferralFraudFlag:
    """The flag, once the caller's role, scope and the quarter allow a decision on it (else refused, audited)."""
    detail = f"event={event_id} rule={rule}"
    require_role(session, scope, actor, action, roles, detail)
    flag = _flag(session, event_id, rule)
    if flag is None:
        raise ReferralInputError([f"没有这条风险提示 / no such flag: {detail}"])
    if not scope.allows(flag.branch_id):
        refuse(session, actor, action, f"outside scope (branch {flag.branch_id}): {detail}",
               ReviewRefused("这条风险提示不在您的网点范围内 / this flag is outside your branches"))
    try:
        refuse_closed(session, flag.day, "复核其推荐")
    except QuarterClosed as exc:
        refuse(session, actor, action, f"closed quarter: {detail}", exc)
    return flag


def _follow(session: Session, flag: ReferralFraudFlag) -> list[str]:
    """Recompute the stored ledgers of the open quarters this flag weighs on (its day and the look-back of
    the quarters after it), for its branch, in the caller's transaction."""
    quarters = [q for q in stored_quarters(session, Scope.for_branches([flag.branch_id]), flag.day)
                if parse_quarter(q)[0] <= flag.day + timedelta(days=FRAUD_LOOKBACK_DAYS)]
    for quarter in quarters:
        store_reward_ledger(session, Scope.for_branches([flag.branch_id]), quarter)
    return quarters


def decide_flag(session: Session, scope: Scope, actor: str, event_id: int, rule: str, decision: str,
                reason: str = "", today: date | None = None) -> FraudClearance:
    """Confirm (reward withheld) or clear (reason required) an open flag. A flag someone decided since the
    list was drawn is a conflict (its decision is named); an admin reverses it with `reverse_decision`."""
    action = "fraud_decision"
    flag = _checked_flag(session, scope, actor, action, REVIEWERS, event_id, rule)
    if decision not in OPPOSITE:
        raise ReferralInputError([f"未知结论 / unknown decision {decision!r}"])
    text = _reason(reason, required=decision == FraudDecision.CLEARED.value)
    detail = f"event={event_id} rule={rule} branch={flag.branch_id}"
    existing = _decision(session, event_id, rule)
    if existing is not None:
        conflict(session, actor, action, f"already decided: {detail}",
                 f"这条提示已由 {existing.cleared_by} 于 {existing.cleared_on} 判定为“{existing.decision}”；如需改判请管理员撤销 / "
                 f"{existing.cleared_by} already decided this flag ({existing.decision}) on {existing.cleared_on}; "
                 "an admin can reverse it")
    row = FraudClearance(event_id=int(event_id), branch_id=flag.branch_id, rule=rule, cleared_on=today or date.today(),
                         cleared_by=actor, note=text, decision=decision, version=1)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another reviewer decided it a moment ago
        conflict(session, actor, action, f"decided concurrently: {detail}",
                 "另一位复核人刚刚对这条提示作出了结论，请刷新查看 / another reviewer has just decided this flag: reload to see it")
    quarters = _follow(session, flag)
    bump_data_version(session)
    audit(session, actor, action, "ok", f"{detail}: before=open after={decision} reason={text or '-'}; "
                                        f"ledgers recomputed: {', '.join(quarters) or '-'}")
    session.commit()
    session.refresh(row)
    return row


def reverse_decision(session: Session, scope: Scope, actor: str, event_id: int, rule: str, reason: str,
                     seen_version: int, today: date | None = None) -> FraudClearance:
    """Admins only, reason required: a confirmed flag becomes cleared and a cleared one confirmed. `seen_version`
    is the decision's version as the list showed it; a decision changed since is a conflict."""
    action = "fraud_reversal"
    flag = _checked_flag(session, scope, actor, action, ADMINS, event_id, rule)
    text = _reason(reason, required=True)
    detail = f"event={event_id} rule={rule} branch={flag.branch_id}"
    row = _decision(session, event_id, rule)
    if row is None:
        raise ReferralInputError(["这条提示尚无结论，无需撤销 / this flag has no decision to reverse"])
    before = f"{row.decision} by {row.cleared_by} on {row.cleared_on} ({row.note or '-'})"
    after = OPPOSITE[row.decision]
    changed = session.execute(
        update(FraudClearance)
        .where(and_(FraudClearance.id == row.id, FraudClearance.version == int(seen_version)))
        .values(decision=after, note=text, cleared_by=actor, cleared_on=today or date.today(),
                version=FraudClearance.version + 1)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        conflict(session, actor, action, f"stale version {seen_version}: {detail}",
                 f"这条提示的结论已被修改（现为“{row.decision}”，{row.cleared_by}），请刷新后再操作 / the decision changed "
                 f"in the meantime (now {row.decision} by {row.cleared_by}): reload and try again")
    quarters = _follow(session, flag)
    bump_data_version(session)
    audit(session, actor, action, "ok", f"{detail}: before={before} after={after} reason={text}; "
                                        f"ledgers recomputed: {', '.join(quarters) or '-'}")
    session.commit()
    session.expire_all()
    return _decision(session, event_id, rule)
