"""Referral measures: the running-total statement, the reward rules, the fraud rules and the boards'
ranks and rates; pure functions of frames (or statements over the tables), tested by hand."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, false, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.customers import Customer
from models.org import Staff, StaffRole
from models.referrals import FUNNEL_STAGES, InternalOutcome, InviteCode, ReferralStage, ShareChannel
from models.rollup_tables.referrals import ReferralStaffRunning
from models.scope import Scope
from models.store.frames import read_frame

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


def fraud_reference(session: Session, scope: Scope, staff_ids=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staff phones and the customers who may be staff themselves or their relatives: everyone whose
    phone is a staff phone, and everyone in those customers' villages. With `staff_ids` (a refresh judging
    some codes' events), those staff members' alone and only their phones that are set: an empty phone names
    no owner's record (`flag_self_referrals` drops it), so the rules give the same flags."""
    if staff_ids is None:
        phones = select(Staff.phone).where(scope.clause(Staff.branch_id))
        staff = read_frame(session, select(Staff.id.label("staff_id"), Staff.phone).where(scope.clause(Staff.branch_id)))
    else:
        ids = sorted({int(s) for s in staff_ids})
        staff = read_frame(session, select(Staff.id.label("staff_id"), Staff.phone).where(Staff.id.in_(ids)))
        phones = sorted({p for p in staff["phone"] if p})
        if not phones:
            return staff, read_frame(session, select(Customer.id.label("customer_id"), Customer.name, Customer.phone,
                                                     Customer.village_id).where(false()))
    own = select(Customer.village_id).where(Customer.phone.in_(phones))
    statement = select(Customer.id.label("customer_id"), Customer.name, Customer.phone, Customer.village_id).where(
        (Customer.phone.in_(phones)) | (Customer.village_id.in_(own))
    )
    return staff, read_frame(session, statement)


# ---------------------------------------------------------------- pure: rules and rewards


def rule_overlaps(rules: pd.DataFrame) -> list[str]:
    """Every pair of rules of one customer kind and campaign whose validity periods share a day (open end =
    forever); a campaign's rules and the general ones may overlap (the campaign's win)."""
    problems: list[str] = []
    keyed = rules.assign(campaign_key=_campaign_key(rules))
    for (kind, _campaign), group in keyed.groupby(["customer_kind", "campaign_key"]):
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


def _campaign_key(frame: pd.DataFrame) -> pd.Series:
    """The campaign id as an int, 0 for general rules (and for frames without the column)."""
    if "campaign_id" not in frame.columns:
        return pd.Series(0, index=frame.index, dtype="int64")
    return pd.to_numeric(frame["campaign_id"], errors="coerce").fillna(0).astype("int64")


