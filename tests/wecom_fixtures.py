"""A WeCom corp for the sync tests: a branch, staff (half named by `wecom_userid`, half by an employee number equal
to the userid), customers with WeCom external ids, the corp's stored secret, and the same corp on the mock
platform (`tests.sync_fixtures.mock_platform` serves it), plus a userid and contacts that map to nobody."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine
from sqlmodel import Session

from mock_platform import MockServer
from mock_platform.wecom import WecomCorp, make_corp
from models.customers import Customer
from models.org import Branch, BranchLevel, Staff
from models.scope import Scope
from models.sync.credentials import save_credential
from tests.sync_fixtures import MOCK_NOW

GHOST = "ghost.user"  # a WeCom userid no staff member has


@dataclass
class Corp:
    mock: WecomCorp
    branch_id: int
    userids: list[str]
    contacts: list[str]


def add_wecom_corp(engine: Engine, server: MockServer, corp_id: str = "ww0000test0001", staff: int = 4,
                   customers: int = 30, strangers: int = 3, groups_per_user: int = 2) -> Corp:
    prefix = corp_id[-4:]
    userids = [f"u{prefix}{i:03d}" for i in range(staff)]
    contacts = [f"wm{prefix}{i:06d}" for i in range(customers)]
    with Session(engine) as session:
        branch = Branch(code=f"WC{prefix}", name=f"企微 {prefix} 支行", level=BranchLevel.SUB_BRANCH)
        session.add(branch)
        session.flush()
        for index, userid in enumerate(userids):
            by_userid = index % 2 == 0
            session.add(Staff(branch_id=branch.id, employee_no=f"E{prefix}{index:03d}" if by_userid else userid,
                              name=f"员工{index}", role="account_manager", wecom_userid=userid if by_userid else None))
        for index, contact in enumerate(contacts):
            session.add(Customer(code=f"C{prefix}{index:05d}", branch_id=branch.id, name=f"客户{index}",
                                 wecom_external_userid=contact))
        session.commit()
        branch_id = branch.id
        corp = make_corp(corp_id, f"corp-secret-{prefix}-Zq9", [*userids, GHOST],
                         contacts + [f"wmstranger{prefix}{i}" for i in range(strangers)], MOCK_NOW,
                         groups_per_user=groups_per_user)
        server.state.wecom_corps[corp_id] = corp
        save_credential(session, Scope.head_office(), "tester", "wecom", corp_id, corp.secret)
    return Corp(corp, branch_id, userids, contacts)
