"""Every data page shows how fresh its figures are, in both languages, and says calmly when a daily source is
behind (the demo data end on 2026-11-22, so today every such source is behind)."""

from __future__ import annotations

import pytest

from components.freshness import FRESHNESS_ICON
from tests.pages.conftest import page

DATA_PAGES = ["app.py", "app_pages/followers.py", "app_pages/groups.py", "app_pages/campaign.py",
              "app_pages/referrals.py", "app_pages/graph.py", "app_pages/imports.py"]
DAILY = {"app.py": True, "app_pages/followers.py": True, "app_pages/groups.py": True,
         "app_pages/campaign.py": False, "app_pages/referrals.py": False, "app_pages/graph.py": True,
         "app_pages/imports.py": True}
WORDS = {"zh": ("数据截至 ", "生成（演示数据）", "已落后"), "en": ("Data up to ", "seeded (demo data)", "days behind")}


def freshness_captions(app) -> list[str]:
    return [str(c.value) for c in app.caption if str(c.value).startswith(FRESHNESS_ICON)]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path", DATA_PAGES)
def test_every_data_page_shows_its_freshness(demo_env, path, language):
    test = page(path)
    test.session_state["ui_language"] = language
    app = test.run()
    assert not app.exception, app.exception
    lines = freshness_captions(app)
    assert len(lines) == 1, lines
    line = lines[0]
    data_up_to, seeded, behind = WORDS[language]
    assert data_up_to in line and seeded in line, line
    if DAILY[path]:  # a daily source stopped on 2026-11-22: one orange note on the same line
        assert behind in line and ":orange[" in line and "2026-11-22" in line, line
        assert not [w for w in app.warning if behind in str(w.value)], "the note is a line, not a warning box"
    else:  # campaign deposits and referrals need not have every day: never called behind
        assert behind not in line, line


def test_branch_president_sees_the_line_for_their_scope(demo_env):
    app = page("app_pages/followers.py", "demo_president").run()
    assert not app.exception, app.exception
    assert any("数据截至 2026-11-22" in line or "Data up to 2026-11-22" in line for line in freshness_captions(app))
