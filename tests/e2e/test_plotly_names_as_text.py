"""In Chromium, with Streamlit's own plotly.js and with the plotly.js the HTML meeting brief inlines: a name
from the data that carries HTML shows as the text it is in axis labels, hover labels, annotations, legends
and node labels, and no link to evil.example exists inside a chart (a raw name, the control, is one)."""

from __future__ import annotations

import pytest

from components.brief import BriefFigure, meeting_brief_html
from tests.e2e.conftest import ARTIFACTS, SCRIPT_IDLE, serve_probe
from tests.e2e.plotly_probe_figures import LINK, NAMES, probe_figures

pytestmark = pytest.mark.e2e
CHART = ".js-plotly-plot"
# every element inside a chart's SVG that links anywhere, with where it points
LINKS = """root => [...root.querySelectorAll('svg a, svg [href], svg [*|href]')]
    .map(e => e.getAttribute('href') || e.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '')"""
BOLD_NAMES = """root => [...root.querySelectorAll('svg tspan')]
    .filter(e => (e.getAttribute('style') || '').includes('bold') && e.textContent === '粗').length"""


@pytest.fixture(scope="module")
def probe_url(chromium_path):
    yield from serve_probe("tests/e2e/plotly_probe_app.py", "plotly-probe")


def chart_texts(chart, selector: str) -> list[str]:
    return [text.strip() for text in chart.locator(selector).all_text_contents()]


def assert_names_shown_as_typed(charts, hover_shot: str) -> None:
    """`charts`: the five probe figures in order (ranking, attainment, leaderboard, follower curve, network);
    the attainment chart's hover label is photographed as `hover_shot`."""
    ranking, attainment, leaderboard, curve, network = (charts.nth(i) for i in range(5))
    assert sorted(chart_texts(ranking, ".ytick text")) == sorted(NAMES)
    assert sorted(chart_texts(attainment, ".ytick text")) == sorted(NAMES)
    assert sorted(chart_texts(leaderboard, ".ytick text")) == sorted(f"{r}. {n}" for r, n in enumerate(NAMES, 1))
    assert f"{LINK} +82" in chart_texts(curve, ".annotation-text")
    assert LINK in chart_texts(network, ".legendtext")
    assert {f"{n}·村主任" for n in (NAMES[0], NAMES[1], NAMES[3])} <= set(chart_texts(network, ".textpoint text"))
    attainment.scroll_into_view_if_needed()
    # the bar on the linked name's row (bars are drawn sorted by value, so find the row by its tick)
    ticks = attainment.locator(".ytick text")
    row = ticks.nth(chart_texts(attainment, ".ytick text").index(LINK)).bounding_box()
    bar = attainment.locator(".bars .point path").first.bounding_box()
    attainment.page.mouse.move(bar["x"] + 5, row["y"] + row["height"] / 2, steps=5)
    hover = attainment.locator(".hoverlayer")
    hover.locator("text").first.wait_for(timeout=10_000)
    assert LINK in hover.text_content()
    assert hover.evaluate(LINKS) == [] and hover.evaluate(BOLD_NAMES) == 0
    attainment.screenshot(path=str(ARTIFACTS / f"{hover_shot}.png"))


def test_streamlit_charts_show_hostile_names_as_text(tab, probe_url):
    tab.set_viewport_size({"width": 1400, "height": 3400})  # Streamlit scrolls inside the page: show it all
    tab.goto(probe_url)
    tab.wait_for_selector(f".st-key-probe {CHART} .main-svg", timeout=60_000)
    tab.wait_for_function(SCRIPT_IDLE, timeout=90_000)
    tab.wait_for_timeout(1500)
    control = tab.locator(".st-key-control")
    assert any("evil.example" in href for href in control.evaluate(LINKS)), "the raw control is a link"
    probe = tab.locator(".st-key-probe")
    charts = probe.locator(CHART)
    assert charts.count() == 5
    assert probe.evaluate(LINKS) == []
    assert probe.evaluate(BOLD_NAMES) == 0
    assert probe.locator("svg img, svg image[href*='x']").count() == 0
    tab.screenshot(path=str(ARTIFACTS / "plotly-names-as-text.png"), full_page=True)
    assert_names_shown_as_typed(charts, "plotly-names-as-text-hover")


def test_meeting_brief_charts_show_hostile_names_as_text(tab, tmp_path):
    figures = [BriefFigure(title, figure) for title, figure in probe_figures()]
    page = tmp_path / "brief.html"
    page.write_text(meeting_brief_html("zh", "晨会简报", "", [], [], [], figures), encoding="utf-8")
    tab.goto(page.as_uri())
    tab.wait_for_selector(f"{CHART} .main-svg", timeout=60_000)
    tab.wait_for_timeout(1000)
    body = tab.locator("body")
    assert body.evaluate(LINKS) == []
    assert body.evaluate(BOLD_NAMES) == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / "plotly-brief-names-as-text.png"), full_page=True)
    assert_names_shown_as_typed(tab.locator(CHART), "plotly-brief-names-as-text-hover")