def rate_for_events(events: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Attach to each event the rule that pays it (rule_id, yuan_per_customer, valid_from): the rule of the
    event's campaign and customer kind valid on the event's day, else the general rule (no campaign) of that
    kind valid that day; events no rule covers get 0 yuan and no rule_id."""
    if events.empty:
        return events.assign(rule_id=pd.Series(dtype="Int64"), yuan_per_customer=pd.Series(dtype="float64"),
                             valid_from=pd.Series(dtype="object"))
    days = pd.to_datetime(events["day"])
    event_campaign = _campaign_key(events)
    rule_id = pd.Series(pd.NA, index=events.index, dtype="Int64")
    yuan = pd.Series(0.0, index=events.index)
    valid_from = pd.Series(None, index=events.index, dtype="object")
    ordered = rules.assign(campaign_key=_campaign_key(rules)).sort_values("campaign_key", key=lambda k: k != 0)
    for rule in ordered.itertuples(index=False):  # general rules first, a campaign's own rules over them
        to = pd.Timestamp(rule.valid_to) if pd.notna(rule.valid_to) else pd.Timestamp(FAR_FUTURE)
        hit = (events["customer_kind"] == rule.customer_kind) & (days >= pd.Timestamp(rule.valid_from)) & (days <= to)
        if rule.campaign_key:
            hit &= event_campaign == rule.campaign_key
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
    paid, withheld = paid_and_withheld(first, rules, excluded)
    columns = [c for c in BASIS_COLUMNS if c in paid.columns]
    return paid[columns].reset_index(drop=True), withheld[columns].reset_index(drop=True)


def paid_and_withheld(first: pd.DataFrame, rules: pd.DataFrame, excluded: pd.DataFrame
                      ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers already one per row (their first effective conversion), each with the rule that pays it
    (`rate_for_events`), split into paid and withheld: withheld while their (staff, customer) pair has an open
    fraud flag. Shared by the stored ledger's basis and the board's preview, so both count alike."""
    rated = rate_for_events(first, rules)
    held = pd.Series(False, index=rated.index)
    if not excluded.empty and not rated.empty:
        pairs = pd.MultiIndex.from_frame(excluded[["staff_id", "customer_id"]].astype("int64"))
        held = pd.Series(pd.MultiIndex.from_arrays([rated["staff_id"].astype("int64"),
                                                    rated["customer_id"].astype("int64")]).isin(pairs),
                         index=rated.index)
    return rated[~held], rated[held]


KIND_LABELS = {"personal": "个人", "corporate": "对公"}


def ledger_from_basis(basis: pd.DataFrame, withheld: pd.DataFrame) -> pd.DataFrame:
    """Per staff member: personal / corporate / all effective customers, yuan, withheld count and the
    basis in words, e.g. "个人 12×15元(2026-07-01起) + 个人 3×20元(2026-08-16起) = 240元"."""
    return ledger_from_counts(basis_counts(basis), withheld_counts(withheld))


def basis_counts(basis: pd.DataFrame) -> pd.DataFrame:
    """Paid customers per staff member, customer kind and rule (rule_id, valid_from, yuan): what a ledger line says."""
    columns = ["staff_id", "customer_kind", "rule_id", "valid_from", "yuan_per_customer", "customers"]
    if basis.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    days = {v: pd.Timestamp(v).date() for v in basis["valid_from"].dropna().unique()}  # a few rules' days
    valid_from = basis["valid_from"].map(days).astype(object)
    keyed = basis.assign(staff_id=basis["staff_id"].astype("int64"),
                         rule_id=pd.to_numeric(basis["rule_id"], errors="coerce").astype("Int64"),
                         valid_from=valid_from.where(valid_from.notna(), None))
    return (keyed.groupby(["staff_id", "customer_kind", "rule_id", "valid_from", "yuan_per_customer"], dropna=False).size()
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


EPOCH = date(1970, 1, 1)
BOARD_REWARD_COLUMNS = ["staff_id", "effective_customers", "reward_yuan"]


def board_rewards(rows: pd.DataFrame, rules: pd.DataFrame, excluded: pd.DataFrame) -> pd.DataFrame:
    """Per staff member with a paid customer: effective customers and yuan, the ledger's `effective_customers` and
    `amount` (`ledger_from_counts(basis_counts(paid), ...)` over `paid_and_withheld`) without its text or kinds,
    for the leaderboard. `rows`: one per customer (staff_id, customer_id, customer_kind, campaign_id, and `day` as
    days since 1970-01-01). The same rule match as `rate_for_events` (general rules first, a campaign's own over
    them) and the same hold, on numpy arrays: at head office 40,000 rows in a few ms, where the frames took ~0.1 s."""
    if rows.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "reward_yuan" else "int64")
                             for c in BOARD_REWARD_COLUMNS})
    days = rows["day"].to_numpy(dtype=np.int64)
    kinds = rows["customer_kind"].to_numpy(dtype=object)
    campaign = _campaign_key(rows).to_numpy()
    yuan = np.zeros(len(rows))
    ordered = rules.assign(campaign_key=_campaign_key(rules)).sort_values("campaign_key", key=lambda k: k != 0)
    for rule in ordered.itertuples(index=False):
        since = (pd.Timestamp(rule.valid_from).date() - EPOCH).days
        to = (pd.Timestamp(rule.valid_to).date() - EPOCH).days if pd.notna(rule.valid_to) else (FAR_FUTURE - EPOCH).days
        hit = (kinds == rule.customer_kind) & (days >= since) & (days <= to)
        if rule.campaign_key:
            hit &= campaign == rule.campaign_key
        yuan[hit] = float(rule.yuan_per_customer)
    staff = rows["staff_id"].to_numpy(dtype=np.int64)
    paid = np.ones(len(rows), dtype=bool)
    if not excluded.empty:
        pairs = excluded["staff_id"].to_numpy(dtype=np.int64) << 32 | excluded["customer_id"].to_numpy(dtype=np.int64)
        paid = ~np.isin(staff << 32 | rows["customer_id"].to_numpy(dtype=np.int64), pairs)
    ids, where = np.unique(staff[paid], return_inverse=True)
    return pd.DataFrame({"staff_id": ids, "effective_customers": np.bincount(where, minlength=len(ids)).astype(np.int64),
                         "reward_yuan": np.bincount(where, weights=yuan[paid], minlength=len(ids))})


def rule_text(rule_id, valid_from) -> str:
    """Which rule paid a line, e.g. "(规则#2，2026-08-16起)"; "(无适用规则)" when none covered the day."""
    if rule_id is None or pd.isna(rule_id) or valid_from is None or pd.isna(valid_from):
        return "(无适用规则)"
    return f"(规则#{int(rule_id)}，{pd.Timestamp(valid_from).date()}起)"


def _basis_texts(paid: pd.DataFrame, ledger: pd.DataFrame) -> list[str]:
    parts: dict[int, list[str]] = {}
    if not paid.empty:
        rule_ids = paid["rule_id"] if "rule_id" in paid.columns else pd.Series(pd.NA, index=paid.index)
        since = [rule_text(r, v) for r, v in zip(rule_ids, paid["valid_from"], strict=True)]
        valid_text = paid["valid_from"].map(lambda v: "" if v is None or pd.isna(v) else str(pd.Timestamp(v).date()))
        ordered = paid.assign(since=since, order=(paid["customer_kind"] != "personal").astype(int),
                              valid_text=valid_text).sort_values(
            ["staff_id", "order", "valid_text", "customer_kind", "yuan_per_customer", "since"])
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
    if previous is not None and not previous.empty and previous[key].reset_index(drop=True).equals(
            ranked[key].reset_index(drop=True)):  # the same rows in the same order (a staff board): no merge
        ranked["previous_rank"] = pd.array(rank_descending(previous[by]).to_numpy(), dtype="Int64")
    elif previous is not None and not previous.empty:
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


