"""Pieces of the relationship page that are pure presentation: labels for the network figure,
translated role / kind names, and the person card."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.i18n import bracketed, format_number, format_percent, join_names, t
from components.tables import data_table
from components.text import escape_markdown

ROLES = ("village_head", "village_accountant", "womens_director", "electrician", "shop_owner", "village_doctor",
         "foreman", "community_expert", "opinion_leader")
KINDS = ("family", "neighbour", "workplace", "village", "colleague", "referral", "group")


def figure_labels() -> dict[str, str]:
    """Every text the network figure shows, in the user's language."""
    labels = {key: t(f"graph.legend.{key}") for key in
              ("customer", "prospect", "key_person", "circle", "other_circles", "influence", "ties", "deposit")}
    labels.update({f"role.{r}": t(f"graph.role.{r}") for r in ROLES})
    labels.update({f"kind.{k}": t(f"graph.kind.{k}") for k in KINDS})
    return labels


def role_names(roles: str) -> str:
    return join_names([t(f"graph.role.{r}") for r in str(roles or "").split(",") if r])


def kind_name(kind: str) -> str:
    return t(f"graph.kind.{kind}") if kind else ""


def status_name(is_prospect: bool) -> str:
    return t("graph.status.prospect") if is_prospect else t("graph.status.customer")


def with_display_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Translated role and status columns for tables."""
    shown = frame.copy()
    if "roles" in shown:
        shown["roles_text"] = shown["roles"].map(role_names)
    if "role" in shown:
        shown["roles_text"] = shown["role"].map(role_names)
    if "is_prospect" in shown:
        shown["status_text"] = shown["is_prospect"].map(status_name)
    return shown


def people_line(people: pd.DataFrame) -> str:
    """"Name (branch · role)" for a few people, for a headline sentence (Markdown: names escaped)."""
    parts = []
    for row in people.itertuples(index=False):
        name = escape_markdown(row.name)
        details = " · ".join(x for x in (escape_markdown(row.branch_name), role_names(row.roles)) if x)
        parts.append(bracketed(name, details) if details else name)
    return join_names(parts) or t("common.none")


def referral_chain_text(chain: pd.DataFrame) -> str:
    """A chain as an indented list (Markdown: names escaped): who brought whom, with each person's deposits."""
    return "  \n".join(
        f"{'　' * int(r.depth)}{'↳ ' if r.depth else ''}{escape_markdown(r.name)}"
        f"{' · ' + t('graph.status.prospect') if r.is_prospect else ''} · {format_number(r.deposit_balance)}"
        for r in chain.itertuples(index=False))


def person_card(card: dict, key: str) -> None:
    """Who the person is, what they hold, who manages them and everyone they are tied to (the data's
    texts escaped for Markdown; the ties table is plain)."""
    text = {k: escape_markdown(card[k]) if card[k] else "—"
            for k in ("name", "phone", "code", "branch_name", "village_name", "staff_name")}
    with st.container(border=True):
        roles = role_names(",".join(card["roles"]))
        st.markdown(f"### {text['name']} · {status_name(card['is_prospect'])}" + (f" · ★ {roles}" if roles else ""))
        left, middle, right = st.columns(3)
        left.markdown(f"**{t('graph.card.phone')}**: {text['phone']}  \n"
                      f"**{t('graph.col.code')}**: {text['code']}  \n"
                      f"**{t('graph.card.occupation')}**: {t('graph.occupation.' + card['occupation']) if card['occupation'] else '—'}")
        middle.markdown(f"**{t('graph.card.branch')}**: {text['branch_name']}  \n"
                        f"**{t('graph.card.village')}**: {text['village_name']}  \n"
                        f"**{t('graph.card.staff')}**: {text['staff_name']}")
        right.markdown(f"**{t('graph.card.value')}**: {format_number(card['deposit_balance'])} / "
                       f"{format_number(card['wealth_balance'])} {t('common.yuan')}  \n"
                       f"**{t('graph.card.products')}**: {card['products_held']}")
        if card.get("groups"):
            st.markdown(f"**{t('graph.card.groups')}**: " + join_names([escape_markdown(g) for g in card["groups"]]))
        metric = card.get("metrics")
        if metric:
            share = metric.get("customer_neighbour_share")
            st.caption(f"{t('graph.card.network')}: " + t(
                "graph.card.network_text", degree=metric["degree"], influence=metric["influence"],
                betweenness=metric["betweenness"], bridged=metric["communities_bridged"],
                share=format_percent(share) if share is not None else "—"))
        ties = card["relationships"]
        if len(ties):
            shown = ties.assign(
                kind_text=ties["kind"].map(kind_name),
                direction_text=ties["direction"].map(lambda d: t(f"graph.direction.{d}") if d else ""),
                source_text=ties["source"].map(lambda s: t(f"graph.source.{s}")),
                status_text=ties["other_is_prospect"].map(status_name),
                roles_text=ties["other_roles"].map(role_names),
            )
            st.markdown(f"**{t('graph.card.relationships')}**")
            data_table(shown, {"other_name": t("graph.col.name"), "kind_text": t("graph.col.kind"),
                               "direction_text": t("graph.col.direction"), "weight": t("graph.col.weight"),
                               "status_text": t("graph.col.status"), "roles_text": t("graph.col.roles"),
                               "other_deposit": t("graph.col.deposit"), "source_text": t("graph.col.source")},
                       key=f"{key}_ties", file_stem="relationships",
                       column_config={"other_deposit": st.column_config.NumberColumn(format="localized")})
