"""The org as the scope sees it: branches with their region and parent, for pickers and rankings."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from models.followers import OfficialAccount
from models.org import Branch, BranchLevel, Region
from models.scope import Scope
from models.store.frames import read_frame
from models.system import DataVersion

__all__ = ["accounts_in_scope", "branches_in_scope", "data_version", "descendant_branch_ids", "read_frame"]


def branches_in_scope(session: Session, scope: Scope, level: str | None = BranchLevel.SUB_BRANCH) -> pd.DataFrame:
    """Branches the caller may see (sub-branches by default), with region and parent names."""
    parent = aliased(Branch)
    statement = (
        select(
            Branch.id.label("branch_id"), Branch.code, Branch.name.label("branch_name"), Branch.level,
            Branch.kind, Branch.city, Branch.region_id, Region.name.label("region_name"),
            Branch.parent_id, parent.name.label("parent_name"),
        )
        .join(Region, Region.id == Branch.region_id, isouter=True)
        .join(parent, parent.id == Branch.parent_id, isouter=True)
        .where(scope.clause(Branch.id))
        .order_by(Branch.code)
    )
    if level is not None:
        statement = statement.where(Branch.level == str(level))
    return read_frame(session, statement)


def accounts_in_scope(session: Session, scope: Scope) -> pd.DataFrame:
    statement = (
        select(OfficialAccount.id.label("account_id"), OfficialAccount.name.label("account_name"),
               OfficialAccount.branch_id)
        .where(scope.clause(OfficialAccount.branch_id))
        .order_by(OfficialAccount.id)
    )
    return read_frame(session, statement)


def data_version(session: Session) -> int:
    """The counter every seed and import bumps; caches key on it."""
    row = session.get(DataVersion, 1)
    return row.version if row else 0


def descendant_branch_ids(branches: pd.DataFrame, root_id: int) -> set[int]:
    """A branch and everything under it, from a frame of branch_id / parent_id (pure)."""
    children: dict[int, list[int]] = {}
    for branch_id, parent_id in zip(branches["branch_id"], branches["parent_id"], strict=True):
        if pd.notna(parent_id):
            children.setdefault(int(parent_id), []).append(int(branch_id))
    found, stack = set(), [int(root_id)]
    while stack:
        current = stack.pop()
        if current in found:
            continue
        found.add(current)
        stack.extend(children.get(current, []))
    return found
