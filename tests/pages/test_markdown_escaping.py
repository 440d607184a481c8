"""Names from the data never become Markdown: every page, for every role, shows hostile names as text.

Every customer, staff member, branch, region, group, village, event and campaign of a demo database gets
a hostile prefix (a link, bold, HTML, a colour directive, LaTeX, a heading), so whatever a page names is
hostile. Every element that Streamlit renders as Markdown (markdown, captions, headings, alerts, toasts,
metric label / value / help, widget labels and help, radio and segmented-control options, expander and
tab labels) must carry the prefix only backslash-escaped, and each page must show at least one escaped
name (else the test would prove nothing). Select boxes and dataframes are plain text and not checked.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.conftest import PROJECT_ROOT, demo_with_hostile_names, open_tab, signed_in_app

J = "\u2060"  # WORD JOINER, invisible: after ":" it stops bare links and shortcodes found after parsing
# (hostile text, the same text as it must reach Markdown: every ASCII punctuation backslash-escaped)
HOSTILE = [
    ("恶[点我](http://evil.example)", rf"恶\[点我\]\(http\:{J}\/\/evil\.example\)"),
    ("**粗**", r"\*\*粗\*\*"),
    ("<b>x</b>", r"\<b\>x\<\/b\>"),
    (":red[x]", rf"\:{J}red\[x\]"),
    ("$x$", r"\$x\$"),
    ("# 标题", r"\# 标题"),
]
RENAMED_TABLES = ["customer", "staff", "branch", "region", "socialgroup", "village", "marketingevent", "campaign",
                  "migrantcampaign", "townshipevent", "hometownoffer", "officialaccount"]
PAGES = ["overview", "followers", "groups", "campaign", "referrals", "graph"]
ADMIN_PAGES = ["users", "imports", "audit"]  # the admin's only; checked, but they need not name anyone
USERS = ["demo_admin", "demo_president", "demo_staff", "demo_viewer"]
# pages whose tabs run only when opened: every tab is opened in turn
LAZY_TABS = {"groups": "groups_section", "referrals": "ref_section"}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> tuple[str, int]:
    """A demo database whose every name starts with one of the hostile texts (chosen by row id)."""
    return demo_with_hostile_names(tmp_path_factory.mktemp("hostile") / "demo.db", [raw for raw, _ in HOSTILE],
                                   RENAMED_TABLES)


def markdown_sources(app: AppTest) -> list[str]:
    """The Markdown source of every element on screen that Streamlit renders as Markdown."""
    found: list[str] = []
    for node in app._tree:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        if kind in ("markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                    "toast"):
            found.append(proto.body)
        if kind == "metric":
            found += [proto.label, proto.body, proto.delta, proto.help]
        elif kind in ("expandable", "tab"):
            found.append(node.label)
        elif hasattr(proto, "label") and isinstance(proto.label, str):
            found.append(proto.label)
            found.append(getattr(proto, "help", "") or "")
        if kind == "radio":
            found += list(proto.options)
        if kind == "button_group":
            found += list(node.options)
    return [text for text in found if text]


def unescaped(texts: list[str]) -> list[str]:
    """Texts that hold a hostile text outside its escaped form."""
    bad = []
    for text in texts:
        rest = text
        for _, escaped in HOSTILE:
            rest = rest.replace(escaped, "")
        if any(raw in rest for raw, _ in HOSTILE):
            bad.append(text)
    return bad


def shows_escaped(texts: list[str]) -> bool:
    return any(escaped in text for text in texts for _, escaped in HOSTILE)


def open_pages(url: str, branch: int | None, username: str, monkeypatch) -> dict[str, list[str]]:
    """Sign in once, open every page on `branch` (None: the whole scope; the graph in its person view),
    return their Markdown sources; the overview a second time in meeting mode (the projector)."""
    app = signed_in_app(url, username, monkeypatch, branch)
    sources = {}
    for name in PAGES + (ADMIN_PAGES if username == "demo_admin" else []):
        app.switch_page(str(PROJECT_ROOT / "app_pages" / f"{name}.py")).run()
        assert not app.exception, (name, app.exception)
        sources[name] = markdown_sources(app)
        if name in LAZY_TABS:
            for label in [tab.label for tab in app.tabs][1:]:
                sources[name] += markdown_sources(open_tab(app, LAZY_TABS[name], label))
    app.query_params["meeting"] = "1"
    app.switch_page(str(PROJECT_ROOT / "app_pages" / "overview.py")).run()
    assert not app.exception, app.exception
    sources["meeting"] = markdown_sources(app)
    return sources


@pytest.mark.parametrize("whole_scope", [False, True], ids=["story_branch", "whole_scope"])
@pytest.mark.parametrize("username", USERS)
def test_no_page_renders_a_name_as_markdown(hostile_db, username, whole_scope, monkeypatch):
    url, story = hostile_db
    sources = open_pages(url, None if whole_scope else story, username, monkeypatch)
    rendered = {page_name: unescaped(texts) for page_name, texts in sources.items() if unescaped(texts)}
    assert not rendered, f"{username}: names rendered as Markdown: {rendered}"
    # on one branch every page names it (and more); over the whole scope the names sit in tables, but the
    # overview's alerts and headlines still name branches, groups, villages, staff and customers
    must_name = ["overview"] if whole_scope else [*PAGES, "meeting"]
    silent = [page_name for page_name in must_name if not shows_escaped(sources[page_name])]
    assert not silent, f"{username}: no escaped name on {silent} (the check would be empty there)"


def test_the_hostile_names_reach_the_pages(hostile_db):
    """The renaming worked: the story branch's name starts with a hostile text."""
    url, story = hostile_db
    with sqlite3.connect(Path(url.removeprefix("sqlite:///"))) as conn:
        name = conn.execute("SELECT name FROM branch WHERE id = ?", (story,)).fetchone()[0]
    assert any(name.startswith(raw) for raw, _ in HOSTILE)
