"""Relationship networks: households, neighbours, village key persons, foremen and their crews,
workplaces, and referral chains, with prospects living inside them like everyone else.

Built with numpy over sorted arrays (no loop per edge), so a million customers take seconds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.customers import Customer, CustomerKind, KeyPerson, KeyRole, Occupation
from models.graph import DEFAULT_WEIGHT, DIRECTED_KINDS, RelationKind, Relationship, RelationSource
from models.org import BranchKind
from sample_data.context import GenContext

HOUSEHOLD_SIZES = np.array([2, 3, 4, 5])
HOUSEHOLD_SIZE_P = np.array([0.25, 0.35, 0.25, 0.15])
# Share of a village's residents each key person knows well enough to sway.
KEY_PERSON_REACH = {
    KeyRole.VILLAGE_HEAD.value: 0.45, KeyRole.SHOP_OWNER.value: 0.40, KeyRole.VILLAGE_ACCOUNTANT.value: 0.30,
    KeyRole.WOMENS_DIRECTOR.value: 0.30, KeyRole.ELECTRICIAN.value: 0.25, KeyRole.VILLAGE_DOCTOR.value: 0.30,
    KeyRole.COMMUNITY_EXPERT.value: 0.12, KeyRole.OPINION_LEADER.value: 0.10,
}
OFFICE_OCCUPATIONS = (Occupation.EMPLOYEE.value, Occupation.CIVIL_SERVANT.value, Occupation.TEACHER.value)
REFERRAL_SHARE = 0.10  # of a branch's customers who sit on a referral chain
EDGE_COLUMNS = ["customer_a_id", "customer_b_id", "kind", "weight", "source"]


def generate_graph(ctx: GenContext) -> dict[str, pd.DataFrame]:
    rng = ctx.rng("graph")
    customers = ctx.frames[Customer.__tablename__]
    key_people = ctx.frames[KeyPerson.__tablename__]
    branch_kind = ctx.frames["branch"].set_index("id")["kind"]
    people = customers[customers["kind"] == CustomerKind.PERSONAL.value]
    parts = [
        *_households(rng, people),
        _key_person_ties(rng, people, key_people),
        *_foreman_crews(rng, people, key_people),
        *_workplaces(rng, customers, branch_kind),
        _referral_chains(rng, people),
        *_group_ties(rng, ctx.frames.get("groupmembership")),
    ]
    edges = pd.concat([p for p in parts if len(p)], ignore_index=True)
    return {Relationship.__tablename__: _finish(edges, customers)}


# ---------------------------------------------------------------- helpers


def _edges(a: np.ndarray, b: np.ndarray, kind: RelationKind, source: RelationSource) -> pd.DataFrame:
    return pd.DataFrame({"customer_a_id": np.asarray(a, dtype=np.int64), "customer_b_id": np.asarray(b, dtype=np.int64),
                         "kind": kind.value, "weight": DEFAULT_WEIGHT[kind], "source": source.value})


def _sorted_groups(rng: np.random.Generator, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A random order that keeps equal keys together; returns (order, position within group, group start)."""
    order = np.lexsort((rng.random(len(keys)), keys))
    sorted_keys = keys[order]
    starts_mask = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]] if len(keys) else np.array([], dtype=bool)
    group_start = np.maximum.accumulate(np.where(starts_mask, np.arange(len(keys)), 0)) if len(keys) else np.array([], dtype=int)
    return order, np.arange(len(keys)) - group_start, group_start


def _chunk_ids(rng: np.random.Generator, keys: np.ndarray, position: np.ndarray, sizes: np.ndarray,
               p: np.ndarray | None = None) -> np.ndarray:
    """Cut each group (sorted by key) into consecutive chunks of random sizes; a global id per chunk."""
    if not len(keys):
        return np.array([], dtype=np.int64)
    pattern = np.cumsum(rng.choice(sizes, size=int(position.max()) + int(sizes.max()) + 2, p=p))
    _, group_index = np.unique(keys, return_inverse=True)
    shift = rng.integers(0, int(sizes.max()), group_index.max() + 1)[group_index]
    local = np.searchsorted(pattern, position + shift, side="right")
    change = np.r_[True, (keys[1:] != keys[:-1]) | (local[1:] != local[:-1])]
    return np.cumsum(change) - 1


