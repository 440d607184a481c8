"""In Chromium, Streamlit 1.67's own renderer: an escaped name shows as the text it is, in every element that
renders Markdown (markdown, caption, alert, heading, metric label / value, expander, tab, button, radio).
Whatever the page-level test cannot see (what the frontend makes of the source) is checked here."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import SCRIPT_IDLE, serve_probe
from tests.e2e.markdown_probe_app import NAMES

pytestmark = pytest.mark.e2e
# what a name must not become (headings' own "#..." anchors are Streamlit's, in-page)
MARKUP = ("a[href*='evil']:not([href^='#'])", "img[src*='evil']", ".katex", ".stMarkdownColoredText", "strong", "del",
          "code", "h1", "li", "blockquote", "[role='img'][aria-label='home icon']", "img[alt='Streamlit logo']")


@pytest.fixture(scope="module")
def probe_url(chromium_path):
    yield from serve_probe("tests/e2e/markdown_probe_app.py", "markdown-probe")


def test_escaped_names_render_as_their_own_text(tab, probe_url):
    tab.goto(probe_url)
    tab.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    tab.wait_for_function(SCRIPT_IDLE, timeout=90_000)
    tab.wait_for_timeout(1500)
    assert tab.locator("[data-testid='stMarkdownContainer'] a[href*='evil']").count() >= 1, "the raw control is a link"
    probe = tab.locator(".st-key-probe")
    found = {selector: probe.locator(selector).count() for selector in MARKUP}
    assert not any(found.values()), {selector: n for selector, n in found.items() if n}
    shown = probe.inner_text().replace("\u2060", "")
    missing = [name for name in NAMES if name.lstrip("#-> ").strip() not in shown]
    assert not missing, missing
