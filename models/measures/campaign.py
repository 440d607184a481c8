"""Migrant-campaign measures: the lunar calendar's countdown, progress against target, the three-visit
playbook's states per worker, coverage and who to visit next; pure functions of frames."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import numpy as np
import pandas as pd

from models.campaign import OutreachOutcome, new_years_eve
from models.customers import KeyRole
from models.privacy import CUSTOMER_STAFF

ROUND1_DAYS = 2
"""Round 1 is due within 1-2 days of the worker's return (the return day is day 0)."""
ROUND2_LAST_LUNAR_DAY = 5
"""Round 2 runs from New Year's Eve to the 5th day of the first month."""
ROUND3_LEAD_DAYS = 3
"""Round 3 is due in the three days before the worker leaves (leaving day itself is late)."""
VISIT_STATUSES = ["on_time", "late", "missed", "due", "upcoming", "not_returned"]
PACE_WINDOW = 7


# ---------------------------------------------------------------- calendar


def default_as_of(seasons: pd.DataFrame, today: date) -> tuple[int | None, date | None]:
    """The season and day the page opens on: today when a campaign is running, otherwise the middle of
    the latest season that has started (so a finished season can be replayed)."""
    if seasons.empty:
        return None, None
    day = pd.Timestamp(today)
    running = seasons[(seasons["start_date"] <= day) & (seasons["end_date"] >= day)]
    if not running.empty:
        return int(running["season"].iloc[-1]), today
    started = seasons[seasons["start_date"] <= day]
    latest = (started if not started.empty else seasons).iloc[-1]
    middle = latest["start_date"] + (latest["end_date"] - latest["start_date"]) / 2
    return int(latest["season"]), middle.date()


def countdown(campaign: Mapping, as_of: date) -> dict[str, int]:
    """Days to the festival and to the campaign's last day (0 on the day, negative once past), and the
    lunar offset (as_of − festival) that aligns seasons."""
    as_of = pd.Timestamp(as_of)
    return {
        "days_to_festival": int((pd.Timestamp(campaign["spring_festival"]) - as_of).days),
        "days_to_end": int((pd.Timestamp(campaign["end_date"]) - as_of).days),
        "lunar_offset": int((as_of - pd.Timestamp(campaign["spring_festival"])).days),
        "day_of_campaign": int((as_of - pd.Timestamp(campaign["start_date"])).days) + 1,
    }


# ---------------------------------------------------------------- progress against target


def days_remaining(as_of: date, end: date) -> int:
    """Whole days left after `as_of` up to and including the campaign's last day."""
    return max((pd.Timestamp(end) - pd.Timestamp(as_of)).days, 0)


def run_rate_needed(target: float, deposited: float, remaining_days: int) -> float | None:
    """Yuan a day still needed to reach the target; 0 once reached, None when no day is left."""
    gap = max(float(target) - float(deposited), 0.0)
    if gap == 0:
        return 0.0
    if remaining_days <= 0:
        return None
    return gap / remaining_days


def recent_pace(daily: pd.DataFrame, start: date, as_of: date, window: int = PACE_WINDOW) -> float:
    """Average yuan a day over the last `window` days up to as_of (fewer if the campaign is younger);
    days without deposits count as zero."""
    as_of, start = pd.Timestamp(as_of), pd.Timestamp(start)
    first = max(start, as_of - pd.Timedelta(days=window - 1))
    days = (as_of - first).days + 1
    if days <= 0:
        return 0.0
    mask = (daily["day"] >= first) & (daily["day"] <= as_of)
    return float(daily.loc[mask, "amount"].sum()) / days


def projection(deposited: float, pace: float, remaining_days: int) -> float:
    """Where the season ends if the current pace holds for the days left."""
    return float(deposited) + float(pace) * max(remaining_days, 0)


