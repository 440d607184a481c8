"""The customer relationship graph: who matters, who bridges circles, and who to reach next.

Queries load a branch, village or ego network from `Relationship` (scope-checked) as two frames,
nodes and edges; pure functions over networkx graphs measure them; `compute_node_metrics` stores
the branch-level measures in `NodeMetric` so that pages read a table instead of recomputing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import networkx as nx
import numpy as np
import pandas as pd
from sqlalchemy import case, delete, func, insert, or_, select, union_all, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import privacy
from models.customers import Customer, KeyPerson, Village
from models.graph import DIRECTED_KINDS, NetworkSummary, NodeMetric, RelationKind, Relationship
from models.groups import GroupMembership, SocialGroup
from models.metrics.org import read_frame
from models.org import Branch, Staff
from models.scope import Scope, ScopeError
from models.system import DataVersion

NODE_COLUMNS = ["customer_id", "name", "branch_id", "village_id", "is_prospect", "kind", "occupation",
                "deposit_balance", "wealth_balance", "staff_id", "roles"]
EDGE_COLUMNS = ["customer_a_id", "customer_b_id", "kind", "weight", "source"]
METRIC_COLUMNS = ["customer_id", "degree", "weighted_degree", "pagerank", "influence", "betweenness", "community",
                  "communities_bridged", "customer_neighbour_share"]
EXACT_BETWEENNESS_MAX_NODES = 400
BETWEENNESS_SAMPLES = 40
GRAPH_SEED = 42
MAX_PINNED_KEY_PERSONS = 12
WELL_TIED_MIN_TIES = 2.5  # a prospect who knows three or more of our customers (ties rounded)


# ================================================================ pure measures over graphs


def build_graph(nodes: pd.DataFrame, edges: pd.DataFrame) -> nx.Graph:
    """An undirected weighted graph: one node per person (attributes from `nodes`), one edge per
    pair with the weights of all its kinds summed; `kinds` lists them, `kind` is the strongest.
    Edges to people missing from `nodes` are dropped (they are outside the caller's scope)."""
    graph = nx.Graph()
    for row in nodes.to_dict("records"):
        graph.add_node(int(row["customer_id"]), **row)
    if edges.empty:
        return graph
    known = set(graph.nodes)
    frame = edges[edges["customer_a_id"].isin(known) & edges["customer_b_id"].isin(known)]
    if frame.empty:
        return graph
    low = np.minimum(frame["customer_a_id"].to_numpy(), frame["customer_b_id"].to_numpy())
    high = np.maximum(frame["customer_a_id"].to_numpy(), frame["customer_b_id"].to_numpy())
    pairs = pd.DataFrame({"u": low, "v": high, "kind": frame["kind"].to_numpy(), "weight": frame["weight"].to_numpy(float)})
    pairs = pairs.sort_values(["u", "v", "weight"], ascending=[True, True, False], kind="stable")
    grouped = pairs.groupby(["u", "v"], sort=False)
    collapsed = pd.DataFrame({"weight": grouped["weight"].sum(), "kind": grouped["kind"].first()}).reset_index()
    collapsed["kinds"] = collapsed["kind"]
    shared = pairs[pairs.duplicated(["u", "v"], keep=False)]  # few pairs tied in more than one way
    if len(shared):
        joined = shared.groupby(["u", "v"])["kind"].agg(lambda k: ",".join(sorted(set(k))))
        index = pd.MultiIndex.from_frame(collapsed[["u", "v"]])
        collapsed["kinds"] = joined.reindex(index).fillna(pd.Series(collapsed["kind"].to_numpy(), index=index)).to_numpy()
    graph.add_edges_from(
        (int(u), int(v), {"weight": float(w), "kind": k, "kinds": ks})
        for u, v, w, k, ks in collapsed[["u", "v", "weight", "kind", "kinds"]].itertuples(index=False, name=None)
    )
    return graph


def degree(graph: nx.Graph) -> dict[int, int]:
    """How many people each person is tied to."""
    return dict(graph.degree())


def weighted_degree(graph: nx.Graph, weight: str = "weight") -> dict[int, float]:
    """Sum of tie strengths: a family tie counts more than a neighbour's nod."""
    return {node: float(value) for node, value in graph.degree(weight=weight)}


def pagerank(graph: nx.Graph, alpha: float = 0.85, weight: str | None = "weight",
             tol: float = 1.0e-10, max_iter: int = 200) -> dict[int, float]:
    """Influence: a person matters when people who matter are tied to them (PageRank, summing to 1).

    Power iteration with numpy; people with no ties spread their share evenly (as networkx does).
    """
    nodes = list(graph.nodes)
    n = len(nodes)
    if n == 0:
        return {}
    index = {node: i for i, node in enumerate(nodes)}
    rows, cols, values = [], [], []
    for u, v, data in graph.edges(data=True):
        w = float(data.get(weight, 1.0)) if weight else 1.0
        rows += [index[u], index[v]]
        cols += [index[v], index[u]]
        values += [w, w]
    rows_a, cols_a, values_a = np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), np.array(values, float)
    out_strength = np.bincount(rows_a, weights=values_a, minlength=n) if len(rows) else np.zeros(n)
    dangling = out_strength == 0
    share = np.divide(values_a, out_strength[rows_a], out=np.zeros_like(values_a), where=out_strength[rows_a] > 0)
    rank = np.full(n, 1.0 / n)
    for _ in range(max_iter):
        spread = np.bincount(cols_a, weights=rank[rows_a] * share, minlength=n) if len(rows) else np.zeros(n)
        new = alpha * (spread + rank[dangling].sum() / n) + (1 - alpha) / n
        converged = np.abs(new - rank).sum() < n * tol
        rank = new
        if converged:
            break
    return {node: float(rank[i]) for node, i in index.items()}


def betweenness(graph: nx.Graph, exact_max_nodes: int = EXACT_BETWEENNESS_MAX_NODES,
                samples: int = BETWEENNESS_SAMPLES, seed: int = GRAPH_SEED) -> dict[int, float]:
    """Brokerage: the share of shortest paths between two others that pass through a person
    (normalised to 0..1). Exact up to `exact_max_nodes` people; above that, estimated from
    `samples` source people drawn with a fixed seed, so the same graph gives the same figures."""
    n = graph.number_of_nodes()
    if n <= exact_max_nodes or samples >= n:
        return nx.betweenness_centrality(graph, normalized=True)
    return nx.betweenness_centrality(graph, k=samples, normalized=True, seed=seed)


