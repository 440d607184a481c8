"""客户关系网络 / Relationship network: who matters, who bridges circles, who to reach next."""

from __future__ import annotations

import streamlit as st

from components.data import page_scope, query, refuse, require_database
from components.figures.graph import network_figure
from components.filters import scope_picker
from components.graph_view import figure_labels, kind_name, person_card, referral_chain_text, with_display_columns
from components.i18n import format_number, t
from components.kpi import Kpi, kpi_row
from components.tables import data_table
from models.metrics import graph as G
from models.scope import ScopeError

PICKER_KEY = "graph"
MONEY = st.column_config.NumberColumn(format="localized")
INDEX = st.column_config.NumberColumn(format="%.2f")
SHARE = st.column_config.NumberColumn(format="percent")
PEOPLE_LABELS = {"name": t("graph.col.name"), "branch_name": t("graph.col.branch"),
                 "village_name": t("graph.col.village"), "roles_text": t("graph.col.roles"),
                 "status_text": t("graph.col.status"), "influence": t("graph.col.influence"),
                 "degree": t("graph.col.degree"), "customer_neighbour_share": t("graph.col.customer_share"),
                 "deposit_balance": t("graph.col.deposit")}
PEOPLE_CONFIG = {"influence": INDEX, "customer_neighbour_share": SHARE, "deposit_balance": MONEY,
                 "betweenness": st.column_config.NumberColumn(format="%.4f")}


def picked_person(event, frame, column: str = "customer_id") -> int | None:
    if event and event.selection.rows:
        return int(frame.iloc[event.selection.rows[0]][column])
    return None


st.title(t("graph.title"))
st.caption(t("graph.caption"))
require_database()
choice = scope_picker(page_scope(), PICKER_KEY)

networks = query(G.graph_branches, choice.scope)
if networks.empty:
    st.info(t("graph.no_network"))
    st.stop()
headline = query(G.overview_headline, choice.scope)
kpi_row([
    Kpi(t("graph.kpi.people"), format_number(headline["people_measured"])),
    Kpi(t("graph.kpi.ties"), format_number(int(networks["ties"].sum()))),
    Kpi(t("graph.kpi.well_tied"), format_number(headline["prospects_well_tied"]), help=t("graph.kpi.well_tied_help")),
])
if headline["people_measured"] == 0:
    st.warning(t("graph.no_metrics"))