def progress(daily: pd.DataFrame, target: float, campaign: Mapping, as_of: date) -> dict[str, float | int | None]:
    """The headline: deposits to date against target, gap, run-rate needed, pace and projection."""
    as_of_ts = pd.Timestamp(as_of)
    in_season = daily[(daily["day"] >= pd.Timestamp(campaign["start_date"])) & (daily["day"] <= as_of_ts)]
    deposited = float(in_season["amount"].sum())
    today = float(in_season.loc[in_season["day"] == as_of_ts, "amount"].sum())
    remaining = days_remaining(as_of, campaign["end_date"])
    pace = recent_pace(daily, campaign["start_date"], as_of)
    projected = projection(deposited, pace, remaining)
    return {
        "target": float(target), "deposited": deposited, "deposited_today": today,
        "attainment": deposited / float(target) if target else None, "gap": max(float(target) - deposited, 0.0),
        "days_remaining": remaining, "run_rate_needed": run_rate_needed(target, deposited, remaining),
        "pace": pace, "projection": projected, "projected_attainment": projected / float(target) if target else None,
    }


def seasonal_projection(deposited: float, last_share_by_now: float | None) -> float | None:
    """Where the season ends if it keeps last season's shape: deposits to date ÷ the share of last
    season's total that had come in by the same lunar day. Better than the pace before the festival,
    when returns (and deposits) peak and then fall away."""
    if not last_share_by_now:
        return None
    return float(deposited) / float(last_share_by_now)


def cumulative_by_lunar_day(daily: pd.DataFrame, festival: date) -> pd.DataFrame:
    """Cumulative deposits by day relative to the festival (0 = 正月初一), one row per day with deposits."""
    if daily.empty:
        return pd.DataFrame({"lunar_offset": pd.Series(dtype="int64"), "amount": pd.Series(dtype="float64"),
                             "cumulative": pd.Series(dtype="float64")})
    frame = daily.groupby("day", as_index=False)["amount"].sum().sort_values("day")
    frame["lunar_offset"] = (frame["day"] - pd.Timestamp(festival)).dt.days
    frame["cumulative"] = frame["amount"].cumsum()
    return frame[["lunar_offset", "amount", "cumulative"]].reset_index(drop=True)


def season_comparison(this_daily: pd.DataFrame, this_campaign: Mapping, last_daily: pd.DataFrame,
                      last_campaign: Mapping, as_of: date) -> dict[str, float | int | None]:
    """This season to date against last season to the same lunar day (same offset from its festival)."""
    offset = (pd.Timestamp(as_of) - pd.Timestamp(this_campaign["spring_festival"])).days
    this_curve = cumulative_by_lunar_day(this_daily, this_campaign["spring_festival"])
    last_curve = cumulative_by_lunar_day(last_daily, last_campaign["spring_festival"])
    this_to_date = float(this_curve.loc[this_curve["lunar_offset"] <= offset, "amount"].sum())
    last_to_date = float(last_curve.loc[last_curve["lunar_offset"] <= offset, "amount"].sum())
    last_total = float(last_curve["amount"].sum())
    return {
        "lunar_offset": int(offset), "this_to_date": this_to_date, "last_to_date": last_to_date,
        "change": (this_to_date - last_to_date) / last_to_date if last_to_date else None,
        "last_total": last_total, "last_share_by_now": last_to_date / last_total if last_total else None,
    }


def comparison_curves(this_daily: pd.DataFrame, this_campaign: Mapping, last_daily: pd.DataFrame,
                      last_campaign: Mapping, as_of: date) -> pd.DataFrame:
    """Both seasons' cumulative deposits on every lunar day of the campaign (this season cut at as_of)."""
    offsets = np.arange(
        (pd.Timestamp(this_campaign["start_date"]) - pd.Timestamp(this_campaign["spring_festival"])).days,
        (pd.Timestamp(this_campaign["end_date"]) - pd.Timestamp(this_campaign["spring_festival"])).days + 1,
    )
    frames = []
    cut = (pd.Timestamp(as_of) - pd.Timestamp(this_campaign["spring_festival"])).days
    for label, daily, campaign in (("this", this_daily, this_campaign), ("last", last_daily, last_campaign)):
        curve = cumulative_by_lunar_day(daily, campaign["spring_festival"]).set_index("lunar_offset")["amount"]
        series = curve.reindex(offsets, fill_value=0.0).cumsum()
        if label == "this":
            series = series[series.index <= cut]
        frames.append(pd.DataFrame({"lunar_offset": series.index, "cumulative": series.to_numpy(),
                                    "season": int(campaign["season"]), "which": label}))
    return pd.concat(frames, ignore_index=True)


