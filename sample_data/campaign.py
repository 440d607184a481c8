"""Two completed Spring Festival seasons of the 213N campaign, so that a season can be replayed day by day
and compared with the one before on the same lunar day.

Returns spread over the five weeks before the festival; about 38% of delivered SMS are answered and
repliers convert near 70% against far less for the silent; a quarter of the villages lag (fewer
visits, fewer replies, lower conversion) so their gap to target shows; some visits come late.
Everything is drawn per worker with numpy, so the large scale (≈150,000 workers a season) stays fast.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from models.campaign import (
    CampaignDeposit,
    CampaignTarget,
    CareAction,
    CareKind,
    HometownOffer,
    MigrantCampaign,
    NameListEntry,
    OfferKind,
    OutreachContact,
    OutreachOutcome,
    SmsMessage,
    TargetLevel,
    TownshipEvent,
    Visit,
    VisitOutcome,
    season_dates,
)
from models.customers import CustomerKind, KeyRole, Occupation
from sample_data.context import GenContext

LAGGING_SHARE = 0.25
LAG_FACTOR = 0.6
REPLY_RATE = 0.40
PRIZE_THRESHOLD = 10_000.0
OFFERS = [  # kind, name, threshold (yuan of campaign deposits), unit cost
    (OfferKind.PICK_UP, "车站接送", 0.0, 30.0),
    (OfferKind.TICKETS, "电影票优惠", 0.0, 40.0),
    (OfferKind.FEE_WAIVER, "手续费减免", 0.0, 10.0),
    (OfferKind.NEW_YEAR_GOODS, "春联与年货优惠", 0.0, 80.0),
    (OfferKind.INSURANCE, "存款赠送意外保险", 50_000.0, 120.0),
    (OfferKind.FAMILY_BENEFIT, "一人达标全家享", 100_000.0, 300.0),
]


def completed_seasons(end: date, count: int = 2) -> list[int]:
    """The last `count` seasons whose campaign ended on or before `end`, oldest first."""
    seasons: list[int] = []
    year = end.year + 1
    while len(seasons) < count:
        if season_dates(year)["end_date"] <= end:
            seasons.append(year)
        year -= 1
    return sorted(seasons)


def _on(festival: date, offsets: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """Days after the festival as python dates (None where not `valid`)."""
    offsets = np.asarray(offsets)
    base = pd.Timestamp(festival)
    values = (base + pd.to_timedelta(np.where(valid if valid is not None else True, offsets, 0), unit="D")).date
    if valid is None:
        return np.asarray(values, dtype=object)
    return np.where(valid, values, None).astype(object)


def _ids(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    frame.insert(0, "id", np.arange(start, start + len(frame)))
    return frame


def generate_campaign(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("campaign")
    customers = ctx.frames["customer"]
    villages = ctx.frames["village"]
    key_people = ctx.frames["keyperson"]

    workers = customers[
        (customers["occupation"] == Occupation.MIGRANT_WORKER.value)
        & (customers["kind"] == CustomerKind.PERSONAL.value)
        & customers["village_id"].notna()
    ].reset_index(drop=True)
    village_ids = villages["id"].to_numpy()
    lagging = pd.Series(rng.random(len(village_ids)) < LAGGING_SHARE, index=village_ids)
    foremen = _foremen_by_village(key_people)

    out: dict[str, list[pd.DataFrame]] = {}
    last_deposits = pd.Series(np.round(rng.lognormal(np.log(28_000), 0.6, len(workers)), -2), index=workers["id"].to_numpy())
    next_ids = dict.fromkeys(["entry", "sms", "care", "visit", "deposit", "target", "offer", "outreach", "event"], 1)
    for campaign_id, season in enumerate(completed_seasons(ctx.end), start=1):
        dates = season_dates(season)
        frames, deposits_by_customer = _season(
            rng, campaign_id, season, dates, workers, lagging, foremen, key_people, villages, last_deposits, next_ids
        )
        last_deposits = deposits_by_customer.reindex(workers["id"].to_numpy(), fill_value=0.0)
        for name, frame in frames.items():
            out.setdefault(name, []).append(frame)
    return {name: pd.concat(parts, ignore_index=True) for name, parts in out.items()}


def _foremen_by_village(key_people: pd.DataFrame) -> pd.DataFrame:
    """Foremen per village as a (village_id, customer_id, slot) table for vectorised picking."""
    foremen = key_people[(key_people["role"] == KeyRole.FOREMAN.value) & key_people["village_id"].notna()]
    frame = foremen[["village_id", "customer_id"]].astype("int64").sort_values(["village_id", "customer_id"])
    frame["slot"] = frame.groupby("village_id").cumcount()
    return frame.reset_index(drop=True)


def _pick_foremen(rng, village: np.ndarray, worker_ids: np.ndarray, foremen: pd.DataFrame) -> pd.array:
    """About 55% of workers went out with one of their village's foremen (never themselves)."""
    counts = foremen.groupby("village_id").size()
    available = counts.reindex(village, fill_value=0).to_numpy()
    slot = np.floor(rng.random(len(village)) * np.maximum(available, 1)).astype(int)
    lookup = foremen.set_index(["village_id", "slot"])["customer_id"]
    keys = pd.MultiIndex.from_arrays([village.astype("int64"), slot])
    picked = pd.array(lookup.reindex(keys).to_numpy(), dtype="Int64")
    tied = (rng.random(len(village)) < 0.55) & (available > 0)
    picked[~tied | (picked == worker_ids).fillna(False).to_numpy(dtype=bool)] = pd.NA
    return picked


