from __future__ import annotations

from tests.pages.conftest import run_page


def test_admin_creates_an_account_on_the_page(demo_env):
    app = run_page("app_pages/users.py")
    assert "demo_viewer" in app.dataframe[0].value.to_string()
    form_inputs = [w for w in app.text_input if w.key is None or not str(w.key).startswith("users_")]
    username, name, email, password = form_inputs[:4]
    username.input("new_teller")
    name.input("新柜员")
    email.input("new_teller@bank.example.cn")
    password.input("short")
    next(b for b in app.button if b.label == "创建").click().run()
    assert any("8" in e.value for e in app.error)
    form_inputs = [w for w in app.text_input if w.key is None or not str(w.key).startswith("users_")]
    form_inputs[0].input("new_teller")
    form_inputs[3].input("long-enough-1")
    next(b for b in app.button if b.label == "创建").click().run()
    assert not app.exception
    assert "new_teller" in app.dataframe[0].value.to_string()


def test_a_staff_account_needs_its_employee_number(demo_env):
    app = run_page("app_pages/users.py")
    username, _name, _email, password, employee_no = \
        [w for w in app.text_input if w.key is None or not str(w.key).startswith("users_")][:5]
    username.input("new_staff")
    password.input("long-enough-1")
    app.selectbox[0].select("staff")  # the form's role
    app.selectbox[1].select_index(1)  # a branch
    next(b for b in app.button if b.label == "创建").click().run()
    assert any("工号" in e.value for e in app.error), "refused without an employee number"
    assert "new_staff" not in app.dataframe[0].value.to_string()


def test_an_admin_changes_a_role_on_the_page_and_the_user_is_signed_out(own_demo_env):
    from sqlalchemy import select
    from sqlmodel import Session

    from models.accounts import User
    from tests.pages.conftest import page, signed_out_now

    staff = page("app.py", username="demo_staff").run()
    assert not signed_out_now(staff)
    engine = own_demo_env
    with Session(engine) as session:
        user_id = session.execute(select(User.id).where(User.username == "demo_staff")).scalar_one()
    app = run_page("app_pages/users.py")
    app.selectbox(key="users_pick").set_value(user_id).run()
    app.selectbox(key=f"users_role_{user_id}").set_value("president").run()
    app.button(key="users_change_role").click().run()
    assert not app.exception and not app.error, [e.value for e in app.error]
    with Session(engine) as session:
        user = session.get(User, user_id)
        role, staff_id = user.role, user.staff_id
    assert role == "president" and staff_id is not None
    staff.run()
    assert signed_out_now(staff), "a role change ends the user's sessions"
