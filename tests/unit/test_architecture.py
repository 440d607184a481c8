"""The layer contract (pyproject.toml, [tool.importlinter]) holds: data flows one way and production code
never imports the demo generator, the bench or the tests; pages, components and the data layer import downward
only; the data layer never imports streamlit. A broken contract prints the offending chain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_imports_keep_every_layer_contract():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


MODULE_LINE_LIMIT = 550
"""'About 500 lines at most': a module a reader can hold in mind. Past this, split it by sub-area."""


def test_every_production_module_stays_short_enough_to_read():
    too_long = {}
    for folder in ("models", "components", "app_pages"):
        for path in (ROOT / folder).rglob("*.py"):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MODULE_LINE_LIMIT:
                too_long[str(path.relative_to(ROOT))] = lines
    assert not too_long, f"split these by sub-area (limit {MODULE_LINE_LIMIT} lines): {too_long}"