def _by_staff(ids: np.ndarray, frame: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """`columns` of `frame` (one row per staff_id) lined up with `ids`, a staff member without a row 0: the
    left join `staff_board` needs, by position (no merge, no per-column dtype lookups: ~20,000 rows at head office)."""
    if frame.empty:
        return {c: np.zeros(len(ids), dtype=np.float64 if c in FLOAT_METRICS else np.int64) for c in columns}
    at = pd.Index(frame["staff_id"].to_numpy(dtype=np.int64)).get_indexer(ids)
    found = at >= 0
    lined_up = {}
    for column in columns:
        dtype = np.float64 if column in FLOAT_METRICS else np.int64
        values = np.zeros(len(ids), dtype=dtype)
        source = frame[column].to_numpy(dtype=np.float64, na_value=0.0)[at[found]]
        values[found] = source if dtype is np.float64 else source.astype(np.int64)
        lined_up[column] = values
    return lined_up


FLOAT_METRICS = ("conversion_amount", "reward_yuan")


def staff_board(staff: pd.DataFrame, counts: pd.DataFrame, ledger: pd.DataFrame) -> pd.DataFrame:
    """Every staff member in scope with their period figures (zeros when they did nothing); `counts` and `ledger`
    one row per staff member, `ledger` a reward ledger (its `amount`) or `board_rewards` (its `reward_yuan`)."""
    if "amount" in ledger.columns:
        ledger = ledger.rename(columns={"amount": "reward_yuan"})
    ids = staff["staff_id"].to_numpy(dtype=np.int64)
    figures = _by_staff(ids, counts, [c for c in counts.columns if c != "staff_id"])
    figures.update(_by_staff(ids, ledger, list(REWARD_METRICS)))
    for column in BOARD_METRICS:  # a figure neither frame holds is 0 (the merge filled it so)
        figures.setdefault(column, np.zeros(len(ids), dtype=np.float64 if column in FLOAT_METRICS else np.int64))
    board = pd.concat([staff.reset_index(drop=True), pd.DataFrame(figures)], axis=1)
    return with_rates(board)


def roll_up(board: pd.DataFrame, level: str) -> pd.DataFrame:
    """Sum a staff board to branch or region; the rate is recomputed from the sums, not averaged."""
    keys = {"branch": ["branch_id", "branch_name", "region_name"], "region": ["region_name"]}[level]
    filled = board.assign(region_name=board["region_name"].fillna("—"))
    totals = filled.groupby(keys, dropna=False)[BOARD_METRICS].sum().reset_index()
    totals["staff"] = filled.groupby(keys, dropna=False).size().to_numpy()
    return with_rates(totals)


PREVIOUS = "previous_"
REWARD_METRICS = ("effective_customers", "reward_yuan")  # ranking by these needs the previous period's ledger


def with_previous(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """One staff board holding both periods: the previous period's figures as `previous_<metric>` (those
    of BOARD_METRICS it holds; a figure left out cannot rank the previous period)."""
    held = [c for c in BOARD_METRICS if c in previous.columns]
    if current["staff_id"].equals(previous["staff_id"]):  # two `staff_board`s of one staff list: side by side
        before = previous[held].rename(columns={c: PREVIOUS + c for c in held}).set_axis(current.index)
        return pd.concat([current, before], axis=1)
    before = previous[["staff_id", *held]].rename(columns={c: PREVIOUS + c for c in held})
    return current.merge(before, on="staff_id", how="left")


def rank_staff_board(base: pd.DataFrame, level: str, by: str) -> pd.DataFrame:
    """The leaderboard at `level` ranked by `by`, with the change since the previous period, from the
    two-period staff board of `with_previous` (pure: a switch of level or metric reads nothing). Without
    the previous period's `by` the change is left empty rather than guessed."""
    previous_columns = [c for c in base.columns if c.startswith(PREVIOUS)]
    current = base.drop(columns=previous_columns)
    previous = base.drop(columns=BOARD_METRICS + ["conversion_rate"], errors="ignore") \
        .rename(columns={c: c[len(PREVIOUS):] for c in previous_columns})
    missing = [c for c in BOARD_METRICS if c not in previous.columns]
    previous = with_rates(previous.assign(**{c: 0 for c in missing}))
    if level != "staff":
        current, previous = roll_up(current, level), roll_up(previous, level)
    key = {"staff": "staff_id", "branch": "branch_id", "region": "region_name"}[level]
    return rank_board(current, key, by, None if by in missing else previous)


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
