"""Experts and opinion leaders per group: their share of members' messages and the top poster."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.customers import Customer
from models.groups import SocialGroup
from models.measures.groups import conversation_drivers, expert_summary
from models.metrics.groups.common import groups_in_scope
from models.org import Branch
from models.rollup_tables.groups import GroupExpertSnapshot
from models.scope import Scope
from models.store.frames import read_frame

EXPERT_COLUMNS = ["group_id", "group_name", "kind", "branch_name", "experts", "expert_share", "top_poster",
                  "top_share", "top_role"]


def experts_table(session: Session, scope: Scope, top_n: int = 3, kind: str | None = None,
                  limit: int | None = None) -> pd.DataFrame:
    """Per group, who drives the conversation: experts' share and the top poster (from the experts
    snapshot, which the rollups rebuild with the stays); with `limit`, the `limit` highest shares."""
    snapshot = GroupExpertSnapshot
    chosen = (
        select(SocialGroup.id.label("group_id"), SocialGroup.name.label("group_name"), SocialGroup.kind,
               SocialGroup.branch_id, snapshot.experts, snapshot.expert_share, snapshot.top_customer_id,
               snapshot.top_share, snapshot.top_role)
        .join(snapshot, snapshot.group_id == SocialGroup.id)
        .where(scope.clause(SocialGroup.branch_id))
        .order_by(snapshot.expert_share.desc().nulls_last(), SocialGroup.id)
    )
    if kind:
        chosen = chosen.where(SocialGroup.kind == kind)
    if limit is not None:
        chosen = chosen.limit(limit)
    chosen = chosen.subquery()  # names are looked up for the chosen groups only
    statement = (
        select(chosen.c.group_id, chosen.c.group_name, chosen.c.kind, Branch.name.label("branch_name"),
               chosen.c.experts, chosen.c.expert_share, Customer.name.label("top_poster"), chosen.c.top_share,
               chosen.c.top_role)
        .join(Branch, Branch.id == chosen.c.branch_id)
        .join(Customer, Customer.id == chosen.c.top_customer_id, isouter=True)
        .order_by(chosen.c.expert_share.desc().nulls_last(), chosen.c.group_id)
    )
    frame = read_frame(session, statement)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in EXPERT_COLUMNS})
    return frame.astype({"experts": "int64", "expert_share": "float64", "top_share": "float64"})


def experts_table_raw(session: Session, scope: Scope, top_n: int = 3, kind: str | None = None) -> pd.DataFrame:
    """`experts_table` from every stay (the reference the snapshot must equal)."""
    summary = expert_summary(conversation_drivers(session, scope, top_n, kind))
    names = groups_in_scope(session, scope, kind)[["group_id", "group_name", "kind", "branch_name"]]
    return names.merge(summary, on="group_id", how="inner").sort_values(
        ["expert_share", "group_id"], ascending=[False, True]).reset_index(drop=True)