# ---------------------------------------------------------------- the playbook


def _stamp(as_of):
    """A day as a Timestamp; a Series of days (one per row: the rollup judges every day of a season in one
    pass over workers x days) stays a Series, compared row by row."""
    return as_of if isinstance(as_of, pd.Series) else pd.Timestamp(as_of)


def _known(frame: pd.DataFrame, column: str, as_of) -> pd.Series:
    """True where `column` holds a day on or before as_of (what was known that day)."""
    return frame[column].notna() & (frame[column] <= _stamp(as_of))


def converted_customers(deposits: pd.DataFrame, as_of: date) -> set[int]:
    """Customers with a campaign deposit on or before as_of."""
    return set(deposits.loc[deposits["day"] <= pd.Timestamp(as_of), "customer_id"].astype(int))


def first_deposit_day(entries: pd.DataFrame, deposits: pd.DataFrame) -> pd.Series:
    """Each listed worker's first campaign deposit day (NaT if none): the day they converted."""
    first = deposits.groupby("customer_id")["day"].min()
    return pd.to_datetime(entries["customer_id"].map(first))


def sms_flags(entries: pd.DataFrame, converted_on: pd.Series, as_of) -> pd.DataFrame:
    """Per worker, as known on as_of: SMS sent, delivered, replied (only a reply to a sent SMS counts), and
    converted among repliers and among the silent."""
    sent = _known(entries, "sent_on", as_of)
    replied = sent & _known(entries, "replied_on", as_of)
    converted = converted_on.notna() & (converted_on <= _stamp(as_of))
    silent = sent & ~replied
    return pd.DataFrame({
        "sms_sent": sent, "sms_delivered": sent & entries["delivered"].fillna(False).astype(bool),
        "sms_replied": replied, "repliers_converted": replied & converted, "silent_converted": silent & converted,
    }, index=entries.index).astype("int64")


def sms_figures(listed: int, counts: Mapping) -> dict[str, float | int | None]:
    """The SMS funnel from counts of workers (see `sms_flags`)."""
    n_sent, n_replied = int(counts["sms_sent"]), int(counts["sms_replied"])
    n_silent = n_sent - n_replied
    repliers_converted, silent_converted = int(counts["repliers_converted"]), int(counts["silent_converted"])
    return {
        "listed": int(listed), "sent": n_sent, "delivered": int(counts["sms_delivered"]), "replied": n_replied,
        "reply_rate": n_replied / n_sent if n_sent else None,
        "repliers_converted": repliers_converted, "silent_converted": silent_converted,
        "replier_conversion": repliers_converted / n_replied if n_replied else None,
        "silent_conversion": silent_converted / n_silent if n_silent else None,
    }


def sms_funnel(entries: pd.DataFrame, deposits: pd.DataFrame, as_of: date) -> dict[str, float | int | None]:
    """Sent, delivered, replied, reply rate (replies ÷ sent; only replies count), and how many repliers
    versus non-repliers have deposited by as_of."""
    return sms_figures(len(entries), sms_flags(entries, first_deposit_day(entries, deposits), as_of).sum())


