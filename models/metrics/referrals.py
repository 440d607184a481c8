"""Referral leaderboards, funnels, promotion channels, internal referrals, piece-rate rewards and
fraud signals.

Queries aggregate in SQL and return tidy frames; the measures (ranks, rates, the rule that pays each
effective customer, the fraud rules) are pure functions of those frames, tested by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, delete, distinct, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.customers import Customer
from models.metrics.org import read_frame
from models.org import Branch, Region, Staff, StaffRole
from models.referrals import (
    FUNNEL_STAGES,
    Campaign,
    FraudClearance,
    InternalOutcome,
    InternalReferral,
    InviteCode,
    LedgerStatus,
    ReferralEvent,
    ReferralStage,
    RewardLedger,
    RewardRule,
    ShareChannel,
    ShareEvent,
)
from models.rollups import (
    ALL_CAMPAIGNS,
    ReferralChannelDaily,
    ReferralDaily,
    ReferralFraudFlag,
    ReferralInvitation,
    ReferralRewardBasis,
    ReferralStaffRunning,
    ReferralStaffWindow,
    refresh_rollups,
)
from models.scope import Scope

FAR_FUTURE = date(9999, 12, 31)
BOARD_METRICS = ["clicks", "invites", "participants", "invited_converted", "conversions", "conversion_amount",
                 "effective_customers", "reward_yuan"]
FRAUD_RULES = ("self_referral", "relative_referral", "device_burst", "phone_prefix_burst", "quick_reversal")
DEVICE_BURST_MIN = 5
PREFIX_BURST_MIN = 6
QUICK_REVERSAL_DAYS = 7
FLAG_COLUMNS = ["event_id", "staff_id", "customer_id", "rule", "detail"]
BASIS_COLUMNS = ["event_id", "staff_id", "customer_id", "customer_kind", "campaign_id", "day", "rule_id",
                 "yuan_per_customer", "valid_from"]


class ReferralInputError(ValueError):
    """Bad referral input (codes, events, rules): nothing was saved; the message lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("；\n".join(problems))


# ---------------------------------------------------------------- periods


def parse_quarter(text: str) -> tuple[date, date]:
    """'2026Q3' -> (2026-07-01, 2026-09-30)."""
    cleaned = text.strip().upper().replace("-", "")
    try:
        year, quarter = int(cleaned[:4]), int(cleaned.split("Q")[1])
        if cleaned[4] != "Q" or not 1 <= quarter <= 4:
            raise ValueError
    except (ValueError, IndexError):
        raise ReferralInputError([f"季度格式应为 2026Q3 / quarter must look like 2026Q3, got {text!r}"]) from None
    start = date(year, 3 * quarter - 2, 1)
    end = (date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)) - timedelta(days=1)
    return start, end


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of equal length that ends the day before `start`; whole calendar months (a month, a
    quarter) compare with the same number of whole months before."""
    if start.day == 1 and (end + timedelta(days=1)).day == 1:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        first_month = start.year * 12 + start.month - 1 - months
        return date(first_month // 12, first_month % 12 + 1, 1), start - timedelta(days=1)
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


# ---------------------------------------------------------------- queries


def campaigns(session: Session, scope: Scope | None = None) -> pd.DataFrame:
    """Campaigns are bank-wide: every scope sees all of them (their events are what the scope limits)."""
    statement = select(Campaign.id.label("campaign_id"), Campaign.code, Campaign.name, Campaign.start_date,
                       Campaign.end_date).order_by(Campaign.start_date, Campaign.id)
    return read_frame(session, statement)


def referral_date_range(session: Session, scope: Scope) -> tuple[date | None, date | None]:
    def end(aggregate):  # one MIN or MAX per SELECT: SQLite answers it with one index lookup, not a scan
        statement = select(aggregate(ReferralDaily.day))
        return statement if scope.is_everything else statement.where(scope.clause(ReferralDaily.branch_id))

    row = session.execute(select(end(func.min).scalar_subquery(), end(func.max).scalar_subquery())).one()
    return row[0], row[1]


def staff_codes(session: Session, scope: Scope, staff_id: int) -> pd.DataFrame:
    """A staff member's invitation codes with the campaign they belong to (empty = general code)."""
    statement = (
        select(InviteCode.code, InviteCode.channel, InviteCode.issued_on, Campaign.name.label("campaign_name"),
               Campaign.end_date.label("campaign_end"))
        .join(Campaign, Campaign.id == InviteCode.campaign_id, isouter=True)
        .where(scope.clause(InviteCode.branch_id), InviteCode.staff_id == int(staff_id))
        .order_by(InviteCode.campaign_id.is_not(None), InviteCode.issued_on)
    )
    return read_frame(session, statement)


def staff_in_scope(session: Session, scope: Scope) -> pd.DataFrame:
    """Staff the caller may see with their branch and region: every leaderboard row starts here."""
    statement = (
        select(Staff.id.label("staff_id"), Staff.name.label("staff_name"), Staff.employee_no, Staff.role,
               Staff.branch_id, Branch.name.label("branch_name"), Region.name.label("region_name"))
        .join(Branch, Branch.id == Staff.branch_id)
        .join(Region, Region.id == Branch.region_id, isouter=True)
        .where(scope.clause(Staff.branch_id))
        .order_by(Staff.id)
    )
    return read_frame(session, statement)


def _stage_sum(stage: ReferralStage, value=1):
    return func.sum(case((ReferralEvent.stage == stage.value, value), else_=0))


def _live_conversion():
    return and_(ReferralEvent.stage == ReferralStage.CONVERT.value, ReferralEvent.reversed_on.is_(None))


def staff_referral_counts(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None
) -> pd.DataFrame:
    """Per code owner in the period: clicks, invites (registrations), participants, conversions not
    reversed and their amount."""
    frame = staff_referral_totals(session, scope, start, end, campaign_id).merge(
        invited_converted(session, scope, start, end, campaign_id), on="staff_id", how="left")
    frame["invited_converted"] = frame["invited_converted"].fillna(0)
    for column in ("clicks", "invites", "participants", "conversions", "invited_converted"):
        frame[column] = frame[column].astype("int64") if not frame.empty else pd.Series(dtype="int64")
    frame["conversion_amount"] = frame["conversion_amount"].astype("float64") if not frame.empty else pd.Series(dtype="float64")
    return frame