def _season(rng, campaign_id: int, season: int, dates: dict[str, date], workers: pd.DataFrame, lagging: pd.Series,
            foremen: dict[int, np.ndarray], key_people: pd.DataFrame, villages: pd.DataFrame,
            last_deposits: pd.Series, next_ids: dict[str, int]) -> tuple[dict[str, pd.DataFrame], pd.Series]:
    festival = dates["spring_festival"]
    end_offset = (dates["end_date"] - festival).days
    campaign = pd.DataFrame([{"id": campaign_id, "season": season, "name": f"{season}年返乡农民工旺季营销（213N）",
                              **dates}])

    listed = workers[rng.random(len(workers)) < 0.9].reset_index(drop=True)
    n = len(listed)
    village = listed["village_id"].astype(int).to_numpy()
    lag = lagging.reindex(village).to_numpy()
    factor = np.where(lag, LAG_FACTOR, 1.0)

    foreman = _pick_foremen(rng, village, listed["id"].to_numpy(), foremen)
    expected = -np.clip(np.round(rng.gamma(2.2, 5.5, n)) + 1, 1, 33).astype(int)
    returns = rng.random(n) < 0.93
    returned = np.clip(expected + np.round(rng.normal(0, 1.5, n)).astype(int), -34, 3)
    leaves = np.clip(6 + np.round(rng.gamma(2.0, 3.0, n)).astype(int), 5, 24)
    entries = pd.DataFrame({
        "campaign_id": campaign_id, "customer_id": listed["id"].to_numpy(), "branch_id": listed["branch_id"].to_numpy(),
        "village_id": village, "staff_id": listed["staff_id"].to_numpy(), "foreman_customer_id": foreman,
        "expected_return": _on(festival, expected), "returned_on": _on(festival, returned, returns),
        "leaves_on": _on(festival, leaves), "last_year_deposits": last_deposits.reindex(listed["id"].to_numpy()).to_numpy(),
    })
    entries["staff_id"] = entries["staff_id"].astype("Int64")
    entries["foreman_customer_id"] = entries["foreman_customer_id"].astype("Int64")
    entry_ids = np.arange(next_ids["entry"], next_ids["entry"] + n)
    next_ids["entry"] += n
    entries.insert(0, "id", entry_ids)
    branch = entries["branch_id"].to_numpy()

    # the one interactive SMS
    sent = rng.random(n) < 0.96
    sent_offset = -rng.integers(24, 31, n)
    delivered = sent & (rng.random(n) < 0.94)
    replied = delivered & (rng.random(n) < REPLY_RATE * factor)
    reply_delay = np.minimum(rng.geometric(0.55, n) - 1, 4)
    sms = pd.DataFrame({
        "entry_id": entry_ids[sent], "branch_id": branch[sent], "sent_on": _on(festival, sent_offset[sent]),
        "delivered": delivered[sent], "replied_on": _on(festival, (sent_offset + reply_delay)[sent], replied[sent]),
        "reply_code": pd.array(np.where(replied, rng.integers(1, 7, n), 0)[sent], dtype="Int64"),
    })
    sms.loc[~replied[sent], "reply_code"] = pd.NA
    sms = _ids(sms, next_ids["sms"])
    next_ids["sms"] += len(sms)

    cared = rng.random(n) < 0.25
    elderly = rng.random(n) < 0.6
    care = pd.DataFrame({
        "entry_id": entry_ids[cared], "branch_id": branch[cared],
        "kind": np.where(elderly, CareKind.ELDERLY.value, CareKind.CHILDREN.value)[cared],
        "action_date": _on(festival, -rng.integers(10, 25, n)[cared]),
        "cost": np.where(elderly, 15.0, 30.0)[cared],
    })
    care["done_on"] = care["action_date"].where(care["entry_id"] % 7 != 0, None)  # a few still to do (no draw)
    care = _ids(care, next_ids["care"])
    next_ids["care"] += len(care)

    # three visit rounds
    round1 = returns & (rng.random(n) < 0.88 * factor)
    delay1 = rng.choice(7, size=n, p=[0.30, 0.30, 0.20, 0.08, 0.05, 0.04, 0.03])
    date1 = np.minimum(returned + delay1, leaves - 1)
    income = np.round(rng.lognormal(np.log(55_000), 0.45, n), -3)
    target_share = rng.uniform(0.4, 0.6, n)
    round2 = returns & (returned <= 4) & (rng.random(n) < 0.78 * factor)
    date2 = np.where(rng.random(n) < 0.85, rng.integers(-1, 5, n), rng.integers(5, 8, n))
    date2 = np.minimum(np.maximum(date2, returned), leaves - 1)
    round3 = returns & (rng.random(n) < 0.65 * factor)
    date3 = np.where(rng.random(n) < 0.85, leaves - rng.integers(1, 4, n), leaves)
    date3 = np.maximum(date3, np.maximum(returned, date2 + 1))
    outcome1 = np.where(rng.random(n) < 0.06, VisitOutcome.NOT_HOME.value, VisitOutcome.TARGET_SET.value)
    learned = outcome1 == VisitOutcome.TARGET_SET.value
    visit_parts = []
    for number, done, offsets, outcomes in (
        (1, round1, date1, outcome1),
        (2, round2, date2, np.where(rng.random(n) < 0.4, VisitOutcome.DEPOSIT_PROMISED.value, VisitOutcome.WELCOMED.value)),
        (3, round3, date3, np.where(rng.random(n) < 0.08, VisitOutcome.DECLINED.value, VisitOutcome.WELCOMED.value)),
    ):
        visit_parts.append(pd.DataFrame({
            "entry_id": entry_ids[done], "branch_id": branch[done], "visit_round": number,
            "visit_date": _on(festival, offsets[done]), "staff_id": entries["staff_id"].to_numpy()[done],
            "outcome": outcomes[done],
            "income_learned": np.where(learned & (number == 1), income, np.nan)[done],
            "collection_target": np.where(learned & (number == 1), np.round(income * target_share, -3), np.nan)[done],
        }))
    visits = pd.concat(visit_parts, ignore_index=True).sort_values(["visit_date", "entry_id"], kind="stable")
    visits["staff_id"] = visits["staff_id"].astype("Int64")
    visits = _ids(visits.reset_index(drop=True), next_ids["visit"])
    next_ids["visit"] += len(visits)

    # township events (days 6-8), one per township of each branch's listed villages
    town = villages.set_index("id")["township"]
    places = (entries.assign(township=town.reindex(village).to_numpy())[["branch_id", "township"]]
              .drop_duplicates().sort_values(["branch_id", "township"]).reset_index(drop=True))
    places["event_offset"] = 5 + (np.arange(len(places)) % 3)
    event_offset = entries.assign(township=town.reindex(village).to_numpy()).merge(
        places, on=["branch_id", "township"], how="left")["event_offset"].to_numpy()

    # deposits: repliers convert near 70%, the silent far less, lagging villages less again
    p_convert = np.where(replied, 0.80, np.where(round1, 0.20, 0.06)) * np.where(lag, 0.7, 1.0)
    converts = returns & (rng.random(n) < p_convert)
    total = np.round(np.where(round1 & learned, income * rng.uniform(0.35, 0.8, n),
                              rng.lognormal(np.log(24_000), 0.5, n)), -2)
    first_day = np.minimum(returned + np.minimum(rng.geometric(0.45, n) - 1, 6), np.minimum(leaves - 1, end_offset))
    split = converts & (rng.random(n) < 0.45) & (event_offset < leaves)
    first_share = np.where(split, rng.uniform(0.5, 0.8, n), 1.0)
    first_amount = np.round(total * first_share, -2)
    deposits = pd.concat([
        pd.DataFrame({"i": np.flatnonzero(converts), "offset": first_day[converts], "amount": first_amount[converts]}),
        pd.DataFrame({"i": np.flatnonzero(split), "offset": np.maximum(event_offset, first_day)[split],
                      "amount": (total - first_amount)[split]}),
    ], ignore_index=True)
    deposits = deposits[deposits["amount"] > 0]
    deposits = pd.DataFrame({
        "campaign_id": campaign_id, "customer_id": entries["customer_id"].to_numpy()[deposits["i"]],
        "branch_id": branch[deposits["i"]], "village_id": village[deposits["i"]],
        "staff_id": entries["staff_id"].to_numpy()[deposits["i"]], "day": _on(festival, deposits["offset"].to_numpy()),
        "amount": deposits["amount"].to_numpy(), "offset": deposits["offset"].to_numpy(),
        "township": town.reindex(village[deposits["i"]]).to_numpy(),
    }).sort_values(["offset", "customer_id"], kind="stable").reset_index(drop=True)
    deposits["staff_id"] = deposits["staff_id"].astype("Int64")

    events = _events(rng, campaign_id, festival, places, deposits, entries, returned, returns, leaves, town)
    events = _ids(events, next_ids["event"])
    next_ids["event"] += len(events)
    deposits = _ids(deposits.drop(columns=["offset", "township"]), next_ids["deposit"])
    next_ids["deposit"] += len(deposits)
    by_customer = deposits.groupby("customer_id")["amount"].sum()

    targets = _targets(rng, campaign_id, entries, deposits, lagging)
    targets = _ids(targets, next_ids["target"])
    next_ids["target"] += len(targets)
    offers = _offers(campaign_id, entries, deposits, returns)
    offers = _ids(offers, next_ids["offer"])
    next_ids["offer"] += len(offers)
    outreach = _outreach(rng, campaign_id, festival, entries, key_people, lagging)
    outreach = _ids(outreach, next_ids["outreach"])
    next_ids["outreach"] += len(outreach)

    return {
        MigrantCampaign.__tablename__: campaign, NameListEntry.__tablename__: entries,
        SmsMessage.__tablename__: sms, CareAction.__tablename__: care, Visit.__tablename__: visits,
        TownshipEvent.__tablename__: events, CampaignDeposit.__tablename__: deposits,
        CampaignTarget.__tablename__: targets, HometownOffer.__tablename__: offers,
        OutreachContact.__tablename__: outreach,
    }, by_customer