def visit_windows(entries: pd.DataFrame, festival: date) -> pd.DataFrame:
    """Each worker's window per round: round 1 from the return day to 2 days after; round 2 from New
    Year's Eve to the 5th day of the first month; round 3 in the three days before leaving."""
    festival_ts = pd.Timestamp(festival)
    eve = pd.Timestamp(new_years_eve(festival))
    fifth = festival_ts + pd.Timedelta(days=ROUND2_LAST_LUNAR_DAY - 1)
    return pd.DataFrame({
        "window1_start": entries["returned_on"],
        "deadline1": entries["returned_on"] + pd.Timedelta(days=ROUND1_DAYS),
        # The scalar broadcast, not a list of n Timestamps (each converted alone: 4 s for a season's 2M-row grid)
        "window2_start": pd.Series(eve, index=entries.index, dtype="datetime64[ns]"),
        "deadline2": pd.Series(fifth, index=entries.index, dtype="datetime64[ns]"),
        "window3_start": entries["leaves_on"] - pd.Timedelta(days=ROUND3_LEAD_DAYS),
        "deadline3": entries["leaves_on"] - pd.Timedelta(days=1),
    }, index=entries.index)


def visit_status(entries: pd.DataFrame, festival: date, as_of) -> pd.DataFrame:
    """One row per worker and round with its window and status as of a day:
    on_time (visited by the deadline), late (visited after it), missed (deadline passed, no visit),
    due (window open, not yet visited), upcoming (window not open), not_returned (worker not home yet,
    or for round 2, home only after the window). `as_of` may be a Series of days aligned with `entries`."""
    as_of_ts = _stamp(as_of)
    windows = visit_windows(entries, festival)
    home = _known(entries, "returned_on", as_of)
    parts = []
    for number in (1, 2, 3):
        visited_on = entries[f"visit{number}_date"].where(_known(entries, f"visit{number}_date", as_of))
        start, deadline = windows[f"window{number}_start"], windows[f"deadline{number}"]
        applicable = home.copy()
        if number == 2:
            applicable &= entries["returned_on"] <= deadline
        status = np.select(
            [visited_on.notna() & (visited_on <= deadline), visited_on.notna(), ~applicable,
             as_of_ts > deadline, as_of_ts >= start],
            ["on_time", "late", "not_returned", "missed", "due"], default="upcoming",
        )
        parts.append(pd.DataFrame({
            "entry_id": entries["entry_id"].to_numpy(), "visit_round": number, "window_start": start.to_numpy(),
            "deadline": deadline.to_numpy(), "visit_date": visited_on.to_numpy(), "status": status,
        }))
    return pd.concat(parts, ignore_index=True)


def visit_summary(status: pd.DataFrame) -> pd.DataFrame:
    """Per round: counts by status, visits done and the on-time share of visits done."""
    table = pd.crosstab(status["visit_round"], status["status"]).reindex(columns=VISIT_STATUSES, fill_value=0)
    return _with_done(table.reindex([1, 2, 3], fill_value=0))


def visit_summary_from_counts(counts: Mapping) -> pd.DataFrame:
    """`visit_summary` from summed worker flags (`round{n}_{status}` counts)."""
    table = pd.DataFrame({s: [int(counts[f"round{n}_{s}"]) for n in (1, 2, 3)] for s in VISIT_STATUSES},
                         index=pd.Index([1, 2, 3], name="visit_round"))
    return _with_done(table)


def _with_done(table: pd.DataFrame) -> pd.DataFrame:
    table = table.astype("int64")
    table["done"] = table["on_time"] + table["late"]
    table["on_time_rate"] = (table["on_time"] / table["done"].where(table["done"] > 0)).astype("float64")
    return table.reset_index().rename_axis(columns=None)


def worker_flags(entries: pd.DataFrame, converted_on: pd.Series, festival: date, as_of) -> pd.DataFrame:
    """Per listed worker, 0/1 flags of where they stand on as_of: listed, with a contact staff member, tied
    to a foreman, home, the SMS funnel (`sms_flags`) and each visit round's status (`visit_status`). The
    rollup sums these per village and per staff member for every day of the season (`as_of` then a Series
    of days aligned with `entries`, one row per worker and day)."""
    flags = pd.DataFrame({
        "workers": 1, "with_staff": entries["staff_id"].notna(), "with_foreman": entries["foreman_customer_id"].notna(),
        "returned": _known(entries, "returned_on", as_of),
    }, index=entries.index).astype("int64")
    flags = flags.join(sms_flags(entries, converted_on, as_of))
    status = visit_status(entries, festival, as_of)
    for number in (1, 2, 3):
        of_round = status["status"].to_numpy()[status["visit_round"].to_numpy() == number]
        for name in VISIT_STATUSES:
            flags[f"round{number}_{name}"] = (of_round == name).astype("int64")
    return flags


