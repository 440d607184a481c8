"""The migrant-worker season's reads: seasons, name lists, deposits, targets, the list rollups' day, events and
offers, and the compositions the campaign page and the overview show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.campaign import (
    CampaignDeposit,
    CampaignTarget,
    HometownOffer,
    MigrantCampaign,
    NameListEntry,
    OutreachContact,
    SmsMessage,
    TargetLevel,
    TownshipEvent,
    Visit,
)
from models.customers import Customer, KeyPerson, Village
from models.measures.campaign import (
    LAGGING_RATIO,
    PACE_WINDOW,
    REPLY_WEIGHT,
    ROUND1_DAYS,
    ROUND2_LAST_LUNAR_DAY,
    ROUND3_LEAD_DAYS,
    TIE_WEIGHT,
    VISIT_STATUSES,
    WAIT_CAP_DAYS,
    WAIT_WEIGHT,
    WORKER_FLAGS,
    by_staff,
    by_village,
    comparison_curves,
    converted_customers,
    countdown,
    coverage_figures,
    cumulative_by_lunar_day,
    days_remaining,
    default_as_of,
    events_as_of,
    events_summary,
    first_deposit_day,
    key_person_ties,
    lagging,
    list_coverage,
    progress,
    projection,
    recent_pace,
    run_rate_needed,
    season_comparison,
    seasonal_projection,
    sms_figures,
    sms_flags,
    sms_funnel,
    table_from_counts,
    visit_next,
    visit_status,
    visit_summary,
    visit_summary_from_counts,
    visit_windows,
    worker_flags,
)
from models.org import Branch, Staff
from models.privacy import CUSTOMER_STAFF, own_customers_only, phones_for_scope
from models.rollup_tables.campaign import CampaignDepositDaily, CampaignStaffDaily, CampaignVillageDaily
from models.scope import Scope
from models.store.frames import read_frame

# The area's measures (and refreshes) are re-exported: pages and tests reach them through this module.
__all__ = [
    "PACE_WINDOW",
    "REPLY_WEIGHT",
    "ROUND1_DAYS",
    "ROUND2_LAST_LUNAR_DAY",
    "ROUND3_LEAD_DAYS",
    "TIE_WEIGHT",
    "VISIT_STATUSES",
    "WAIT_CAP_DAYS",
    "WAIT_WEIGHT",
    "WORKER_FLAGS",
    "WORKER_LIST_LIMIT",
    "by_staff",
    "by_village",
    "campaign_view",
    "campaigns",
    "comparison_curves",
    "converted_customers",
    "countdown",
    "coverage_figures",
    "cumulative_by_lunar_day",
    "daily_deposits",
    "daily_deposits_of",
    "days_remaining",
    "default_as_of",
    "deposits_by_customer_day",
    "events_as_of",
    "events_summary",
    "first_deposit_day",
    "hometown_offers",
    "key_person_outreach",
    "key_person_summary",
    "key_person_ties",
    "lagging",
    "list_counts",
    "list_coverage",
    "list_totals",
    "name_list",
    "overview_headline",
    "previous_season",
    "progress",
    "projection",
    "recent_pace",
    "run_rate_needed",
    "season_comparison",
    "season_summary",
    "seasonal_projection",
    "sms_figures",
    "sms_flags",
    "sms_funnel",
    "table_from_counts",
    "targets",
    "township_events",
    "village_standing",
    "visit_next",
    "visit_status",
    "visit_summary",
    "visit_summary_from_counts",
    "visit_windows",
    "worker_flags",
    "worker_frames",
]

WORKER_LIST_LIMIT = 5_000
"""Above this many listed workers in a scope (about 20 branches) the page shows the list's state from the
rollups and asks to pick a branch for the per-worker visit list, instead of reading every worker."""


# ---------------------------------------------------------------- queries


def campaigns(session: Session, scope: Scope | None = None) -> pd.DataFrame:
    """Every season with its lunar calendar, oldest first. Seasons are bank-wide, so the scope (taken
    for the common query signature) does not narrow them; every figure inside a season is scoped."""
    frame = read_frame(session, select(
        MigrantCampaign.id.label("campaign_id"), MigrantCampaign.season, MigrantCampaign.name,
        MigrantCampaign.spring_festival, MigrantCampaign.start_date, MigrantCampaign.end_date,
        MigrantCampaign.events_start, MigrantCampaign.events_end,
    ).order_by(MigrantCampaign.season))
    return _as_dates(frame, ["spring_festival", "start_date", "end_date", "events_start", "events_end"])


def name_list(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """One row per listed worker: who, where, contact staff, foreman tie, travel dates, the SMS and the
    three visits (dates, income learned, collection target)."""
    r1, r2, r3 = aliased(Visit), aliased(Visit), aliased(Visit)
    statement = (
        select(
            NameListEntry.id.label("entry_id"), NameListEntry.customer_id, Customer.name.label("customer_name"),
            Customer.phone, NameListEntry.branch_id, Branch.name.label("branch_name"), NameListEntry.village_id,
            Village.name.label("village_name"), NameListEntry.staff_id, Staff.name.label("staff_name"),
            Customer.staff_id.label(CUSTOMER_STAFF),  # whose own customer the worker is (models.privacy)
            NameListEntry.foreman_customer_id, NameListEntry.expected_return, NameListEntry.returned_on,
            NameListEntry.leaves_on, NameListEntry.last_year_deposits,
            SmsMessage.sent_on, SmsMessage.delivered, SmsMessage.replied_on, SmsMessage.reply_code,
            r1.visit_date.label("visit1_date"), r2.visit_date.label("visit2_date"), r3.visit_date.label("visit3_date"),
            r1.income_learned, r1.collection_target,
        )
        .join(Customer, Customer.id == NameListEntry.customer_id)
        .join(Branch, Branch.id == NameListEntry.branch_id)
        .join(Village, Village.id == NameListEntry.village_id, isouter=True)
        .join(Staff, Staff.id == NameListEntry.staff_id, isouter=True)
        .join(SmsMessage, SmsMessage.entry_id == NameListEntry.id, isouter=True)
        .join(r1, and_(r1.entry_id == NameListEntry.id, r1.visit_round == 1), isouter=True)
        .join(r2, and_(r2.entry_id == NameListEntry.id, r2.visit_round == 2), isouter=True)
        .join(r3, and_(r3.entry_id == NameListEntry.id, r3.visit_round == 3), isouter=True)
        .where(scope.clause(NameListEntry.branch_id), NameListEntry.campaign_id == int(campaign_id))
        .order_by(NameListEntry.id)
    )
    frame = _as_dates(read_frame(session, statement), [
        "expected_return", "returned_on", "leaves_on", "sent_on", "replied_on", "visit1_date", "visit2_date",
        "visit3_date"])
    for column in ("last_year_deposits", "income_learned", "collection_target"):
        frame[column] = frame[column].astype("float64")
    frame["delivered"] = frame["delivered"].astype("boolean")
    return frame


def deposits_by_customer_day(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """Campaign deposits per customer and day, with branch, village and staff credited."""
    statement = (
        select(CampaignDeposit.day, CampaignDeposit.customer_id, CampaignDeposit.branch_id, CampaignDeposit.village_id,
               CampaignDeposit.staff_id, func.sum(CampaignDeposit.amount).label("amount"))
        .where(scope.clause(CampaignDeposit.branch_id), CampaignDeposit.campaign_id == int(campaign_id))
        .group_by(CampaignDeposit.day, CampaignDeposit.customer_id, CampaignDeposit.branch_id,
                  CampaignDeposit.village_id, CampaignDeposit.staff_id)
        .order_by(CampaignDeposit.day, CampaignDeposit.customer_id)
    )
    frame = _as_dates(read_frame(session, statement), ["day"])
    frame["amount"] = frame["amount"].astype("float64")
    return frame


def daily_deposits(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """The scope's campaign deposits per day (amount and depositors)."""
    return daily_deposits_of(session, scope, [campaign_id])[int(campaign_id)]