selected: list[int | None] = []
try:
    if choice.branch_id is None:
        st.info(t("graph.pick_branch"))
    else:
        branch_id = choice.branch_id
        views = ["branch", "village", "ego"]
        if st.query_params.get("view") in views and "graph_view" not in st.session_state:
            st.session_state["graph_view"] = st.query_params["view"]
        view = st.sidebar.radio(t("graph.view"), views, key="graph_view", format_func=lambda v: t(f"graph.view.{v}"))
        center = None
        if view == "village":
            villages = query(G.villages_frame, choice.scope, branch_id=branch_id)
            names = {int(v): name for v, name in zip(villages["village_id"], villages["village_name"], strict=True)}
            wanted = st.query_params.get("village", "")
            if wanted.isdigit() and int(wanted) in names and "graph_village" not in st.session_state:
                st.session_state["graph_village"] = int(wanted)
            village_id = st.sidebar.selectbox(t("graph.village"), list(names), key="graph_village",
                                              format_func=lambda v: names.get(int(v), str(v)))
            nodes, edges = query(G.village_graph_frames, choice.scope, village_id=village_id)
        elif view == "ego":
            search = st.sidebar.text_input(t("graph.person_search"), key="graph_search")
            people = query(G.search_people, choice.scope, text=search, branch_id=branch_id)
            labels = {int(r.customer_id): f"{r.name} ({r.code})" for r in people.itertuples(index=False)}
            center = st.sidebar.selectbox(t("graph.person"), list(labels), key="graph_person",
                                          format_func=lambda c: labels.get(int(c), str(c)))
            radius = st.sidebar.radio(t("graph.radius"), [1, 2], horizontal=True, key="graph_radius",
                                      format_func=lambda n: t("graph.radius_n", n=n))
            nodes, edges = (query(G.ego_graph_frames, choice.scope, customer_id=center, radius=radius)
                            if center is not None else G.empty_graph_frames())
            selected.append(center)
        else:
            nodes, edges = query(G.branch_graph_frames, choice.scope, branch_id=branch_id)
        color_by = st.sidebar.radio(t("graph.color_by"), ["community", "kind"], horizontal=True, key="graph_color",
                                    format_func=lambda c: t(f"graph.color.{c}"))
        max_people = st.sidebar.slider(t("graph.max_nodes"), 50, 400, 150, step=25, key="graph_max_nodes")

        if nodes.empty:
            st.info(t("graph.no_network"))
        else:
            draw_nodes, draw_edges, counts = G.network_view(nodes, edges, max_people=max_people, center=center)
            if counts["nodes_hidden"]:
                note = t("graph.cut_note", total=counts["nodes_total"], edges=counts["edges_total"],
                         shown=counts["nodes_shown"], hidden=counts["nodes_hidden"], hidden_edges=counts["edges_hidden"])
            else:
                note = t("graph.full_note", total=counts["nodes_total"], edges=counts["edges_total"])
            st.caption(f"{t('graph.chart.title')} {note}")
            st.plotly_chart(network_figure(draw_nodes, draw_edges, figure_labels(), color_by),
                            width="stretch", key="graph_network")

        st.subheader(t("graph.key.title"), help=t("graph.key.help"))
        village_filter = st.session_state.get("graph_village") if view == "village" else None
        reach = query(G.key_person_reach_frame, choice.scope, branch_id=branch_id, village_id=village_filter)
        if reach.empty:
            st.info(t("graph.key.none"))
        else:
            event = data_table(with_display_columns(reach),
                               {"name": t("graph.col.name"), "roles_text": t("graph.col.roles"),
                                "village_name": t("graph.col.village"),
                                "customers_reached": t("graph.col.customers_reached"),
                                "prospects_reached": t("graph.col.prospects_reached"),
                                "deposits_reached": t("graph.col.deposits_reached")},
                               key="graph_key_people", file_stem="key_persons", selectable=True,
                               column_config={"deposits_reached": MONEY})
            selected.append(picked_person(event, reach))

        st.subheader(t("graph.prospects.title"), help=t("graph.prospects.help"))
        prospects = G.prospects_to_reach(nodes, edges, limit=50)  # from the graph on screen: no second read
        if prospects.empty:
            st.info(t("graph.prospects.none"))
        else:
            event = data_table(prospects.assign(introducer_kind_text=prospects["introducer_kind"].map(kind_name)),
                               {"name": t("graph.col.name"), "customer_ties": t("graph.col.customer_ties"),
                                "tie_strength": t("graph.col.tie_strength"),
                                "key_person_ties": t("graph.col.key_person_ties"),
                                "customer_deposits": t("graph.col.customer_deposits"),
                                "introducer_name": t("graph.col.introducer"),
                                "introducer_kind_text": t("graph.col.introducer_kind")},
                               key="graph_prospects", file_stem="prospects_to_reach", selectable=True,
                               column_config={"customer_deposits": MONEY})
            selected.append(picked_person(event, prospects))

    scope_branch = choice.branch_id
    st.subheader(t("graph.influential.title"), help=t("graph.influential.help"))
    influential = query(G.node_metrics_frame, choice.scope, branch_id=scope_branch, limit=20)
    if not influential.empty:
        event = data_table(with_display_columns(influential), PEOPLE_LABELS, key="graph_influential",
                           file_stem="influential_people", selectable=True, column_config=PEOPLE_CONFIG)
        selected.append(picked_person(event, influential))

    st.subheader(t("graph.bridges.title"), help=t("graph.bridges.help"))
    bridges = query(G.node_metrics_frame, choice.scope, branch_id=scope_branch, limit=20, order_by="betweenness",
                    bridges_only=True)
    if not bridges.empty:
        event = data_table(with_display_columns(bridges),
                           {"name": t("graph.col.name"), "branch_name": t("graph.col.branch"),
                            "roles_text": t("graph.col.roles"), "status_text": t("graph.col.status"),
                            "betweenness": t("graph.col.betweenness"),
                            "communities_bridged": t("graph.col.bridged"), "degree": t("graph.col.degree")},
                           key="graph_bridges", file_stem="bridges", selectable=True, column_config=PEOPLE_CONFIG)
        selected.append(picked_person(event, bridges))

    if scope_branch is None:
        st.subheader(t("graph.prospects.title"), help=t("graph.prospects.help"))
        prospects = query(G.node_metrics_frame, choice.scope, limit=20, order_by="customer_ties", prospects_only=True)
        if not prospects.empty:
            event = data_table(with_display_columns(prospects),
                               {"name": t("graph.col.name"), "branch_name": t("graph.col.branch"),
                                "village_name": t("graph.col.village"), "roles_text": t("graph.col.roles"),
                                "customer_ties": t("graph.col.customer_ties"), "influence": t("graph.col.influence")},
                               key="graph_prospects_all", file_stem="prospects_to_reach", selectable=True,
                               column_config=PEOPLE_CONFIG)
            selected.append(picked_person(event, prospects))
    else:
        st.subheader(t("graph.referrals.title"), help=t("graph.referrals.help"))
        chains, members = query(G.referral_chain_frames, choice.scope, branch_id=scope_branch)
        if chains.empty:
            st.info(t("graph.referrals.none"))
        else:
            left, right = st.columns([3, 2])
            with left:
                event = data_table(chains, {"root_name": t("graph.col.root"), "people": t("graph.col.people"),
                                            "depth": t("graph.col.depth"), "deposits": t("graph.col.deposits"),
                                            "prospects": t("graph.col.prospects")},
                                   key="graph_chains", file_stem="referral_chains", selectable=True,
                                   column_config={"deposits": MONEY}, height=320)
            with right:
                chain_id = picked_person(event, chains, "chain_id") or int(chains.iloc[0]["chain_id"])
                st.markdown(f"**{t('graph.referrals.members')}**")
                st.markdown(referral_chain_text(members[members["chain_id"] == chain_id]))

    st.subheader(t("graph.card.title"))
    person_id = next((p for p in reversed(selected) if p is not None), None)
    if person_id is None:
        st.info(t("graph.card.pick"))
    else:
        card = query(G.person_card, choice.scope, customer_id=person_id)
        if card is not None:
            person_card(card, key="graph_card")
except ScopeError as exc:
    refuse(exc)
