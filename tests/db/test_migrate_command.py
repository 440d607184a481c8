"""`manage.py migrate`, `seed`, `reset` and `downgrade` bring a database where the operator wants it;
other commands refuse a database behind head and name the command to run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text

from manage import main
from models.db import make_engine
from models.migrations import AT_HEAD, BEHIND, EMPTY, MIGRATE_COMMAND, UNVERSIONED, schema_status

LEGACY_FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_create_all.db"


@pytest.fixture
def legacy_url(monkeypatch, tmp_path) -> str:
    """DATABASE_URL on a copy of the database made before migrations (SQLite)."""
    copy = tmp_path / "legacy.db"
    shutil.copyfile(LEGACY_FIXTURE, copy)
    url = f"sqlite:///{copy}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def _state(url: str) -> str:
    engine = make_engine(url)
    try:
        return schema_status(engine).state
    finally:
        engine.dispose()


def test_migrate_brings_a_database_made_before_migrations_to_head(legacy_url, capsys):
    assert main(["migrate", "--status"]) == 1
    assert main(["migrate"]) == 0
    assert "unversioned" in capsys.readouterr().out
    assert _state(legacy_url) == AT_HEAD
    assert main(["migrate", "--status"]) == 0
    assert main(["migrate"]) == 0
    assert "already" in capsys.readouterr().out


def test_other_commands_refuse_a_database_behind_head(legacy_url, capsys):
    assert main(["info"]) == 3
    assert MIGRATE_COMMAND in capsys.readouterr().err
    assert _state(legacy_url) == UNVERSIONED, "a read command never migrates on its own"


def test_seed_migrates_first(legacy_url, capsys):
    assert main(["seed", "--if-empty"]) == 0
    assert "not seeding" in capsys.readouterr().out
    assert _state(legacy_url) == AT_HEAD


def test_reset_leaves_an_empty_database_at_head(legacy_url):
    assert main(["reset", "--yes"]) == 0
    assert _state(legacy_url) == AT_HEAD
    engine = make_engine(legacy_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM branch")).scalar() == 0
    engine.dispose()


def test_downgrade_one_step_then_migrate_again(legacy_url):
    assert main(["migrate"]) == 0
    assert main(["downgrade", "-1", "--yes"]) == 0
    assert _state(legacy_url) in (EMPTY, BEHIND)
    assert main(["migrate"]) == 0
    assert _state(legacy_url) == AT_HEAD
