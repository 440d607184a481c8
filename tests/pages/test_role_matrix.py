"""Every page, every demo role: renders without an exception and shows nothing outside the scope."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.pages.conftest import PROJECT_ROOT, run_page

ADMIN_ONLY = {"audit.py", "users.py", "imports.py", "connections.py"}
REVIEWERS_ONLY = {"rules.py"}  # head office and presidents (tests/pages/test_rules_page.py)
PAGES = sorted(p.name for p in (PROJECT_ROOT / "app_pages").glob("*.py") if p.name not in ADMIN_ONLY)
OTHER_BRANCHES = ["南湖支行", "秀洲支行", "城东社区支行", "王江泾支行", "七星社区支行"]


def _visible_text(app) -> str:
    parts = [str(frame.value.to_dict()) for frame in app.dataframe]
    parts += [m.value for m in app.markdown] + [str(m.value) for m in app.metric]
    parts += [w.value for w in app.warning] + [s.value for s in app.subheader]
    parts += [str(s.options) for s in app.selectbox]
    return "\n".join(parts)


@pytest.mark.parametrize("page_file", PAGES)
@pytest.mark.parametrize("username", ["demo_admin", "demo_city", "demo_president", "demo_staff", "demo_viewer"])
def test_page_renders_for_every_role(demo_env, page_file, username):
    if page_file in REVIEWERS_ONLY and username in ("demo_staff", "demo_viewer"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            run_page(f"app_pages/{page_file}", username=username)
        return
    app = run_page(f"app_pages/{page_file}", username=username)
    assert not app.error or all("无权" not in e.value for e in app.error)


@pytest.mark.parametrize("page_file", PAGES)
@pytest.mark.parametrize("username", ["demo_president", "demo_staff"])
def test_branch_roles_never_see_other_branches(demo_env, page_file, username):
    if page_file in REVIEWERS_ONLY and username == "demo_staff":
        return  # not registered for staff (test_page_renders_for_every_role)
    text = _visible_text(run_page(f"app_pages/{page_file}", username=username))
    assert "月河社区支行" in text or page_file == "overview.py"
    leaked = [name for name in OTHER_BRANCHES if name in text]
    assert not leaked, f"{page_file} shows {leaked} to {username}"


def test_admin_pages_are_not_registered_for_other_roles(demo_env):
    for username in ("demo_city", "demo_president", "demo_staff", "demo_viewer"):
        for page_file in ADMIN_ONLY:
            if not (Path(PROJECT_ROOT) / "app_pages" / page_file).exists():
                continue
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                run_page(f"app_pages/{page_file}", username=username)


def test_viewer_sees_masked_phones_only(demo_env):
    app = run_page("app_pages/campaign.py", username="demo_viewer")
    phones = [v for frame in app.dataframe for column in frame.value.columns if "电话" in str(column)
              for v in frame.value[column]]
    assert phones, "the visit list shows a phone column"
    assert all("****" in str(v) for v in phones if v)
