"""Referral campaigns, invitation codes, funnels, shares, internal referrals (转介), reward rules and the
ledgers of past quarters, with a handful of planted fraud patterns.

Planted patterns (each on a different account manager; see `FRAUD_NOTES` for the detail):
self-referral through the owner's own customer record, a relative (same surname, same village), a
burst of registrations from one device, a burst sharing one phone prefix, and conversions reversed
within days. The personal reward rule changes mid-quarter (15 → 20 yuan) so a quarter spans two rules.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from models.customers import CustomerKind
from models.metrics import referrals as R
from models.org import StaffRole
from models.referrals import (
    Campaign,
    CodeChannel,
    FraudClearance,
    InternalOutcome,
    InternalReferral,
    InviteCode,
    LedgerStatus,
    ReferralEvent,
    ReferralProduct,
    ReferralStage,
    RewardLedger,
    RewardQuarter,
    RewardRule,
    ShareChannel,
    ShareEvent,
)
from sample_data.context import GenContext

# (code, name, first day offset from the data start, last day offset, wants its own codes)
CAMPAIGNS = [
    ("KMH", "新春开门红·邀友开户礼", 38, 128, True),
    ("MB", "手机银行绑卡有礼", 150, 240, False),
    ("ZQ", "中秋理财季·推荐有奖", 255, 318, True),
    ("NZ", "年终冲刺·电子银行有效户", 322, 364, False),
]
ROLE_FACTOR = {StaffRole.ACCOUNT_MANAGER.value: 1.6, StaffRole.WEALTH_MANAGER.value: 1.3,
               StaffRole.LOBBY_MANAGER.value: 1.0, StaffRole.TELLER.value: 0.55, StaffRole.PRESIDENT.value: 0.8}
SHARE_CHANNELS = [ShareChannel.WECHAT_CHAT.value, ShareChannel.MOMENTS.value, ShareChannel.WEIBO.value, ""]
SHARE_CHANNEL_P = [0.45, 0.32, 0.08, 0.15]
CLICKS_PER_SHARE = {ShareChannel.WECHAT_CHAT.value: 4.0, ShareChannel.MOMENTS.value: 9.0, ShareChannel.WEIBO.value: 14.0}
FOLLOW_ON_PRODUCTS = [ReferralProduct.WEALTH.value, ReferralProduct.PRECIOUS_METAL.value, ReferralProduct.CREDIT_CARD.value]
FIRST_PRODUCTS = [ReferralProduct.E_BANKING.value, ReferralProduct.DEPOSIT.value, ReferralProduct.WEALTH.value,
                  ReferralProduct.CREDIT_CARD.value]
FIRST_PRODUCT_P = [0.68, 0.14, 0.1, 0.08]
MEAN_AMOUNT = {ReferralProduct.DEPOSIT.value: 50_000.0, ReferralProduct.WEALTH.value: 120_000.0,
               ReferralProduct.PRECIOUS_METAL.value: 20_000.0}
BURST_DEVICE = "dv-burst-0001"
BURST_PREFIX = "1380571"


def rule_change_day(end: date) -> date:
    """Mid-way through the last complete quarter before `end`: the day personal rewards go 15 → 20."""
    quarter_start = date(end.year, 3 * ((end.month - 1) // 3) + 1, 1)
    previous_start = date(quarter_start.year - (quarter_start.month == 1), (quarter_start.month - 4) % 12 + 1, 1)
    return previous_start + timedelta(days=46)


def generate_referrals(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("referrals")
    staff = ctx.frames["staff"]
    customers = ctx.frames["customer"].copy()
    start, end = ctx.start, ctx.end
    n_days = ctx.scale.days

    campaigns = pd.DataFrame({
        "id": np.arange(1, len(CAMPAIGNS) + 1), "code": [c[0] + str(start.year + 1) for c in CAMPAIGNS],
        "name": [c[1] for c in CAMPAIGNS],
        "start_date": [start + timedelta(days=c[2]) for c in CAMPAIGNS],
        "end_date": [min(end, start + timedelta(days=c[3])) for c in CAMPAIGNS],
        "description": ["" for _ in CAMPAIGNS],
    })
    codes = _codes(rng, staff, campaigns, start)
    events, used = _events(rng, ctx, codes, campaigns, staff, customers)
    events, customers, clearance_keys = _plant_fraud(rng, events, codes, staff, customers, used, start, end)
    events = events.sort_values(["day", "code_id", "stage_order"], kind="stable").reset_index(drop=True)
    events.insert(0, "id", np.arange(1, len(events) + 1))
    clearances = events[events["customer_id"].isin(clearance_keys)][["id", "branch_id"]].rename(columns={"id": "event_id"})
    clearances = clearances.assign(rule="relative_referral", cleared_on=end - timedelta(days=20),
                                   cleared_by="风险合规部 / compliance", note="表亲，独立开户并有真实交易 / cousin, genuine use")
    clearances.insert(0, "id", np.arange(1, len(clearances) + 1))

    change = rule_change_day(end)
    rule_start = date(start.year, 1, 1)
    rules = pd.DataFrame([
        {"id": 1, "customer_kind": CustomerKind.PERSONAL.value, "yuan_per_customer": 15.0, "valid_from": rule_start,
         "valid_to": change - timedelta(days=1), "note": "有效个人电子银行客户 / effective personal e-banking customer"},
        {"id": 2, "customer_kind": CustomerKind.PERSONAL.value, "yuan_per_customer": 20.0, "valid_from": change,
         "valid_to": None, "note": "年中上调 / raised mid-year"},
        {"id": 3, "customer_kind": CustomerKind.CORPORATE.value, "yuan_per_customer": 60.0, "valid_from": rule_start,
         "valid_to": None, "note": "有效对公电子银行客户 / effective corporate e-banking customer"},
    ])
    rules = rules.assign(campaign_id=None, set_by="demo_admin")
    ledger = _ledgers(events, staff, customers, rules, clearances, start, end)
    closed = _closed_quarters(ledger)
    events["event_ref"] = "RE" + events["id"].astype(str).str.zfill(9)
    event_columns = ["id", "event_ref", "code_id", "campaign_id", "branch_id", "staff_id", "customer_id", "stage", "day", "product",
                     "amount", "customer_kind", "effective", "share_channel", "device_id", "phone_prefix", "reversed_on"]
    return {
        "customer": customers,
        Campaign.__tablename__: campaigns,
        InviteCode.__tablename__: codes[["id", "code", "staff_id", "branch_id", "campaign_id", "channel", "issued_on"]],
        ReferralEvent.__tablename__: events[event_columns],
        FraudClearance.__tablename__: clearances,
        ShareEvent.__tablename__: _shares(rng, staff, ctx),
        InternalReferral.__tablename__: _internal_referrals(rng, staff, customers, start, n_days),
        RewardRule.__tablename__: rules,
        RewardLedger.__tablename__: ledger,
        RewardQuarter.__tablename__: closed,
    }


def _codes(rng: np.random.Generator, staff: pd.DataFrame, campaigns: pd.DataFrame, start: date) -> pd.DataFrame:
    """A general code per staff member, plus one per staff member for campaigns that want their own."""
    digits = staff["employee_no"].str[1:]
    parts = [pd.DataFrame({"code": "G" + digits, "staff_id": staff["id"], "branch_id": staff["branch_id"],
                           "campaign_id": pd.NA, "issued_on": start})]
    for spec, campaign in zip(CAMPAIGNS, campaigns.itertuples(index=False), strict=True):
        if spec[4]:
            parts.append(pd.DataFrame({"code": campaign.code + "-" + digits, "staff_id": staff["id"],
                                       "branch_id": staff["branch_id"], "campaign_id": campaign.id,
                                       "issued_on": campaign.start_date - timedelta(days=3)}))
    codes = pd.concat(parts, ignore_index=True)
    codes["campaign_id"] = codes["campaign_id"].astype("Int64")
    codes["channel"] = np.where(rng.random(len(codes)) < 0.6, CodeChannel.SMS.value, CodeChannel.EMAIL.value)
    codes.insert(0, "id", np.arange(1, len(codes) + 1))
    return codes


def _events(rng, ctx: GenContext, codes: pd.DataFrame, campaigns: pd.DataFrame, staff: pd.DataFrame,
            customers: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Clicks → registrations → participation → conversions per code, plus later business of bound
    customers counted on the owner's general code. Returns events and the customer ids now bound."""
    start = pd.Timestamp(ctx.start)
    n_days = ctx.scale.days
    windows = campaigns.set_index("id")
    first = np.zeros(len(codes), dtype=int)
    last = np.full(len(codes), n_days - 1)
    is_campaign = codes["campaign_id"].notna().to_numpy()
    for campaign_id, window in windows.iterrows():
        hit = (codes["campaign_id"] == campaign_id).fillna(False).to_numpy()
        first[hit] = (pd.Timestamp(window["start_date"]) - start).days
        last[hit] = (pd.Timestamp(window["end_date"]) - start).days
    role_factor = staff.set_index("id")["role"].map(ROLE_FACTOR).reindex(codes["staff_id"]).to_numpy()
    talent = rng.lognormal(0, 0.45, len(staff))
    talent_by_code = pd.Series(talent, index=staff["id"]).reindex(codes["staff_id"]).to_numpy()
    mean_clicks = np.where(is_campaign, 40.0, 60.0) * role_factor * talent_by_code
    n_clicks = rng.poisson(mean_clicks)
    code_of = np.repeat(np.arange(len(codes)), n_clicks)
    total = len(code_of)
    click_day = first[code_of] + (rng.random(total) * (last[code_of] - first[code_of] + 1)).astype(int)
    # general codes are busier while a campaign without codes of its own runs; those events count for it
    shared = windows[[not spec[4] for spec in CAMPAIGNS]]
    weight = np.ones(n_days)
    campaign_on_day = np.zeros(n_days, dtype=np.int64)
    for campaign_id, window in shared.iterrows():
        span = slice((pd.Timestamp(window["start_date"]) - start).days, (pd.Timestamp(window["end_date"]) - start).days + 1)
        weight[span] = 2.5
        campaign_on_day[span] = campaign_id
    on_general = ~is_campaign[code_of]
    click_day[on_general] = rng.choice(n_days, int(on_general.sum()), p=weight / weight.sum())
    registers = rng.random(total) < np.clip(0.28 * np.sqrt(talent_by_code[code_of]), 0.05, 0.6)

    # bind registrants to customers of the owner's branch, each customer to one code only
    customer_id = np.full(total, -1, dtype=np.int64)
    branch_of = codes["branch_id"].to_numpy()[code_of]
    pools = customers.groupby("branch_id")["id"].apply(np.array).to_dict()
    used_parts = []
    registering = np.flatnonzero(registers)
    by_branch = registering[np.argsort(branch_of[registering], kind="stable")]  # each branch's rows, ascending
    branch_ids, firsts = np.unique(branch_of[by_branch], return_index=True)
    for branch_id, rows in zip(branch_ids, np.split(by_branch, firsts[1:]), strict=True):
        pool = rng.permutation(pools.get(int(branch_id), np.array([], dtype=np.int64)))
        take = min(len(rows), int(len(pool) * 0.7))
        customer_id[rows[:take]] = pool[:take]
        used_parts.append(pool[:take])
    registers &= customer_id >= 0
    used = np.concatenate(used_parts) if used_parts else np.array([], dtype=np.int64)

    channel = np.array(SHARE_CHANNELS)[rng.choice(len(SHARE_CHANNELS), total, p=SHARE_CHANNEL_P)]
    device = np.char.add("dv-", np.char.zfill(rng.integers(0, 10**12, total).astype(str), 12))
    kind_by_customer = customers.set_index("id")["kind"]
    phone_by_customer = customers.set_index("id")["phone"]
    clicks = pd.DataFrame({"code_idx": code_of, "stage": ReferralStage.CLICK.value, "day_idx": click_day,
                           "customer_id": pd.NA, "share_channel": channel, "device_id": device})

    reg = np.flatnonzero(registers)
    reg_day = np.minimum(click_day[reg] + rng.integers(0, 3, len(reg)), last[code_of[reg]])
    reg_customer = customer_id[reg]
    kinds = kind_by_customer.reindex(reg_customer).to_numpy()
    base = {"code_idx": code_of[reg], "customer_id": reg_customer, "share_channel": channel[reg], "customer_kind": kinds}
    register = pd.DataFrame({**base, "stage": ReferralStage.REGISTER.value, "day_idx": reg_day, "device_id": device[reg],
                             "phone_prefix": phone_by_customer.reindex(reg_customer).str[:7].to_numpy()})
    participates = rng.random(len(reg)) < 0.58
    participate = pd.DataFrame({k: v[participates] for k, v in base.items()}).assign(
        stage=ReferralStage.PARTICIPATE.value, product=ReferralProduct.ACTIVITY.value,
        day_idx=np.minimum(reg_day[participates] + rng.integers(0, 11, participates.sum()), last[code_of[reg][participates]]))
    converts = rng.random(len(reg)) < np.where(participates, 0.55, 0.3)
    n_conv = int(converts.sum())
    product = np.array(FIRST_PRODUCTS)[rng.choice(len(FIRST_PRODUCTS), n_conv, p=FIRST_PRODUCT_P)]
    conv_kinds = kinds[converts]
    convert = pd.DataFrame({k: v[converts] for k, v in base.items()}).assign(
        stage=ReferralStage.CONVERT.value, product=product,
        day_idx=np.minimum(reg_day[converts] + rng.integers(0, 21, n_conv), last[code_of[reg][converts]]),
        amount=_amounts(rng, product, conv_kinds),
        effective=(product == ReferralProduct.E_BANKING.value) & (rng.random(n_conv) < 0.78),
    )
    # a few genuine reversals, long after the sale (a wealth product redeemed early)
    late = (product != ReferralProduct.E_BANKING.value) & (rng.random(n_conv) < 0.03)
    reversed_idx = convert["day_idx"].to_numpy() + rng.integers(30, 120, n_conv)
    convert["reversed_idx"] = np.where(late & (reversed_idx < n_days), reversed_idx, -1)

    # later business of bound customers keeps counting for the owner, on the owner's general code
    follow = rng.random(n_conv) < 0.25
    general_idx = pd.Series(np.flatnonzero(~is_campaign), index=codes["staff_id"].to_numpy()[~is_campaign])
    follow_codes = general_idx.reindex(codes["staff_id"].to_numpy()[convert["code_idx"].to_numpy()[follow]]).to_numpy()
    follow_products = np.array(FOLLOW_ON_PRODUCTS)[rng.integers(0, len(FOLLOW_ON_PRODUCTS), follow.sum())]
    later = pd.DataFrame({
        "code_idx": follow_codes, "customer_id": convert["customer_id"].to_numpy()[follow],
        "customer_kind": conv_kinds[follow], "share_channel": "", "stage": ReferralStage.CONVERT.value,
        "product": follow_products, "amount": _amounts(rng, follow_products, conv_kinds[follow]),
        "day_idx": convert["day_idx"].to_numpy()[follow] + rng.integers(15, 120, follow.sum()), "effective": False,
        "reversed_idx": -1,
    })
    later = later[later["day_idx"] < n_days]
    events = _finish(pd.concat([clicks, register, participate, convert, later], ignore_index=True), codes, start)
    general_campaign = campaign_on_day[(pd.to_datetime(events["day"]) - start).dt.days.to_numpy()]
    fill = events["campaign_id"].isna().to_numpy() & (general_campaign > 0)
    events.loc[fill, "campaign_id"] = general_campaign[fill]
    return events, used


