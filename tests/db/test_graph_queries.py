"""Relationship-graph queries on SQLite and PostgreSQL: the demo networks checked with plain SQL,
scope refusals, and a stored star whose metrics are known by hand."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text
from sqlmodel import Session

from models.customers import Customer
from models.graph import Relationship
from models.metrics import graph as G
from models.org import Branch
from models.refresh import graph as refresh_graph
from models.scope import Scope, ScopeError
from models.system import DataVersion


def _county_branch(session) -> int:
    return session.execute(text("SELECT id FROM branch WHERE kind = 'county' AND level = 'sub_branch' ORDER BY code")).scalars().first()


def _other_branch(session, not_this: int) -> int:
    return session.execute(text("SELECT id FROM branch WHERE level = 'sub_branch' AND id <> :b ORDER BY code"),
                           {"b": not_this}).scalars().first()


def test_undirected_ties_are_stored_once_in_order_and_scoped_by_a(demo_session):
    bad_order = demo_session.execute(text(
        "SELECT COUNT(*) FROM relationship WHERE kind <> 'referral' AND customer_a_id >= customer_b_id")).scalar_one()
    wrong_branch = demo_session.execute(text(
        "SELECT COUNT(*) FROM relationship r JOIN customer c ON c.id = r.customer_a_id WHERE c.branch_id <> r.branch_id"
    )).scalar_one()
    kinds = set(demo_session.execute(text("SELECT DISTINCT kind FROM relationship")).scalars())
    assert bad_order == 0 and wrong_branch == 0
    assert {"family", "neighbour", "village", "workplace", "colleague", "referral"} <= kinds


def test_households_are_two_to_five_people(demo_session):
    # a family clique of k people has k-1 family ties per member
    family_degree = pd.read_sql_query(
        "SELECT person, COUNT(*) AS ties FROM (SELECT customer_a_id AS person FROM relationship WHERE kind='family' "
        "UNION ALL SELECT customer_b_id FROM relationship WHERE kind='family') t GROUP BY person",
        demo_session.connection())
    assert family_degree["ties"].between(1, 4).all()


def test_foremen_lead_workers_from_several_villages(demo_session):
    villages_per_foreman = pd.read_sql_query(
        "SELECT k.customer_id, COUNT(DISTINCT w.village_id) AS villages, COUNT(*) AS workers "
        "FROM keyperson k JOIN relationship r ON r.kind = 'workplace' AND k.customer_id IN (r.customer_a_id, r.customer_b_id) "
        "JOIN customer w ON w.id = CASE WHEN r.customer_a_id = k.customer_id THEN r.customer_b_id ELSE r.customer_a_id END "
        "WHERE k.role = 'foreman' AND w.occupation = 'migrant_worker' GROUP BY k.customer_id",
        demo_session.connection())
    assert len(villages_per_foreman) > 0
    assert (villages_per_foreman["villages"] >= 2).mean() > 0.9
    assert villages_per_foreman["workers"].median() >= 15


def test_referral_chains_are_two_to_five_deep(demo_session):
    chains, members = G.referral_chain_frames(demo_session, Scope.head_office())
    assert len(chains) > 20
    assert chains["depth"].between(2, 5).all()
    assert (chains["depth"] == 5).any()
    expected = demo_session.execute(text("SELECT COUNT(DISTINCT customer_b_id) FROM relationship WHERE kind='referral'")).scalar_one()
    assert int((members["depth"] > 0).sum()) == int(expected)


def test_every_person_has_metrics_after_seeding_and_pagerank_sums_to_one_per_branch(demo_session):
    people = demo_session.execute(text("SELECT COUNT(*) FROM customer")).scalar_one()
    sums = pd.read_sql_query("SELECT branch_id, SUM(pagerank) AS total FROM nodemetric GROUP BY branch_id",
                             demo_session.connection())
    assert demo_session.execute(text("SELECT COUNT(*) FROM nodemetric")).scalar_one() == people
    assert sums["total"].between(0.999, 1.001).all()


def test_stored_degree_matches_distinct_neighbours_counted_in_sql(demo_session):
    branch = _county_branch(demo_session)
    metrics = G.node_metrics_frame(demo_session, Scope.for_branches([branch]), branch, limit=10)
    for customer_id, stored in zip(metrics["customer_id"], metrics["degree"], strict=True):
        counted = demo_session.execute(text(
            "SELECT COUNT(*) FROM (SELECT customer_b_id AS o FROM relationship WHERE customer_a_id = :c AND branch_id = :b "
            "UNION SELECT customer_a_id FROM relationship WHERE customer_b_id = :c AND branch_id = :b) t"),
            {"c": int(customer_id), "b": branch}).scalar_one()
        assert stored == counted


def test_key_persons_are_the_most_influential_in_a_county_branch(demo_session):
    branch = _county_branch(demo_session)
    top = G.node_metrics_frame(demo_session, Scope.for_branches([branch]), branch, limit=10)
    assert (top["roles"] != "").mean() >= 0.8
    assert list(top["influence"]) == sorted(top["influence"], reverse=True)


def test_branch_graph_stays_inside_its_branch_and_refuses_other_branches(demo_session):
    branch = _county_branch(demo_session)
    scope = Scope.for_branches([branch])
    nodes, edges = G.branch_graph_frames(demo_session, scope, branch)
    assert set(nodes["branch_id"]) == {branch}
    assert len(edges) == demo_session.execute(text("SELECT COUNT(*) FROM relationship WHERE branch_id = :b"),
                                              {"b": branch}).scalar_one()
    other = _other_branch(demo_session, branch)
    with pytest.raises(ScopeError):
        G.branch_graph_frames(demo_session, scope, other)
    outsider = demo_session.execute(text("SELECT id FROM customer WHERE branch_id = :b"), {"b": other}).scalars().first()
    with pytest.raises(ScopeError):
        G.ego_graph_frames(demo_session, scope, outsider)
    with pytest.raises(ScopeError):
        G.person_card(demo_session, scope, outsider)


def test_ego_network_holds_the_person_their_contacts_and_the_ties_among_them(demo_session):
    branch = _county_branch(demo_session)
    scope = Scope.for_branches([branch])
    person = int(G.node_metrics_frame(demo_session, scope, branch, limit=1)["customer_id"].iloc[0])
    nodes, edges = G.ego_graph_frames(demo_session, scope, person, radius=1)
    contacts = set(demo_session.execute(text(
        "SELECT customer_b_id FROM relationship WHERE customer_a_id = :c UNION SELECT customer_a_id FROM relationship "
        "WHERE customer_b_id = :c"), {"c": person}).scalars())
    assert set(nodes["customer_id"]) == contacts | {person}
    graph = G.build_graph(nodes, edges)
    assert graph.degree(person) == len(contacts)
    wider, _ = G.ego_graph_frames(demo_session, scope, person, radius=2)
    assert len(wider) > len(nodes)


def test_village_graph_is_its_residents(demo_session):
    village = demo_session.execute(text("SELECT id FROM village ORDER BY id DESC")).scalars().first()
    nodes, edges = G.village_graph_frames(demo_session, Scope.head_office(), village)
    residents = demo_session.execute(text("SELECT COUNT(*) FROM customer WHERE village_id = :v"), {"v": village}).scalar_one()
    assert len(nodes) == residents
    assert set(edges["customer_a_id"]) | set(edges["customer_b_id"]) <= set(nodes["customer_id"])


def test_key_person_reach_matches_plain_sql(demo_session):
    branch = _county_branch(demo_session)
    reach = G.key_person_reach_frame(demo_session, Scope.for_branches([branch]), branch)
    assert reach["customer_id"].is_unique
    row = reach.iloc[0]
    counted = demo_session.execute(text(
        "SELECT SUM(CASE WHEN c.is_prospect THEN 0 ELSE 1 END), SUM(CASE WHEN c.is_prospect THEN 1 ELSE 0 END) FROM customer c "
        "WHERE c.id IN (SELECT customer_b_id FROM relationship WHERE customer_a_id = :k "
        "UNION SELECT customer_a_id FROM relationship WHERE customer_b_id = :k)"), {"k": int(row["customer_id"])}).one()
    assert (row["customers_reached"], row["prospects_reached"]) == (counted[0], counted[1])


def test_prospects_to_reach_are_prospects_ranked_by_customer_ties(demo_session):
    branch = _county_branch(demo_session)
    ranked = G.prospects_to_reach_frame(demo_session, Scope.for_branches([branch]), branch, limit=10)
    assert len(ranked) == 10
    ids = ",".join(str(int(i)) for i in ranked["customer_id"])
    flags = demo_session.execute(text(f"SELECT is_prospect FROM customer WHERE id IN ({ids})")).scalars().all()
    assert all(flags)
    assert list(ranked["customer_ties"]) == sorted(ranked["customer_ties"], reverse=True)


def test_person_card_masks_the_phone_unless_allowed(demo_session):
    branch = _county_branch(demo_session)
    person = demo_session.execute(text("SELECT id, phone FROM customer WHERE branch_id = :b AND phone <> '' ORDER BY id"),
                                  {"b": branch}).first()
    masked = G.person_card(demo_session, Scope.for_branches([branch]), person.id)
    shown = G.person_card(demo_session, Scope.head_office(), person.id)
    assert masked["phone"] == person.phone[:3] + "****" + person.phone[-4:]
    assert shown["phone"] == person.phone
    assert shown["staff_name"] and shown["metrics"] is not None
    assert shown["relationships"]["other_id"].nunique() == shown["metrics"]["degree"]


def test_overview_headline_names_influencers_and_prospects(demo_session):
    headline = G.overview_headline(demo_session, Scope.head_office(), date(2026, 11, 22))
    assert headline["people_measured"] > 0
    assert len(headline["influencers"]) == 3 and headline["prospects"]["is_prospect"].all()
    empty = G.overview_headline(demo_session, Scope.for_branches([]), date(2026, 11, 22))
    assert empty["people_measured"] == 0 and empty["influencers"].empty


def test_compute_node_metrics_on_a_stored_star(empty_engine):
    with Session(empty_engine) as session:
        session.add(Branch(id=1, code="B1", name="测试支行", level="sub_branch"))
        session.flush()
        for i in range(6):
            session.add(Customer(id=i + 1, code=f"C{i + 1}", branch_id=1, name=f"客户{i + 1}", is_prospect=i == 5))
        session.flush()
        for leaf in range(2, 7):
            session.add(Relationship(customer_a_id=1, customer_b_id=leaf, branch_id=1, kind="village", weight=1.5))
        session.commit()
    with Session(empty_engine) as session:
        session.add(DataVersion(id=1, version=1))
        session.commit()
    assert G.compute_node_metrics(empty_engine) == 6
    assert G.compute_node_metrics(empty_engine) == 6  # replaces, never duplicates
    with Session(empty_engine) as session:
        assert session.get(DataVersion, 1).version == 3  # each run tells the page caches
        stored = G.node_metrics_frame(session, Scope.head_office()).set_index("customer_id")
    assert len(stored) == 6
    assert stored.loc[1, "degree"] == 5 and stored.loc[1, "betweenness"] == pytest.approx(1.0)
    assert stored.loc[1, "pagerank"] == pytest.approx(0.13125 / 0.2775, abs=1e-6)
    assert stored.loc[1, "customer_neighbour_share"] == pytest.approx(4 / 5)
    assert stored.index[0] == 1


def test_group_ties_join_current_co_members_and_the_card_lists_the_groups(demo_session):
    strays = demo_session.execute(text(
        "SELECT COUNT(*) FROM relationship r WHERE r.kind = 'group' AND NOT EXISTS ("
        "SELECT 1 FROM groupmembership m1 JOIN groupmembership m2 ON m1.group_id = m2.group_id "
        "WHERE m1.customer_id = r.customer_a_id AND m2.customer_id = r.customer_b_id "
        "AND m1.left_on IS NULL AND m2.left_on IS NULL)")).scalar_one()
    assert strays == 0
    member = demo_session.execute(text(
        "SELECT customer_id FROM groupmembership WHERE left_on IS NULL ORDER BY customer_id")).scalars().first()
    expected = sorted(set(demo_session.execute(text(
        "SELECT g.name FROM socialgroup g JOIN groupmembership m ON m.group_id = g.id "
        "WHERE m.customer_id = :c AND m.left_on IS NULL"), {"c": member}).scalars()))
    card = G.person_card(demo_session, Scope.head_office(), member)
    assert card["groups"] == expected and expected


def test_staff_see_only_their_own_customers_people_and_cards(demo_session):
    branch = _county_branch(demo_session)
    staff_id, own = demo_session.execute(text(
        "SELECT staff_id, MIN(id) FROM customer WHERE branch_id = :b AND staff_id IS NOT NULL GROUP BY staff_id "
        "ORDER BY staff_id"), {"b": branch}).first()
    other = demo_session.execute(text("SELECT id FROM customer WHERE branch_id = :b AND staff_id <> :s"),
                                 {"b": branch, "s": staff_id}).scalars().first()
    scope = Scope.for_branches([branch], role="staff", staff_id=staff_id)
    people = G.node_metrics_frame(demo_session, scope, branch, limit=50)
    assert len(people) > 0 and (people["staff_id"] == staff_id).all()
    assert G.person_card(demo_session, scope, own)["customer_id"] == own
    with pytest.raises(ScopeError):
        G.person_card(demo_session, scope, other)


def _two_branch_villages(engine) -> None:
    """Two branches, each a ring of villagers with a chord and a prospect, stored."""
    with Session(engine) as session:
        for b in (1, 2):
            session.add(Branch(id=b, code=f"B{b}", name=f"测试支行{b}", level="sub_branch"))
        session.flush()
        for b in (1, 2):
            people = [b * 100 + i for i in range(8)]
            for i, person in enumerate(people):
                session.add(Customer(id=person, code=f"C{person}", branch_id=b, name=f"客户{person}", is_prospect=i == 7))
            session.flush()
            for i, person in enumerate(people):
                other = people[(i + 1) % len(people)]
                session.add(Relationship(customer_a_id=min(person, other), customer_b_id=max(person, other), branch_id=b,
                                         kind="village", weight=1.5))
            session.add(Relationship(customer_a_id=people[0], customer_b_id=people[4], branch_id=b, kind="family",
                                     weight=3.0))
        session.add(DataVersion(id=1, version=1))
        session.commit()


def test_metrics_measured_in_worker_processes_equal_the_serial_run(empty_engine, monkeypatch):
    _two_branch_villages(empty_engine)
    columns = ["customer_id", "degree", "pagerank", "betweenness", "community", "communities_bridged"]
    assert G.compute_node_metrics(empty_engine, workers=1) == 16
    with Session(empty_engine) as session:
        serial = G.node_metrics_frame(session, Scope.head_office())[columns].sort_values("customer_id")
    monkeypatch.setattr(refresh_graph, "METRICS_BATCH_BRANCHES", 1)  # two batches: the pool is used
    assert G.compute_node_metrics(empty_engine, workers=2) == 16
    with Session(empty_engine) as session:
        parallel = G.node_metrics_frame(session, Scope.head_office())[columns].sort_values("customer_id")
        networks = G.graph_branches(session, Scope.head_office())
        headline = G.overview_headline(session, Scope.for_branches([2]))
    pd.testing.assert_frame_equal(serial.reset_index(drop=True), parallel.reset_index(drop=True))
    assert networks.set_index("branch_id")["ties"].to_dict() == {1: 9, 2: 9}
    assert headline["people_measured"] == 8 and headline["computed_at"] is not None


def test_relationship_import_recounts_the_branch_ties(empty_engine):
    _two_branch_villages(empty_engine)
    G.compute_node_metrics(empty_engine, workers=1)
    with Session(empty_engine) as session:
        session.add(Relationship(customer_a_id=101, customer_b_id=105, branch_id=1, kind="neighbour", weight=1.0))
        session.flush()
        G.refresh_network_ties(session.connection(), [1])
        session.commit()
        networks = G.graph_branches(session, Scope.head_office())
    assert networks.set_index("branch_id")["ties"].to_dict() == {1: 10, 2: 9}