def daily_deposits_of(session: Session, scope: Scope, campaign_ids: list[int]) -> dict[int, pd.DataFrame]:
    """`daily_deposits` for several seasons in one read (the overview compares this season with the last)."""
    table = CampaignDepositDaily
    statement = (
        select(table.campaign_id, table.day, func.sum(table.amount).label("amount"),
               func.sum(table.depositors).label("depositors"))
        .where(scope.clause(table.branch_id), table.campaign_id.in_([int(c) for c in campaign_ids]))
        .group_by(table.campaign_id, table.day)
        .order_by(table.campaign_id, table.day)
    )
    frame = _as_dates(read_frame(session, statement), ["day"])
    frame["amount"] = frame["amount"].astype("float64")
    empty = frame.iloc[0:0].drop(columns="campaign_id").reset_index(drop=True)
    found = {int(c): part.drop(columns="campaign_id").reset_index(drop=True)
             for c, part in frame.groupby("campaign_id", sort=False)} if not frame.empty else {}
    return {int(c): found.get(int(c), empty) for c in campaign_ids}


def targets(session: Session, scope: Scope, campaign_id: int, levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Deposit targets per branch, village and staff member (or only those of `levels`), with their names."""
    statement = (
        select(CampaignTarget.level, CampaignTarget.branch_id, Branch.name.label("branch_name"),
               CampaignTarget.village_id, Village.name.label("village_name"), Village.township,
               CampaignTarget.staff_id, Staff.name.label("staff_name"), CampaignTarget.deposit_target)
        .join(Branch, Branch.id == CampaignTarget.branch_id)
        .join(Village, Village.id == CampaignTarget.village_id, isouter=True)
        .join(Staff, Staff.id == CampaignTarget.staff_id, isouter=True)
        .where(scope.clause(CampaignTarget.branch_id), CampaignTarget.campaign_id == int(campaign_id))
        .order_by(CampaignTarget.level, CampaignTarget.branch_id, CampaignTarget.village_id, CampaignTarget.staff_id)
    )
    if levels is not None:
        statement = statement.where(CampaignTarget.level.in_(levels))
    frame = read_frame(session, statement)
    frame["deposit_target"] = frame["deposit_target"].astype("float64")
    return frame


def branch_target_total(session: Session, scope: Scope, campaign_id: int) -> float:
    """The scope's branch-level deposit target for the season (`targets`' branch rows summed, in SQL)."""
    statement = select(func.coalesce(func.sum(CampaignTarget.deposit_target), 0.0)).where(
        scope.clause(CampaignTarget.branch_id), CampaignTarget.campaign_id == int(campaign_id),
        CampaignTarget.level == TargetLevel.BRANCH.value)
    return float(session.execute(statement).scalar_one())


def has_deposits(session: Session, scope: Scope, campaign_id: int) -> bool:
    """Whether the scope took any deposit in the season (on any day)."""
    statement = select(CampaignDepositDaily.id).where(
        scope.clause(CampaignDepositDaily.branch_id), CampaignDepositDaily.campaign_id == int(campaign_id)).limit(1)
    return session.execute(statement).first() is not None


def key_person_outreach(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """Key persons and foremen of the villages on the list, with their contact (if any) this season."""
    listed_villages = (
        select(NameListEntry.village_id)
        .where(NameListEntry.campaign_id == int(campaign_id), scope.clause(NameListEntry.branch_id))
        .distinct()
    )
    statement = (
        select(KeyPerson.id.label("key_person_id"), KeyPerson.customer_id, KeyPerson.branch_id, KeyPerson.village_id,
               KeyPerson.role, Customer.name.label("person_name"), OutreachContact.contact_date, OutreachContact.outcome)
        .join(Customer, Customer.id == KeyPerson.customer_id)
        .join(OutreachContact, and_(OutreachContact.key_person_id == KeyPerson.id,
                                    OutreachContact.campaign_id == int(campaign_id)), isouter=True)
        .where(scope.clause(KeyPerson.branch_id), KeyPerson.village_id.in_(listed_villages))
        .order_by(KeyPerson.id)
    )
    return _as_dates(read_frame(session, statement), ["contact_date"])


def township_events(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    statement = (
        select(TownshipEvent.id.label("event_id"), TownshipEvent.branch_id, Branch.name.label("branch_name"),
               TownshipEvent.event_date, TownshipEvent.township, TownshipEvent.name, TownshipEvent.attendees,
               TownshipEvent.prize_threshold, TownshipEvent.qualifying_depositors, TownshipEvent.new_deposits)
        .join(Branch, Branch.id == TownshipEvent.branch_id)
        .where(scope.clause(TownshipEvent.branch_id), TownshipEvent.campaign_id == int(campaign_id))
        .order_by(TownshipEvent.event_date, TownshipEvent.id)
    )
    frame = _as_dates(read_frame(session, statement), ["event_date"])
    frame["new_deposits"] = frame["new_deposits"].astype("float64")
    return frame


def hometown_offers(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """Welcome-back offers summed over the scope's branches: how many took each and what it cost."""
    statement = (
        select(HometownOffer.kind, HometownOffer.name, HometownOffer.threshold, HometownOffer.unit_cost,
               func.sum(HometownOffer.taken).label("taken"),
               func.sum(HometownOffer.taken * HometownOffer.unit_cost).label("cost"))
        .where(scope.clause(HometownOffer.branch_id), HometownOffer.campaign_id == int(campaign_id))
        .group_by(HometownOffer.kind, HometownOffer.name, HometownOffer.threshold, HometownOffer.unit_cost)
        .order_by(HometownOffer.threshold, HometownOffer.kind)
    )
    frame = read_frame(session, statement)
    frame["cost"] = frame["cost"].astype("float64")
    return frame


