"""客户经营 / Customers, as each role sees it: head office and presidents the matrix of their scope and every
customer to call in it; a staff member only their own customers in the call list and the customer list; a
president saves a segment (audited) and a viewer cannot; the page fits a phone (no wide layout needed)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session

from models.accounts import AuditLog, User
from models.auth import scope_for_user
from models.customers import Customer
from models.db import make_engine
from models.metrics import customers as metrics
from models.org import Branch, BranchLevel
from models.products import CustomerSegment
from tests.pages.conftest import page


def open_page(username: str, language: str = "zh"):
    test = page("app_pages/customers.py", username)
    test.session_state["ui_language"] = language
    app = test.run()
    assert not app.exception, app.exception
    return app


def frames(app) -> list:
    return [f.value for f in app.dataframe]


def scope_of(url: str, username: str):
    with Session(make_engine(url)) as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return scope_for_user(session, user)


def test_head_office_sees_every_branch_and_the_rules(demo_env):
    app = open_page("demo_admin", "en")
    assert [m.label for m in app.metric][:2] == ["Personal customers", "Silver-haired (60+) share"]
    assert any("How the life-cycle stage is decided" in e.label for e in app.expander)
    matrix = frames(app)[0]
    with Session(make_engine(demo_env)) as session:
        subs = session.scalars(select(Branch.id).where(Branch.level == BranchLevel.SUB_BRANCH.value)).all()
    assert len(matrix) == len(subs)


def test_a_staff_member_sees_only_their_own_customers(demo_env):
    scope = scope_of(demo_env, "demo_staff")
    app = open_page("demo_staff")
    assert not any(getattr(w, "key", None) == "customers_call_staff" for w in app.selectbox)  # no picker
    app.toggle(key="customers_drill").set_value(True).run()
    assert not app.exception, app.exception
    with Session(make_engine(demo_env)) as session:
        expected_calls = metrics.customers_to_call(session, scope)
        expected_people = metrics.segment_customers(session, scope)
        own = set(session.scalars(select(Customer.id).where(Customer.staff_id == scope.staff_id)).all())
        everyone = metrics.segment_customers(session, scope_of(demo_env, "demo_president"))
    assert not expected_calls.empty and set(expected_calls["customer_id"]) <= own
    assert not expected_people.empty and set(expected_people["customer_id"]) <= own
    # the page's call list and customer list: the staff member's customers, and no one else of the branch
    lists = [f for f in frames(app) if "客户" in f.columns]
    shown = set().union(*(set(f["客户"]) for f in lists))
    assert set(expected_calls["name"]) <= shown and set(expected_people["name"]) <= shown
    others = set(everyone.loc[~everyone["customer_id"].isin(own), "name"]) - set(expected_people["name"])
    assert others and not (others & shown)


def test_a_president_saves_a_segment_and_a_viewer_cannot(own_demo_env):
    app = open_page("demo_president")
    app.multiselect(key="customers_filter_age_band").set_value(["60_plus"]).run()
    next(w for w in app.text_input if w.label == "客户群名称").input("银发贵宾")
    next(b for b in app.button if b.label == "保存").click().run()
    assert not app.exception, app.exception
    with Session(own_demo_env) as session:
        saved = session.scalars(select(CustomerSegment)).all()
        assert [(s.name, s.definition) for s in saved] == [("银发贵宾", '{"age_band": ["60_plus"]}')]
        assert session.scalars(select(AuditLog).where(AuditLog.action == "customer_segment_save")).one().outcome == "ok"
    viewer = open_page("demo_viewer")
    viewer.multiselect(key="customers_filter_age_band").set_value(["60_plus"]).run()
    assert not any(w.label == "客户群名称" for w in viewer.text_input)
