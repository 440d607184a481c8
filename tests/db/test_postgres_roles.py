"""Least privilege on PostgreSQL: `deploy/postgres-roles.sql` gives the owner the schema and the app's role rows
only. Migrations run as the owner; imports, sign-ins and pages run as the app's role; the app's role cannot create,
alter or drop a table."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from models.auth import authenticate, create_account
from models.db import make_engine
from models.importing import commit
from models.migrations import migrate, schema_status
from tests.conftest import POSTGRES_URL, require_backend
from tests.pages.conftest import PROJECT_ROOT, TIMEOUT, sign_in

ROLES_SQL = PROJECT_ROOT / "deploy" / "postgres-roles.sql"


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def _url_as(role: str) -> str:
    return make_url(POSTGRES_URL).set(username=role, password=None).render_as_string(hide_password=False)


@pytest.fixture
def two_roles():
    """A schema with an owner and an app role, made by the operator's script (psql, as in the README)."""
    require_backend("postgresql")
    suffix = uuid.uuid4().hex[:10]
    owner, app, schema = f"t_owner_{suffix}", f"t_app_{suffix}", f"t_roles_{suffix}"
    libpq = make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(["psql", "--quiet", "--no-psqlrc", "-d", libpq, "-v", f"owner={owner}", "-v", f"app={app}",
                    "-v", f"schema={schema}", "-f", str(ROLES_SQL)], check=True, capture_output=True, text=True)
    yield {"owner": owner, "app": app, "schema": schema}
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        for role in (app, owner):
            conn.execute(text(f'DROP OWNED BY "{role}" CASCADE'))
            conn.execute(text(f'DROP ROLE "{role}"'))
    admin.dispose()


def test_the_owner_migrates_and_the_app_role_only_reads_and_writes_rows(two_roles, monkeypatch):
    owner_engine = make_engine(_url_as(two_roles["owner"]))
    migrate(owner_engine)
    assert schema_status(owner_engine).at_head
    owner_engine.dispose()

    app_engine = make_engine(_url_as(two_roles["app"]))
    assert schema_status(app_engine).at_head  # the app role reads the version table
    files = [
        ("region", _csv("片区代码,片区名称", "R01,城区片区")),
        ("branch", _csv("网点代码,网点名称,层级,上级网点代码,片区代码", "HO,总行,总行,,", "B1,一分行,分行,HO,R01",
                        "B1-01,一支行,支行,B1,R01")),
        ("official_account", _csv("原始ID,公众号名称,网点代码", "gh_b101,一支行服务号,B1-01")),
        ("follower_daily", _csv("时间,新关注人数,取消关注人数,净增关注人数,累积关注人数,公众号",
                                "2026-01-01,10,2,8,108,gh_b101", "2026-01-02,5,0,5,113,gh_b101")),
    ]
    for kind, data in files:  # the import pipeline: rows, rollup refresh, audit, data version
        with Session(app_engine) as session:
            result = commit(kind, data, f"{kind}.csv", session, "admin")
        assert result.committed, (kind, result.preview.refusal)
    with Session(app_engine) as session:
        create_account(session, "ops", "hq_admin", "a-long-passphrase-42", "admin")
        assert authenticate(session, "hq_admin", "a-long-passphrase-42").user_id is not None

    with app_engine.connect() as conn:
        for statement in ("DROP TABLE followerdaily", "ALTER TABLE branch ADD COLUMN sneaky integer",
                          "CREATE TABLE sneaky (id integer)", "TRUNCATE auditlog"):
            with pytest.raises(ProgrammingError, match="permission denied|must be owner"), conn.begin():
                conn.exec_driver_sql(statement)
        assert conn.execute(text("SELECT count(*) FROM followerdaily")).scalar() == 2
    app_engine.dispose()

    monkeypatch.setenv("DATABASE_URL", _url_as(two_roles["app"]))
    monkeypatch.chdir(PROJECT_ROOT)
    page = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    sign_in(page, "hq_admin", "a-long-passphrase-42")
    assert not page.exception and not page.error, (page.exception, [e.value for e in page.error])
    assert page.metric, "the overview answers as the app role"


def test_the_roles_script_is_the_one_the_readme_shows():
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "deploy/postgres-roles.sql" in readme
    assert Path(ROLES_SQL).read_text(encoding="utf-8").count("GRANT SELECT, INSERT, UPDATE, DELETE") == 2
