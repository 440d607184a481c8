"""Names from the data never become chart markup: every page's charts carry hostile names escaped.

Every customer, staff member, branch, region, group, village, event and campaign of a demo database gets
an HTML prefix (a link, bold, an image); Plotly.js would render the first two as markup. Every chart on
every page (and on the projector) must hold no such tag, and the pages that chart names must show at
least one of them escaped (else the check would prove nothing)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components.figures.text import plain_label
from tests.pages.conftest import PROJECT_ROOT, demo_with_hostile_names, open_tab, signed_in_app

HOSTILE = ['<a href="http://evil.example">点我</a>', "<b>粗</b>", "<img src=x onerror=alert(1)>"]
RENAMED_TABLES = ["customer", "staff", "branch", "region", "socialgroup", "village", "marketingevent", "campaign",
                  "migrantcampaign", "townshipevent", "officialaccount"]
PAGES = ["overview", "followers", "groups", "campaign", "referrals", "graph"]
# the pages whose charts name someone: groups, villages, staff, customers on the story branch; branches
# on the overview over the whole bank (its best and worst, the same figures the projector and the brief show)
NAMING_PAGES = ["followers", "groups", "campaign", "referrals", "graph", "overview_whole_bank"]
# pages whose tabs run only when opened: every tab is opened in turn
LAZY_TABS = {"groups": "groups_section", "referrals": "ref_section"}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory) -> tuple[str, int]:
    """A demo database whose every name starts with one of the hostile texts (chosen by row id)."""
    return demo_with_hostile_names(tmp_path_factory.mktemp("hostile_charts") / "demo.db", HOSTILE, RENAMED_TABLES)


def chart_texts(app: AppTest) -> list[str]:
    """Every chart's figure as Plotly.js receives it (decoded: the JSON writes < and > as \\u003c, \\u003e)."""
    return [json.dumps(json.loads(chart.proto.spec), ensure_ascii=False) for chart in app.get("plotly_chart")]


def signed_in(url: str, branch: int | None, monkeypatch, username: str = "demo_president") -> AppTest:
    return signed_in_app(url, username, monkeypatch, branch)


def in_json(text: str) -> str:
    """`text` as it appears inside a JSON string (quotes backslashed)."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def open_pages(url: str, branch: int, monkeypatch) -> dict[str, list[str]]:
    """Sign the president in, open every page on `branch` (the graph in its person view) and the overview
    in meeting mode, then the admin's overview of the whole bank; return each page's chart texts."""
    app = signed_in(url, branch, monkeypatch)
    charts = {}
    for name in PAGES:
        app.switch_page(str(PROJECT_ROOT / "app_pages" / f"{name}.py")).run()
        assert not app.exception, (name, app.exception)
        charts[name] = chart_texts(app)
        if name in LAZY_TABS:
            for label in [tab.label for tab in app.tabs][1:]:
                charts[name] += chart_texts(open_tab(app, LAZY_TABS[name], label))
    app.query_params["meeting"] = "1"
    app.switch_page(str(PROJECT_ROOT / "app_pages" / "overview.py")).run()
    assert not app.exception, app.exception
    charts["meeting"] = chart_texts(app)
    app = signed_in(url, None, monkeypatch, username="demo_admin")
    app.session_state["overview_key_charts"] = True      # the key charts expander opened (drawn only then)
    app.switch_page(str(PROJECT_ROOT / "app_pages" / "overview.py")).run()
    assert not app.exception, app.exception
    charts["overview_whole_bank"] = chart_texts(app)
    return charts


def test_no_chart_renders_a_name_as_markup(hostile_db, monkeypatch):
    url, story = hostile_db
    charts = open_pages(url, story, monkeypatch)
    raw = {page: [h for h in HOSTILE if any(in_json(h) in text for text in texts)] for page, texts in charts.items()}
    assert not any(raw.values()), f"names reach a chart as markup: { {p: h for p, h in raw.items() if h} }"
    escaped = [in_json(plain_label(h)) for h in HOSTILE]
    silent = [page for page in NAMING_PAGES if not any(e in text for text in charts[page] for e in escaped)]
    assert not silent, f"no escaped name in the charts of {silent} (the check would be empty there)"