def _events(rng, campaign_id: int, festival: date, places: pd.DataFrame, deposits: pd.DataFrame,
            entries: pd.DataFrame, returned: np.ndarray, returns: np.ndarray, leaves: np.ndarray,
            town: pd.Series) -> pd.DataFrame:
    on_day = deposits.merge(places, on=["branch_id", "township"])
    on_day = on_day[on_day["offset"] == on_day["event_offset"]]
    above = on_day[on_day["amount"] >= PRIZE_THRESHOLD]
    totals = above.groupby(["branch_id", "township"]).agg(new_deposits=("amount", "sum"),
                                                          qualifying_depositors=("customer_id", "nunique"))
    home = entries.assign(township=town.reindex(entries["village_id"]).to_numpy(), returned=returned,
                          returns=returns, leaves=leaves).merge(places, on=["branch_id", "township"])
    home = home[home["returns"] & (home["returned"] <= home["event_offset"]) & (home["leaves"] > home["event_offset"])]
    at_home = home.groupby(["branch_id", "township"]).size().rename("at_home")
    events = places.join(totals, on=["branch_id", "township"]).join(at_home, on=["branch_id", "township"]).fillna(
        {"new_deposits": 0.0, "qualifying_depositors": 0, "at_home": 0})
    events["attendees"] = np.round(events["at_home"] * rng.uniform(0.5, 0.9, len(events)) * 2.2).astype(int)
    return pd.DataFrame({
        "campaign_id": campaign_id, "branch_id": events["branch_id"].to_numpy(),
        "event_date": _on(festival, events["event_offset"].to_numpy()), "township": events["township"].to_numpy(),
        "name": [f"{t}新春存款抽奖会" for t in events["township"]], "attendees": events["attendees"].to_numpy(),
        "prize_threshold": PRIZE_THRESHOLD, "qualifying_depositors": events["qualifying_depositors"].astype(int).to_numpy(),
        "new_deposits": events["new_deposits"].to_numpy(),
    })