WORKER_FLAGS = ["workers", "with_staff", "with_foreman", "returned", "sms_sent", "sms_delivered", "sms_replied",
                "repliers_converted", "silent_converted",
                *[f"round{n}_{s}" for n in (1, 2, 3) for s in VISIT_STATUSES]]


def list_coverage(entries: pd.DataFrame, key_people: pd.DataFrame, as_of: date) -> dict[str, float | int | None]:
    """The name list's reach: workers with a contact staff and a foreman tie, key persons and foremen
    contacted by as_of, and how many of those back the bank."""
    counts = {"workers": len(entries), "with_staff": int(entries["staff_id"].notna().sum()),
              "with_foreman": int(entries["foreman_customer_id"].notna().sum()),
              "returned": int(_known(entries, "returned_on", as_of).sum())}
    return coverage_figures(counts, key_people, as_of)


def coverage_figures(counts: Mapping, key_people: pd.DataFrame, as_of: date) -> dict[str, float | int | None]:
    """`list_coverage` from worker counts and key-person rows (one per person and contact, or summed rows
    with a `persons` column, as `key_person_summary` gives)."""
    persons_per_row = key_people["persons"] if "persons" in key_people else pd.Series(1, index=key_people.index)
    contacted = _known(key_people, "contact_date", as_of)
    supportive = contacted & (key_people["outcome"] == OutreachOutcome.SUPPORTIVE.value)
    is_foreman = key_people["role"] == KeyRole.FOREMAN.value

    def total(mask: pd.Series) -> int:
        return int(persons_per_row[mask].sum())

    persons, foremen = total(~is_foreman), total(is_foreman)
    return {
        "workers": int(counts["workers"]), "with_staff": int(counts["with_staff"]),
        "with_foreman": int(counts["with_foreman"]), "returned": int(counts["returned"]),
        "key_persons": persons, "key_persons_contacted": total(contacted & ~is_foreman),
        "foremen": foremen, "foremen_contacted": total(contacted & is_foreman),
        "supportive": total(supportive),
        "key_person_coverage": total(contacted & ~is_foreman) / persons if persons else None,
        "foreman_coverage": total(contacted & is_foreman) / foremen if foremen else None,
    }


def _deposited_to_date(deposits: pd.DataFrame, keys: list[str], as_of: date) -> pd.DataFrame:
    done = deposits[deposits["day"] <= pd.Timestamp(as_of)]
    return done.groupby(keys, dropna=True)["amount"].sum().rename("deposited").reset_index()


def _visits_due(entries: pd.DataFrame, status: pd.DataFrame, key: str) -> pd.DataFrame:
    due = status[status["status"] == "due"].merge(entries[["entry_id", key]], on="entry_id")
    missed = status[status["status"] == "missed"].merge(entries[["entry_id", key]], on="entry_id")
    return (due.groupby(key).size().rename("visits_due").to_frame()
            .join(missed.groupby(key).size().rename("visits_missed"), how="outer").fillna(0).astype(int).reset_index())


def _counts_by(entries: pd.DataFrame, status: pd.DataFrame, deposits: pd.DataFrame, key: str,
               as_of: date) -> pd.DataFrame:
    """Per village or staff member (`key`), from the per-worker frames: workers listed and home, deposits
    to date, visits due and missed (the shape `list_counts` reads from the rollup)."""
    workers = entries.dropna(subset=[key]).groupby(key).agg(
        workers=("entry_id", "size"), returned=("returned_on", lambda s: int((s <= pd.Timestamp(as_of)).sum()))
    ).reset_index()
    return (workers.merge(_deposited_to_date(deposits, [key], as_of), on=key, how="outer")
            .merge(_visits_due(entries, status, key), on=key, how="outer"))