def communities(graph: nx.Graph, seed: int = GRAPH_SEED, weight: str = "weight", resolution: float = 1.0) -> dict[int, int]:
    """Circles of people more tied to each other than to the rest (Louvain, seeded so it repeats).

    Numbered 0, 1, 2... from the largest circle down (ties broken by the smallest member id);
    isolated people get a circle of their own."""
    if graph.number_of_nodes() == 0:
        return {}
    found = nx.community.louvain_communities(graph, weight=weight, resolution=resolution, seed=seed)
    ordered = sorted(found, key=lambda members: (-len(members), min(members)))
    return {node: number for number, members in enumerate(ordered) for node in members}


def customer_neighbour_share(graph: nx.Graph, prospect_attr: str = "is_prospect") -> dict[int, float | None]:
    """Of a person's contacts, the share who already bank with us (None for someone with no ties)."""
    share: dict[int, float | None] = {}
    for node in graph.nodes:
        neighbours = list(graph.neighbors(node))
        if not neighbours:
            share[node] = None
            continue
        customers = sum(1 for other in neighbours if not graph.nodes[other].get(prospect_attr, False))
        share[node] = customers / len(neighbours)
    return share


def communities_bridged(graph: nx.Graph, community: dict[int, int]) -> dict[int, int]:
    """How many circles other than their own a person has ties into."""
    return {
        node: len({community[other] for other in graph.neighbors(node)} - {community[node]})
        for node in graph.nodes
    }


def node_metrics(graph: nx.Graph, seed: int = GRAPH_SEED, exact_max_nodes: int = EXACT_BETWEENNESS_MAX_NODES,
                 samples: int = BETWEENNESS_SAMPLES) -> pd.DataFrame:
    """Every per-person measure in one frame (METRIC_COLUMNS), one row per node."""
    if graph.number_of_nodes() == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64") for c in METRIC_COLUMNS})
    community = communities(graph, seed=seed)
    rank = pagerank(graph)
    people = graph.number_of_nodes()
    columns = {
        "degree": degree(graph),
        "weighted_degree": weighted_degree(graph),
        "pagerank": rank,
        "influence": {node: value * people for node, value in rank.items()},
        "betweenness": betweenness(graph, exact_max_nodes=exact_max_nodes, samples=samples, seed=seed),
        "community": community,
        "communities_bridged": communities_bridged(graph, community),
        "customer_neighbour_share": customer_neighbour_share(graph),
    }
    frame = pd.DataFrame(columns)
    frame.index.name = "customer_id"
    frame = frame.reset_index()[METRIC_COLUMNS]
    frame["customer_id"] = frame["customer_id"].astype("int64")
    frame["customer_neighbour_share"] = frame["customer_neighbour_share"].astype("float64")
    return frame


def bridge_ties(graph: nx.Graph, community: dict[int, int]) -> pd.DataFrame:
    """Ties that join two circles: per pair of circles, how many ties and which people carry them."""
    rows = [
        {"community_a": min(community[u], community[v]), "community_b": max(community[u], community[v]),
         "customer_a_id": u, "customer_b_id": v, "weight": data.get("weight", 1.0)}
        for u, v, data in graph.edges(data=True) if community[u] != community[v]
    ]
    columns = ["community_a", "community_b", "customer_a_id", "customer_b_id", "weight"]
    return pd.DataFrame(rows, columns=columns)


def bridge_people(metrics: pd.DataFrame, limit: int = 20) -> pd.DataFrame:
    """People who link circles: ties into at least one other circle, ranked by betweenness."""
    bridges = metrics[metrics["communities_bridged"] > 0]
    return bridges.sort_values(["betweenness", "communities_bridged", "customer_id"],
                               ascending=[False, False, True]).head(limit).reset_index(drop=True)


def graph_edges_frame(graph: nx.Graph) -> pd.DataFrame:
    """The collapsed edges of a graph as a frame (u, v, weight, kind, kinds) for drawing."""
    rows = [(u, v, d.get("weight", 1.0), d.get("kind", ""), d.get("kinds", "")) for u, v, d in graph.edges(data=True)]
    return pd.DataFrame(rows, columns=["u", "v", "weight", "kind", "kinds"])


def prospects_to_reach(nodes: pd.DataFrame, edges: pd.DataFrame, limit: int | None = 50) -> pd.DataFrame:
    """Prospects ranked by how well they are tied to existing customers: customers they know, the
    summed strength of those ties, and the best introducer (their strongest customer tie, a key
    person first among equals). The top of the list is who to reach next, and through whom."""
    columns = ["customer_id", "name", "customer_ties", "tie_strength", "customer_deposits", "key_person_ties",
               "introducer_id", "introducer_name", "introducer_kind"]
    if nodes.empty or edges.empty:
        return pd.DataFrame(columns=columns)
    both = _both_directions(edges)
    info = nodes.set_index("customer_id")
    both = both[both["me"].isin(info.index) & both["other"].isin(info.index)]
    prospects = set(info.index[info["is_prospect"].astype(bool)])
    ties = both[both["me"].isin(prospects) & ~both["other"].isin(prospects)].copy()
    if ties.empty:
        return pd.DataFrame(columns=columns)
    ties["other_deposit"] = info["deposit_balance"].reindex(ties["other"]).to_numpy(float)
    ties["other_is_key"] = info["roles"].reindex(ties["other"]).fillna("").astype(str).str.len().to_numpy() > 0
    pair = ties.groupby(["me", "other"], as_index=False).agg(
        weight=("weight", "sum"), kind=("kind", "first"), other_deposit=("other_deposit", "first"),
        other_is_key=("other_is_key", "first"))
    summary = pair.groupby("me").agg(
        customer_ties=("other", "count"), tie_strength=("weight", "sum"),
        customer_deposits=("other_deposit", "sum"), key_person_ties=("other_is_key", "sum"))
    best = pair.sort_values(["me", "weight", "other_is_key", "other"], ascending=[True, False, False, True])
    best = best.drop_duplicates("me").set_index("me")
    summary["introducer_id"] = best["other"]
    summary["introducer_kind"] = best["kind"]
    summary = summary.reset_index().rename(columns={"me": "customer_id"})
    summary["name"] = info["name"].reindex(summary["customer_id"]).to_numpy()
    summary["introducer_name"] = info["name"].reindex(summary["introducer_id"]).to_numpy()
    summary["key_person_ties"] = summary["key_person_ties"].astype(int)
    ranked = summary.sort_values(["customer_ties", "tie_strength", "customer_id"], ascending=[False, False, True])
    if limit is not None:
        ranked = ranked.head(limit)
    return ranked[columns].reset_index(drop=True)


