"""In a real browser: a county village's network shows its key persons at a glance."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from models.db import make_engine
from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def _county_village(database_url: str) -> tuple[int, int, int]:
    """A county branch's first village: (branch id, village id, residents)."""
    engine = make_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT v.branch_id, v.id, (SELECT COUNT(*) FROM customer c WHERE c.village_id = v.id) FROM village v "
            "JOIN branch b ON b.id = v.branch_id WHERE b.kind = 'county' ORDER BY b.code, v.id")).first()
    engine.dispose()
    return int(row[0]), int(row[1]), int(row[2])


def test_village_graph_marks_the_key_persons(tab, app_url, e2e_database_url):
    branch_id, village_id, residents = _county_village(e2e_database_url)
    tab.goto(app_url)
    wait_for_app(tab, signed_in=False)
    tab.get_by_role("button", name="以「总行管理员」身份进入").first.click()
    wait_for_app(tab)
    tab.get_by_role("link", name="客户关系网络").click()
    wait_for_app(tab)
    box = tab.locator("[data-testid='stSidebar'] [data-testid='stSelectbox']").filter(has_text="网点")
    box.click()
    tab.get_by_role("option", name="王江泾支行").click()
    wait_for_app(tab)
    tab.locator("[data-testid='stSidebar'] [data-testid='stRadio']").filter(has_text="查看范围").get_by_text(
        "村/社区").click()
    wait_for_app(tab)
    tab.wait_for_selector("text=关键人物及其覆盖", timeout=60_000)
    body = tab.inner_text("body")
    assert "Traceback" not in body
    assert f"共 {residents:,} 人" in body and "关键人物及其覆盖" in body
    chart_text = tab.locator("[data-testid='stPlotlyChart']").first.inner_text()
    assert "村主任" in chart_text or "包工头" in chart_text
    path = screenshot(tab, "graph_village")
    assert path.stat().st_size > 50_000
