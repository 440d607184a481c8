"""One rule for "own customer" (models.privacy): the customer record's managing staff, everywhere.

A listed migrant worker whose name-list entry names staff A as contact while the customer record is
managed by staff B: B sees the worker on the visit list with the phone number, can open the person card
(phone unmasked) and find the person in the graph search; A sees none of it.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models.customers import Customer
from models.metrics import campaign as C
from models.metrics import graph as G
from models.org import Staff
from models.privacy import mask_phone
from models.scope import Scope, ScopeError

AS_OF = date(2026, 2, 10)


def visit_list(session, scope: Scope, campaign, as_of: date):
    """The visit list exactly as the campaign page builds it for `scope`."""
    campaign_id = int(campaign["campaign_id"])
    view = C.campaign_view(C.season_summary(session, scope, campaign_id),
                           C.list_counts(session, scope, campaign_id, as_of), campaign, as_of, scope,
                           workers=C.worker_frames(session, scope, campaign_id))
    return view["visit_next"]


@pytest.fixture
def moved_worker(demo_session):
    """A worker on the 2026 visit list handed to another staff member of the branch in the customer
    record only (the name list still names the old contact). Rolled back afterwards."""
    seasons = C.campaigns(demo_session, Scope.head_office())
    campaign = seasons[seasons["season"] == 2026].iloc[0]
    everyone = visit_list(demo_session, Scope.head_office(), campaign, AS_OF)
    row = everyone.dropna(subset=["staff_id"]).iloc[0]
    entries = C.name_list(demo_session, Scope.head_office(), int(campaign["campaign_id"]))
    entry = entries[entries["entry_id"] == row["entry_id"]].iloc[0]
    customer = demo_session.get(Customer, int(entry["customer_id"]))
    contact = int(entry["staff_id"])
    colleagues = select(Staff.id).where(Staff.branch_id == int(entry["branch_id"]), Staff.id != contact)
    manager = demo_session.execute(colleagues.order_by(Staff.id)).scalars().first()
    customer.staff_id = int(manager)
    demo_session.add(customer)
    demo_session.flush()
    try:
        yield {"campaign": campaign, "entry_id": int(row["entry_id"]), "customer": customer, "contact": contact,
               "manager": int(manager), "branch_id": int(entry["branch_id"])}
    finally:
        demo_session.rollback()


def staff_scope(branch_id: int, staff_id: int) -> Scope:
    return Scope.for_branches([branch_id], staff_id=staff_id, role="staff")


def test_the_visit_list_follows_the_customers_own_staff(demo_session, moved_worker):
    w = moved_worker
    manager = visit_list(demo_session, staff_scope(w["branch_id"], w["manager"]), w["campaign"], AS_OF)
    contact = visit_list(demo_session, staff_scope(w["branch_id"], w["contact"]), w["campaign"], AS_OF)
    row = manager[manager["entry_id"] == w["entry_id"]]
    assert len(row) == 1 and row["phone"].iloc[0] == w["customer"].phone
    assert w["entry_id"] not in set(contact["entry_id"])
    assert (contact["customer_staff_id"] == w["contact"]).all()  # the contact's list: their own customers only
    president = Scope.for_branches([w["branch_id"]], staff_id=w["contact"], role="president")
    seen = visit_list(demo_session, president, w["campaign"], AS_OF)
    assert seen.loc[seen["entry_id"] == w["entry_id"], "phone"].iloc[0] == mask_phone(w["customer"].phone)


def test_the_graph_page_follows_the_same_rule(demo_session, moved_worker):
    w = moved_worker
    customer = w["customer"]
    card = G.person_card(demo_session, staff_scope(w["branch_id"], w["manager"]), customer.id)
    assert card["phone"] == customer.phone
    with pytest.raises(ScopeError):
        G.person_card(demo_session, staff_scope(w["branch_id"], w["contact"]), customer.id)
    found = G.search_people(demo_session, staff_scope(w["branch_id"], w["manager"]), text=customer.code)
    assert customer.id in set(found["customer_id"])
    assert G.search_people(demo_session, staff_scope(w["branch_id"], w["contact"]), text=customer.code).empty


def test_a_staff_scope_without_a_staff_record_owns_no_customers(demo_session, moved_worker):
    w = moved_worker
    unlinked = Scope.for_branches([w["branch_id"]], staff_id=None, role="staff")
    assert visit_list(demo_session, unlinked, w["campaign"], AS_OF).empty
    assert G.search_people(demo_session, unlinked).empty
    assert G.node_metrics_frame(demo_session, unlinked).empty