def key_person_summary(session: Session, scope: Scope, campaign_id: int) -> pd.DataFrame:
    """`key_person_outreach` counted in SQL: persons per role, contact day and outcome, for the villages
    with workers on the list (read from the list rollup, not the list)."""
    listed_villages = (
        select(CampaignVillageDaily.village_id)
        .join(MigrantCampaign, and_(MigrantCampaign.id == CampaignVillageDaily.campaign_id,
                                    MigrantCampaign.start_date == CampaignVillageDaily.day))
        .where(CampaignVillageDaily.campaign_id == int(campaign_id), CampaignVillageDaily.workers > 0,
               scope.clause(CampaignVillageDaily.branch_id))
    )
    statement = (
        select(KeyPerson.role, OutreachContact.contact_date, OutreachContact.outcome,
               func.count().label("persons"))
        .join(OutreachContact, and_(OutreachContact.key_person_id == KeyPerson.id,
                                    OutreachContact.campaign_id == int(campaign_id)), isouter=True)
        .where(scope.clause(KeyPerson.branch_id), KeyPerson.village_id.in_(listed_villages))
        .group_by(KeyPerson.role, OutreachContact.contact_date, OutreachContact.outcome)
        .order_by(KeyPerson.role, OutreachContact.contact_date, OutreachContact.outcome)
    )
    frame = _as_dates(read_frame(session, statement), ["contact_date"])
    frame["persons"] = frame["persons"].astype("int64") if not frame.empty else pd.Series(dtype="int64")
    return frame