def table_from_counts(counts: pd.DataFrame, key_targets: pd.DataFrame, key: str) -> pd.DataFrame:
    """Per village or staff member: target, deposits to date, gap, attainment, workers listed and home,
    visits due and missed; rows with a target or a listed worker. `counts` has one row per `key` (or
    several, summed here: a key split over branches or days' rows)."""
    counts = counts.dropna(subset=[key])
    summed = counts.groupby(key)[["workers", "returned", "deposited", "visits_due", "visits_missed"]].sum(min_count=1)
    summed = summed.reset_index()
    named = (["village_id", "village_name", "township", "branch_id", "branch_name", "deposit_target"]
             if key == "village_id" else ["staff_id", "staff_name", "branch_id", "branch_name", "deposit_target"])
    listed = summed[summed["workers"].fillna(0) > 0][[key, "workers", "returned"]]
    frame = (key_targets[named].merge(listed, on=key, how="outer")
             .merge(summed[[key, "deposited", "visits_due", "visits_missed"]], on=key, how="left"))
    return _with_gap(frame, ["workers", "returned", "visits_due", "visits_missed"])


def by_village(entries: pd.DataFrame, status: pd.DataFrame, deposits: pd.DataFrame, village_targets: pd.DataFrame,
               as_of: date) -> pd.DataFrame:
    """Per village: target, deposits to date, gap, attainment, workers listed and home, visits due and missed."""
    return table_from_counts(_counts_by(entries, status, deposits, "village_id", as_of), village_targets, "village_id")


def by_staff(entries: pd.DataFrame, status: pd.DataFrame, deposits: pd.DataFrame, staff_targets: pd.DataFrame,
             as_of: date) -> pd.DataFrame:
    """Per contact staff member: target, deposits to date, gap, attainment, workers, visits due and missed."""
    return table_from_counts(_counts_by(entries, status, deposits, "staff_id", as_of), staff_targets, "staff_id")


def _with_gap(frame: pd.DataFrame, counts: list[str]) -> pd.DataFrame:
    frame["deposit_target"] = frame["deposit_target"].fillna(0.0).astype("float64")
    frame["deposited"] = frame["deposited"].fillna(0.0).astype("float64")
    for column in counts:
        frame[column] = frame[column].fillna(0).astype(int)
    for column in ("village_id", "staff_id", "branch_id"):
        if column in frame:
            frame[column] = frame[column].astype("Int64")
    frame["gap"] = (frame["deposit_target"] - frame["deposited"]).clip(lower=0.0)
    frame["attainment"] = frame["deposited"] / frame["deposit_target"].where(frame["deposit_target"] > 0)
    return frame.sort_values(["attainment", "gap"], ascending=[True, False], na_position="last").reset_index(drop=True)


LAGGING_RATIO = 0.8
"""A village or staff member lags when its attainment is below this share of its peers' together."""


def lagging(table: pd.DataFrame, ratio: float = LAGGING_RATIO) -> pd.DataFrame:
    """Rows (villages or staff) whose attainment is below `ratio` × the attainment of all rows together:
    behind their peers on the same day, whatever the day of the season."""
    total_target = table["deposit_target"].sum()
    if total_target <= 0 or table["deposited"].sum() <= 0:
        return table.iloc[0:0]
    overall = table["deposited"].sum() / total_target
    return table[table["attainment"] < ratio * overall].sort_values("gap", ascending=False)


def events_summary(events: pd.DataFrame, as_of: date) -> dict[str, float | int]:
    """Township events held by as_of, their attendees, and deposits above the prize threshold."""
    held = events[events["event_date"] <= pd.Timestamp(as_of)]
    return {"planned": len(events), "held": len(held), "attendees": int(held["attendees"].sum()),
            "qualifying_depositors": int(held["qualifying_depositors"].sum()),
            "new_deposits": float(held["new_deposits"].sum())}


