"""Unique members and the network value of groups and owners (customers held, brought in, balances)."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, case, distinct, func, literal, or_, select
from sqlmodel import Session

from models.customers import Customer
from models.groups import GroupMembership, SocialGroup
from models.measures.groups import MIN_RANKED_MEMBERS, contribution_ranking
from models.metrics.groups.common import groups_in_scope, staff_names
from models.rollup_tables.groups import ALL_KINDS, GroupMembersBankDaily, GroupValueSnapshot
from models.scope import Scope
from models.store.frames import read_frame


def _active_on(as_of: date):
    return and_(GroupMembership.joined_on <= as_of,
                or_(GroupMembership.left_on.is_(None), GroupMembership.left_on > as_of))


def unique_member_count(session: Session, scope: Scope, as_of: date, kind: str | None = None) -> int:
    """Customers in at least one of the scope's groups on `as_of`, each counted once. The whole bank's
    figure is the latest change on or before `as_of` in its daily rollup."""
    if scope.is_everything:
        return int(session.execute(
            select(GroupMembersBankDaily.members)
            .where(GroupMembersBankDaily.kind == (kind or ALL_KINDS), GroupMembersBankDaily.day <= as_of)
            .order_by(GroupMembersBankDaily.day.desc()).limit(1)
        ).scalar() or 0)
    statement = (
        select(func.count(distinct(GroupMembership.customer_id)))
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(scope.clause(GroupMembership.branch_id), _active_on(as_of))
    )
    if kind:
        statement = statement.where(SocialGroup.kind == kind)
    return int(session.execute(statement).scalar_one() or 0)


VALUE_INTS = ["key", "members", "customers_held", "brought_in", "converted", "products"]


def _value_frame(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype="int64") for c in VALUE_INTS}).assign(
            deposits=pd.Series(dtype="float64"), wealth=pd.Series(dtype="float64"))
    return frame.astype({**dict.fromkeys(VALUE_INTS, "int64"), "deposits": "float64", "wealth": "float64"})


def network_value_snapshot(session: Session, scope: Scope, as_of: date, by: str = "group",
                           kind: str | None = None, best: int | None = None) -> pd.DataFrame | None:
    """`network_value` from its snapshot, or None when `as_of` is before the snapshot's day (stays
    changed after `as_of`: the raw stays must be read)."""
    grain = GroupValueSnapshot.grain == by
    in_scope = scope.clause(GroupValueSnapshot.branch_id)
    valid_from = session.execute(select(func.max(GroupValueSnapshot.as_of)).where(grain, in_scope)).scalar()
    if valid_from is None or pd.Timestamp(valid_from).date() > as_of:
        return None
    snapshot = GroupValueSnapshot
    if by == "group":
        kinds = snapshot.kind == kind if kind else literal(True)
    else:
        kinds = snapshot.kind == (kind or ALL_KINDS)
    figures = ["members", "customers_held", "brought_in", "converted", "products", "deposits", "wealth"]
    if by == "group":  # one row per group
        statement = select(snapshot.key_id.label("key"), *[getattr(snapshot, f).label(f) for f in figures])
    else:  # a staff member's rows per branch add up
        statement = select(snapshot.key_id.label("key"), *[func.sum(getattr(snapshot, f)).label(f) for f in figures]) \
            .group_by(snapshot.key_id)
    statement = statement.where(grain, in_scope, kinds).order_by(snapshot.key_id)
    if best is not None:  # only the `best` rankable keys by deposits per member (see `contribution_ranking`)
        ranked = statement.subquery()
        statement = (select(ranked).where(ranked.c.members >= MIN_RANKED_MEMBERS)
                     .order_by((ranked.c.deposits * 1.0 / ranked.c.members).desc(), ranked.c.key).limit(best))
    return _value_frame(read_frame(session, statement))


def network_value(session: Session, scope: Scope, as_of: date, by: str | None = "group",
                  kind: str | None = None) -> pd.DataFrame:
    """Per group (`by="group"`), per owner staff (`"staff"`) or for the whole scope (`None`): customers
    held on `as_of`, customers brought in, converted (brought in and a customer now), and the products
    and deposits of the customers held. Each customer counts once per row, however many groups.
    Per group or staff it is read from the snapshot when `as_of` is on or after its day."""
    if by is not None:
        snapshot = network_value_snapshot(session, scope, as_of, by, kind)
        if snapshot is not None:
            return snapshot
    return network_value_raw(session, scope, as_of, by, kind)


def network_value_raw(session: Session, scope: Scope, as_of: date, by: str | None = "group",
                      kind: str | None = None) -> pd.DataFrame:
    """`network_value` from the raw stays (the reference, and any `as_of` before the snapshot)."""
    key = {"group": GroupMembership.group_id, "staff": SocialGroup.staff_id, None: literal(0)}[by]
    per_customer = (
        select(
            key.label("key"), GroupMembership.customer_id,
            func.max(case((_active_on(as_of), 1), else_=0)).label("held"),
            func.max(case((GroupMembership.brought_in.is_(True), 1), else_=0)).label("brought"),
        )
        .join(SocialGroup, SocialGroup.id == GroupMembership.group_id)
        .where(scope.clause(GroupMembership.branch_id), GroupMembership.joined_on <= as_of)
        .group_by(key, GroupMembership.customer_id)
    )
    if kind:
        per_customer = per_customer.where(SocialGroup.kind == kind)
    per_customer = per_customer.subquery()
    held_customer = and_(per_customer.c.held == 1, Customer.is_prospect.is_(False))
    statement = (
        select(
            per_customer.c.key,
            func.sum(per_customer.c.held).label("members"),
            func.sum(case((held_customer, 1), else_=0)).label("customers_held"),
            func.sum(per_customer.c.brought).label("brought_in"),
            func.sum(case((and_(per_customer.c.brought == 1, Customer.is_prospect.is_(False)), 1), else_=0)).label("converted"),
            func.sum(case((held_customer, Customer.products_held), else_=0)).label("products"),
            func.sum(case((held_customer, Customer.deposit_balance), else_=0.0)).label("deposits"),
            func.sum(case((held_customer, Customer.wealth_balance), else_=0.0)).label("wealth"),
        )
        .join(Customer, Customer.id == per_customer.c.customer_id)
        .group_by(per_customer.c.key)
        .order_by(per_customer.c.key)
    )
    return _value_frame(read_frame(session, statement))


def network_value_table(session: Session, scope: Scope, as_of: date, by: str = "group",
                        kind: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """Network value ranked by contribution per member, with names, per group or per owner staff; with
    `limit`, the best `limit` ranks."""
    best = network_value_snapshot(session, scope, as_of, by, kind, best=limit) if limit is not None else None
    if best is not None and len(best) == limit:  # the best ranks, read in SQL; their ranks are their places
        ranked = contribution_ranking(best)
    else:
        ranked = contribution_ranking(network_value(session, scope, as_of, by, kind))
    shown = None
    if limit is not None:
        ranked = ranked.head(limit)
        shown = [int(k) for k in ranked["key"].dropna()]
    if by == "group":
        names = groups_in_scope(session, scope, group_ids=shown)[["group_id", "group_name", "kind", "branch_name",
                                                                  "staff_name"]]
        return ranked.merge(names.rename(columns={"group_id": "key"}), on="key", how="left")
    return ranked.merge(staff_names(session, scope, shown, owned_groups=True), on="key", how="left")