def key_person_reach(nodes: pd.DataFrame, edges: pd.DataFrame, key_people: pd.DataFrame) -> pd.DataFrame:
    """Each key person with how many customers and prospects they are directly tied to, and the
    deposits of the customers among them: whom a visit to this person reaches."""
    columns = ["customer_id", "name", "role", "village_id", "customers_reached", "prospects_reached", "deposits_reached"]
    if key_people.empty:
        return pd.DataFrame(columns=columns)
    both = _both_directions(edges) if not edges.empty else pd.DataFrame(columns=["me", "other", "kind", "weight"])
    info = nodes.set_index("customer_id")
    key_people = key_people.groupby("customer_id", as_index=False).agg(
        role=("role", ",".join), village_id=("village_id", "first"))
    both = both[both["me"].isin(key_people["customer_id"]) & both["other"].isin(info.index)]
    contacts = both.drop_duplicates(["me", "other"]).copy()
    contacts["prospect"] = info["is_prospect"].reindex(contacts["other"]).astype(bool).to_numpy()
    contacts["deposit"] = np.where(contacts["prospect"], 0.0, info["deposit_balance"].reindex(contacts["other"]).to_numpy(float))
    reach = contacts.groupby("me").agg(
        customers_reached=("prospect", lambda p: int((~p).sum())), prospects_reached=("prospect", "sum"),
        deposits_reached=("deposit", "sum"))
    frame = key_people[["customer_id", "role", "village_id"]].merge(
        reach, left_on="customer_id", right_index=True, how="left")
    frame["name"] = info["name"].reindex(frame["customer_id"]).to_numpy()
    for column in ("customers_reached", "prospects_reached"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["deposits_reached"] = frame["deposits_reached"].fillna(0.0)
    frame = frame.sort_values(["customers_reached", "prospects_reached", "customer_id"], ascending=[False, False, True])
    return frame[columns].reset_index(drop=True)


def referral_chains(referrals: pd.DataFrame, nodes: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Who brought whom. Returns (chains, members): one row per chain (its first referrer, how many
    people, how deep, deposits along it, prospects still to convert) and one row per person on a
    chain (depth 0 = the first referrer, the referrer who brought them, their deposits).

    `referrals` holds directed customer_a_id → customer_b_id ties (a brought b)."""
    chain_columns = ["chain_id", "root_id", "root_name", "people", "depth", "deposits", "prospects"]
    member_columns = ["chain_id", "customer_id", "name", "referrer_id", "depth", "is_prospect", "deposit_balance"]
    if referrals.empty:
        return pd.DataFrame(columns=chain_columns), pd.DataFrame(columns=member_columns)
    tree = nx.DiGraph()
    tree.add_edges_from(zip(referrals["customer_a_id"].astype(int), referrals["customer_b_id"].astype(int), strict=True))
    info = nodes.set_index("customer_id") if not nodes.empty else pd.DataFrame(columns=NODE_COLUMNS).set_index("customer_id")
    roots = sorted(node for node in tree.nodes if tree.in_degree(node) == 0)
    members: list[dict] = []
    for chain_id, root in enumerate(roots, start=1):
        depth_of = nx.single_source_shortest_path_length(tree, root)
        for person, depth in sorted(depth_of.items(), key=lambda item: (item[1], item[0])):
            referrer = next(iter(tree.predecessors(person)), None) if depth else None
            members.append({"chain_id": chain_id, "customer_id": person, "referrer_id": referrer, "depth": depth})
    member_frame = pd.DataFrame(members)
    member_frame["name"] = info["name"].reindex(member_frame["customer_id"]).to_numpy() if len(info) else None
    prospect = info["is_prospect"].reindex(member_frame["customer_id"]) if len(info) else pd.Series(False, index=member_frame.index)
    member_frame["is_prospect"] = prospect.fillna(False).astype(bool).to_numpy()
    deposit = info["deposit_balance"].reindex(member_frame["customer_id"]) if len(info) else pd.Series(0.0, index=member_frame.index)
    member_frame["deposit_balance"] = deposit.fillna(0.0).astype(float).to_numpy()
    member_frame["referrer_id"] = member_frame["referrer_id"].astype("Int64")
    chains = member_frame.groupby("chain_id").agg(
        root_id=("customer_id", "first"), people=("customer_id", "count"), depth=("depth", "max"),
        deposits=("deposit_balance", "sum"), prospects=("is_prospect", "sum")).reset_index()
    chains["root_name"] = member_frame.groupby("chain_id")["name"].first().to_numpy()
    chains["prospects"] = chains["prospects"].astype(int)
    chains = chains.sort_values(["depth", "deposits", "chain_id"], ascending=[False, False, True]).reset_index(drop=True)
    return chains[chain_columns], member_frame[member_columns]


def most_influential_subgraph(graph: nx.Graph, influence: dict[int, float], limit: int,
                              keep: set[int] | None = None) -> tuple[nx.Graph, dict[str, int]]:
    """Cut a graph too big to read to its `limit` most influential people (plus `keep`, e.g. the
    person at the centre of an ego network). Returns the cut graph and what was hidden."""
    total_nodes, total_edges = graph.number_of_nodes(), graph.number_of_edges()
    if total_nodes <= limit:
        return graph, {"nodes_shown": total_nodes, "nodes_hidden": 0, "edges_shown": total_edges, "edges_hidden": 0}
    ranked = sorted(graph.nodes, key=lambda node: (-influence.get(node, 0.0), node))
    chosen = set(ranked[:limit]) | (keep or set())
    cut = graph.subgraph(chosen).copy()
    return cut, {"nodes_shown": cut.number_of_nodes(), "nodes_hidden": total_nodes - cut.number_of_nodes(),
                 "edges_shown": cut.number_of_edges(), "edges_hidden": total_edges - cut.number_of_edges()}


def ego_network(graph: nx.Graph, center: int, radius: int = 1) -> nx.Graph:
    """A person and everyone within `radius` ties (1 or 2) of them."""
    if center not in graph:
        return nx.Graph()
    return nx.ego_graph(graph, center, radius=max(1, min(int(radius), 2)))


def layout(graph: nx.Graph, seed: int = GRAPH_SEED, anchors: list[int] | None = None) -> dict[int, tuple[float, float]]:
    """Spring layout with a fixed seed, so the same graph is drawn the same way every time.

    `anchors` are pinned so they never pile up in the middle: one anchor (the person at the centre
    of an ego network) sits at the origin, several (a village's key persons) on a ring around it."""
    if graph.number_of_nodes() == 0:
        return {}
    k = 1.5 / np.sqrt(max(graph.number_of_nodes(), 1))
    anchors = [a for a in (anchors or []) if a in graph]
    if not anchors:
        positions = nx.spring_layout(graph, seed=seed, weight="weight", k=k, iterations=60)
    else:
        if len(anchors) == 1:
            pinned = {anchors[0]: np.array([0.0, 0.0])}
        else:
            angles = np.linspace(0, 2 * np.pi, len(anchors), endpoint=False) + np.pi / 2
            pinned = {a: np.array([0.45 * np.cos(t), 0.45 * np.sin(t)]) for a, t in zip(anchors, angles, strict=True)}
        rng = np.random.default_rng(seed)
        start = {node: pinned.get(node, rng.uniform(-1, 1, 2)) for node in graph.nodes}
        positions = nx.spring_layout(graph, pos=start, fixed=list(pinned), seed=seed, weight="weight", k=k,
                                     iterations=60)
    return {node: (float(x), float(y)) for node, (x, y) in positions.items()}


def mask_phone(phone: str | None, can_see: bool) -> str:
    """138****1234 unless the viewer may see phone numbers (the shared rule in models.privacy)."""
    return (phone or "") if can_see else privacy.mask_phone(phone)


def _both_directions(edges: pd.DataFrame) -> pd.DataFrame:
    forward = pd.DataFrame({"me": edges["customer_a_id"], "other": edges["customer_b_id"],
                            "kind": edges["kind"], "weight": edges["weight"].astype(float)})
    backward = pd.DataFrame({"me": edges["customer_b_id"], "other": edges["customer_a_id"],
                             "kind": edges["kind"], "weight": edges["weight"].astype(float)})
    return pd.concat([forward, backward], ignore_index=True)


# ================================================================ queries (session, scope, filters)


def _require_branch(scope: Scope, branch_id: int | None) -> None:
    if branch_id is not None and not scope.allows(int(branch_id)):
        raise ScopeError(f"无权查看该网点 / not allowed to see branch {branch_id}")


def _roles_of(session: Session, customer_ids) -> pd.Series:
    """Key-person roles per customer id, comma-joined ('' for none)."""
    ids = [int(i) for i in customer_ids]
    if not ids:
        return pd.Series(dtype="object")
    frames = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        frames.append(read_frame(session, select(KeyPerson.customer_id, KeyPerson.role)
                                 .where(KeyPerson.customer_id.in_(chunk)).order_by(KeyPerson.customer_id, KeyPerson.role)))
    roles = pd.concat(frames, ignore_index=True)
    return roles.groupby("customer_id")["role"].agg(",".join) if not roles.empty else pd.Series(dtype="object")


def _nodes(session: Session, scope: Scope, condition) -> pd.DataFrame:
    statement = (
        select(Customer.id.label("customer_id"), Customer.name, Customer.branch_id, Customer.village_id,
               Customer.is_prospect, Customer.kind, Customer.occupation, Customer.deposit_balance,
               Customer.wealth_balance, Customer.staff_id)
        .where(scope.clause(Customer.branch_id), condition)
        .order_by(Customer.id)
    )
    nodes = read_frame(session, statement)
    if nodes.empty:
        return pd.DataFrame(columns=NODE_COLUMNS)
    nodes["is_prospect"] = nodes["is_prospect"].astype(bool)
    nodes["deposit_balance"] = nodes["deposit_balance"].astype(float)
    nodes["wealth_balance"] = nodes["wealth_balance"].astype(float)
    nodes["roles"] = _roles_of(session, nodes["customer_id"]).reindex(nodes["customer_id"]).fillna("").to_numpy()
    return nodes[NODE_COLUMNS]


def _edges(session: Session, scope: Scope, *conditions) -> pd.DataFrame:
    statement = (
        select(Relationship.customer_a_id, Relationship.customer_b_id, Relationship.kind, Relationship.weight,
               Relationship.source)
        .where(scope.clause(Relationship.branch_id), *conditions)
        .order_by(Relationship.customer_a_id, Relationship.customer_b_id, Relationship.kind)
    )
    edges = read_frame(session, statement)
    if edges.empty:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    edges["weight"] = edges["weight"].astype(float)
    return edges


def empty_graph_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    return pd.DataFrame(columns=NODE_COLUMNS), pd.DataFrame(columns=EDGE_COLUMNS)


def branch_graph_frames(session: Session, scope: Scope, branch_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Everyone whose home is `branch_id` and the ties recorded by that branch: (nodes, edges)."""
    _require_branch(scope, branch_id)
    nodes = _nodes(session, scope, Customer.branch_id == int(branch_id))
    edges = _edges(session, scope, Relationship.branch_id == int(branch_id))
    return nodes, edges


def village_graph_frames(session: Session, scope: Scope, village_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The residents of one village (or compound) and the ties among them: (nodes, edges)."""
    village = session.get(Village, int(village_id))
    if village is None:
        return pd.DataFrame(columns=NODE_COLUMNS), pd.DataFrame(columns=EDGE_COLUMNS)
    _require_branch(scope, village.branch_id)
    residents = select(Customer.id).where(Customer.village_id == int(village_id))
    nodes = _nodes(session, scope, Customer.village_id == int(village_id))
    edges = _edges(session, scope, Relationship.customer_a_id.in_(residents), Relationship.customer_b_id.in_(residents))
    return nodes, edges


def ego_graph_frames(session: Session, scope: Scope, customer_id: int, radius: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One person's network: everyone within `radius` (1 or 2) ties and the ties among them.
    People outside the caller's scope are left out; asking for such a person is refused."""
    center = session.get(Customer, int(customer_id))
    if center is None:
        return pd.DataFrame(columns=NODE_COLUMNS), pd.DataFrame(columns=EDGE_COLUMNS)
    _require_branch(scope, center.branch_id)
    reached = {int(customer_id)}
    frontier = {int(customer_id)}
    for _ in range(max(1, min(int(radius), 2))):
        touching = _edges(session, scope, or_(Relationship.customer_a_id.in_(sorted(frontier)),
                                              Relationship.customer_b_id.in_(sorted(frontier))))
        found = set(touching["customer_a_id"].astype(int)) | set(touching["customer_b_id"].astype(int))
        frontier = found - reached
        reached |= found
    ids = sorted(reached)
    nodes = _nodes(session, scope, Customer.id.in_(ids))
    kept = [int(i) for i in nodes["customer_id"]]
    # One indexed condition (a IN kept), the other end filtered here: "a IN kept AND b IN kept" made
    # PostgreSQL scan the whole table for a few hundred people.
    edges = _edges(session, scope, Relationship.customer_a_id.in_(kept))
    edges = edges[edges["customer_b_id"].isin(kept)].reset_index(drop=True) if not edges.empty else edges
    return nodes, edges


def key_people_frame(session: Session, scope: Scope, branch_id: int | None = None,
                     village_id: int | None = None) -> pd.DataFrame:
    """Key persons (one row per person and role) inside the scope."""
    _require_branch(scope, branch_id)
    statement = select(KeyPerson.customer_id, KeyPerson.role, KeyPerson.village_id, KeyPerson.branch_id).where(
        scope.clause(KeyPerson.branch_id))
    if branch_id is not None:
        statement = statement.where(KeyPerson.branch_id == int(branch_id))
    if village_id is not None:
        statement = statement.where(KeyPerson.village_id == int(village_id))
    return read_frame(session, statement.order_by(KeyPerson.customer_id, KeyPerson.role))


def graph_branches(session: Session, scope: Scope) -> pd.DataFrame:
    """Branches in scope that have a relationship network, with their ties counted (NetworkSummary,
    kept in step by `graph-metrics` and by relationship imports)."""
    summary = NetworkSummary.__table__
    statement = (
        select(Branch.id.label("branch_id"), Branch.code, Branch.name.label("branch_name"), Branch.kind,
               summary.c.ties)
        .join(summary, summary.c.branch_id == Branch.id)
        .where(scope.clause(Branch.id), summary.c.ties > 0)
        .order_by(Branch.code)
    )
    return read_frame(session, statement)


def villages_frame(session: Session, scope: Scope, branch_id: int | None = None) -> pd.DataFrame:
    """Villages and compounds in scope with how many people live there."""
    _require_branch(scope, branch_id)
    people = (select(Customer.village_id, func.count().label("people")).where(scope.clause(Customer.branch_id))
              .group_by(Customer.village_id).subquery())
    statement = (
        select(Village.id.label("village_id"), Village.name.label("village_name"), Village.township,
               Village.branch_id, func.coalesce(people.c.people, 0).label("people"))
        .join(people, people.c.village_id == Village.id, isouter=True)
        .where(scope.clause(Village.branch_id))
        .order_by(Village.branch_id, Village.id)
    )
    if branch_id is not None:
        statement = statement.where(Village.branch_id == int(branch_id))
    return read_frame(session, statement)


def search_people(session: Session, scope: Scope, text: str = "", branch_id: int | None = None,
                  limit: int = 50) -> pd.DataFrame:
    """People whose name or code contains `text` (most influential first), for the person picker."""
    _require_branch(scope, branch_id)
    statement = (
        select(Customer.id.label("customer_id"), Customer.code, Customer.name, Customer.is_prospect,
               Customer.branch_id, func.coalesce(NodeMetric.influence, 0.0).label("influence"))
        .join(NodeMetric, NodeMetric.customer_id == Customer.id, isouter=True)
        .where(scope.clause(Customer.branch_id))
        .order_by(func.coalesce(NodeMetric.influence, 0.0).desc(), Customer.id)
        .limit(int(limit))
    )
    if branch_id is not None:
        statement = statement.where(Customer.branch_id == int(branch_id))
    if scope.role == "staff":
        statement = statement.where(privacy.own_customer_clause(scope, Customer.staff_id))
    if text.strip():
        pattern = f"%{text.strip()}%"
        statement = statement.where(or_(Customer.name.like(pattern), Customer.code.like(pattern)))
    return read_frame(session, statement)


def node_metrics_frame(session: Session, scope: Scope, branch_id: int | None = None, limit: int | None = None,
                       order_by: str = "influence", bridges_only: bool = False,
                       prospects_only: bool = False) -> pd.DataFrame:
    """Stored per-person measures joined with who the person is, most influential first."""
    _require_branch(scope, branch_id)
    order_column = {"influence": NodeMetric.influence, "pagerank": NodeMetric.pagerank, "betweenness": NodeMetric.betweenness,
                    "customer_ties": NodeMetric.customer_ties, "degree": NodeMetric.degree}[order_by]
    statement = (
        select(NodeMetric.customer_id, Customer.name, Customer.code, NodeMetric.branch_id, Branch.name.label("branch_name"),
               Customer.village_id, Village.name.label("village_name"), Customer.is_prospect, Customer.deposit_balance,
               Customer.staff_id, NodeMetric.degree, NodeMetric.weighted_degree, NodeMetric.pagerank,
               NodeMetric.influence, NodeMetric.betweenness, NodeMetric.community, NodeMetric.communities_bridged,
               NodeMetric.customer_neighbour_share, NodeMetric.computed_at)
        .join(Customer, Customer.id == NodeMetric.customer_id)
        .join(Branch, Branch.id == NodeMetric.branch_id)
        .join(Village, Village.id == Customer.village_id, isouter=True)
        .where(scope.clause(NodeMetric.branch_id))
        .order_by(order_column.desc(), NodeMetric.customer_id)
    )
    if branch_id is not None:
        statement = statement.where(NodeMetric.branch_id == int(branch_id))
    if bridges_only:
        statement = statement.where(NodeMetric.communities_bridged > 0)
    if prospects_only:  # as measured (the index holds it); still a prospect now
        statement = statement.where(NodeMetric.is_prospect.is_(True), Customer.is_prospect.is_(True))
    if limit is not None:
        statement = statement.limit(int(limit))
    if scope.role == "staff":
        statement = statement.where(privacy.own_customer_clause(scope, Customer.staff_id))
    frame = read_frame(session, statement)
    if frame.empty:
        return frame
    frame["is_prospect"] = frame["is_prospect"].astype(bool)
    frame["customer_ties"] = (frame["degree"] * frame["customer_neighbour_share"].astype(float).fillna(0.0)).round().astype(int)
    frame["roles"] = _roles_of(session, frame["customer_id"]).reindex(frame["customer_id"]).fillna("").to_numpy()
    return frame


def key_person_reach_frame(session: Session, scope: Scope, branch_id: int | None = None,
                           village_id: int | None = None) -> pd.DataFrame:
    """Key persons with the customers and prospects they are tied to and those customers' deposits."""
    _require_branch(scope, branch_id)
    keys = key_people_frame(session, scope, branch_id, village_id)
    if not keys.empty:
        keys = keys.groupby("customer_id", as_index=False).agg(
            role=("role", ",".join), village_id=("village_id", "first"), branch_id=("branch_id", "first"))
    columns = ["customer_id", "name", "role", "village_id", "village_name", "customers_reached",
               "prospects_reached", "deposits_reached"]
    if keys.empty:
        return pd.DataFrame(columns=columns)
    key_ids = sorted(set(keys["customer_id"].astype(int)))
    pairs = union_all(
        select(Relationship.customer_a_id.label("me"), Relationship.customer_b_id.label("other"))
        .where(scope.clause(Relationship.branch_id), Relationship.customer_a_id.in_(key_ids)),
        select(Relationship.customer_b_id.label("me"), Relationship.customer_a_id.label("other"))
        .where(scope.clause(Relationship.branch_id), Relationship.customer_b_id.in_(key_ids)),
    ).subquery()
    distinct_pairs = select(pairs.c.me, pairs.c.other).distinct().subquery()
    other = Customer.__table__.alias("other")
    statement = (
        select(distinct_pairs.c.me.label("customer_id"),
               func.sum(_case_int(~other.c.is_prospect)).label("customers_reached"),
               func.sum(_case_int(other.c.is_prospect)).label("prospects_reached"),
               func.sum(_case_float(~other.c.is_prospect, other.c.deposit_balance)).label("deposits_reached"))
        .join(other, other.c.id == distinct_pairs.c.other)
        .where(scope.clause(other.c.branch_id))
        .group_by(distinct_pairs.c.me)
    )
    reach = read_frame(session, statement)
    names = read_frame(session, select(Customer.id.label("customer_id"), Customer.name)
                       .where(Customer.id.in_(key_ids)))
    villages = villages_frame(session, scope, branch_id)[["village_id", "village_name"]]
    frame = (keys.merge(names, on="customer_id", how="left").merge(reach, on="customer_id", how="left")
             .merge(villages, on="village_id", how="left"))
    for column in ("customers_reached", "prospects_reached"):
        frame[column] = frame[column].fillna(0).astype(int)
    frame["deposits_reached"] = frame["deposits_reached"].astype(float).fillna(0.0)
    frame = frame.sort_values(["customers_reached", "prospects_reached", "customer_id"], ascending=[False, False, True])
    return frame[columns].reset_index(drop=True)


def _case_int(condition):
    return case((condition, 1), else_=0)


def _case_float(condition, value):
    return case((condition, value), else_=0.0)


def prospects_to_reach_frame(session: Session, scope: Scope, branch_id: int, limit: int = 50) -> pd.DataFrame:
    """A branch's prospects ranked by ties to its customers, with the best person to introduce us."""
    nodes, edges = branch_graph_frames(session, scope, branch_id)
    return prospects_to_reach(nodes, edges, limit=limit)


def referral_chain_frames(session: Session, scope: Scope, branch_id: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Referral chains in scope (or one branch): (chains, members); see `referral_chains`."""
    _require_branch(scope, branch_id)
    conditions = [Relationship.kind == RelationKind.REFERRAL.value]
    if branch_id is not None:
        conditions.append(Relationship.branch_id == int(branch_id))
    referrals = _edges(session, scope, *conditions)
    ids = sorted(set(referrals["customer_a_id"].astype(int)) | set(referrals["customer_b_id"].astype(int)))
    nodes = _nodes(session, scope, Customer.id.in_(ids)) if ids else pd.DataFrame(columns=NODE_COLUMNS)
    referrals = referrals[referrals["customer_a_id"].isin(nodes["customer_id"]) & referrals["customer_b_id"].isin(nodes["customer_id"])]
    return referral_chains(referrals, nodes)


def person_card(session: Session, scope: Scope, customer_id: int) -> dict | None:
    """Everything a manager needs before calling on one person: who they are, their roles, the
    staff member who manages them, their place in the network, their ties and what they hold."""
    customer = session.get(Customer, int(customer_id))
    if customer is None:
        return None
    _require_branch(scope, customer.branch_id)
    if scope.role == "staff" and not privacy.is_own_customer(scope, customer.staff_id):
        raise ScopeError("客户经理只能查看自己管户的客户 / staff may open only their own customers' cards")
    staff = session.get(Staff, customer.staff_id) if customer.staff_id else None
    branch = session.get(Branch, customer.branch_id)
    village = session.get(Village, customer.village_id) if customer.village_id else None
    metric = session.execute(select(NodeMetric).where(NodeMetric.customer_id == customer.id)).scalar_one_or_none()
    may_see_phone = privacy.may_see_phone(scope, customer.staff_id)
    roles = _roles_of(session, [customer.id])
    groups = session.execute(
        select(SocialGroup.name).join(GroupMembership, GroupMembership.group_id == SocialGroup.id)
        .where(GroupMembership.customer_id == customer.id, GroupMembership.left_on.is_(None),
               scope.clause(SocialGroup.branch_id))
        .distinct().order_by(SocialGroup.name)
    ).scalars().all()
    nodes, edges = ego_graph_frames(session, scope, customer.id, radius=1)
    ties = edges[(edges["customer_a_id"] == customer.id) | (edges["customer_b_id"] == customer.id)].copy()
    if not ties.empty:
        ties["other_id"] = np.where(ties["customer_a_id"] == customer.id, ties["customer_b_id"], ties["customer_a_id"])
        ties["direction"] = np.where(
            ~ties["kind"].isin(list(DIRECTED_KINDS)), "",
            np.where(ties["customer_a_id"] == customer.id, "referred", "referred_by"))
        info = nodes.set_index("customer_id")
        ties["other_name"] = info["name"].reindex(ties["other_id"]).to_numpy()
        ties["other_is_prospect"] = info["is_prospect"].reindex(ties["other_id"]).astype(bool).to_numpy()
        ties["other_deposit"] = info["deposit_balance"].reindex(ties["other_id"]).to_numpy(float)
        ties["other_roles"] = info["roles"].reindex(ties["other_id"]).fillna("").to_numpy()
        ties = ties.sort_values(["weight", "other_id"], ascending=[False, True])
    tie_columns = ["other_id", "other_name", "kind", "direction", "weight", "source", "other_is_prospect",
                   "other_deposit", "other_roles"]
    ties = ties.reindex(columns=tie_columns).reset_index(drop=True)
    return {
        "customer_id": customer.id, "code": customer.code, "name": customer.name,
        "phone": mask_phone(customer.phone, may_see_phone),
        "branch_name": branch.name if branch else "", "village_name": village.name if village else "",
        "occupation": customer.occupation, "kind": customer.kind, "is_prospect": bool(customer.is_prospect),
        "birth_year": customer.birth_year, "deposit_balance": float(customer.deposit_balance),
        "wealth_balance": float(customer.wealth_balance), "products_held": int(customer.products_held),
        "e_banking": bool(customer.e_banking), "opened_on": customer.opened_on,
        "roles": [r for r in str(roles.get(customer.id, "")).split(",") if r],
        "groups": list(groups),
        "staff_name": staff.name if staff else "", "staff_role": staff.role if staff else "",
        "metrics": metric.model_dump() if metric else None,
        "relationships": ties,
    }


def overview_headline(session: Session, scope: Scope, end: date | None = None, top: int = 3) -> dict:
    """For the overview: the most influential people, the prospects best tied to our customers,
    and how many prospects know three or more customers. Reads the stored metrics as of their
    last computation (`end` is accepted for the overview's common signature)."""
    influencers = node_metrics_frame(session, scope, limit=top)
    prospects = node_metrics_frame(session, scope, limit=top, order_by="customer_ties", prospects_only=True)
    summary = NetworkSummary.__table__
    measured = session.execute(select(func.sum(summary.c.people_measured), func.sum(summary.c.prospects_well_tied),
                                      func.max(summary.c.computed_at))
                               .where(scope.clause(summary.c.branch_id))).one()
    return {"people_measured": int(measured[0] or 0), "computed_at": measured[2],
            "influencers": influencers, "prospects": prospects, "prospects_well_tied": int(measured[1] or 0)}


# ================================================================ batch: precompute NodeMetric


METRICS_BATCH_BRANCHES = 40


def _metric_inputs(session: Session, branch_ids: list[int]) -> dict[int, tuple[pd.DataFrame, pd.DataFrame]]:
    """Nodes and ties of several branches in two queries, split per branch in the order
    `branch_graph_frames` gives (so the seeded measures come out the same)."""
    nodes = read_frame(session, select(Customer.id.label("customer_id"), Customer.branch_id, Customer.is_prospect)
                       .where(Customer.branch_id.in_(branch_ids)).order_by(Customer.id))
    edges = read_frame(session, select(Relationship.branch_id, Relationship.customer_a_id, Relationship.customer_b_id,
                                       Relationship.kind, Relationship.weight)
                       .where(Relationship.branch_id.in_(branch_ids))
                       .order_by(Relationship.customer_a_id, Relationship.customer_b_id, Relationship.kind))
    nodes["is_prospect"] = nodes["is_prospect"].astype(bool)
    edges["weight"] = edges["weight"].astype(float)
    node_groups = dict(tuple(nodes.groupby("branch_id", sort=False)))
    edge_groups = dict(tuple(edges.groupby("branch_id", sort=False)))
    empty_edges = edges.iloc[0:0]
    return {b: (node_groups[b], edge_groups.get(b, empty_edges)) for b in branch_ids if b in node_groups}


def branch_metrics(branch_id: int, nodes: pd.DataFrame, edges: pd.DataFrame, seed: int = GRAPH_SEED) -> pd.DataFrame:
    """One branch's NodeMetric rows (pure: runs in a worker process)."""
    metrics = node_metrics(build_graph(nodes, edges), seed=seed)
    prospect = nodes.set_index("customer_id")["is_prospect"]
    metrics["is_prospect"] = prospect.reindex(metrics["customer_id"]).fillna(False).astype(bool).to_numpy()
    metrics["customer_ties"] = metrics["degree"] * metrics["customer_neighbour_share"].fillna(0.0)
    metrics["branch_id"] = int(branch_id)
    return metrics


def _branch_metrics_task(task: tuple[int, pd.DataFrame, pd.DataFrame, int]) -> tuple[int, pd.DataFrame]:
    branch_id, nodes, edges, seed = task
    return branch_id, branch_metrics(branch_id, nodes, edges, seed)


def _ties_of(conn, branch_id: int) -> int:
    """Ties recorded by one branch (what NetworkSummary.ties holds)."""
    return int(conn.execute(select(func.count()).select_from(Relationship)
                            .where(Relationship.branch_id == branch_id)).scalar_one())


def _store_branch_metrics(engine: Engine, branch_id: int, metrics: pd.DataFrame) -> int:
    """Replace one branch's NodeMetric rows and its NetworkSummary row in one transaction."""
    computed_at = datetime.now(UTC)
    metrics = metrics.assign(computed_at=computed_at)
    records = metrics.astype(object).where(metrics.notna(), None).to_dict("records")
    well_tied = int((metrics["is_prospect"] & (metrics["customer_ties"] >= WELL_TIED_MIN_TIES)).sum())
    table = NodeMetric.__table__
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.branch_id == branch_id))
        for start in range(0, len(records), 20_000):
            conn.execute(insert(table), records[start : start + 20_000])
        ties = _ties_of(conn, branch_id)
        conn.execute(delete(NetworkSummary.__table__).where(NetworkSummary.__table__.c.branch_id == branch_id))
        conn.execute(insert(NetworkSummary.__table__).values(
            branch_id=branch_id, ties=ties, people_measured=len(records), prospects_well_tied=well_tied,
            computed_at=computed_at))
    return len(records)


def compute_node_metrics(engine: Engine, scope: Scope | None = None, seed: int = GRAPH_SEED,
                         progress: Callable[[str], None] | None = None, workers: int | None = None) -> int:
    """Measure every branch's network in scope and replace its NodeMetric rows; returns rows written.

    Branches are read in batches (two queries per batch) and measured in `workers` processes (default:
    one per core) while this process writes; one transaction per branch, so a reader always sees a
    whole branch from one computation."""
    import os
    from concurrent.futures import ProcessPoolExecutor

    scope = scope or Scope.head_office()
    with Session(engine) as session:
        branch_ids = [int(b) for b in session.execute(
            select(Customer.branch_id).where(scope.clause(Customer.branch_id)).distinct().order_by(Customer.branch_id)
        ).scalars()]
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    batches = [branch_ids[i : i + METRICS_BATCH_BRANCHES] for i in range(0, len(branch_ids), METRICS_BATCH_BRANCHES)]
    parallel = workers > 1 and len(batches) > 1
    pool = ProcessPoolExecutor(max_workers=workers) if parallel else None
    written = done = 0
    try:
        for batch in batches:
            with Session(engine) as session:
                inputs = _metric_inputs(session, batch)
            tasks = [(b, nodes, edges, seed) for b, (nodes, edges) in inputs.items()]
            results = pool.map(_branch_metrics_task, tasks, chunksize=4) if pool else map(_branch_metrics_task, tasks)
            for branch_id, metrics in results:
                written += _store_branch_metrics(engine, branch_id, metrics)
                done += 1
                if progress and (done % 50 == 0 or done == len(branch_ids)):
                    progress(f"graph metrics: {done}/{len(branch_ids)} branches, {written:,} people")
    finally:
        if pool:
            pool.shutdown()
    if written:
        with engine.begin() as conn:  # pages cache on the data version: let them see the new figures
            conn.execute(update(DataVersion.__table__).values(version=DataVersion.__table__.c.version + 1,
                                                              updated_at=datetime.now(UTC)))
            # Fresh statistics: without them SQLite walks every branch to find the top 20 people.
            for table in (NodeMetric.__table__, NetworkSummary.__table__):
                conn.exec_driver_sql(f'ANALYZE "{table.name}"')
    return written


def refresh_network_ties(conn, branch_ids) -> None:
    """For importers of relationships: recount the ties of the branches touched, in their transaction
    (the people measured stay as the last `graph-metrics` run left them)."""
    table = NetworkSummary.__table__
    for branch_id in sorted({int(b) for b in branch_ids}):
        ties = _ties_of(conn, branch_id)
        if conn.execute(select(table.c.branch_id).where(table.c.branch_id == branch_id)).first() is None:
            conn.execute(insert(table).values(branch_id=branch_id, ties=ties))
        else:
            conn.execute(update(table).where(table.c.branch_id == branch_id).values(ties=ties))



# ================================================================ drawing (pure)


def local_influence_and_circles(graph: nx.Graph, seed: int = GRAPH_SEED) -> tuple[dict[int, float], dict[int, int]]:
    """Influence (PageRank × people, 1.0 = average) and circles (Louvain) of the graph being looked
    at: cheap enough to compute on the fly for a village or an ego network."""
    rank = pagerank(graph)
    people = graph.number_of_nodes()
    return {node: value * people for node, value in rank.items()}, communities(graph, seed=seed)


def drawing_frames(graph: nx.Graph, positions: dict[int, tuple[float, float]], influence: dict[int, float],
                   community: dict[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (with x, y, influence, circle, ties) and edges (x0, y0, x1, y1, kind, weight) ready to draw."""
    node_rows = []
    for node, data in graph.nodes(data=True):
        x, y = positions.get(node, (0.0, 0.0))
        node_rows.append({
            "customer_id": node, "name": data.get("name", str(node)), "x": x, "y": y,
            "is_prospect": bool(data.get("is_prospect", False)), "roles": data.get("roles", "") or "",
            "deposit_balance": float(data.get("deposit_balance", 0.0) or 0.0),
            "influence": float(influence.get(node, 0.0)), "community": int(community.get(node, -1)),
            "ties": graph.degree(node),
        })
    node_columns = ["customer_id", "name", "x", "y", "is_prospect", "roles", "deposit_balance", "influence",
                    "community", "ties"]
    nodes = pd.DataFrame(node_rows, columns=node_columns)
    edge_rows = [
        {"u": u, "v": v, "x0": positions[u][0], "y0": positions[u][1], "x1": positions[v][0], "y1": positions[v][1],
         "kind": data.get("kind", ""), "kinds": data.get("kinds", ""), "weight": float(data.get("weight", 1.0))}
        for u, v, data in graph.edges(data=True) if u in positions and v in positions
    ]
    edges = pd.DataFrame(edge_rows, columns=["u", "v", "x0", "y0", "x1", "y1", "kind", "kinds", "weight"])
    return nodes, edges


def network_view(nodes: pd.DataFrame, edges: pd.DataFrame, max_people: int = 200, center: int | None = None,
                 seed: int = GRAPH_SEED) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Everything the network drawing needs: influence and circles measured on the whole graph,
    then the graph cut to its `max_people` most influential (always keeping `center`), laid out
    with a fixed seed (the centre pinned in the middle; a village's few key persons on a ring). Returns (nodes to draw, edges to draw, what was shown and hidden)."""
    graph = build_graph(nodes, edges)
    influence, community = local_influence_and_circles(graph, seed=seed)
    keep = {int(center)} if center is not None and int(center) in graph else set()
    cut, counts = most_influential_subgraph(graph, influence, max_people, keep=keep)
    counts = {**counts, "nodes_total": graph.number_of_nodes(), "edges_total": graph.number_of_edges()}
    if keep:
        anchors = sorted(keep)
    else:
        key = [n for n, d in cut.nodes(data=True) if d.get("roles")]
        anchors = sorted(key) if 2 <= len(key) <= MAX_PINNED_KEY_PERSONS else []
    draw_nodes, draw_edges = drawing_frames(cut, layout(cut, seed=seed, anchors=anchors), influence, community)
    return draw_nodes, draw_edges, counts
