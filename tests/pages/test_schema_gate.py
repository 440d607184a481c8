"""The app refuses a database behind head with a message that names the command, not a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from streamlit.testing.v1 import AppTest

from models.db import make_engine
from models.migrations import MIGRATE_COMMAND, alembic_config, migrate
from tests.pages.conftest import PROJECT_ROOT, TIMEOUT, signed_out_now

LEGACY_FIXTURE = PROJECT_ROOT / "tests" / "fixtures" / "legacy_create_all.db"


def _older_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config())
    return script.get_revision(script.get_current_head()).down_revision


@pytest.mark.parametrize("state", ["made-before-migrations", "at-an-older-revision"])
def test_app_refuses_a_database_behind_head_and_names_the_command(state, monkeypatch, tmp_path: Path):
    copy = tmp_path / "legacy.db"
    shutil.copyfile(LEGACY_FIXTURE, copy)
    engine = make_engine(f"sqlite:///{copy}")
    if state == "at-an-older-revision":
        if _older_revision() is None:
            pytest.skip("only the baseline exists: no older revision to stand at")
        migrate(engine, _older_revision())
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    monkeypatch.chdir(PROJECT_ROOT)

    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not app.exception, app.exception
    errors = [e.value for e in app.error]
    assert len(errors) == 1 and MIGRATE_COMMAND in errors[0], errors
    assert errors[0].startswith("数据库结构与本程序版本不一致"), "in the visitor's language (Chinese by default)"
    assert "0001" not in errors[0] and "0002" not in errors[0], "revisions are for the operator's log"
    assert not signed_out_now(app), "no login form on a database the pages cannot read"

    migrate(engine)
    engine.dispose()
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=TIMEOUT).run()
    assert not app.exception, app.exception
    assert not app.error
    assert signed_out_now(app), "after the migration the login page opens"
