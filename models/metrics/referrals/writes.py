"""Referral writes, validated, all or nothing: invite codes, events, reward rules and the ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import delete, distinct, func, select, update
from sqlmodel import Session

from models.measures.referrals import KIND_LABELS, rule_overlaps
from models.metrics.referrals.common import ReferralInputError, live_conversion, parse_quarter, quarter_of
from models.metrics.referrals.rewards import compute_rewards, last_closed_day, reward_ledger_rows, reward_rules
from models.org import Staff
from models.referrals import Campaign, InviteCode, LedgerStatus, ReferralEvent, ReferralStage, RewardLedger, RewardRule
from models.refresh import refresh_rollups
from models.scope import Scope
from models.store.frames import read_frame
from models.system import DataVersion

# ---------------------------------------------------------------- writes (validated, all or nothing)


def validate_new_codes(new_codes: list[str], existing_codes: set[str]) -> list[str]:
    """Problems with a batch of codes to issue: duplicates inside the batch or already issued."""
    problems: list[str] = []
    seen: set[str] = set()
    for code in new_codes:
        if not code or not code.strip():
            problems.append("邀请码不能为空 / invitation code must not be empty")
        elif code in seen:
            problems.append(f"邀请码重复：{code} / duplicate code in this batch: {code}")
        elif code in existing_codes:
            problems.append(f"邀请码已存在：{code} / code already issued: {code}")
        seen.add(code)
    return problems


def validate_events(events: pd.DataFrame, codes: pd.DataFrame, campaign_dates: pd.DataFrame) -> list[str]:
    """Problems with referral events to record: unknown codes, unknown stages, days outside the code's
    campaign. `codes` has code, code_id, campaign_id; `campaign_dates` campaign_id, start_date, end_date."""
    problems: list[str] = []
    stages = {s.value for s in ReferralStage}
    known = codes.set_index("code")
    windows = campaign_dates.set_index("campaign_id") if not campaign_dates.empty else campaign_dates
    for position, row in enumerate(events.itertuples(index=False), start=1):
        if row.code not in known.index:
            problems.append(f"第{position}行：未知邀请码 {row.code} / row {position}: unknown code {row.code}")
            continue
        if row.stage not in stages:
            problems.append(f"第{position}行：未知环节 {row.stage} / row {position}: unknown stage {row.stage}")
        campaign_id = known.loc[row.code, "campaign_id"]
        if pd.notna(campaign_id) and int(campaign_id) in windows.index:
            window = windows.loc[int(campaign_id)]
            day = pd.Timestamp(row.day).date()
            if not pd.Timestamp(window["start_date"]).date() <= day <= pd.Timestamp(window["end_date"]).date():
                problems.append(
                    f"第{position}行：{day} 不在活动期 {window['start_date']}～{window['end_date']} 内 / "
                    f"row {position}: {day} is outside the campaign dates"
                )
    return problems


def issue_invite_codes(session: Session, rows: list[dict]) -> int:
    """Issue codes (code, staff_id, campaign_id, channel, issued_on); any problem rejects the whole batch."""
    existing = set(session.execute(select(InviteCode.code)).scalars())
    problems = validate_new_codes([str(r.get("code", "")) for r in rows], existing)
    staff_branch = dict(session.execute(select(Staff.id, Staff.branch_id)).all())
    for row in rows:
        if int(row["staff_id"]) not in staff_branch:
            problems.append(f"未知员工 {row['staff_id']} / unknown staff {row['staff_id']}")
    if problems:
        raise ReferralInputError(problems)
    session.add_all([InviteCode(branch_id=staff_branch[int(r["staff_id"])], **r) for r in rows])
    session.commit()
    return len(rows)


def record_referral_events(session: Session, events: pd.DataFrame) -> int:
    """Record events given by code string; unknown codes or days outside the campaign reject all rows."""
    codes = read_frame(session, select(InviteCode.code, InviteCode.id.label("code_id"), InviteCode.campaign_id,
                                       InviteCode.staff_id, InviteCode.branch_id))
    windows = read_frame(session, select(Campaign.id.label("campaign_id"), Campaign.start_date, Campaign.end_date))
    problems = validate_events(events, codes, windows)
    if problems:
        raise ReferralInputError(problems)
    merged = events.merge(codes, on="code", how="left")
    allowed = set(ReferralEvent.model_fields)
    records = []
    for row in merged.to_dict("records"):
        values = {k: v for k, v in row.items() if k in allowed and k != "id" and not (isinstance(v, float) and np.isnan(v))}
        values["day"] = pd.Timestamp(values["day"]).date()
        if values.get("campaign_id") is not None:
            values["campaign_id"] = int(values["campaign_id"])
        records.append(ReferralEvent(**values))
    session.add_all(records)
    session.flush()
    if records:  # keep the daily rollups in step with the new events, in the same transaction
        refresh_rollups(session, {r.branch_id for r in records}, min(r.day for r in records), max(r.day for r in records))
        # Cached figures (and the running totals held as columns) key on the data version: move it.
        session.execute(update(DataVersion).values(version=DataVersion.version + 1, updated_at=datetime.now(UTC)))
    session.commit()
    return len(records)


class QuarterClosed(ReferralInputError):
    """A change that would alter a quarter already closed for payroll: refused, nothing written."""


def refuse_closed(session: Session, day: date, what: str) -> None:
    """Raise QuarterClosed when `day` lies in (or before) a quarter closed for payroll."""
    closed_to = last_closed_day(session)
    if closed_to is not None and day <= closed_to:
        raise QuarterClosed([f"{quarter_of(day)} 已结账（截至 {closed_to}），不能再{what} / "
                             f"{quarter_of(day)} is closed for payroll (up to {closed_to}): cannot {what_en(what)}"])


def what_en(what: str) -> str:
    return {"重算奖励": "recompute its rewards", "修改计酬规则": "change a reward rule inside it",
            "复核其推荐": "review its referrals"}.get(what, what)


def add_reward_rule(session: Session, customer_kind: str, yuan_per_customer: float, valid_from: date,
                    valid_to: date | None = None, note: str = "", campaign_id: int | None = None) -> RewardRule:
    """Add a rule with an explicit period (setup and tests; the app's forward-only editor is
    `models.referral_review.set_reward_rule`); refused when its period overlaps another rule of the same
    kind and campaign or starts inside a closed quarter."""
    problems = []
    if customer_kind not in KIND_LABELS:
        problems.append(f"客户类型应为 personal 或 corporate / customer kind must be personal or corporate: {customer_kind}")
    if yuan_per_customer < 0:
        problems.append("奖励金额不能为负 / reward must not be negative")
    current = reward_rules(session)
    candidate = pd.concat([current, pd.DataFrame([{"rule_id": -1, "customer_kind": customer_kind,
                                                   "campaign_id": campaign_id, "yuan_per_customer": yuan_per_customer,
                                                   "valid_from": valid_from, "valid_to": valid_to}])], ignore_index=True)
    problems += rule_overlaps(candidate)
    if problems:
        raise ReferralInputError(problems)
    refuse_closed(session, valid_from, "修改计酬规则")
    rule = RewardRule(customer_kind=customer_kind, yuan_per_customer=yuan_per_customer, valid_from=valid_from,
                      valid_to=valid_to, note=note, campaign_id=campaign_id)
    session.add(rule)
    session.commit()
    session.refresh(rule)
    return rule


def store_reward_ledger(session: Session, scope: Scope, quarter: str) -> int:
    """Compute the quarter and replace its stored rows in the scope, inside the caller's transaction (no
    commit); a closed quarter is refused (QuarterClosed) and keeps its rows as exported. Returns rows written."""
    start, end = parse_quarter(quarter)
    refuse_closed(session, end, "重算奖励")
    computed = compute_rewards(session, scope, start, end).ledger
    session.execute(delete(RewardLedger).where(scope.clause(RewardLedger.branch_id), RewardLedger.quarter == quarter))
    branch_of = dict(session.execute(select(Staff.id, Staff.branch_id).where(scope.clause(Staff.branch_id))).all())
    now = datetime.now(UTC)
    session.add_all([
        RewardLedger(staff_id=int(r.staff_id), branch_id=branch_of[int(r.staff_id)], quarter=quarter,
                     personal_customers=int(r.personal_customers), corporate_customers=int(r.corporate_customers),
                     effective_customers=int(r.effective_customers), amount=float(r.amount),
                     flagged_exclusions=int(r.flagged_exclusions), basis=r.basis, status=LedgerStatus.COMPUTED.value,
                     computed_at=now)
        for r in computed.itertuples(index=False) if int(r.staff_id) in branch_of
    ])
    session.flush()
    return len(computed)


def stored_quarters(session: Session, scope: Scope, since: date) -> list[str]:
    """Open quarters from the one holding `since` on that have stored ledger rows in the scope: what a
    change from that day must recompute so the stored ledger follows."""
    closed_to = last_closed_day(session)
    quarters = session.execute(select(RewardLedger.quarter).where(scope.clause(RewardLedger.branch_id)).distinct()).scalars()
    return sorted(q for q in quarters if parse_quarter(q)[1] >= since and (closed_to is None or parse_quarter(q)[0] > closed_to))


def write_reward_ledger(session: Session, scope: Scope, quarter: str) -> pd.DataFrame:
    """Compute the quarter and store it (`manage.py compute-rewards`); every stored row of an open quarter
    is recomputed, a closed quarter is refused (QuarterClosed) and left as it was exported."""
    store_reward_ledger(session, scope, quarter)
    session.commit()
    return reward_ledger_rows(session, scope, quarter)


def distinct_customers_converted(session: Session, scope: Scope, start: date, end: date) -> int:
    """Distinct customers with a live conversion in the period (a check figure for the board)."""
    return int(session.execute(
        select(func.count(distinct(ReferralEvent.customer_id))).where(
            scope.clause(ReferralEvent.branch_id), ReferralEvent.day.between(start, end), live_conversion())
    ).scalar_one())
