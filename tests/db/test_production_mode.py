"""Production mode: the server refuses to start while demo accounts, placeholder secrets or an old schema stand,
each refusal says what to do, and `manage.py check` lists the same problems."""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session

from models.auth import demo_accounts, remove_demo_accounts
from models.db import make_engine
from models.migrations import downgrade
from models.readiness import production_problems, secret_problems
from models.settings import Settings
from tests.pages.conftest import PROJECT_ROOT

GOOD_SECRET = secrets.token_urlsafe(48)
GOOD_KEY = base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


@pytest.fixture
def demo_copy(demo_sqlite_url, tmp_path) -> str:
    source = Path(demo_sqlite_url.removeprefix("sqlite:///"))
    target = tmp_path / "prod.db"
    shutil.copyfile(source, target)
    return f"sqlite:///{target}"


def test_a_secret_must_be_set_random_long_and_not_the_development_file(tmp_path):
    development = tmp_path / "session_secret"
    development.write_text("dev-" + GOOD_SECRET)
    assert "not set" in str(secret_problems("COCKPIT_SESSION_SECRET", "", development)[0])
    assert "placeholder" in str(secret_problems("COCKPIT_SESSION_SECRET", "change-me", development)[0])
    assert "placeholder" in str(secret_problems("COCKPIT_SESSION_SECRET", "ab" * 20, development)[0])
    assert "too short" in str(secret_problems("COCKPIT_SESSION_SECRET", "Zq8#kP2!xR5@", development)[0])
    assert "development" in str(secret_problems("COCKPIT_SESSION_SECRET", "dev-" + GOOD_SECRET, development)[0])
    assert secret_problems("COCKPIT_SESSION_SECRET", GOOD_SECRET, development) == []
    problem = str(secret_problems("COCKPIT_SESSION_SECRET", "change-me", development)[0])
    assert "change-me" not in problem, "a refusal never shows the secret's value"


def test_demo_accounts_and_an_old_schema_are_refused_with_what_to_do(demo_copy):
    engine = make_engine(demo_copy)
    ready = Settings(session_secret=GOOD_SECRET, secrets_key=GOOD_KEY, production=True)
    assert "COCKPIT_SECRETS_KEY" in str(production_problems(engine, Settings(session_secret=GOOD_SECRET))[0])
    problems = [str(p) for p in production_problems(engine, ready)]
    assert len(problems) == 1 and "demo account" in problems[0] and "remove-demo-accounts" in problems[0]

    with Session(engine) as session:
        removed = remove_demo_accounts(session, "ops")
        assert removed and not demo_accounts(session)
    assert production_problems(engine, ready) == []

    downgrade(engine, "0001_baseline")
    problems = [str(p) for p in production_problems(engine, ready)]
    assert len(problems) == 1 and "python manage.py migrate" in problems[0]
    engine.dispose()


def _environment(url: str, secret: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "COCKPIT_ENV": "production", "COCKPIT_SESSION_SECRET": secret,
            "COCKPIT_SECRETS_KEY": GOOD_KEY}


def test_the_server_refuses_to_start_and_check_agrees(demo_copy):
    environment = _environment(demo_copy, GOOD_SECRET)
    server = subprocess.run(
        [sys.executable, "-m", "streamlit", "run", "serve.py", "--server.headless", "true", "--server.port", "8597"],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False)
    assert server.returncode != 0
    assert "refuses to start" in server.stderr and "remove-demo-accounts" in server.stderr
    assert GOOD_SECRET not in server.stderr + server.stdout

    manage = [sys.executable, "manage.py"]
    check = subprocess.run([*manage, "check"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True,
                           timeout=120, check=False)
    assert check.returncode == 1 and "demo account" in check.stderr
    subprocess.run([*manage, "remove-demo-accounts"], cwd=PROJECT_ROOT, env=environment, check=True,
                   capture_output=True, timeout=120)
    check = subprocess.run([*manage, "check"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True,
                           timeout=120, check=False)
    assert check.returncode == 0, check.stderr
    placeholder = subprocess.run([*manage, "check"], cwd=PROJECT_ROOT, env=_environment(demo_copy, "x" * 40),
                                 capture_output=True, text=True, timeout=120, check=False)
    assert placeholder.returncode == 1 and "placeholder" in placeholder.stderr