LEADERBOARD_WINDOWS = (7, 30, 90, 180, 365)  # the period picker's presets and the overview's week


def running_totals_statement(scope: Scope, start: date, end: date, key: int, staff_id: int | None = None):
    """Per code owner and branch: the running total on the last day with events up to `end` minus the one
    before `start` (two index lookups per owner, however long the period); owners with no events left out."""
    owners = select(InviteCode.staff_id, InviteCode.branch_id).where(scope.clause(InviteCode.branch_id)).distinct()
    if staff_id is not None:
        owners = owners.where(InviteCode.staff_id == int(staff_id))
    owners = owners.subquery()

    def last_day_up_to(day: date):
        row = aliased(ReferralStaffRunning)
        return (select(func.max(row.day)).where(row.staff_id == owners.c.staff_id, row.branch_id == owners.c.branch_id,
                                                row.campaign_key == key, row.day <= day).scalar_subquery())

    bounds = select(owners.c.staff_id, owners.c.branch_id, last_day_up_to(end).label("end_day"),
                    last_day_up_to(start - timedelta(days=1)).label("before_day")).subquery()
    at_end, before = aliased(ReferralStaffRunning), aliased(ReferralStaffRunning)

    def on(row, day_column):
        return and_(row.staff_id == bounds.c.staff_id, row.branch_id == bounds.c.branch_id, row.campaign_key == key,
                    row.day == day_column)

    def period(column: str):
        return getattr(at_end, column) - func.coalesce(getattr(before, column), 0)

    return (
        select(bounds.c.staff_id, bounds.c.branch_id, period("events").label("events"),
               period("clicks").label("clicks"), period("invites").label("invites"),
               period("participants").label("participants"), period("live_conversions").label("conversions"),
               period("live_amount").label("conversion_amount"))
        .select_from(bounds)
        .join(at_end, on(at_end, bounds.c.end_day))
        .outerjoin(before, on(before, bounds.c.before_day))
        .where(period("events") > 0)
    )


def _window_snapshot_statement(session: Session, scope: Scope, start: date, end: date, key: int,
                               staff_id: int | None):
    """The stored totals of a preset window ending on the last day with events (or of the period before
    it), or None when the period is not one of those (then the running totals answer)."""
    days = (end - start).days + 1
    if days not in LEADERBOARD_WINDOWS:
        return None
    w = ReferralStaffWindow
    stored = select(w.id).where(w.campaign_key == key, w.window_days == days, w.end_day == end).limit(1)
    if session.execute(stored).first() is None:
        return None
    statement = (select(w.staff_id, w.clicks, w.invites, w.participants, w.conversions, w.conversion_amount)
                 .where(scope.clause(w.branch_id), w.campaign_key == key, w.window_days == days, w.end_day == end))
    return statement if staff_id is None else statement.where(w.staff_id == int(staff_id))


