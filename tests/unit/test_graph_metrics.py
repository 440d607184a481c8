"""Graph measures on small graphs whose answers are known by hand: a star, a path, two cliques
joined by one bridge; plus the frame-level helpers (prospects, key persons, referral chains)."""

from __future__ import annotations

import networkx as nx
import pandas as pd
import pytest
from networkx.algorithms.link_analysis.pagerank_alg import _pagerank_python

from models.metrics import graph as G


def _nodes(ids, prospects=(), deposits=None, roles=None) -> pd.DataFrame:
    deposits = deposits or {}
    roles = roles or {}
    return pd.DataFrame({
        "customer_id": list(ids), "name": [f"P{i}" for i in ids], "branch_id": 1, "village_id": 1,
        "is_prospect": [i in prospects for i in ids], "kind": "personal", "occupation": "farmer",
        "deposit_balance": [float(deposits.get(i, 0.0)) for i in ids], "wealth_balance": 0.0, "staff_id": None,
        "roles": [roles.get(i, "") for i in ids],
    })


def _edges(rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["customer_a_id", "customer_b_id", "kind", "weight"]).assign(source="test")


def star(leaves: int = 5) -> nx.Graph:
    return G.build_graph(_nodes(range(leaves + 1)), _edges([(0, i, "village", 1.0) for i in range(1, leaves + 1)]))


def path(n: int = 5) -> nx.Graph:
    return G.build_graph(_nodes(range(n)), _edges([(i, i + 1, "neighbour", 1.0) for i in range(n - 1)]))


def two_cliques() -> nx.Graph:
    """{0,1,2,3} and {4,5,6,7}, each fully tied, joined only by the tie 3-4."""
    rows = [(a, b, "family", 3.0) for group in ((0, 1, 2, 3), (4, 5, 6, 7))
            for i, a in enumerate(group) for b in group[i + 1:]]
    rows.append((3, 4, "colleague", 1.5))
    return G.build_graph(_nodes(range(8)), _edges(rows))


# ---------------------------------------------------------------- star


def test_star_centre_has_every_tie_and_every_shortest_path():
    graph = star(5)
    assert G.degree(graph) == {0: 5, 1: 1, 2: 1, 3: 1, 4: 1, 5: 1}
    between = G.betweenness(graph)
    assert between[0] == pytest.approx(1.0)
    assert all(between[i] == 0 for i in range(1, 6))


def test_star_pagerank_matches_the_hand_solution():
    # centre c and each leaf l: c = 0.15/6 + 0.85*5l, l = 0.15/6 + 0.85*c/5, c + 5l = 1  =>  c = 0.13125/0.2775
    rank = G.pagerank(star(5))
    centre = 0.13125 / 0.2775
    assert rank[0] == pytest.approx(centre, abs=1e-8)
    assert rank[1] == pytest.approx((1 - centre) / 5, abs=1e-8)
    assert sum(rank.values()) == pytest.approx(1.0)


def test_pagerank_agrees_with_networkx_on_a_weighted_graph_with_an_isolated_person():
    graph = nx.karate_club_graph()
    for i, (u, v) in enumerate(graph.edges):
        graph[u][v]["weight"] = 1.0 + (i % 4)
    graph.add_node(99)
    ours = G.pagerank(graph)
    reference = _pagerank_python(graph, weight="weight", tol=1e-12, max_iter=500)
    for node, value in reference.items():
        assert ours[node] == pytest.approx(value, abs=1e-7)


def test_weighted_degree_sums_tie_strengths():
    graph = G.build_graph(_nodes(range(3)), _edges([(0, 1, "family", 3.0), (0, 2, "neighbour", 1.0)]))
    assert G.weighted_degree(graph) == {0: 4.0, 1: 3.0, 2: 1.0}


# ---------------------------------------------------------------- path


