"""Relationship-graph measures: small pure functions over a networkx graph (degree, PageRank,
betweenness, communities, bridges, reach, layout), each saying what the number means to a branch."""

from __future__ import annotations

import math
import random
from collections import deque

import networkx as nx
import numpy as np
import pandas as pd

from models import privacy

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
    u, v, kind = collapsed["u"].astype("int64").tolist(), collapsed["v"].astype("int64").tolist(), collapsed["kind"].tolist()
    kinds = kind
    shared = pairs[pairs.duplicated(["u", "v"], keep=False)]  # few pairs tied in more than one way
    if len(shared):
        kinds_of: dict[tuple[int, int], set[str]] = {}
        for pair in zip(shared["u"].tolist(), shared["v"].tolist(), shared["kind"].tolist(), strict=True):
            kinds_of.setdefault(pair[:2], set()).add(pair[2])
        kinds = [",".join(sorted(kinds_of[pair[:2]])) if pair[:2] in kinds_of else pair[2]
                 for pair in zip(u, v, kind, strict=True)]
    # Column lists, not a tuple per row from pandas: the graph is built once per branch in the seed.
    graph.add_edges_from(
        (a, b, {"weight": w, "kind": k, "kinds": ks})
        for a, b, w, k, ks in zip(u, v, collapsed["weight"].tolist(), kind, kinds, strict=True)
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
        return _brandes(graph, list(graph), sampled=False)
    return _brandes(graph, random.Random(seed).sample(list(graph.nodes()), samples), sampled=True)


def _brandes(graph: nx.Graph, sources: list, sampled: bool) -> dict[int, float]:
    """`nx.betweenness_centrality(graph, normalized=True[, k, seed])` (unweighted, no endpoints), the same
    figures to the last bit: the same sources in the same order, neighbours in the graph's order and every
    sum taken in networkx's order; only over lists indexed by position instead of dicts keyed by node (the
    seed measures ~1,000 branches of ~1,000 people, and this loop was a third of it)."""
    nodes = list(graph)
    n = len(nodes)
    index = {node: i for i, node in enumerate(nodes)}
    adjacency = [[index[other] for other in graph._adj[node]] for node in nodes]
    between = [0.0] * n
    for source in sources:
        s = index[source]
        order, preds, sigma, dist = [], [[] for _ in range(n)], [0.0] * n, [-1] * n
        sigma[s], dist[s] = 1.0, 0
        queue = deque([s])
        while queue:  # breadth first: count the shortest paths to each person
            v = queue.popleft()
            order.append(v)
            next_dist, sigma_v = dist[v] + 1, sigma[v]
            for w in adjacency[v]:
                if dist[w] < 0:
                    queue.append(w)
                    dist[w] = next_dist
                if dist[w] == next_dist:
                    sigma[w] += sigma_v
                    preds[w].append(v)
        delta = [0] * n  # ints, as networkx starts them: 1 + 0 then divides exactly as 1.0 would
        while order:  # back from the farthest: each person's share of the paths through them
            w = order.pop()
            coeff = (1 + delta[w]) / sigma[w]
            for v in preds[w]:
                delta[v] += sigma[v] * coeff
            if w != s:
                between[w] += delta[w]
    pairs = n - 1  # networkx's N without endpoints
    if pairs < 2:
        return {node: between[i] for i, node in enumerate(nodes)}
    if not sampled:
        scale = 1 / (pairs * (pairs - 1))
        return {node: between[i] * scale for i, node in enumerate(nodes)}
    k = len(sources)
    scale_source = 1 / ((k - 1) * (pairs - 1)) if k > 1 else math.nan
    scale_other = 1 / (k * (pairs - 1))
    drawn = set(sources)
    return {node: between[i] * (scale_source if node in drawn else scale_other) for i, node in enumerate(nodes)}


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