def _season_day(campaign: Mapping, as_of: date) -> date:
    """The list rollups' day for `as_of`: they hold the season's days, so a day outside reads its nearest end."""
    return min(max(as_of, pd.Timestamp(campaign["start_date"]).date()), pd.Timestamp(campaign["end_date"]).date())


def list_counts(session: Session, scope: Scope, campaign_id: int, as_of: date,
                keys: tuple[str, ...] = ("village_id", "staff_id")) -> dict[str, pd.DataFrame]:
    """Where the name list stands on as_of, per village and per contact staff member (`keys`), from the
    list rollups: the sums of `worker_flags` and the deposits credited to date, plus visits due and missed.
    The rollups hold the season's days; a day outside the season reads its nearest end."""
    season = session.execute(select(MigrantCampaign.start_date, MigrantCampaign.end_date)
                             .where(MigrantCampaign.id == int(campaign_id))).one_or_none()
    frames: dict[str, pd.DataFrame] = {}
    for key, rollup in (("village_id", CampaignVillageDaily), ("staff_id", CampaignStaffDaily)):
        if key not in keys:
            continue
        day = as_of if season is None else _season_day(season._mapping, as_of)
        statement = (
            select(rollup.branch_id, getattr(rollup, key), *[getattr(rollup, c) for c in WORKER_FLAGS],
                   rollup.deposited)
            .where(rollup.campaign_id == int(campaign_id), rollup.day == day, scope.clause(rollup.branch_id))
            .order_by(rollup.branch_id, getattr(rollup, key))
        )
        frame = read_frame(session, statement)
        if frame.empty:
            frame = pd.DataFrame(columns=["branch_id", key, *WORKER_FLAGS, "deposited"])
        frame[WORKER_FLAGS] = frame[WORKER_FLAGS].astype("int64")
        frame["deposited"] = frame["deposited"].astype("float64")
        frame[key] = frame[key].astype("Int64")
        frame["visits_due"] = frame[[f"round{n}_due" for n in (1, 2, 3)]].sum(axis=1).astype("int64")
        frame["visits_missed"] = frame[[f"round{n}_missed" for n in (1, 2, 3)]].sum(axis=1).astype("int64")
        frames[key.removesuffix("_id")] = frame
    return frames


def list_totals(counts: Mapping[str, pd.DataFrame]) -> pd.Series:
    """The whole scope's `worker_flags` sums on the day (every worker is in exactly one village row)."""
    return counts["village"][WORKER_FLAGS].sum().astype("int64").reindex(WORKER_FLAGS, fill_value=0)


