"""Production readiness: what must be true before the app serves a bank's staff (`COCKPIT_ENV=production`).

`serve.py` refuses to start and `python manage.py check` exits 1 while any of these holds; each problem says what
to do, and none shows a secret's value:
- an active demo account exists (one-click sign-in for anyone who opens the page);
- a secret is missing, too short, a known placeholder, or the development file's value copied into production;
- the database schema is behind (or ahead of) this code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.auth import demo_accounts
from models.db import DatabaseUnavailable, check_connection
from models.migrations import MIGRATE_COMMAND, not_at_head_message, schema_status
from models.settings import MIN_SECRET_LENGTH, SECRET_FILE, SECRETS_KEY_FILE, Settings

PLACEHOLDER_SECRETS = frozenset({
    "change-me", "changeme", "change-me-to-a-long-random-string", "secret", "please-change-this-secret",
    "replace-with-at-least-32-random-characters", "x" * 32, "0" * 32,
})
"""Values that appear in examples and templates: a production secret equal to one is no secret."""


@dataclass(frozen=True)
class Problem:
    what: str
    fix: str

    def __str__(self) -> str:
        return f"{self.what} → {self.fix}"


def _file_value(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def secret_problems(name: str, value: str, development_file: Path) -> list[Problem]:
    """A production secret must be set, long, not a placeholder, and not the development install's file."""
    if not value:
        return [Problem(f"{name} 未设置 / {name} is not set",
                        f"在环境或 secrets.toml 中设置 {name} / set {name} in the environment or secrets.toml")]
    if value.lower() in PLACEHOLDER_SECRETS or len(set(value)) < 8:
        return [Problem(f"{name} 是示例值 / {name} is a placeholder value",
                        "换成随机值：python -c 'import secrets; print(secrets.token_urlsafe(48))' / use a random value")]
    if len(value) < MIN_SECRET_LENGTH and name.endswith("SESSION_SECRET"):
        return [Problem(f"{name} 太短 / {name} is too short",
                        f"至少 {MIN_SECRET_LENGTH} 个字符 / use at least {MIN_SECRET_LENGTH} characters")]
    if value == _file_value(development_file):
        return [Problem(f"{name} 与开发环境自动生成的值相同 / {name} equals the development install's generated value",
                        f"生成新值并删除 {development_file} / generate a new value and delete {development_file}")]
    return []


def production_problems(engine: Engine, current: Settings,
                        extra_checks: tuple[Callable[[Settings], list[Problem]], ...] = ()) -> list[Problem]:
    """Everything that stands between this install and serving the bank, in the order to fix it."""
    problems = secret_problems("COCKPIT_SESSION_SECRET", current.session_secret, SECRET_FILE)
    problems += secret_problems("COCKPIT_SECRETS_KEY", current.secrets_key, SECRETS_KEY_FILE)
    for check in extra_checks:
        problems += check(current)
    try:
        check_connection(engine)
    except DatabaseUnavailable as exc:
        return [*problems, Problem(f"数据库无法连接 / the database cannot be reached ({exc})",
                                   "检查 DATABASE_URL 与数据库服务 / check DATABASE_URL and the database server")]
    status = schema_status(engine)
    if not status.at_head:
        problems.append(Problem(not_at_head_message(status), f"用属主角色运行 `{MIGRATE_COMMAND}` / run "
                                                             f"`{MIGRATE_COMMAND}` as the owner role"))
        return problems
    with Session(engine) as session:
        demo = demo_accounts(session)
    if demo:
        names = ", ".join(user.username for user in demo[:5])
        problems.append(Problem(f"存在 {len(demo)} 个演示账号（{names}）/ {len(demo)} demo account(s) exist ({names})",
                                "运行 python manage.py remove-demo-accounts / run "
                                "`python manage.py remove-demo-accounts`"))
    return problems