def test_path_betweenness_counts_the_pairs_each_person_stands_between():
    # unnormalised: node1 on (0,2),(0,3),(0,4) = 3; node2 on (0,3),(0,4),(1,3),(1,4) = 4; normalised by 4*3/2 = 6
    between = G.betweenness(path(5))
    assert [round(between[i], 6) for i in range(5)] == [0, round(3 / 6, 6), round(4 / 6, 6), round(3 / 6, 6), 0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_betweenness_gives_networkx_figures_exactly_or_sampled(seed):
    """The position-indexed Brandes loop stands in for `nx.betweenness_centrality` for speed only: the same
    figures, exact and with the same seeded sample of sources, on graphs with gaps, isolated people and
    customer ids out of order (a networkx upgrade that changes its sums or sampling fails here first)."""
    graph = nx.relabel_nodes(nx.gnm_random_graph(120, 260, seed=seed), {i: 10_000 - 7 * i for i in range(120)})
    graph.add_nodes_from([1, 2])  # isolated
    assert G.betweenness(graph, exact_max_nodes=1000) == pytest.approx(nx.betweenness_centrality(graph, normalized=True), abs=1e-15)
    assert G.betweenness(graph, exact_max_nodes=50, samples=30, seed=seed) == pytest.approx(
        nx.betweenness_centrality(graph, k=30, normalized=True, seed=seed), abs=1e-15)


def test_sampled_betweenness_repeats_for_the_same_seed_and_is_used_above_the_threshold():
    graph = nx.connected_watts_strogatz_graph(300, 6, 0.1, seed=3)
    first = G.betweenness(graph, exact_max_nodes=100, samples=40, seed=7)
    again = G.betweenness(graph, exact_max_nodes=100, samples=40, seed=7)
    exact = G.betweenness(graph, exact_max_nodes=1000)
    assert first == again
    assert first != exact
    top_exact = set(sorted(exact, key=exact.get, reverse=True)[:30])
    top_sampled = set(sorted(first, key=first.get, reverse=True)[:30])
    assert len(top_exact & top_sampled) >= 15


# ---------------------------------------------------------------- two cliques and a bridge


def test_two_cliques_split_into_two_communities_numbered_by_size():
    community = G.communities(two_cliques())
    assert {community[i] for i in range(4)} == {0}
    assert {community[i] for i in range(4, 8)} == {1}


def test_the_bridge_people_carry_all_paths_between_the_cliques():
    graph = two_cliques()
    between = G.betweenness(graph)
    # 3 stands between {0,1,2} and {4,5,6,7}: 12 of the 21 pairs of others
    assert between[3] == pytest.approx(12 / 21)
    assert between[4] == pytest.approx(12 / 21)
    assert all(between[i] == 0 for i in (0, 1, 2, 5, 6, 7))
    community = G.communities(graph)
    assert G.communities_bridged(graph, community) == {0: 0, 1: 0, 2: 0, 3: 1, 4: 1, 5: 0, 6: 0, 7: 0}
    ties = G.bridge_ties(graph, community)
    assert ties[["customer_a_id", "customer_b_id"]].values.tolist() == [[3, 4]]


def test_node_metrics_frame_ranks_bridges_first():
    metrics = G.node_metrics(two_cliques())
    assert len(metrics) == 8
    bridges = G.bridge_people(metrics)
    assert list(bridges["customer_id"]) == [3, 4]
    assert metrics["influence"].sum() == pytest.approx(8.0)


def test_communities_repeat_for_the_same_seed():
    graph = nx.planted_partition_graph(6, 25, 0.3, 0.02, seed=11)
    assert G.communities(graph, seed=5) == G.communities(graph, seed=5)
    assert len(set(G.communities(graph, seed=5).values())) >= 5


# ---------------------------------------------------------------- building and shares


def test_build_graph_collapses_kinds_and_drops_people_outside_the_nodes():
    edges = _edges([(1, 2, "family", 3.0), (1, 2, "referral", 2.5), (2, 9, "neighbour", 1.0)])
    graph = G.build_graph(_nodes([1, 2, 3]), edges)
    assert graph.number_of_nodes() == 3
    assert graph.number_of_edges() == 1
    assert graph[1][2] == {"weight": 5.5, "kind": "family", "kinds": "family,referral"}


def test_customer_neighbour_share_counts_customers_among_contacts():
    nodes = _nodes(range(7), prospects={1, 2})
    graph = G.build_graph(nodes, _edges([(0, i, "village", 1.0) for i in range(1, 6)]))
    share = G.customer_neighbour_share(graph)
    assert share[0] == pytest.approx(3 / 5)
    assert share[1] == 1.0
    assert share[6] is None


# ---------------------------------------------------------------- frames


def test_prospects_are_ranked_by_ties_to_customers_with_the_best_introducer():
    nodes = _nodes([1, 2, 3, 10, 11], prospects={10, 11}, deposits={1: 100.0, 2: 50.0, 3: 20.0},
                   roles={3: "village_head"})
    edges = _edges([
        (1, 10, "family", 3.0), (2, 10, "neighbour", 1.0), (3, 10, "village", 1.5),
        (1, 11, "neighbour", 1.0), (10, 11, "family", 3.0),
    ])
    ranked = G.prospects_to_reach(nodes, edges)
    assert list(ranked["customer_id"]) == [10, 11]
    first = ranked.iloc[0]
    assert first["customer_ties"] == 3
    assert first["tie_strength"] == pytest.approx(5.5)
    assert first["customer_deposits"] == pytest.approx(170.0)
    assert first["key_person_ties"] == 1
    assert first["introducer_id"] == 1 and first["introducer_kind"] == "family"
    assert ranked.iloc[1]["customer_ties"] == 1  # the tie to prospect 10 does not count


def test_key_person_reach_counts_customers_and_prospects_once_each():
    nodes = _nodes([1, 2, 3, 4, 5], prospects={4, 5}, deposits={2: 10.0, 3: 30.0})
    edges = _edges([(1, 2, "village", 1.5), (1, 2, "family", 3.0), (1, 3, "village", 1.5),
                    (1, 4, "village", 1.5), (5, 1, "referral", 2.5)])
    keys = pd.DataFrame({"customer_id": [1, 1], "role": ["village_head", "foreman"], "village_id": [1, 1]})
    reach = G.key_person_reach(nodes, edges, keys)
    assert len(reach) == 1
    row = reach.iloc[0]
    assert (row["customers_reached"], row["prospects_reached"], row["deposits_reached"]) == (2, 2, 40.0)
    assert row["role"] == "village_head,foreman"


def test_referral_chains_know_depth_referrer_and_deposits():
    nodes = _nodes([1, 2, 3, 4, 5, 6], prospects={4}, deposits={1: 100.0, 2: 50.0, 3: 25.0, 5: 10.0, 6: 5.0})
    referrals = _edges([(1, 2, "referral", 2.5), (2, 3, "referral", 2.5), (3, 4, "referral", 2.5),
                        (5, 6, "referral", 2.5)])
    chains, members = G.referral_chains(referrals, nodes)
    assert chains[["root_id", "people", "depth", "deposits", "prospects"]].values.tolist() == [
        [1, 4, 3, 175.0, 1], [5, 2, 1, 15.0, 0]]
    first = members[members["chain_id"] == members.loc[members["customer_id"] == 1, "chain_id"].iloc[0]]
    assert first["depth"].tolist() == [0, 1, 2, 3]
    assert first["referrer_id"].tolist()[1:] == [1, 2, 3]


def test_big_graphs_are_cut_to_the_most_influential_with_a_count_of_what_is_hidden():
    graph = path(10)
    influence = {i: float(i) for i in range(10)}
    cut, hidden = G.most_influential_subgraph(graph, influence, limit=4, keep={0})
    assert set(cut.nodes) == {0, 6, 7, 8, 9}
    assert hidden == {"nodes_shown": 5, "nodes_hidden": 5, "edges_shown": 3, "edges_hidden": 6}
    same, nothing = G.most_influential_subgraph(graph, influence, limit=50)
    assert same is graph and nothing["nodes_hidden"] == 0


def test_ego_network_reaches_one_or_two_ties():
    graph = path(6)
    assert set(G.ego_network(graph, 2, 1).nodes) == {1, 2, 3}
    assert set(G.ego_network(graph, 2, 2).nodes) == {0, 1, 2, 3, 4}
    assert G.ego_network(graph, 99).number_of_nodes() == 0


def test_layout_repeats_for_the_same_seed():
    graph = two_cliques()
    assert G.layout(graph) == G.layout(graph)


def test_phone_is_masked_unless_allowed():
    assert G.mask_phone("13812341234", can_see=False) == "138****1234"
    assert G.mask_phone("13812341234", can_see=True) == "13812341234"
    assert G.mask_phone("", can_see=False) == ""


def test_empty_graph_gives_empty_frames():
    graph = G.build_graph(_nodes([]), _edges([]))
    assert G.node_metrics(graph).empty
    assert G.prospects_to_reach(_nodes([]), _edges([])).empty
    chains, members = G.referral_chains(_edges([]), _nodes([]))
    assert chains.empty and members.empty