def season_summary(session: Session, scope: Scope, campaign_id: int) -> dict[str, pd.DataFrame]:
    """The season's frames that do not grow with the number of workers: daily deposits, targets, key
    persons counted, township events and offers (the day's list state comes from `list_counts`)."""
    return {
        "daily": daily_deposits(session, scope, campaign_id),
        "targets": targets(session, scope, campaign_id),
        "key_people": key_person_summary(session, scope, campaign_id),
        "events": township_events(session, scope, campaign_id),
        "offers": hometown_offers(session, scope, campaign_id),
    }


def worker_frames(session: Session, scope: Scope, campaign_id: int) -> dict[str, pd.DataFrame]:
    """One row per listed worker (name list with SMS and visits), their deposits and the key persons of
    their villages: what the visit list ranks. Read only for a scope of at most `WORKER_LIST_LIMIT` workers."""
    return {
        "entries": name_list(session, scope, campaign_id),
        "deposits": deposits_by_customer_day(session, scope, campaign_id),
        "key_people": key_person_outreach(session, scope, campaign_id),
    }


def _as_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    for column in columns:
        if column in frame:
            frame[column] = pd.to_datetime(frame[column])
        else:
            frame[column] = pd.Series(dtype="datetime64[ns]")
    return frame
"""The columns of `worker_flags`, in order (the campaign rollups' count columns)."""


# ---------------------------------------------------------------- one call for the overview


def overview_headline(session: Session, scope: Scope, end: date) -> dict | None:
    """For the overview: the running season as of `end`, or else the latest season's final result:
    deposits against target, projection and the villages lagging furthest behind. None if no season.
    What it shows of the villages is counted by the database (`village_standing`): the page's village table,
    ~3,000 rows at head office, is not read for three names and two counts."""
    seasons = campaigns(session, scope)
    if seasons.empty:
        return None
    end_ts = pd.Timestamp(end)
    running = seasons[(seasons["start_date"] <= end_ts) & (seasons["end_date"] >= end_ts)]
    started = seasons[seasons["start_date"] <= end_ts]
    if running.empty and started.empty:
        return None
    campaign = (running if not running.empty else started).iloc[-1]
    as_of = end if not running.empty else campaign["end_date"].date()
    campaign_id = int(campaign["campaign_id"])
    last = previous_season(seasons, int(campaign["season"]))
    both = daily_deposits_of(session, scope, [campaign_id] + ([] if last is None else [int(last["campaign_id"])]))
    daily = both[campaign_id]
    branch_target = branch_target_total(session, scope, campaign_id)
    if branch_target == 0 and daily.empty:
        return None
    headline = progress(daily, branch_target, campaign, as_of)
    standing = village_standing(session, scope, campaign_id, _season_day(campaign, as_of))
    if last is not None:
        compared = season_comparison(daily, campaign, both[int(last["campaign_id"])], last, as_of)
        headline["last_season_to_date"] = compared["last_to_date"]
        headline["change_vs_last_season"] = compared["change"]
        headline["seasonal_projection"] = seasonal_projection(headline["deposited"], compared["last_share_by_now"])
    headline.update({
        "season": int(campaign["season"]), "as_of": as_of, "running": not running.empty,
        **countdown(campaign, as_of),
        "lagging_villages": standing["lagging"], "villages": standing["villages"],
        "worst_villages": standing["worst"],
    })
    return headline


