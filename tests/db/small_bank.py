"""The smallest bank the data-layer tests build by hand: one region, two sub-branches, three account
managers (two in the first branch, one in the second), so scope and own-customer rules have something
to tell apart."""

from __future__ import annotations

from sqlmodel import Session

from models.org import Branch, Region, Staff

A, B = 1, 2           # branches
S1, S2, S3 = 1, 2, 3  # staff: S1 and S2 in A, S3 in B


def add_two_branches(session: Session) -> None:
    """The region, branches A and B and staff S1-S3, flushed so rows that point at them can follow."""
    session.add(Region(id=1, code="R", name="区域"))
    session.flush()
    session.add_all([Branch(id=A, code="A", name="甲支行", level="sub_branch", region_id=1),
                     Branch(id=B, code="B", name="乙支行", level="sub_branch", region_id=1)])
    session.flush()
    session.add_all([Staff(id=S1, branch_id=A, employee_no="E1", name="张一", role="account_manager"),
                     Staff(id=S2, branch_id=A, employee_no="E2", name="李二", role="account_manager"),
                     Staff(id=S3, branch_id=B, employee_no="E3", name="王三", role="account_manager")])
    session.flush()