def _targets(rng, campaign_id: int, entries: pd.DataFrame, deposits: pd.DataFrame, lagging: pd.Series) -> pd.DataFrame:
    """Village targets are what a normal village would have brought; lagging villages fall well short."""
    by_village = deposits.groupby("village_id")["amount"].sum()
    village_frame = entries.groupby("village_id").agg(branch_id=("branch_id", "first"), workers=("id", "size"))
    realized = by_village.reindex(village_frame.index, fill_value=0.0)
    lag = lagging.reindex(village_frame.index).to_numpy()
    normal = np.where(lag, realized / 0.55, realized) * rng.uniform(0.97, 1.10, len(village_frame))
    village_frame["deposit_target"] = np.maximum(np.round(normal, -4), 10_000.0)
    village_rows = village_frame.reset_index()[["branch_id", "village_id", "deposit_target"]].assign(
        level=TargetLevel.VILLAGE.value, staff_id=pd.NA)
    branch_rows = village_rows.groupby("branch_id", as_index=False)["deposit_target"].sum().assign(
        level=TargetLevel.BRANCH.value, village_id=pd.NA, staff_id=pd.NA)
    with_staff = entries[entries["staff_id"].notna()]
    share = with_staff.groupby(["village_id", "staff_id"]).size() / with_staff.groupby("village_id").size()
    staff_rows = (share.rename("share").reset_index()
                  .merge(village_rows[["village_id", "branch_id", "deposit_target"]], on="village_id"))
    staff_rows["deposit_target"] = staff_rows["share"] * staff_rows["deposit_target"]
    staff_rows = staff_rows.groupby(["branch_id", "staff_id"], as_index=False)["deposit_target"].sum()
    staff_rows["deposit_target"] = np.round(staff_rows["deposit_target"], -3)
    staff_rows = staff_rows.assign(level=TargetLevel.STAFF.value, village_id=pd.NA)
    frame = pd.concat([branch_rows, village_rows, staff_rows], ignore_index=True)
    frame["village_id"] = frame["village_id"].astype("Int64")
    frame["staff_id"] = frame["staff_id"].astype("Int64")
    return frame.assign(campaign_id=campaign_id)[["campaign_id", "branch_id", "level", "village_id", "staff_id",
                                                  "deposit_target"]]