def village_standing(session: Session, scope: Scope, campaign_id: int, day: date, worst: int = 3) -> dict:
    """The villages of `table_from_counts` (a village target, or workers listed on `day`) counted, those that
    `lagging` finds behind their peers counted, and the `worst` of them by gap with their names: the same
    figures from two narrow reads (the targets, the day's list sums per village) and plain arithmetic, with the
    names read for those `worst` only, instead of the page's whole named table built in pandas."""
    target, counts = CampaignTarget, CampaignVillageDaily
    targets = session.execute(
        select(target.village_id, target.branch_id, target.deposit_target)
        .where(target.campaign_id == int(campaign_id), target.level == TargetLevel.VILLAGE.value,
               scope.clause(target.branch_id))).all()
    listed = {village: (int(workers or 0), float(deposited or 0.0)) for village, workers, deposited in session.execute(
        select(counts.village_id, func.sum(counts.workers), func.sum(counts.deposited))
        .where(counts.campaign_id == int(campaign_id), counts.day == day, scope.clause(counts.branch_id),
               counts.village_id.is_not(None))
        .group_by(counts.village_id))}
    targeted = {village for village, _, _ in targets}
    rows = [(village, branch, float(goal or 0.0), listed.get(village, (0, 0.0))[1]) for village, branch, goal in targets]
    rows += [(village, None, 0.0, deposited) for village, (workers, deposited) in listed.items()
             if workers > 0 and village not in targeted]
    out = {"villages": len(rows), "lagging": 0, "worst": []}
    goals = np.array([r[2] for r in rows], dtype="float64")
    deposits = np.array([r[3] for r in rows], dtype="float64")
    if goals.sum() <= 0 or deposits.sum() <= 0:
        return out
    threshold = LAGGING_RATIO * (deposits.sum() / goals.sum())
    behind = [(max(goal - deposited, 0.0), village, branch, deposited / goal) for village, branch, goal, deposited in rows
              if goal > 0 and deposited / goal < threshold]
    behind.sort(key=lambda r: (-r[0], r[1]))
    out["lagging"] = len(behind)
    shown = behind[:worst]
    if not shown:
        return out
    villages = dict(session.execute(select(Village.id, Village.name).where(Village.id.in_([r[1] for r in shown]))).all())
    branches = dict(session.execute(select(Branch.id, Branch.name).where(Branch.id.in_({r[2] for r in shown}))).all())
    out["worst"] = [{"village_id": int(village), "village_name": villages[village], "branch_id": int(branch),
                     "branch_name": branches[branch], "attainment": float(share), "gap": float(gap)}
                    for gap, village, branch, share in shown]
    return out


def previous_season(seasons: pd.DataFrame, season: int) -> pd.Series | None:
    """The season before `season`, if the store holds it."""
    earlier = seasons[seasons["season"] < season]
    return None if earlier.empty else earlier.iloc[-1]


def campaign_view(season: Mapping[str, pd.DataFrame], counts: Mapping[str, pd.DataFrame], campaign: Mapping,
                  as_of: date, scope: Scope, last_daily: pd.DataFrame | None = None,
                  last_campaign: Mapping | None = None, workers: Mapping[str, pd.DataFrame] | None = None) -> dict:
    """Everything the campaign page shows for one scope, season and day: from `season_summary` and the
    day's `list_counts`; the visit list from `worker_frames` when given (None: `visit_next` is None)."""
    all_targets = season["targets"]
    branch_target = float(all_targets.loc[all_targets["level"] == TargetLevel.BRANCH.value, "deposit_target"].sum())
    totals = list_totals(counts)
    view: dict = {
        "countdown": countdown(campaign, as_of),
        "progress": progress(season["daily"], branch_target, campaign, as_of),
        "coverage": coverage_figures(totals, season["key_people"], as_of),
        "sms": sms_figures(totals["workers"], totals),
        "visits": visit_summary_from_counts(totals),
        "events_summary": events_summary(season["events"], as_of),
        "events": events_as_of(season["events"], as_of),
        "offers": season["offers"],
        "villages": table_from_counts(counts["village"],
                                      all_targets[all_targets["level"] == TargetLevel.VILLAGE.value], "village_id"),
        "staff": table_from_counts(counts["staff"], all_targets[all_targets["level"] == TargetLevel.STAFF.value],
                                   "staff_id"),
    }
    view["lagging_villages"] = lagging(view["villages"])
    view["lagging_staff"] = lagging(view["staff"])
    view["visit_next"] = None
    if workers is not None:
        entries, deposits = workers["entries"], workers["deposits"]
        status = visit_status(entries, pd.Timestamp(campaign["spring_festival"]).date(), as_of)
        ties = key_person_ties(entries, workers["key_people"], as_of)
        # a staff member's rows and unmasked phones: their own customers (the customer record's staff, not the
        # entry's contact staff; the rule is models.privacy's)
        view["visit_next"] = phones_for_scope(
            own_customers_only(visit_next(entries, status, deposits, ties, as_of), scope), scope)
    view["comparison"] = None
    view["curves"] = None
    view["progress"]["seasonal_projection"] = None
    if last_daily is not None and last_campaign is not None:
        view["comparison"] = season_comparison(season["daily"], campaign, last_daily, last_campaign, as_of)
        view["curves"] = comparison_curves(season["daily"], campaign, last_daily, last_campaign, as_of)
        view["progress"]["seasonal_projection"] = seasonal_projection(
            view["progress"]["deposited"], view["comparison"]["last_share_by_now"])
    return view
