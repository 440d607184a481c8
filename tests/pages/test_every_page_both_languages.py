"""Every page in Chinese and in English: no string key shown instead of text, and English screens carry
no Chinese in their own labels (names of branches and people are data and stay as they are)."""

from __future__ import annotations

import re

import pytest

from components.i18n import all_strings
from tests.pages.conftest import page

PAGES = ["app.py", "app_pages/followers.py", "app_pages/groups.py", "app_pages/campaign.py", "app_pages/fieldwork.py",
         "app_pages/tasks.py", "app_pages/targets.py", "app_pages/referrals.py", "app_pages/graph.py",
         "app_pages/imports.py", "app_pages/users.py", "app_pages/audit.py", "app_pages/connections.py",
         "app_pages/rules.py", "app_pages/customers.py"]
NAMESPACES = sorted({key.split(".")[0] for key in all_strings()})
KEY_PATTERN = re.compile(r"(?<![\w@./-])(?:" + "|".join(map(re.escape, NAMESPACES)) + r")\.[a-z0-9_]+(?:\.[a-z0-9_]+)*")
CJK = re.compile(r"[\u4e00-\u9fff]")
BILINGUAL_ON_PURPOSE = {"语言 / Language"}   # the language switch reads in both, so anyone can find it


def shown_texts(app) -> tuple[list[str], list[str]]:
    """(labels the app writes itself, everything else on screen)."""
    labels: list[str] = []
    for kind in ("title", "header", "subheader"):
        labels += [str(e.value) for e in getattr(app, kind)]
    for kind in ("button", "selectbox", "radio", "text_input", "toggle", "checkbox", "multiselect", "slider",
                 "date_input", "number_input", "tabs", "expander", "metric"):
        labels += [str(e.label) for e in getattr(app, kind) if getattr(e, "label", None)]
    other: list[str] = []
    for kind in ("caption", "markdown", "info", "warning", "error", "success"):
        other += [str(e.value) for e in getattr(app, kind)]
    other += [str(m.value) for m in app.metric]
    for frame in app.dataframe:
        other += [str(c) for c in frame.value.columns]
    for kind in ("selectbox", "radio"):
        for widget in getattr(app, kind):
            other += [str(o) for o in widget.options]
    return labels, other


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_page_shows_text_not_keys(demo_env, path, language):
    test = page(path)
    test.session_state["ui_language"] = language
    app = test.run()
    assert not app.exception, app.exception
    labels, other = shown_texts(app)
    assert labels, "the page drew its labels"
    keys = [match for text in labels + other for match in KEY_PATTERN.findall(text)]
    assert not keys, keys
    if language == "en":
        chinese = [text for text in labels if text not in BILINGUAL_ON_PURPOSE and CJK.search(text)]
        assert not chinese, chinese


def test_the_key_pattern_finds_a_key_left_on_screen():
    assert KEY_PATTERN.findall("净增 followers.col.net 人") == ["followers.col.net"]
    assert not KEY_PATTERN.findall("demo_admin@bank.example.cn app_pages/followers.py meeting-brief.html")