def _amounts(rng, products: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    means = pd.Series(products).map(MEAN_AMOUNT).fillna(0.0).to_numpy()
    corporate = np.where(kinds == CustomerKind.CORPORATE.value, 5.0, 1.0)
    return np.round(means * corporate * rng.lognormal(-0.2, 0.6, len(products)), -2)


def _finish(events: pd.DataFrame, codes: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """Fill the owner's ids from the code and turn day offsets into dates."""
    idx = events["code_idx"].to_numpy().astype(int)
    events["code_id"] = codes["id"].to_numpy()[idx]
    events["campaign_id"] = codes["campaign_id"].to_numpy()[idx]
    events["campaign_id"] = events["campaign_id"].astype("Int64")
    events["staff_id"] = codes["staff_id"].to_numpy()[idx]
    events["branch_id"] = codes["branch_id"].to_numpy()[idx]
    events["day"] = (start + pd.to_timedelta(events["day_idx"].astype(int), unit="D")).dt.date
    if "reversed_idx" not in events:
        events["reversed_idx"] = -1
    reversed_idx = events["reversed_idx"].fillna(-1).astype(int)
    events["reversed_on"] = np.where(reversed_idx >= 0, (start + pd.to_timedelta(reversed_idx.clip(lower=0), unit="D")).dt.date, None)
    events["customer_id"] = events["customer_id"].astype("Int64")
    defaults = {"product": "", "amount": 0.0, "customer_kind": CustomerKind.PERSONAL.value, "effective": False,
                "share_channel": "", "device_id": "", "phone_prefix": ""}
    for column, default in defaults.items():
        if column not in events:
            events[column] = default
        events[column] = events[column].fillna(default) if column != "effective" else events[column].fillna(False).astype(bool)
    events["stage_order"] = events["stage"].map({s.value: i for i, s in enumerate(ReferralStage)})
    return events.drop(columns=["code_idx", "day_idx", "reversed_idx"])


def _plant_fraud(rng, events: pd.DataFrame, codes: pd.DataFrame, staff: pd.DataFrame, customers: pd.DataFrame,
                 used: np.ndarray, start: date, end: date) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """Five small fraud patterns on five account managers. Returns events, customers (the self-referrer's
    own record now carries their name and phone) and the relative whose flags compliance cleared."""
    managers = staff[staff["role"] == StaffRole.ACCOUNT_MANAGER.value]
    if len(managers) < 5:
        return events, customers, []
    picks = managers.iloc[rng.choice(len(managers), 5, replace=False)]
    free = customers[~customers["id"].isin(used) & (customers["kind"] == CustomerKind.PERSONAL.value)
                     & customers["village_id"].notna()]
    general = codes[codes["campaign_id"].isna()].set_index("staff_id")["id"]
    rows: list[dict] = []
    taken: set[int] = set()

    def fresh(branch_id: int, count: int, village_id: int | None = None) -> list[int]:
        pool = free[(free["branch_id"] == branch_id) & ~free["id"].isin(taken)]
        if village_id is not None:
            pool = pool[pool["village_id"] == village_id]
        chosen = [int(c) for c in pool["id"].iloc[:count]]
        taken.update(chosen)
        return chosen

    def bind(owner, customer_id: int, day: date, device: str, prefix: str, reversed_wealth: bool = False) -> None:
        base = {"code_id": int(general[owner.id]), "staff_id": int(owner.id), "branch_id": int(owner.branch_id),
                "customer_id": customer_id, "customer_kind": CustomerKind.PERSONAL.value, "share_channel": "moments"}
        rows.append({**base, "stage": ReferralStage.REGISTER.value, "day": day, "device_id": device, "phone_prefix": prefix})
        rows.append({**base, "stage": ReferralStage.CONVERT.value, "day": day + timedelta(days=1),
                     "product": ReferralProduct.E_BANKING.value, "effective": True})
        if reversed_wealth:
            rows.append({**base, "stage": ReferralStage.CONVERT.value, "day": day + timedelta(days=2),
                         "product": ReferralProduct.WEALTH.value, "amount": 50_000.0,
                         "reversed_on": day + timedelta(days=5)})

    self_owner, device_owner, prefix_owner, reversal_owner = (picks.iloc[i] for i in range(4))
    relative_ids: list[int] = []
    own = fresh(int(self_owner.branch_id), 1)
    if own:
        own_id = own[0]
        village = int(customers.loc[customers["id"] == own_id, "village_id"].iloc[0])
        customers.loc[customers["id"] == own_id, ["name", "phone"]] = [self_owner["name"], self_owner["phone"]]
        relative_ids = fresh(int(self_owner.branch_id), 2, village)
        for i, relative in enumerate(relative_ids):
            given = customers.loc[customers["id"] == relative, "name"].iloc[0]
            customers.loc[customers["id"] == relative, "name"] = self_owner["name"][0] + given[1:]
            bind(self_owner, relative, end - timedelta(days=95 - 3 * i), f"dv-kin-{i}", "")
        bind(self_owner, own_id, end - timedelta(days=100), "dv-self", str(self_owner["phone"])[:7])
    for customer_id in fresh(int(device_owner.branch_id), 6):
        bind(device_owner, customer_id, end - timedelta(days=20), BURST_DEVICE, "")
    for i, customer_id in enumerate(fresh(int(prefix_owner.branch_id), 7)):
        bind(prefix_owner, customer_id, end - timedelta(days=60), f"dv-pfx-{i}", BURST_PREFIX)
    for i, customer_id in enumerate(fresh(int(reversal_owner.branch_id), 4)):
        bind(reversal_owner, customer_id, end - timedelta(days=80 - 12 * i), f"dv-rev-{i}", "", reversed_wealth=True)
    planted = pd.DataFrame(rows)
    planted["campaign_id"] = pd.array([pd.NA] * len(planted), dtype="Int64")
    planted["customer_id"] = planted["customer_id"].astype("Int64")
    planted["stage_order"] = planted["stage"].map({s.value: i for i, s in enumerate(ReferralStage)})
    for column, default in {"product": "", "amount": 0.0, "effective": False, "device_id": "", "phone_prefix": "",
                            "reversed_on": None}.items():
        planted[column] = planted[column].where(planted[column].notna(), default) if column in planted else default
    planted["effective"] = planted["effective"].astype(bool)
    # keep only the first relative's flags cleared: compliance found the second one genuine too late
    return pd.concat([events, planted], ignore_index=True), customers, relative_ids[:1]


def _shares(rng, staff: pd.DataFrame, ctx: GenContext) -> pd.DataFrame:
    """Sparse share-days per staff member and channel from the promotion module."""
    factor = staff["role"].map(ROLE_FACTOR).to_numpy()
    per_staff = rng.poisson(35 * factor)
    staff_idx = np.repeat(np.arange(len(staff)), per_staff)
    n = len(staff_idx)
    channels = np.array(SHARE_CHANNELS[:3])[rng.choice(3, n, p=[0.5, 0.38, 0.12])]
    frame = pd.DataFrame({"staff_id": staff["id"].to_numpy()[staff_idx], "branch_id": staff["branch_id"].to_numpy()[staff_idx],
                          "channel": channels, "day_idx": rng.integers(0, ctx.scale.days, n)})
    frame = frame.drop_duplicates(["staff_id", "channel", "day_idx"]).reset_index(drop=True)
    frame["shares"] = 1 + rng.poisson(1.5, len(frame))
    frame["clicks"] = rng.poisson(frame["shares"] * frame["channel"].map(CLICKS_PER_SHARE).to_numpy())
    frame["day"] = (pd.Timestamp(ctx.start) + pd.to_timedelta(frame["day_idx"], unit="D")).dt.date
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame.drop(columns=["day_idx"])


def _internal_referrals(rng, staff: pd.DataFrame, customers: pd.DataFrame, start: date, n_days: int) -> pd.DataFrame:
    """Tellers and lobby managers hand customers to account managers of their own branch."""
    referrers = staff[staff["role"].isin([StaffRole.TELLER.value, StaffRole.LOBBY_MANAGER.value])]
    managers = staff[staff["role"].isin([StaffRole.ACCOUNT_MANAGER.value, StaffRole.WEALTH_MANAGER.value])]
    managers_by_branch = managers.groupby("branch_id")["id"].apply(np.array).to_dict()
    referrers = referrers[referrers["branch_id"].isin(managers_by_branch)]
    counts = rng.poisson(np.where(referrers["role"] == StaffRole.LOBBY_MANAGER.value, 30, 18))
    idx = np.repeat(np.arange(len(referrers)), counts)
    n = len(idx)
    branch = referrers["branch_id"].to_numpy()[idx]
    to_staff = np.array([managers_by_branch[b][k % len(managers_by_branch[b])] for b, k in
                         zip(branch, rng.integers(0, 1000, n), strict=True)], dtype=np.int64)
    pools = customers.groupby("branch_id")["id"].apply(np.array).to_dict()
    customer = np.array([pools[b][k % len(pools[b])] for b, k in zip(branch, rng.integers(0, 10**6, n), strict=True)],
                        dtype=np.int64)
    day_idx = rng.integers(0, n_days, n)
    outcomes = np.array([o.value for o in InternalOutcome])
    outcome = outcomes[rng.choice(4, n, p=[0.05, 0.3, 0.4, 0.25])]
    outcome = np.where((day_idx > n_days - 15) & (rng.random(n) < 0.7), InternalOutcome.PENDING.value, outcome)
    products = np.array([p.value for p in (ReferralProduct.DEPOSIT, ReferralProduct.WEALTH, ReferralProduct.CREDIT_CARD,
                                           ReferralProduct.E_BANKING, ReferralProduct.PRECIOUS_METAL)])
    frame = pd.DataFrame({
        "branch_id": branch, "from_staff_id": referrers["id"].to_numpy()[idx], "to_staff_id": to_staff,
        "customer_id": customer, "product": products[rng.integers(0, len(products), n)],
        "day": (pd.Timestamp(start) + pd.to_timedelta(day_idx, unit="D")).date, "outcome": outcome,
    })
    frame.insert(0, "id", np.arange(1, n + 1))
    return frame


def _closed_quarters(ledger: pd.DataFrame) -> pd.DataFrame:
    """The paid quarters, closed five days after their end by head office's payroll export."""
    columns = ["quarter", "closed_at", "closed_by", "staff_paid", "amount"]
    if ledger.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    paid = ledger[ledger["status"] == LedgerStatus.PAID.value]
    rows = []
    for quarter, rows_of in paid.groupby("quarter"):
        rows.append({"quarter": quarter, "closed_at": rows_of["computed_at"].max(), "closed_by": "demo_admin",
                     "staff_paid": int((rows_of["amount"] > 0).sum()), "amount": float(rows_of["amount"].sum())})
    return pd.DataFrame(rows, columns=columns)


def _ledgers(events: pd.DataFrame, staff: pd.DataFrame, customers: pd.DataFrame, rules: pd.DataFrame,
             clearances: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Ledgers of the complete quarters inside the data, computed by the same functions as the page:
    older quarters paid (exported for payroll, so closed), the last one computed and waiting for head
    office to export it and close the quarter."""
    checked = events[events["stage"].isin([ReferralStage.REGISTER.value, ReferralStage.CONVERT.value])].rename(
        columns={"id": "event_id"})
    flags = R.fraud_flags(checked, staff.rename(columns={"id": "staff_id"})[["staff_id", "phone"]],
                          customers.rename(columns={"id": "customer_id"})[["customer_id", "name", "phone", "village_id"]])
    excluded = R.excluded_customers(flags, clearances)
    live = checked[(checked["stage"] == ReferralStage.CONVERT.value) & checked["effective"] & checked["reversed_on"].isna()]
    effective = live[["event_id", "staff_id", "branch_id", "customer_id", "customer_kind", "campaign_id", "day"]]
    rule_frame = rules.rename(columns={"id": "rule_id"})
    quarters = []
    q_start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
    while True:
        q_end = R.parse_quarter(R.quarter_of(q_start))[1]
        if q_end >= end:
            break
        if q_start >= start:
            quarters.append(R.quarter_of(q_start))
        q_start = q_end + timedelta(days=1)
    parts = []
    branch_of = staff.set_index("id")["branch_id"]
    for i, quarter in enumerate(quarters):
        q_start, q_end = R.parse_quarter(quarter)
        basis, withheld = R.reward_basis(effective[effective["day"] <= q_end], rule_frame, excluded, q_start, q_end)
        ledger = R.ledger_from_basis(basis, withheld)
        status = LedgerStatus.COMPUTED.value if i == len(quarters) - 1 else LedgerStatus.PAID.value
        parts.append(ledger.assign(quarter=quarter, status=status,
                                   computed_at=pd.Timestamp(q_end + timedelta(days=5), tz="UTC")))
    if not parts:
        return pd.DataFrame()
    ledger = pd.concat(parts, ignore_index=True)
    ledger["branch_id"] = branch_of.reindex(ledger["staff_id"]).to_numpy()
    ledger.insert(0, "id", np.arange(1, len(ledger) + 1))
    return ledger