def events_as_of(events: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Events with `held`; an event still to come shows no attendees or deposits (a replay never
    reveals what had not happened yet)."""
    held = events["event_date"] <= pd.Timestamp(as_of)
    frame = events.assign(held=held)
    for column in ("attendees", "qualifying_depositors", "new_deposits"):
        frame[column] = frame[column].astype("float64").where(held)
    return frame


# ---------------------------------------------------------------- who to visit next

REPLY_WEIGHT = 0.5
TIE_WEIGHT = 0.25
WAIT_WEIGHT = 0.1
WAIT_CAP_DAYS = 5


def key_person_ties(entries: pd.DataFrame, key_people: pd.DataFrame, as_of: date) -> pd.Series:
    """True for workers tied to a foreman or from a village whose key person already backs the bank."""
    backed = key_people[_known(key_people, "contact_date", as_of)
                        & (key_people["outcome"] == OutreachOutcome.SUPPORTIVE.value)]["village_id"]
    return entries["foreman_customer_id"].notna() | entries["village_id"].isin(set(backed))


def visit_next(entries: pd.DataFrame, status: pd.DataFrame, deposits: pd.DataFrame, ties: pd.Series,
               as_of: date, typical_deposit: float | None = None) -> pd.DataFrame:
    """Today's visit list per staff: workers at home with a round due now (or round 1 overdue), ranked by
    priority = expected deposit still to come × (1 + 0.5 if the SMS was answered) × (1 + 0.25 if tied to
    a key person or foreman) × (1 + 0.1 × days since return, capped at 5). Expected deposit is the
    collection target set at round 1, else last year's deposits, else `typical_deposit` (default: the
    median collection target on the list), less what has come in already."""
    as_of_ts = pd.Timestamp(as_of)
    open_rounds = status[(status["status"] == "due") | ((status["status"] == "missed") & (status["visit_round"] == 1))]
    next_round = open_rounds.sort_values(["entry_id", "visit_round"]).drop_duplicates("entry_id")
    frame = entries.assign(key_tie=ties.to_numpy()).merge(
        next_round[["entry_id", "visit_round", "deadline", "status"]], on="entry_id")
    frame = frame[frame["leaves_on"].isna() | (frame["leaves_on"] > as_of_ts)]
    paid = _deposited_to_date(deposits, ["customer_id"], as_of)
    frame = frame.merge(paid, on="customer_id", how="left")
    frame["deposited"] = frame["deposited"].fillna(0.0)
    if typical_deposit is None:
        targets_set = entries["collection_target"].dropna()
        typical_deposit = float(targets_set.median()) if len(targets_set) else 0.0
    last_year = frame["last_year_deposits"].where(frame["last_year_deposits"] > 0)
    expected = frame["collection_target"].fillna(last_year).fillna(typical_deposit)
    frame["expected_deposit"] = (expected - frame["deposited"]).clip(lower=0.0)
    frame["days_since_return"] = (as_of_ts - frame["returned_on"]).dt.days.astype(int)
    frame["sms_replied"] = _known(frame, "replied_on", as_of)
    frame["priority"] = (frame["expected_deposit"] * (1 + REPLY_WEIGHT * frame["sms_replied"])
                         * (1 + TIE_WEIGHT * frame["key_tie"])
                         * (1 + WAIT_WEIGHT * frame["days_since_return"].clip(upper=WAIT_CAP_DAYS)))
    frame["overdue"] = frame["status"] == "missed"
    frame = frame.sort_values(["staff_id", "priority", "entry_id"], ascending=[True, False, True])
    frame["rank"] = frame.groupby("staff_id", dropna=False).cumcount() + 1
    return frame[["staff_id", "staff_name", "rank", "customer_name", "phone", CUSTOMER_STAFF, "village_name",
                  "visit_round",
                  "deadline", "overdue", "expected_deposit", "days_since_return", "sms_replied", "key_tie",
                  "deposited", "returned_on", "leaves_on", "priority", "entry_id", "branch_name"]].reset_index(drop=True)