def _pairs_within(ids: np.ndarray, chunk: np.ndarray, offsets: range) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i, i+d) for each d in offsets when both sit in the same chunk (ids sorted by chunk)."""
    a_parts, b_parts = [], []
    for d in offsets:
        same = chunk[:-d] == chunk[d:] if len(chunk) > d else np.array([], dtype=bool)
        a_parts.append(ids[:-d][same] if len(same) else ids[:0])
        b_parts.append(ids[d:][same] if len(same) else ids[:0])
    return np.concatenate(a_parts), np.concatenate(b_parts)


def _draw(rng: np.random.Generator, starts: np.ndarray, sizes: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For owner i, `counts[i]` random positions inside [starts[i], starts[i] + sizes[i]); returns (owner, position)."""
    counts = np.where(sizes > 0, counts, 0)
    owner = np.repeat(np.arange(len(counts)), counts)
    position = starts[owner] + (rng.random(len(owner)) * sizes[owner]).astype(np.int64)
    return owner, position


def _slices(sorted_keys: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and size of each wanted key's run inside a sorted key array."""
    left = np.searchsorted(sorted_keys, wanted, side="left")
    right = np.searchsorted(sorted_keys, wanted, side="right")
    return left, right - left


# ---------------------------------------------------------------- networks


def _households(rng: np.random.Generator, people: pd.DataFrame) -> list[pd.DataFrame]:
    """Villagers live in households of 2-5 (all family to each other); neighbouring households know
    each other through their heads."""
    village = people["village_id"].fillna(-1).to_numpy(np.int64)
    ids = people["id"].to_numpy(np.int64)
    order, position, _ = _sorted_groups(rng, village)
    ids, village = ids[order], village[order]
    household = _chunk_ids(rng, village, position, HOUSEHOLD_SIZES, HOUSEHOLD_SIZE_P)
    family = _edges(*_pairs_within(ids, household, range(1, 5)), RelationKind.FAMILY, RelationSource.HOUSEHOLD_SURVEY)

    head_mask = np.r_[True, household[1:] != household[:-1]]
    heads, head_village = ids[head_mask], village[head_mask]
    a1, b1 = _pairs_within(heads, head_village, range(1, 2))
    a2, b2 = _pairs_within(heads, head_village, range(2, 3))
    keep = rng.random(len(a2)) < 0.4
    neighbours = _edges(np.r_[a1, a2[keep]], np.r_[b1, b2[keep]], RelationKind.NEIGHBOUR, RelationSource.HOUSEHOLD_SURVEY)
    return [family, neighbours]


def _key_person_ties(rng: np.random.Generator, people: pd.DataFrame, key_people: pd.DataFrame) -> pd.DataFrame:
    """Village six members, community experts and opinion leaders know a good share of their village."""
    keys = key_people[key_people["role"].isin(list(KEY_PERSON_REACH)) & key_people["village_id"].notna()]
    if keys.empty:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    village = people["village_id"].fillna(-1).to_numpy(np.int64)
    order = np.argsort(village, kind="stable")
    resident_ids, resident_village = people["id"].to_numpy(np.int64)[order], village[order]
    starts, sizes = _slices(resident_village, keys["village_id"].to_numpy(np.int64))
    reach = keys["role"].map(KEY_PERSON_REACH).to_numpy(float)
    counts = rng.binomial(np.maximum(sizes, 0), reach)
    owner, position = _draw(rng, starts, sizes, counts)
    return _edges(keys["customer_id"].to_numpy(np.int64)[owner], resident_ids[position],
                  RelationKind.VILLAGE, RelationSource.VILLAGE_SURVEY)


def _foreman_crews(rng: np.random.Generator, people: pd.DataFrame, key_people: pd.DataFrame) -> list[pd.DataFrame]:
    """A labour-contractor foreman takes 20-45 migrant workers to the work sites, most from his own
    village and the rest from the branch's other villages; crew mates become colleagues."""
    foremen = key_people[key_people["role"] == KeyRole.FOREMAN.value]
    workers = people[people["occupation"] == Occupation.MIGRANT_WORKER.value]
    if foremen.empty or workers.empty:
        return []
    worker_ids = workers["id"].to_numpy(np.int64)
    crew_size = rng.integers(20, 46, len(foremen))
    own_village = rng.binomial(crew_size, 0.6)

    by_village = np.argsort(workers["village_id"].fillna(-1).to_numpy(np.int64), kind="stable")
    starts, sizes = _slices(workers["village_id"].fillna(-1).to_numpy(np.int64)[by_village],
                            foremen["village_id"].fillna(-2).to_numpy(np.int64))
    owner_v, pos_v = _draw(rng, starts, sizes, own_village)
    by_branch = np.argsort(workers["branch_id"].to_numpy(np.int64), kind="stable")
    starts, sizes = _slices(workers["branch_id"].to_numpy(np.int64)[by_branch], foremen["branch_id"].to_numpy(np.int64))
    owner_b, pos_b = _draw(rng, starts, sizes, crew_size - own_village)

    owner = np.r_[owner_v, owner_b]
    member = np.r_[worker_ids[by_village][pos_v], worker_ids[by_branch][pos_b]]
    foreman_ids = foremen["customer_id"].to_numpy(np.int64)
    crews = _edges(foreman_ids[owner], member, RelationKind.WORKPLACE, RelationSource.STAFF_VISIT)
    crew_order = np.lexsort((rng.random(len(owner)), owner))
    mates = _edges(*_pairs_within(member[crew_order], owner[crew_order], range(1, 3)),
                   RelationKind.COLLEAGUE, RelationSource.STAFF_VISIT)
    return [crews, mates]


def _workplaces(rng: np.random.Generator, customers: pd.DataFrame, branch_kind: pd.Series) -> list[pd.DataFrame]:
    """In town, employees and civil servants work in offices of 4-40 (colleagues, known through
    payroll); an office's two senior people are tied to the employer when it banks with us."""
    town = customers["branch_id"].map(branch_kind).isin([BranchKind.URBAN.value, BranchKind.COMMUNITY.value])
    staff = customers[town & customers["occupation"].isin(OFFICE_OCCUPATIONS)]
    if staff.empty:
        return []
    branch = staff["branch_id"].to_numpy(np.int64)
    order, position, _ = _sorted_groups(rng, branch)
    ids, branch = staff["id"].to_numpy(np.int64)[order], branch[order]
    office = _chunk_ids(rng, branch, position, np.arange(4, 41))
    a, b = _pairs_within(ids, office, range(1, 4))
    keep = rng.random(len(a)) < 0.7
    colleagues = _edges(a[keep], b[keep], RelationKind.COLLEAGUE, RelationSource.PAYROLL)

    companies = customers[town & (customers["kind"] == CustomerKind.CORPORATE.value)]
    first = np.r_[True, office[1:] != office[:-1]]
    second = np.r_[False, first[:-1]] & np.r_[False, office[1:] == office[:-1]]
    seniors = first | second
    senior_ids, senior_office, senior_branch = ids[seniors], office[seniors], branch[seniors]
    company_branch = companies["branch_id"].to_numpy(np.int64)
    by_branch = np.argsort(company_branch, kind="stable")
    company_ids = companies["id"].to_numpy(np.int64)[by_branch]
    office_branch = np.unique(np.c_[senior_office, senior_branch], axis=0)
    starts, sizes = _slices(company_branch[by_branch], office_branch[:, 1])
    owner, position = _draw(rng, starts, sizes, np.ones(len(office_branch), dtype=np.int64))
    employer_of_office = np.full(office.max() + 1, -1, dtype=np.int64)
    employer_of_office[office_branch[owner, 0]] = company_ids[position]
    employer = employer_of_office[senior_office]
    has_employer = employer >= 0
    employers = _edges(senior_ids[has_employer], employer[has_employer], RelationKind.WORKPLACE, RelationSource.PAYROLL)
    return [colleagues, employers]


def _referral_chains(rng: np.random.Generator, people: pd.DataFrame) -> pd.DataFrame:
    """Customers who brought customers who brought customers: chains of 3-5 people (2-4 referrals)
    inside a branch; a third of them go one step further, to a prospect who was referred but has
    not opened an account yet, so chains are 2-5 referrals deep."""
    customers = people[~people["is_prospect"].astype(bool)]
    branch = customers["branch_id"].to_numpy(np.int64)
    order, position, _ = _sorted_groups(rng, branch)
    ids, branch = customers["id"].to_numpy(np.int64)[order], branch[order]
    _, branch_index, branch_counts = np.unique(branch, return_inverse=True, return_counts=True)
    branch_size = branch_counts[branch_index]
    on_chain = position < np.ceil(REFERRAL_SHARE * branch_size)
    ids, branch, position = ids[on_chain], branch[on_chain], position[on_chain]
    chain = _chunk_ids(rng, branch, position, np.arange(3, 6), np.array([0.45, 0.35, 0.2]))
    whole = np.bincount(chain)[chain] >= 3  # a branch's last chunk may be cut short: not a chain
    ids, branch, chain = ids[whole], branch[whole], chain[whole]
    a, b = _pairs_within(ids, chain, range(1, 2))

    tails = np.r_[chain[1:] != chain[:-1], True] if len(chain) else np.array([], dtype=bool)
    tail_ids, tail_branch = ids[tails], branch[tails]
    pick = rng.random(len(tail_ids)) < 1 / 3
    prospects = people[people["is_prospect"].astype(bool)]
    p_branch = prospects["branch_id"].to_numpy(np.int64)
    by_branch = np.argsort(p_branch, kind="stable")
    starts, sizes = _slices(p_branch[by_branch], tail_branch[pick])
    owner, position = _draw(rng, starts, sizes, np.ones(int(pick.sum()), dtype=np.int64))
    referred = prospects["id"].to_numpy(np.int64)[by_branch][position]
    _, first = np.unique(referred, return_index=True)  # a code binds a person to the first referrer only
    first = np.sort(first)
    return _edges(np.r_[a, tail_ids[pick][owner][first]], np.r_[b, referred[first]],
                  RelationKind.REFERRAL, RelationSource.REFERRAL_CODE)


def _group_ties(rng: np.random.Generator, memberships: pd.DataFrame | None) -> list[pd.DataFrame]:
    """Co-members of a WeChat / WeCom group know each other a little: each current member is tied to
    one neighbour in the group, and the group's community experts and opinion leaders to up to 30
    members each (they drive the conversation). Derived from the groups domain when it exists."""
    if memberships is None or memberships.empty:
        return []
    current = memberships[memberships["left_on"].isna()]
    group = current["group_id"].to_numpy(np.int64)
    order, _, _ = _sorted_groups(rng, group)
    ids, group = current["customer_id"].to_numpy(np.int64)[order], group[order]
    ring = _edges(*_pairs_within(ids, group, range(1, 2)), RelationKind.GROUP, RelationSource.GROUP_MEMBERSHIP)
    leaders = current[current["role"] != "member"]
    starts, sizes = _slices(group, leaders["group_id"].to_numpy(np.int64))
    owner, position = _draw(rng, starts, sizes, np.minimum(sizes, 30))
    voices = _edges(leaders["customer_id"].to_numpy(np.int64)[owner], ids[position], RelationKind.GROUP,
                    RelationSource.GROUP_MEMBERSHIP)
    return [ring, voices]


def _finish(edges: pd.DataFrame, customers: pd.DataFrame) -> pd.DataFrame:
    """Undirected kinds stored with a < b; no self ties; one row per pair and kind; a's branch."""
    a, b = edges["customer_a_id"].to_numpy(), edges["customer_b_id"].to_numpy()
    undirected = ~edges["kind"].isin(list(DIRECTED_KINDS)).to_numpy()
    edges["customer_a_id"] = np.where(undirected, np.minimum(a, b), a)
    edges["customer_b_id"] = np.where(undirected, np.maximum(a, b), b)
    edges = edges[edges["customer_a_id"] != edges["customer_b_id"]]
    edges = edges.drop_duplicates(subset=["customer_a_id", "customer_b_id", "kind"])
    edges = edges.sort_values(["customer_a_id", "customer_b_id", "kind"], kind="stable").reset_index(drop=True)
    branch_of = pd.Series(customers["branch_id"].to_numpy(np.int64), index=customers["id"].to_numpy(np.int64))
    edges.insert(0, "id", np.arange(1, len(edges) + 1))
    edges.insert(3, "branch_id", branch_of.reindex(edges["customer_a_id"].to_numpy()).to_numpy(np.int64))
    return edges[["id", "customer_a_id", "customer_b_id", "branch_id", "kind", "weight", "source"]]