def _offers(campaign_id: int, entries: pd.DataFrame, deposits: pd.DataFrame, returns: np.ndarray) -> pd.DataFrame:
    totals = deposits.groupby(["branch_id", "customer_id"])["amount"].sum().reset_index()
    rows = []
    returned_by_branch = entries[returns].groupby("branch_id").size()
    for branch_id in sorted(entries["branch_id"].unique()):
        mine = totals[totals["branch_id"] == branch_id]["amount"]
        converted = int((mine > 0).sum())
        taken = {
            OfferKind.PICK_UP: int(round(0.2 * returned_by_branch.get(branch_id, 0))),
            OfferKind.TICKETS: int(round(0.3 * converted)),
            OfferKind.FEE_WAIVER: converted,
            OfferKind.NEW_YEAR_GOODS: converted,
        }
        for kind, name, threshold, unit_cost in OFFERS:
            count = taken.get(kind, int((mine >= threshold).sum()) if threshold else 0)
            rows.append({"campaign_id": campaign_id, "branch_id": int(branch_id), "kind": kind.value, "name": name,
                         "threshold": threshold, "unit_cost": unit_cost, "taken": count})
    return pd.DataFrame(rows)


def _outreach(rng, campaign_id: int, festival: date, entries: pd.DataFrame, key_people: pd.DataFrame,
              lagging: pd.Series) -> pd.DataFrame:
    """Trust-building with each listed village's key persons and foremen, three to five weeks before."""
    contact_staff = entries.dropna(subset=["staff_id"]).groupby("village_id")["staff_id"].agg(lambda s: s.mode().iat[0])
    people = key_people[key_people["village_id"].isin(contact_staff.index)].reset_index(drop=True)
    lag = lagging.reindex(people["village_id"].astype(int)).to_numpy()
    contacted = rng.random(len(people)) < np.where(lag, 0.6, 0.88)
    draw = rng.random(len(people))
    outcome = np.where(draw < np.where(lag, 0.4, 0.65), OutreachOutcome.SUPPORTIVE.value,
                       np.where(draw < np.where(lag, 0.8, 0.9), OutreachOutcome.NEUTRAL.value,
                                OutreachOutcome.DECLINED.value))
    people = people[contacted]
    return pd.DataFrame({
        "campaign_id": campaign_id, "branch_id": people["branch_id"].to_numpy(), "key_person_id": people["id"].to_numpy(),
        "staff_id": pd.array(contact_staff.reindex(people["village_id"]).to_numpy(), dtype="Int64"),
        "contact_date": _on(festival, -rng.integers(20, 35, len(people))),
        "outcome": outcome[contacted],
    })