def staff_referral_totals(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """The leaderboard's counts per code owner from the rollups, never the raw events: a preset period
    (last 7/30/90/180/365 days) ending on the last day with events reads its stored snapshot (one row per
    owner); any other period subtracts running totals (`running_totals_statement`)."""
    key = ALL_CAMPAIGNS if campaign_id is None else int(campaign_id)
    statement = _window_snapshot_statement(session, scope, start, end, key, staff_id)
    if statement is None:
        statement = running_totals_statement(scope, start, end, key, staff_id)
    frame = read_frame(session, statement).drop(columns=["branch_id", "events"], errors="ignore")
    if frame["staff_id"].duplicated().any():  # an owner whose codes belonged to two branches
        frame = frame.groupby("staff_id", as_index=False).sum()
    return frame.assign(conversion_amount=frame["conversion_amount"].astype("float64").round(2))


def staff_referral_totals_raw(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None
) -> pd.DataFrame:
    """The same counts by a plain GROUP BY over the raw events: the benchmark's and tests' reference."""
    statement = (
        select(
            ReferralEvent.staff_id,
            _stage_sum(ReferralStage.CLICK).label("clicks"),
            _stage_sum(ReferralStage.REGISTER).label("invites"),
            _stage_sum(ReferralStage.PARTICIPATE).label("participants"),
            func.sum(case((_live_conversion(), 1), else_=0)).label("conversions"),
            func.sum(case((_live_conversion(), ReferralEvent.amount), else_=0.0)).label("conversion_amount"),
        )
        .where(scope.clause(ReferralEvent.branch_id), ReferralEvent.day.between(start, end))
        .group_by(ReferralEvent.staff_id)
    )
    if campaign_id is not None:
        statement = statement.where(ReferralEvent.campaign_id == int(campaign_id))
    return read_frame(session, statement)


def invited_converted(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None
) -> pd.DataFrame:
    """Per code owner: people who registered in the period and have converted (not reversed) by `end`,
    the numerator of the conversion rate, so the rate never mixes two cohorts. Read from the stored
    invitations, each carrying the day its customer first converted through the same owner."""
    statement = (
        select(ReferralInvitation.staff_id,
               func.count(distinct(ReferralInvitation.customer_id)).label("invited_converted"))
        .where(scope.clause(ReferralInvitation.branch_id), ReferralInvitation.registered_on.between(start, end),
               ReferralInvitation.converted_on <= end)
        .group_by(ReferralInvitation.staff_id)
    )
    if campaign_id is not None:
        statement = statement.where(ReferralInvitation.campaign_id == int(campaign_id))
    frame = read_frame(session, statement)
    return frame if not frame.empty else pd.DataFrame({"staff_id": pd.Series(dtype="int64"),
                                                       "invited_converted": pd.Series(dtype="int64")})


def reward_rules(session: Session, scope: Scope | None = None) -> pd.DataFrame:
    """Reward rules are set by head office and apply to every branch."""
    statement = select(RewardRule.id.label("rule_id"), RewardRule.customer_kind, RewardRule.yuan_per_customer,
                       RewardRule.valid_from, RewardRule.valid_to, RewardRule.note).order_by(
        RewardRule.customer_kind, RewardRule.valid_from)
    return read_frame(session, statement)


def first_effective_conversions(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Customers whose first live effective conversion (bank-wide, so nobody is paid twice) fell in the
    period, from the batch table `ReferralRewardBasis`."""
    basis = ReferralRewardBasis
    statement = (
        select(basis.event_id, basis.staff_id, basis.branch_id, basis.customer_id, basis.customer_kind,
               basis.campaign_id, basis.day)
        .where(scope.clause(basis.branch_id), basis.day.between(start, end))
        .order_by(basis.day, basis.event_id)
    )
    return read_frame(session, statement)


def fraud_check_events(session: Session, scope: Scope, start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """Registrations and conversions (in the period, if one is given) with the fields the fraud rules
    read: the batch that fills `ReferralFraudFlag` reads a branch's whole history."""
    statement = (
        select(ReferralEvent.id.label("event_id"), ReferralEvent.code_id, ReferralEvent.staff_id,
               ReferralEvent.branch_id, ReferralEvent.customer_id, ReferralEvent.stage, ReferralEvent.day,
               ReferralEvent.device_id, ReferralEvent.phone_prefix, ReferralEvent.reversed_on)
        .where(scope.clause(ReferralEvent.branch_id),
               ReferralEvent.stage.in_([ReferralStage.REGISTER.value, ReferralStage.CONVERT.value]))
        .order_by(ReferralEvent.id)
    )
    if start is not None:
        statement = statement.where(ReferralEvent.day >= start)
    if end is not None:
        statement = statement.where(ReferralEvent.day <= end)
    return read_frame(session, statement)


def stored_fraud_flags(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Flags the batch stored for events in the period, with the event's day and stage and the owner's
    name and branch."""
    flag = ReferralFraudFlag
    statement = (
        select(flag.event_id, flag.staff_id, flag.customer_id, flag.rule, flag.detail, flag.day, flag.stage,
               Staff.name.label("staff_name"), Branch.name.label("branch_name"))
        .join(Staff, Staff.id == flag.staff_id, isouter=True)
        .join(Branch, Branch.id == flag.branch_id, isouter=True)
        .where(scope.clause(flag.branch_id), flag.day.between(start, end))
        .order_by(flag.day, flag.event_id, flag.rule)
    )
    return read_frame(session, statement)


def fraud_reference(session: Session, scope: Scope) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff phones and the customers who may be staff themselves or their relatives: everyone whose
    phone is a staff phone, and everyone in those customers' villages."""
    staff = read_frame(session, select(Staff.id.label("staff_id"), Staff.phone).where(scope.clause(Staff.branch_id)))
    own = select(Customer.village_id).where(Customer.phone.in_(select(Staff.phone).where(scope.clause(Staff.branch_id))))
    statement = select(Customer.id.label("customer_id"), Customer.name, Customer.phone, Customer.village_id).where(
        (Customer.phone.in_(select(Staff.phone).where(scope.clause(Staff.branch_id))))
        | (Customer.village_id.in_(own))
    )
    return staff, read_frame(session, statement)


def fraud_clearances(session: Session, scope: Scope) -> pd.DataFrame:
    statement = select(FraudClearance.event_id, FraudClearance.rule, FraudClearance.cleared_on,
                       FraudClearance.cleared_by).where(scope.clause(FraudClearance.branch_id))
    return read_frame(session, statement)


def funnel_counts(
    session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
    staff_id: int | None = None,
) -> pd.DataFrame:
    """People at each funnel stage (conversions not reversed) in the period: the leaderboard's running
    totals summed over the code owners (or one owner)."""
    totals = staff_referral_totals(session, scope, start, end, campaign_id, staff_id)
    stages = {ReferralStage.CLICK.value: "clicks", ReferralStage.REGISTER.value: "invites",
              ReferralStage.PARTICIPATE.value: "participants", ReferralStage.CONVERT.value: "conversions"}
    frame = pd.DataFrame({"stage": list(stages), "events": [int(totals[c].sum()) for c in stages.values()]})
    return frame[frame["events"] > 0].reset_index(drop=True).astype({"events": "int64"})


def share_totals(session: Session, scope: Scope, start: date, end: date, staff_id: int | None = None) -> pd.DataFrame:
    statement = (
        select(ShareEvent.channel, func.sum(ShareEvent.shares).label("shares"),
               func.sum(ShareEvent.clicks).label("clicks"))
        .where(scope.clause(ShareEvent.branch_id), ShareEvent.day.between(start, end))
        .group_by(ShareEvent.channel)
    )
    if staff_id is not None:
        statement = statement.where(ShareEvent.staff_id == int(staff_id))
    return read_frame(session, statement)


def conversions_by_channel(
    session: Session, scope: Scope, start: date, end: date, staff_id: int | None = None
) -> pd.DataFrame:
    statement = (
        select(ReferralChannelDaily.share_channel.label("channel"),
               func.sum(ReferralChannelDaily.live_conversions).label("conversions"))
        .where(scope.clause(ReferralChannelDaily.branch_id), ReferralChannelDaily.day.between(start, end))
        .group_by(ReferralChannelDaily.share_channel)
    )
    if staff_id is not None:
        statement = statement.where(ReferralChannelDaily.staff_id == int(staff_id))
    return read_frame(session, statement)


def internal_referral_counts(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Per referring teller / lobby manager: referrals made by outcome."""
    statement = (
        select(InternalReferral.from_staff_id.label("staff_id"), InternalReferral.outcome,
               func.count().label("referrals"))
        .where(scope.clause(InternalReferral.branch_id), InternalReferral.day.between(start, end))
        .group_by(InternalReferral.from_staff_id, InternalReferral.outcome)
    )
    return read_frame(session, statement)


def reward_ledger_rows(session: Session, scope: Scope, quarter: str) -> pd.DataFrame:
    statement = (
        select(RewardLedger.staff_id, Staff.name.label("staff_name"), Staff.employee_no,
               Branch.name.label("branch_name"), RewardLedger.quarter, RewardLedger.personal_customers,
               RewardLedger.corporate_customers, RewardLedger.effective_customers, RewardLedger.amount,
               RewardLedger.flagged_exclusions, RewardLedger.basis, RewardLedger.status)
        .join(Staff, Staff.id == RewardLedger.staff_id)
        .join(Branch, Branch.id == RewardLedger.branch_id)
        .where(scope.clause(RewardLedger.branch_id), RewardLedger.quarter == quarter)
        .order_by(RewardLedger.amount.desc(), RewardLedger.staff_id)
    )
    return read_frame(session, statement)


# ---------------------------------------------------------------- pure: rules and rewards


def rule_overlaps(rules: pd.DataFrame) -> list[str]:
    """Every pair of rules of one customer kind whose validity periods share a day (open end = forever)."""
    problems: list[str] = []
    for kind, group in rules.groupby("customer_kind"):
        ordered = group.assign(valid_to=group["valid_to"].where(group["valid_to"].notna(), FAR_FUTURE)).sort_values("valid_from")
        rows = list(ordered.itertuples(index=False))
        for i, first in enumerate(rows):
            for second in rows[i + 1:]:
                if pd.Timestamp(second.valid_from) <= pd.Timestamp(first.valid_to):
                    problems.append(
                        f"{kind} 规则有效期重叠：{first.valid_from}～{_open(first.valid_to)} 与 "
                        f"{second.valid_from}～{_open(second.valid_to)} / overlapping {kind} rules"
                    )
        for row in rows:
            if pd.Timestamp(row.valid_to) < pd.Timestamp(row.valid_from):
                problems.append(f"{kind} 规则结束日早于开始日 / rule ends before it starts: {row.valid_from}")
    return problems


def _open(value) -> str:
    return "长期" if pd.Timestamp(value) >= pd.Timestamp(FAR_FUTURE) else str(pd.Timestamp(value).date())


def rate_for_events(events: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Attach to each event the rule of its customer kind valid on the event's day (rule_id,
    yuan_per_customer, valid_from); events no rule covers get 0 yuan and no rule_id."""
    if events.empty:
        return events.assign(rule_id=pd.Series(dtype="Int64"), yuan_per_customer=pd.Series(dtype="float64"),
                             valid_from=pd.Series(dtype="object"))
    days = pd.to_datetime(events["day"])
    rule_id = pd.Series(pd.NA, index=events.index, dtype="Int64")
    yuan = pd.Series(0.0, index=events.index)
    valid_from = pd.Series(None, index=events.index, dtype="object")
    for rule in rules.itertuples(index=False):
        to = pd.Timestamp(rule.valid_to) if pd.notna(rule.valid_to) else pd.Timestamp(FAR_FUTURE)
        hit = (events["customer_kind"] == rule.customer_kind) & (days >= pd.Timestamp(rule.valid_from)) & (days <= to)
        rule_id[hit] = int(rule.rule_id)
        yuan[hit] = float(rule.yuan_per_customer)
        valid_from[hit] = pd.Timestamp(rule.valid_from).date()
    return events.assign(rule_id=rule_id, yuan_per_customer=yuan, valid_from=valid_from)


def excluded_customers(flags: pd.DataFrame, clearances: pd.DataFrame) -> pd.DataFrame:
    """(staff_id, customer_id) pairs with at least one flag nobody has cleared: their rewards wait."""
    if flags.empty:
        return pd.DataFrame({"staff_id": pd.Series(dtype="int64"), "customer_id": pd.Series(dtype="int64")})
    open_flags = flags
    if not clearances.empty:
        cleared = set(zip(clearances["event_id"].astype(int), clearances["rule"], strict=True))
        keep = [(int(e), r) not in cleared for e, r in zip(flags["event_id"], flags["rule"], strict=True)]
        open_flags = flags[keep]
    open_flags = open_flags.dropna(subset=["customer_id"])
    return open_flags[["staff_id", "customer_id"]].astype("int64").drop_duplicates().reset_index(drop=True)


def reward_basis(
    effective: pd.DataFrame, rules: pd.DataFrame, excluded: pd.DataFrame, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who earns what in [start, end]: each customer counts once, on the day of their first live
    effective conversion (history before `start` included so nobody is paid twice), at the rule valid
    that day. Returns (basis per paid customer, withheld customers with open fraud flags)."""
    if effective.empty:
        empty = pd.DataFrame({c: pd.Series(dtype="object") for c in BASIS_COLUMNS})
        return empty, empty.copy()
    first = effective.assign(day=pd.to_datetime(effective["day"])).sort_values(["day", "event_id"])
    first = first.drop_duplicates(subset=["customer_id"], keep="first")
    first = first[(first["day"] >= pd.Timestamp(start)) & (first["day"] <= pd.Timestamp(end))]
    first = rate_for_events(first, rules)
    if excluded.empty:
        withheld_mask = pd.Series(False, index=first.index)
    else:
        keys = set(zip(excluded["staff_id"].astype(int), excluded["customer_id"].astype(int), strict=True))
        withheld_mask = pd.Series([(int(s), int(c)) in keys for s, c in zip(first["staff_id"], first["customer_id"], strict=True)],
                                  index=first.index, dtype=bool)
    columns = [c for c in BASIS_COLUMNS if c in first.columns]
    paid = first[~withheld_mask][columns].reset_index(drop=True)
    withheld = first[withheld_mask][columns].reset_index(drop=True)
    return paid, withheld


KIND_LABELS = {"personal": "个人", "corporate": "对公"}


def ledger_from_basis(basis: pd.DataFrame, withheld: pd.DataFrame) -> pd.DataFrame:
    """Per staff member: personal / corporate / all effective customers, yuan, withheld count and the
    basis in words, e.g. "个人 12×15元(2026-07-01起) + 个人 3×20元(2026-08-16起) = 240元"."""
    return ledger_from_counts(basis_counts(basis), withheld_counts(withheld))


def basis_counts(basis: pd.DataFrame) -> pd.DataFrame:
    """Paid customers per staff member, customer kind and rule (valid_from, yuan): what a ledger line says."""
    columns = ["staff_id", "customer_kind", "valid_from", "yuan_per_customer", "customers"]
    if basis.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    keyed = basis.assign(staff_id=basis["staff_id"].astype("int64"),
                         valid_from=basis["valid_from"].map(lambda v: None if pd.isna(v) else pd.Timestamp(v).date()))
    return (keyed.groupby(["staff_id", "customer_kind", "valid_from", "yuan_per_customer"], dropna=False).size()
            .rename("customers").reset_index()[columns])


def withheld_counts(withheld: pd.DataFrame) -> pd.Series:
    """Customers withheld per staff member."""
    if withheld.empty:
        return pd.Series(dtype="int64", name="flagged_exclusions")
    return withheld.astype({"staff_id": "int64"}).groupby("staff_id").size().rename("flagged_exclusions")


def ledger_from_counts(counts: pd.DataFrame, withheld: pd.Series, describe: bool = True) -> pd.DataFrame:
    """The ledger from paid customers per staff member, kind and rule (`basis_counts`) and withheld
    customers per staff member; `describe=False` leaves the basis text out (the leaderboard needs none)."""
    columns = ["staff_id", "personal_customers", "corporate_customers", "effective_customers", "amount",
               "flagged_exclusions", "basis"]
    staff_ids = sorted(set(counts["staff_id"].dropna().astype(int)) | set(withheld.index.astype(int)))
    if not staff_ids:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    ids = pd.Index(staff_ids, name="staff_id")
    paid = counts.astype({"staff_id": "int64", "customers": "int64", "yuan_per_customer": "float64"})
    ledger = pd.DataFrame(index=ids)
    for kind in ("personal", "corporate"):
        ledger[f"{kind}_customers"] = paid[paid["customer_kind"] == kind].groupby("staff_id")["customers"].sum() \
            .reindex(ids, fill_value=0)
    ledger["effective_customers"] = paid.groupby("staff_id")["customers"].sum().reindex(ids, fill_value=0)
    ledger["amount"] = (paid["customers"] * paid["yuan_per_customer"]).groupby(paid["staff_id"]).sum() \
        .reindex(ids, fill_value=0.0)
    ledger["flagged_exclusions"] = withheld.reindex(ids, fill_value=0)
    ledger["basis"] = _basis_texts(paid, ledger) if describe else ""
    ledger = ledger.reset_index()
    for column in ("personal_customers", "corporate_customers", "effective_customers", "flagged_exclusions"):
        ledger[column] = ledger[column].astype("int64")
    ledger["amount"] = ledger["amount"].astype("float64")
    return ledger[columns]


def _basis_texts(paid: pd.DataFrame, ledger: pd.DataFrame) -> list[str]:
    parts: dict[int, list[str]] = {}
    if not paid.empty:
        since = paid["valid_from"].map(lambda v: "(无适用规则)" if v is None or pd.isna(v) else f"({pd.Timestamp(v).date()}起)")
        ordered = paid.assign(since=since, order=(paid["customer_kind"] != "personal").astype(int),
                              valid_text=since.str.slice(1, 11)).sort_values(
            ["staff_id", "order", "valid_text", "customer_kind", "yuan_per_customer"])
        for staff_id, kind_value, yuan, count, since_text in zip(
                ordered["staff_id"], ordered["customer_kind"], ordered["yuan_per_customer"], ordered["customers"],
                ordered["since"], strict=True):
            parts.setdefault(int(staff_id), []).append(
                f"{KIND_LABELS.get(kind_value, kind_value)} {int(count)}×{yuan:g}元{since_text}")
    texts = []
    for staff_id, amount, held in zip(ledger.index, ledger["amount"], ledger["flagged_exclusions"], strict=True):
        mine = parts.get(int(staff_id), [])
        text = " + ".join(mine) + f" = {amount:g}元" if mine else "0元"
        texts.append(text + (f"；另有 {held} 名客户因风险提示暂缓计酬" if held else ""))
    return texts


# ---------------------------------------------------------------- pure: fraud rules


def _flags(frame: pd.DataFrame, rule: str, detail) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FLAG_COLUMNS})
    out = frame[["event_id", "staff_id", "customer_id"]].copy()
    out["rule"] = rule
    out["detail"] = detail if isinstance(detail, str) else list(detail)
    return out[FLAG_COLUMNS]


def flag_self_referrals(events: pd.DataFrame, staff: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """The code owner converting through their own code (a customer record with the owner's phone), or a
    relative: a customer with the owner-record's surname in the same village."""
    people = events.dropna(subset=["customer_id"])
    if people.empty or customers.empty or staff.empty:
        return _flags(people.iloc[0:0], "self_referral", "")
    owner_records = customers.merge(staff[staff["phone"] != ""], on="phone")[["staff_id", "customer_id", "name", "village_id"]]
    own = people.merge(owner_records[["staff_id", "customer_id"]], on=["staff_id", "customer_id"])
    relatives = owner_records.rename(columns={"customer_id": "owner_customer_id", "name": "owner_name"}).dropna(subset=["village_id"])
    relatives = relatives.assign(surname=relatives["owner_name"].str[0])
    neighbours = customers.dropna(subset=["village_id"]).assign(surname=lambda f: f["name"].str[0])
    kin = relatives.merge(neighbours[["customer_id", "village_id", "surname"]], on=["village_id", "surname"])
    kin = kin[kin["customer_id"] != kin["owner_customer_id"]]
    related = people.merge(kin[["staff_id", "customer_id", "surname"]].drop_duplicates(["staff_id", "customer_id"]),
                           on=["staff_id", "customer_id"])
    return pd.concat([
        _flags(own, "self_referral", "推荐人本人 / the code owner"),
        _flags(related, "relative_referral", ("同姓同村亲属 / same surname and village: " + related["surname"]) if not related.empty else ""),
    ], ignore_index=True)


def flag_bursts(events: pd.DataFrame, key: str, min_events: int, rule: str) -> pd.DataFrame:
    """Registrations sharing one `key` value (device id or phone prefix) through one code on one day,
    at least `min_events` of them, and every later event of those customers through that code."""
    registrations = events[(events["stage"] == ReferralStage.REGISTER.value) & (events[key].fillna("") != "")]
    if registrations.empty:
        return _flags(registrations, rule, "")
    sizes = registrations.groupby(["code_id", "day", key])["event_id"].transform("size")
    burst = registrations[sizes >= min_events]
    if burst.empty:
        return _flags(burst, rule, "")
    customers = burst[["code_id", "customer_id", key]].dropna(subset=["customer_id"]).drop_duplicates(["code_id", "customer_id"])
    hit = events.dropna(subset=["customer_id"]).merge(customers, on=["code_id", "customer_id"], suffixes=("", "_burst"))
    return _flags(hit, rule, f"{key}=" + hit[f"{key}_burst"].astype(str))


def flag_quick_reversals(events: pd.DataFrame, within_days: int = QUICK_REVERSAL_DAYS) -> pd.DataFrame:
    """Conversions undone within `within_days` days: often a product bought only to earn the reward."""
    conversions = events[(events["stage"] == ReferralStage.CONVERT.value) & events["reversed_on"].notna()]
    if conversions.empty:
        return _flags(conversions, "quick_reversal", "")
    lag = (pd.to_datetime(conversions["reversed_on"]) - pd.to_datetime(conversions["day"])).dt.days
    quick = conversions[lag <= within_days]
    return _flags(quick, "quick_reversal", "撤销间隔 / reversed after " + lag[lag <= within_days].astype(str) + " 天")


def fraud_flags(events: pd.DataFrame, staff: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Every fraud rule over one frame of registrations and conversions; one row per event and rule."""
    if events.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in FLAG_COLUMNS})
    parts = [
        flag_self_referrals(events, staff, customers),
        flag_bursts(events, "device_id", DEVICE_BURST_MIN, "device_burst"),
        flag_bursts(events, "phone_prefix", PREFIX_BURST_MIN, "phone_prefix_burst"),
        flag_quick_reversals(events),
    ]
    flags = pd.concat([p for p in parts if not p.empty], ignore_index=True) if any(not p.empty for p in parts) else parts[0]
    return flags.drop_duplicates(["event_id", "rule"]).reset_index(drop=True)


# ---------------------------------------------------------------- pure: boards, funnel, channels


def rank_descending(values: pd.Series) -> pd.Series:
    """1 = best; ties share the better rank (competition ranking: 1, 2, 2, 4)."""
    return values.rank(ascending=False, method="min").astype("int64")


def rank_board(board: pd.DataFrame, key: str, by: str, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Rank rows by `by` and add `rank_change` = previous rank − current rank (positive = moved up);
    empty for rows that had no rank in the previous period."""
    ranked = board.copy()
    ranked["rank"] = rank_descending(ranked[by]) if not ranked.empty else pd.Series(dtype="int64")
    if previous is not None and not previous.empty:
        before = previous[[key]].assign(previous_rank=rank_descending(previous[by]))
        ranked = ranked.merge(before, on=key, how="left")
        ranked["previous_rank"] = ranked["previous_rank"].astype("Int64")
    else:
        ranked["previous_rank"] = pd.Series(pd.NA, index=ranked.index, dtype="Int64")
    ranked["rank_change"] = (ranked["previous_rank"] - ranked["rank"]).astype("Int64")
    sort_name = next((c for c in ("staff_name", "branch_name", "region_name") if c in ranked.columns), key)
    return ranked.sort_values(["rank", sort_name]).reset_index(drop=True)


def with_rates(board: pd.DataFrame) -> pd.DataFrame:
    """Conversion rate = people invited in the period who have converted ÷ people invited (registered
    through the code); later business of the same customers counts in `conversions`, not in the rate."""
    invites = board["invites"].where(board["invites"] > 0)
    return board.assign(conversion_rate=(board["invited_converted"] / invites).astype("float64"))


def staff_board(staff: pd.DataFrame, counts: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """Every staff member in scope with their period figures (zeros when they did nothing)."""
    board = staff.merge(counts, on="staff_id", how="left")
    rewards = ledger[["staff_id", "effective_customers", "amount"]].rename(columns={"amount": "reward_yuan"}) if not ledger.empty \
        else pd.DataFrame({"staff_id": pd.Series(dtype="int64"), "effective_customers": pd.Series(dtype="int64"),
                           "reward_yuan": pd.Series(dtype="float64")})
    board = board.merge(rewards.astype({"staff_id": "int64"}), on="staff_id", how="left")
    for column in BOARD_METRICS:
        board[column] = board[column].fillna(0)
        board[column] = board[column].astype("float64" if column in ("conversion_amount", "reward_yuan") else "int64")
    return with_rates(board)


def roll_up(board: pd.DataFrame, level: str) -> pd.DataFrame:
    """Sum a staff board to branch or region; the rate is recomputed from the sums, not averaged."""
    keys = {"branch": ["branch_id", "branch_name", "region_name"], "region": ["region_name"]}[level]
    filled = board.assign(region_name=board["region_name"].fillna("—"))
    totals = filled.groupby(keys, dropna=False)[BOARD_METRICS].sum().reset_index()
    totals["staff"] = filled.groupby(keys, dropna=False).size().to_numpy()
    return with_rates(totals)


def funnel_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Stage totals in funnel order with the share kept from the previous stage and from clicks."""
    totals = counts.groupby("stage")["events"].sum() if not counts.empty else pd.Series(dtype="int64")
    people = [int(totals.get(stage.value, 0)) for stage in FUNNEL_STAGES]
    frame = pd.DataFrame({"stage": [s.value for s in FUNNEL_STAGES], "people": people})
    previous = frame["people"].shift(1)
    frame["step_rate"] = (frame["people"] / previous.where(previous > 0)).astype("float64")
    first = people[0]
    frame["rate_from_click"] = frame["people"] / first if first else np.nan
    return frame


def channel_performance(shares: pd.DataFrame, conversions: pd.DataFrame) -> pd.DataFrame:
    """Per channel: shares, clicks, clicks per share, conversions and click-to-conversion rate."""
    base = pd.DataFrame({"channel": [c.value for c in ShareChannel]})
    frame = base.merge(shares, on="channel", how="left").merge(conversions, on="channel", how="left")
    for column in ("shares", "clicks", "conversions"):
        frame[column] = frame[column].fillna(0).astype("int64") if column in frame else 0
    frame["clicks_per_share"] = (frame["clicks"] / frame["shares"].where(frame["shares"] > 0)).astype("float64")
    frame["click_to_conversion"] = (frame["conversions"] / frame["clicks"].where(frame["clicks"] > 0)).astype("float64")
    return frame


def internal_referral_table(counts: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """Per teller / lobby manager: made, accepted (incl. converted), converted, lost, pending and rates."""
    referrers = staff[staff["role"].isin([StaffRole.TELLER.value, StaffRole.LOBBY_MANAGER.value])][
        ["staff_id", "staff_name", "role", "branch_name"]]
    outcomes = [o.value for o in InternalOutcome]
    if counts.empty:
        wide = pd.DataFrame({"staff_id": pd.Series(dtype="int64"), **{o: pd.Series(dtype="int64") for o in outcomes}})
    else:
        wide = counts.pivot_table(index="staff_id", columns="outcome", values="referrals", aggfunc="sum", fill_value=0).reset_index()
    for outcome in outcomes:
        if outcome not in wide:
            wide[outcome] = 0
    table = referrers.merge(wide, on="staff_id", how="left").fillna({o: 0 for o in outcomes})
    for outcome in outcomes:
        table[outcome] = table[outcome].astype("int64")
    table["made"] = table[outcomes].sum(axis=1)
    table["accepted"] = table["accepted"] + table["converted"]
    made = table["made"].where(table["made"] > 0)
    table["acceptance_rate"] = (table["accepted"] / made).astype("float64")
    table["conversion_rate"] = (table["converted"] / made).astype("float64")
    columns = ["staff_id", "staff_name", "role", "branch_name", "made", "accepted", "converted", "lost", "pending",
               "acceptance_rate", "conversion_rate"]
    return table[columns].sort_values(["made", "converted"], ascending=False).reset_index(drop=True)


# ---------------------------------------------------------------- composed views (query + pure)


@dataclass(frozen=True)
class RewardComputation:
    basis: pd.DataFrame
    withheld: pd.DataFrame
    ledger: pd.DataFrame
    flags: pd.DataFrame


FRAUD_LOOKBACK_DAYS = 60


def compute_rewards(session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None) -> RewardComputation:
    """Rewards earned in [start, end]: the rule valid on each customer's effective day, flagged
    customers withheld until a reviewer clears them. Reads the batch tables (first effective conversions,
    fraud flags), never the raw events: a quarter at head office is a few ten thousand rows."""
    flags = stored_fraud_flags(session, scope, start - timedelta(days=FRAUD_LOOKBACK_DAYS), end)[FLAG_COLUMNS]
    excluded = excluded_customers(flags, fraud_clearances(session, scope))
    effective = first_effective_conversions(session, scope, start, end)
    basis, withheld = reward_basis(effective, reward_rules(session), excluded, start, end)
    if campaign_id is not None:
        basis = basis[basis["campaign_id"] == campaign_id]
        withheld = withheld[withheld["campaign_id"] == campaign_id]
    return RewardComputation(basis, withheld, ledger_from_basis(basis, withheld), flags)


def reward_ledger_preview(session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
                          describe: bool = True) -> pd.DataFrame:
    """The ledger `compute_rewards` gives, counted in SQL: paid customers per staff member, kind and rule
    from the stored first conversions, less the few with open fraud flags (read one by one)."""
    basis, rule = ReferralRewardBasis, RewardRule
    covers = and_(rule.customer_kind == basis.customer_kind, basis.day >= rule.valid_from,
                  (rule.valid_to.is_(None)) | (basis.day <= rule.valid_to))
    in_period = [scope.clause(basis.branch_id), basis.day.between(start, end)]
    if campaign_id is not None:
        in_period.append(basis.campaign_id == int(campaign_id))
    yuan = func.coalesce(rule.yuan_per_customer, 0.0)
    counts = read_frame(session, (
        select(basis.staff_id, basis.customer_kind, rule.valid_from, yuan.label("yuan_per_customer"),
               func.count().label("customers"))
        .select_from(basis).outerjoin(rule, covers).where(*in_period)
        .group_by(basis.staff_id, basis.customer_kind, rule.valid_from, yuan)))
    flags = stored_fraud_flags(session, scope, start - timedelta(days=FRAUD_LOOKBACK_DAYS), end)[FLAG_COLUMNS]
    excluded = excluded_customers(flags, fraud_clearances(session, scope))
    held = pd.DataFrame({"staff_id": pd.Series(dtype="int64")})
    if not excluded.empty:
        candidates = read_frame(session, (
            select(basis.staff_id, basis.customer_id, basis.customer_kind, rule.valid_from,
                   yuan.label("yuan_per_customer"))
            .select_from(basis).outerjoin(rule, covers)
            .where(*in_period, basis.customer_id.in_(sorted(set(excluded["customer_id"].astype(int)))))))
        held = candidates.merge(excluded, on=["staff_id", "customer_id"])
        if not held.empty:
            keys = ["staff_id", "customer_kind", "valid_from", "yuan_per_customer"]
            less = held.groupby(keys, dropna=False).size().rename("held").reset_index()
            counts = counts.merge(less, on=keys, how="left")
            counts["customers"] = counts["customers"] - counts["held"].fillna(0).astype("int64")
            counts = counts[counts["customers"] > 0].drop(columns="held")
    return ledger_from_counts(counts, withheld_counts(held), describe=describe)


REWARD_METRICS = {"effective_customers", "reward_yuan"}


def leaderboard(
    session: Session, scope: Scope, start: date, end: date, level: str = "staff", by: str = "conversions",
    campaign_id: int | None = None,
) -> pd.DataFrame:
    """The ranking staff open most: figures for the period, rank (ties share the better rank) and the
    change since the previous period of equal length."""
    staff = staff_in_scope(session, scope)

    def board_for(period_start: date, period_end: date, full: bool = True) -> pd.DataFrame:
        if full or by in REWARD_METRICS:
            counts = staff_referral_counts(session, scope, period_start, period_end, campaign_id)
            ledger = reward_ledger_preview(session, scope, period_start, period_end, campaign_id, describe=False)
        else:  # the previous period only supplies a rank by a count: the rollup alone answers it
            counts = staff_referral_totals(session, scope, period_start, period_end, campaign_id).assign(
                invited_converted=0)
            ledger = pd.DataFrame()
        board = staff_board(staff, counts, ledger)
        return board if level == "staff" else roll_up(board, level)

    key = {"staff": "staff_id", "branch": "branch_id", "region": "region_name"}[level]
    current = board_for(start, end)
    previous = board_for(*previous_period(start, end), full=False)
    return rank_board(current, key, by, previous)


def fraud_review(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    """Flagged events in the period with staff, day and whether a reviewer has cleared them."""
    flags = stored_fraud_flags(session, scope, start, end)
    if flags.empty:
        return flags.assign(cleared=pd.Series(dtype="bool"))
    clearances = fraud_clearances(session, scope)
    cleared = set(zip(clearances["event_id"].astype(int), clearances["rule"], strict=True)) if not clearances.empty else set()
    flags["cleared"] = [(int(e), r) in cleared for e, r in zip(flags["event_id"], flags["rule"], strict=True)]
    return flags


def funnel(session: Session, scope: Scope, start: date, end: date, campaign_id: int | None = None,
           staff_id: int | None = None) -> pd.DataFrame:
    return funnel_table(funnel_counts(session, scope, start, end, campaign_id, staff_id))


def promotion_channels(session: Session, scope: Scope, start: date, end: date, staff_id: int | None = None) -> pd.DataFrame:
    return channel_performance(share_totals(session, scope, start, end, staff_id),
                               conversions_by_channel(session, scope, start, end, staff_id))


def internal_referrals(session: Session, scope: Scope, start: date, end: date) -> pd.DataFrame:
    return internal_referral_table(internal_referral_counts(session, scope, start, end), staff_in_scope(session, scope))


def quarter_ledger(session: Session, scope: Scope, quarter: str) -> pd.DataFrame:
    """The quarter's ledger as payroll sees it: stored rows if the quarter was computed, else the live
    computation (status "preview")."""
    stored = reward_ledger_rows(session, scope, quarter)
    if not stored.empty:
        return stored
    start, end = parse_quarter(quarter)
    computed = reward_ledger_preview(session, scope, start, end)
    names = staff_in_scope(session, scope)[["staff_id", "staff_name", "employee_no", "branch_name"]]
    frame = names.merge(computed, on="staff_id") if not computed.empty else computed.assign(
        staff_name=pd.Series(dtype="object"), employee_no=pd.Series(dtype="object"), branch_name=pd.Series(dtype="object"))
    return frame.assign(quarter=quarter, status="preview").sort_values(["amount", "staff_id"], ascending=[False, True]).reset_index(drop=True)


def overview_headline(session: Session, scope: Scope, end: date, days: int = 30) -> dict[str, object]:
    """For the overview page: the last `days` days' conversions, the top staff member and open fraud flags."""
    start = end - timedelta(days=days - 1)
    counts = staff_referral_totals(session, scope, start, end)
    flags = fraud_review(session, scope, start, end)
    if counts.empty:
        return {"start": start, "end": end, "conversions": 0, "conversion_amount": 0.0, "top_staff": None,
                "top_conversions": 0, "open_fraud_flags": int((~flags["cleared"]).sum()) if not flags.empty else 0}
    top = counts.sort_values(["conversions", "conversion_amount", "staff_id"], ascending=[False, False, True]).iloc[0]
    # Only the top person is named: one row, not the scope's whole staff list (19k at head office).
    name, branch = session.execute(select(Staff.name, Branch.name).join(Branch, Branch.id == Staff.branch_id)
                                   .where(Staff.id == int(top["staff_id"]))).one()
    return {
        "start": start, "end": end, "conversions": int(counts["conversions"].sum()),
        "conversion_amount": float(counts["conversion_amount"].sum()),
        "top_staff": f"{name}（{branch}）", "top_conversions": int(top["conversions"]),
        "open_fraud_flags": int((~flags["cleared"]).sum()) if not flags.empty else 0,
    }


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
    session.commit()
    return len(records)


def add_reward_rule(session: Session, customer_kind: str, yuan_per_customer: float, valid_from: date,
                    valid_to: date | None = None, note: str = "") -> RewardRule:
    """Add a rule; refused when its period overlaps another rule of the same kind."""
    problems = []
    if customer_kind not in KIND_LABELS:
        problems.append(f"客户类型应为 personal 或 corporate / customer kind must be personal or corporate: {customer_kind}")
    if yuan_per_customer < 0:
        problems.append("奖励金额不能为负 / reward must not be negative")
    current = reward_rules(session)
    candidate = pd.concat([current, pd.DataFrame([{"rule_id": -1, "customer_kind": customer_kind,
                                                   "yuan_per_customer": yuan_per_customer, "valid_from": valid_from,
                                                   "valid_to": valid_to}])], ignore_index=True)
    problems += rule_overlaps(candidate)
    if problems:
        raise ReferralInputError(problems)
    rule = RewardRule(customer_kind=customer_kind, yuan_per_customer=yuan_per_customer, valid_from=valid_from,
                      valid_to=valid_to, note=note)
    session.add(rule)
    session.commit()
    session.refresh(rule)
    return rule


def write_reward_ledger(session: Session, scope: Scope, quarter: str) -> pd.DataFrame:
    """Compute the quarter and store it; rows already approved or paid are kept as they are."""
    start, end = parse_quarter(quarter)
    computed = compute_rewards(session, scope, start, end).ledger
    locked = set(session.execute(
        select(RewardLedger.staff_id).where(scope.clause(RewardLedger.branch_id), RewardLedger.quarter == quarter,
                                            RewardLedger.status != LedgerStatus.COMPUTED.value)).scalars())
    session.execute(delete(RewardLedger).where(scope.clause(RewardLedger.branch_id), RewardLedger.quarter == quarter,
                                               RewardLedger.status == LedgerStatus.COMPUTED.value))
    branch_of = dict(session.execute(select(Staff.id, Staff.branch_id).where(scope.clause(Staff.branch_id))).all())
    now = datetime.now(UTC)
    fresh = computed[~computed["staff_id"].isin(locked)] if not computed.empty else computed
    session.add_all([
        RewardLedger(staff_id=int(r.staff_id), branch_id=branch_of[int(r.staff_id)], quarter=quarter,
                     personal_customers=int(r.personal_customers), corporate_customers=int(r.corporate_customers),
                     effective_customers=int(r.effective_customers), amount=float(r.amount),
                     flagged_exclusions=int(r.flagged_exclusions), basis=r.basis, status=LedgerStatus.COMPUTED.value,
                     computed_at=now)
        for r in fresh.itertuples(index=False)
    ])
    session.commit()
    return reward_ledger_rows(session, scope, quarter)


def distinct_customers_converted(session: Session, scope: Scope, start: date, end: date) -> int:
    """Distinct customers with a live conversion in the period (a check figure for the board)."""
    return int(session.execute(
        select(func.count(distinct(ReferralEvent.customer_id))).where(
            scope.clause(ReferralEvent.branch_id), ReferralEvent.day.between(start, end), _live_conversion())
    ).scalar_one())
