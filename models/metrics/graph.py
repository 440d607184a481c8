"""TODO"""

from __future__ import annotations

from datetime import date

import networkx as nx
import numpy as np
import pandas as pd
from sqlalchemy import case, func, or_, select, union_all
from sqlmodel import Session

from models import privacy
from models.customers import Customer, KeyPerson, Village
from models.graph import DIRECTED_KINDS, NetworkSummary, NodeMetric, RelationKind, Relationship
from models.groups import GroupMembership, SocialGroup
from models.measures.graph import (
    BETWEENNESS_SAMPLES,
    EDGE_COLUMNS,
    EXACT_BETWEENNESS_MAX_NODES,
    GRAPH_SEED,
    MAX_PINNED_KEY_PERSONS,
    METRIC_COLUMNS,
    NODE_COLUMNS,
    WELL_TIED_MIN_TIES,
    betweenness,
    bridge_people,
    bridge_ties,
    build_graph,
    communities,
    communities_bridged,
    customer_neighbour_share,
    degree,
    ego_network,
    graph_edges_frame,
    key_person_reach,
    layout,
    mask_phone,
    most_influential_subgraph,
    node_metrics,
    pagerank,
    prospects_to_reach,
    referral_chains,
    weighted_degree,
)
from models.org import Branch, Staff
from models.refresh.graph import METRICS_BATCH_BRANCHES, branch_metrics, compute_node_metrics, refresh_network_ties
from models.scope import Scope, ScopeError
from models.store.frames import read_frame

# The area's measures (and refreshes) are re-exported: pages and tests reach them through this module.
__all__ = [
    "BETWEENNESS_SAMPLES",
    "EDGE_COLUMNS",
    "EXACT_BETWEENNESS_MAX_NODES",
    "GRAPH_SEED",
    "MAX_PINNED_KEY_PERSONS",
    "METRICS_BATCH_BRANCHES",
    "METRIC_COLUMNS",
    "NODE_COLUMNS",
    "WELL_TIED_MIN_TIES",
    "betweenness",
    "branch_graph_frames",
    "branch_metrics",
    "bridge_people",
    "bridge_ties",
    "build_graph",
    "communities",
    "communities_bridged",
    "compute_node_metrics",
    "customer_neighbour_share",
    "degree",
    "drawing_frames",
    "ego_graph_frames",
    "ego_network",
    "empty_graph_frames",
    "graph_branches",
    "graph_edges_frame",
    "key_people_frame",
    "key_person_reach",
    "key_person_reach_frame",
    "layout",
    "local_influence_and_circles",
    "mask_phone",
    "most_influential_subgraph",
    "network_view",
    "node_metrics",
    "node_metrics_frame",
    "overview_headline",
    "pagerank",
    "person_card",
    "prospects_to_reach",
    "prospects_to_reach_frame",
    "referral_chain_frames",
    "referral_chains",
    "refresh_network_ties",
    "search_people",
    "village_graph_frames",
    "villages_frame",
    "weighted_degree",
]

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
    nodes["roles"] = _roles_where(session, scope.clause(Customer.branch_id), condition).reindex(
        nodes["customer_id"]).fillna("").to_numpy()
    return nodes[NODE_COLUMNS]


def _roles_where(session: Session, *conditions) -> pd.Series:
    """`_roles_of` the customers that `conditions` on Customer select, joined in SQL: a branch's ~1,000 people
    bound as an IN list cost more to send and plan than the lookup itself (the graph page, PostgreSQL)."""
    roles = read_frame(session, select(KeyPerson.customer_id, KeyPerson.role)
                       .join(Customer, Customer.id == KeyPerson.customer_id).where(*conditions)
                       .order_by(KeyPerson.customer_id, KeyPerson.role))
    return roles.groupby("customer_id")["role"].agg(",".join) if not roles.empty else pd.Series(dtype="object")


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
