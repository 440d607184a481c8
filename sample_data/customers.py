"""Villages and customers (and prospects) per sub-branch, with the occupation mix of its area."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.customers import (
    VILLAGE_SIX_MEMBERS,
    AssetTier,
    ChannelPreference,
    Customer,
    CustomerKind,
    KeyPerson,
    KeyRole,
    Occupation,
    Village,
)
from models.org import BranchKind, BranchLevel, StaffRole
from sample_data.context import GenContext
from sample_data.names import sample_companies, sample_names, sample_phones

VILLAGE_STEMS = ["李家", "王庄", "张湾", "陈桥", "刘圩", "杨堡", "周浜", "吴塘", "徐村", "孙坝", "胡埭", "朱泾",
                 "高墩", "林头", "何圩", "郭巷", "马厍", "罗溪", "梁弄", "宋埠", "郑家", "谢桥", "韩庄", "唐湾"]
COMPOUND_STEMS = ["阳光花园", "锦绣苑", "江南华府", "金色家园", "丽景湾", "翠湖小区", "书香门第", "紫荆苑",
                  "梧桐里", "滨河新村", "和园", "桂花城"]
TOWNSHIP_STEMS = ["新塍镇", "王店镇", "油车港镇", "凤桥镇", "余新镇", "七星街道", "新丰镇", "洪合镇"]

OCCUPATION_MIX = {
    BranchKind.COUNTY.value: [(Occupation.MIGRANT_WORKER, 0.36), (Occupation.FARMER, 0.24), (Occupation.RETIREE, 0.16),
                              (Occupation.BUSINESS_OWNER, 0.08), (Occupation.EMPLOYEE, 0.10), (Occupation.STUDENT, 0.06)],
    BranchKind.COMMUNITY.value: [(Occupation.RETIREE, 0.32), (Occupation.EMPLOYEE, 0.30), (Occupation.MIGRANT_WORKER, 0.08),
                                 (Occupation.BUSINESS_OWNER, 0.10), (Occupation.CIVIL_SERVANT, 0.10), (Occupation.STUDENT, 0.10)],
    BranchKind.URBAN.value: [(Occupation.EMPLOYEE, 0.42), (Occupation.CIVIL_SERVANT, 0.14), (Occupation.RETIREE, 0.22),
                             (Occupation.BUSINESS_OWNER, 0.14), (Occupation.STUDENT, 0.08)],
}
VILLAGES_PER_KIND = {BranchKind.COUNTY.value: 6, BranchKind.COMMUNITY.value: 4, BranchKind.URBAN.value: 2}


def generate_customers(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("customers")
    branches = ctx.frames["branch"]
    staff = ctx.frames["staff"]
    subs = branches[branches["level"] == BranchLevel.SUB_BRANCH.value].reset_index(drop=True)
    managers = staff[staff["role"].isin([StaffRole.ACCOUNT_MANAGER.value, StaffRole.WEALTH_MANAGER.value])]
    managers_by_branch = managers.groupby("branch_id")["id"].apply(np.array).to_dict()

    village_rows: list[dict] = []
    customer_parts: list[pd.DataFrame] = []
    village_id = 1
    for position, branch in enumerate(subs.itertuples(index=False)):
        n_villages = VILLAGES_PER_KIND[branch.kind]
        branch_village_ids = []
        for v in range(n_villages):
            if branch.kind == BranchKind.COUNTY.value:
                name = f"{VILLAGE_STEMS[(position * 5 + v) % len(VILLAGE_STEMS)]}村"
                township = TOWNSHIP_STEMS[(position + v // 3) % len(TOWNSHIP_STEMS)]
            else:
                name = COMPOUND_STEMS[(position * 3 + v) % len(COMPOUND_STEMS)]
                township = f"{branch.name.removesuffix('支行')}街道"
            village_rows.append(
                {"id": village_id, "code": f"V{village_id:06d}", "name": name, "township": township,
                 "branch_id": int(branch.id), "households": int(rng.integers(300, 2500))}
            )
            branch_village_ids.append(village_id)
            village_id += 1

        count = int(ctx.scale.customers_per_branch * rng.uniform(0.8, 1.2))
        mix_occ, mix_p = zip(*OCCUPATION_MIX[branch.kind], strict=True)
        occupations = np.array([o.value for o in mix_occ])[rng.choice(len(mix_occ), size=count, p=np.array(mix_p))]
        is_corporate = rng.random(count) < 0.07
        occupations = np.where(is_corporate, Occupation.ENTERPRISE.value, occupations)
        names = np.where(is_corporate, sample_companies(rng, count, ctx.seed), sample_names(rng, count, ctx.seed))
        birth_year = np.where(
            occupations == Occupation.RETIREE.value, rng.integers(1940, 1966, count),
            np.where(occupations == Occupation.STUDENT.value, rng.integers(1998, 2008, count), rng.integers(1962, 2000, count)),
        )
        is_prospect = rng.random(count) < 0.18
        deposit = np.round(rng.lognormal(mean=10.2, sigma=1.1, size=count), -2)
        deposit = np.where(occupations == Occupation.RETIREE.value, deposit * 1.9, deposit)
        deposit = np.where(is_corporate, deposit * 12, deposit)
        deposit = np.where(is_prospect, 0.0, deposit)
        wealth = np.where(rng.random(count) < 0.22, np.round(deposit * rng.uniform(0.2, 1.5, count), -2), 0.0)
        branch_managers = managers_by_branch.get(int(branch.id), np.array([], dtype=int))
        staff_ids = (branch_managers[rng.integers(0, len(branch_managers), count)]
                     if len(branch_managers) else np.full(count, None))
        opened_days = rng.integers(30, 365 * 15, count)
        customer_parts.append(
            pd.DataFrame(
                {
                    "branch_id": int(branch.id),
                    "staff_id": staff_ids,
                    "village_id": np.array(branch_village_ids)[rng.integers(0, n_villages, count)],
                    "name": names,
                    "phone": sample_phones(rng, count),
                    "gender": np.where(rng.random(count) < 0.5, "M", "F"),
                    "birth_year": np.where(is_corporate, None, birth_year),
                    "kind": np.where(is_corporate, CustomerKind.CORPORATE.value, CustomerKind.PERSONAL.value),
                    "occupation": occupations,
                    "is_prospect": is_prospect,
                    "e_banking": (~is_prospect) & (rng.random(count) < 0.58),
                    "deposit_balance": deposit,
                    "wealth_balance": np.where(is_prospect, 0.0, wealth),
                    "products_held": np.where(is_prospect, 0, rng.poisson(1.6, count) + 1),
                    "opened_on": np.where(
                        is_prospect, None,
                        (pd.Timestamp(ctx.end) - pd.to_timedelta(opened_days, unit="D")).date,
                    ),
                }
            )
        )
    customers = pd.concat(customer_parts, ignore_index=True)
    customers.insert(0, "id", np.arange(1, len(customers) + 1))
    customers.insert(1, "code", [f"C{i:08d}" for i in customers["id"]])
    customers["staff_id"] = customers["staff_id"].astype("Int64")
    customers["birth_year"] = customers["birth_year"].astype("Int64")
    customers = add_life_details(ctx, customers, subs)
    villages = pd.DataFrame(village_rows)
    return {Village.__tablename__: villages, Customer.__tablename__: customers,
            KeyPerson.__tablename__: _key_people(rng, customers, villages, branches)}


def _key_people(rng: np.random.Generator, customers: pd.DataFrame, villages: pd.DataFrame,
                branches: pd.DataFrame) -> pd.DataFrame:
    """Every rural village gets its "six members"; county branches get labour-contractor foremen;
    community branches get community experts (社区达人) and opinion leaders."""
    kinds = branches.set_index("id")["kind"]
    adult = ((customers["kind"] == CustomerKind.PERSONAL.value)
             & (customers["occupation"] != Occupation.STUDENT.value)).to_numpy(bool)
    ids = customers["id"].to_numpy()[adult]
    branch_of = customers["branch_id"].to_numpy()[adult]
    village_of = customers["village_id"].to_numpy()[adult]
    migrant = (customers["occupation"] == Occupation.MIGRANT_WORKER.value).to_numpy(bool)[adult]
    # Each village's residents in the customers' order (as groupby gives them), drawn from by position:
    # `DataFrame.sample(n, random_state=seed)` is `RandomState(seed).choice(len, n, replace=False)`, so
    # these are the same people, without building and taking a frame per village (a third of generation).
    order = np.argsort(village_of, kind="stable")
    village_ids, starts = np.unique(village_of[order], return_index=True)
    rows: list[dict] = []
    for village_id, residents in zip(village_ids.tolist(), np.split(order, starts[1:]), strict=True):
        branch_id = int(branch_of[residents[0]])
        kind = kinds[branch_id]
        if kind == BranchKind.COUNTY.value:
            picks = _sample(residents, 6 + 2, int(rng.integers(0, 2**31)))
            for role, person in zip(VILLAGE_SIX_MEMBERS, picks, strict=False):
                rows.append({"customer_id": int(ids[person]), "branch_id": branch_id, "village_id": village_id,
                             "role": role.value})
            workers = residents[migrant[residents]]
            for person in _sample(workers, 2, int(rng.integers(0, 2**31))):
                rows.append({"customer_id": int(ids[person]), "branch_id": branch_id, "village_id": village_id,
                             "role": KeyRole.FOREMAN.value})
        else:
            count = 3 if kind == BranchKind.COMMUNITY.value else 1
            for i, person in enumerate(_sample(residents, count * 2, int(rng.integers(0, 2**31)))):
                role = KeyRole.COMMUNITY_EXPERT if i % 2 == 0 else KeyRole.OPINION_LEADER
                rows.append({"customer_id": int(ids[person]), "branch_id": branch_id, "village_id": village_id,
                             "role": role.value})
    frame = pd.DataFrame(rows).drop_duplicates(subset=["customer_id", "role"]).reset_index(drop=True)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


def _sample(positions: np.ndarray, n: int, seed: int) -> np.ndarray:
    """What `frame.sample(n=min(len(frame), n), random_state=seed)` picks, as positions of `positions`."""
    return positions[np.random.RandomState(seed).choice(len(positions), size=min(len(positions), n), replace=False)]


SILVER_AGE = 60
SILVER_SHARE = 0.33  # seed 002: about a third of a city bank's personal customers are 60 and over
TEACHER_SHARE = 0.25  # of employees outside the city centre: village and community school teachers
# Financial assets at the bank (deposits + wealth), yuan: the usual retail tiers.
TIER_FLOORS = ((AssetTier.PRIVATE, 6_000_000), (AssetTier.WEALTH, 500_000), (AssetTier.AFFLUENT, 50_000))
CHANNEL_MIX = {  # (silver-haired, others): branch, mobile, wechat, phone
    True: (0.52, 0.10, 0.22, 0.16),
    False: (0.14, 0.52, 0.30, 0.04),
}


def add_life_details(ctx: GenContext, customers: pd.DataFrame, subs: pd.DataFrame) -> pd.DataFrame:
    """Birth years with a silver-haired third, teachers among employees, asset tier and channel preference.
    Drawn from their own stream after the customers exist, so every other column stays as it was."""
    rng = ctx.rng("customer details")
    out = customers.copy()
    count = len(out)
    personal = (out["kind"] == CustomerKind.PERSONAL.value).to_numpy()
    occupation = out["occupation"].to_numpy(dtype=object)
    silver_year = ctx.end.year - SILVER_AGE
    birth = out["birth_year"].to_numpy(dtype="float64", na_value=np.nan)
    # Working-age customers: enough of them moved to 55-69 that 60+ are about a third of personal customers.
    retired = occupation == Occupation.RETIREE.value
    working = personal & ~retired & (occupation != Occupation.STUDENT.value)
    already = np.isfinite(birth) & (birth <= silver_year) & personal
    needed = max(0.0, SILVER_SHARE * personal.sum() - already.sum())
    candidates = working & ~already
    chance = min(1.0, needed / max(1, candidates.sum()))
    older = candidates & (rng.random(count) < chance)
    birth = np.where(older, silver_year - rng.integers(0, 10, count), birth)
    out["birth_year"] = pd.array(np.where(np.isfinite(birth), birth, np.nan), dtype="Float64").astype("Int64")
    # Teachers: a share of employees at county and community branches.
    kinds = subs.set_index("id")["kind"].reindex(out["branch_id"]).to_numpy()
    teacher = (occupation == Occupation.EMPLOYEE.value) & (kinds != BranchKind.URBAN.value) & (rng.random(count) < TEACHER_SHARE)
    out["occupation"] = np.where(teacher, Occupation.TEACHER.value, occupation)
    # Asset tier from what they hold; prospects and companies have none.
    assets = out["deposit_balance"].to_numpy(float) + out["wealth_balance"].to_numpy(float)
    tier = np.full(count, AssetTier.MASS.value, dtype=object)
    for level, floor in reversed(TIER_FLOORS):
        tier = np.where(assets >= floor, level.value, tier)
    holder = personal & ~out["is_prospect"].to_numpy(bool)
    out["asset_tier"] = np.where(holder, tier, "")
    # Channel: the silver-haired mostly come to the branch or call; the young use the app and WeChat.
    is_silver = np.isfinite(birth) & (birth <= silver_year)
    channels = np.array([c.value for c in ChannelPreference])
    draw = rng.random(count)
    chosen = np.empty(count, dtype=object)
    for flag in (True, False):
        cumulative = np.cumsum(CHANNEL_MIX[flag])
        pick = np.minimum(np.searchsorted(cumulative, draw), len(channels) - 1)
        chosen = np.where(is_silver == flag, channels[pick], chosen)
    no_app = ~out["e_banking"].to_numpy(bool) & np.isin(chosen, [ChannelPreference.MOBILE.value])
    chosen = np.where(no_app, ChannelPreference.BRANCH.value, chosen)
    out["channel_preference"] = np.where(out["is_prospect"].to_numpy(bool), "", chosen)
    return out
