"""The import page: admins only, a check before the import, rejected rows shown with row and reason,
and a follower file that shows up on the follower page at once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from streamlit.runtime.media_file_manager import MediaFileManager

from tests.import_corpus.make_corpus import HERE
from tests.pages.conftest import PROJECT_ROOT, page, run_page

IMPORTS = "app_pages/imports.py"
FOLLOWERS = "app_pages/followers.py"


@pytest.fixture
def private_demo(monkeypatch, demo_sqlite_url, tmp_path) -> str:
    """A copy of the seeded demo file: these tests write to it, the shared one stays as it is."""
    source = Path(demo_sqlite_url.removeprefix("sqlite:///"))
    target = tmp_path / "demo_copy.db"
    shutil.copy(source, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.chdir(PROJECT_ROOT)
    return url


def upload(app, name: str, account_name: str | None = None):
    if account_name:
        box = next(s for s in app.selectbox if s.key == "import_account")
        box.select_index(next(i for i, o in enumerate(box.options) if account_name in str(o))).run()
    uploader = app.get("file_uploader")[0]
    uploader.set_value((name, (HERE / name).read_bytes(), "text/csv")).run()
    assert not app.exception, app.exception
    return app


def metric(app, label: str) -> str:
    return next(m.value for m in app.metric if m.label == label)


def select_story_branch(app) -> None:
    box = next(s for s in app.selectbox if s.label == "网点")
    box.select_index(next(i for i, o in enumerate(box.options) if "月河社区" in o)).run()
    assert not app.exception


def test_a_follower_import_shows_on_the_follower_page_at_once(private_demo):
    app = run_page(FOLLOWERS)
    select_story_branch(app)
    before = metric(app, "累计关注")
    app.switch_page(str(PROJECT_ROOT / IMPORTS)).run()
    assert "数据导入" in [t.value for t in app.title]
    upload(app, "followers_utf8.csv", "月河社区支行服务号")
    assert metric(app, "新增") == "7" and metric(app, "拒绝") == "0"
    next(b for b in app.button if b.key == "import_commit").click().run()
    assert not app.exception, app.exception
    assert any("已导入" in s.value for s in app.success)
    app.switch_page(str(PROJECT_ROOT / FOLLOWERS)).run()
    select_story_branch(app)
    assert metric(app, "累计关注") == "33,479" != before
    with create_engine(private_demo).connect() as conn:
        detail = conn.execute(text("SELECT detail FROM auditlog WHERE action = 'import' ORDER BY id DESC")).scalar()
    assert "followers_utf8.csv" in detail and "new=7" in detail


def test_rejected_rows_are_listed_with_row_column_and_reason_and_nothing_is_imported(private_demo):
    app = run_page(IMPORTS)
    upload(app, "bad_net.csv", "月河社区支行服务号")
    assert metric(app, "拒绝") == "1"
    rejects = next(d.value for d in app.dataframe if "行号" in d.value.columns)
    assert 3 in rejects["行号"].tolist() and "净增关注人数" in rejects["列"].tolist()
    assert not [b for b in app.button if b.key == "import_commit"], "no import button for a rejected file"


def test_a_file_that_is_not_a_table_is_refused_in_plain_words(private_demo):
    app = run_page(IMPORTS)
    upload(app, "bad_image_renamed.xlsx", "月河社区支行服务号")
    assert any("PNG 图片" in e.value for e in app.error)


def test_english_and_every_kind_offers_a_template(private_demo):
    test = page(IMPORTS)
    test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception
    kinds = next(s for s in app.selectbox if s.key == "import_kind")
    assert "Official-account daily followers" in kinds.options
    for index, label in enumerate(kinds.options):
        next(s for s in app.selectbox if s.key == "import_kind").select_index(index).run()
        assert not app.exception, label
        assert any(b.label == "Download template" for b in app.get("download_button")), label


def test_only_admins_may_import(private_demo):
    test = page("app.py", "demo_president")
    app = test.run()
    assert not app.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app.switch_page(str(PROJECT_ROOT / IMPORTS))


def test_every_download_is_written_to_the_audit_log(private_demo, monkeypatch):
    """The file's builder, as Streamlit registers it for the button and calls it when the browser asks,
    writes who took the file; drawing the page alone writes nothing."""
    registered: dict[str, object] = {}
    real_add = MediaFileManager.add_deferred

    def spy(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        registered[file_name] = data_callable
        return real_add(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)

    monkeypatch.setattr(MediaFileManager, "add_deferred", spy)
    app = run_page(FOLLOWERS, "demo_president")
    assert not app.exception
    button = next(b for b in app.get("download_button") if b.label == "下载 CSV")
    assert button.proto.deferred_file_id   # built on the click, not on every run
    csv_name = next(name for name in registered if name and name.endswith(".csv"))
    count = "SELECT count(*) FROM auditlog WHERE action = 'export'"
    with create_engine(private_demo).connect() as conn:
        before = conn.execute(text(count)).scalar_one()
    data = registered[csv_name]()
    assert data.startswith(b"\xef\xbb\xbf")
    with create_engine(private_demo).connect() as conn:
        assert conn.execute(text(count)).scalar_one() == before + 1
        row = conn.execute(text("SELECT username, detail FROM auditlog WHERE action = 'export' ORDER BY id DESC")).first()
    assert row[0] == "demo_president" and row[1].startswith(csv_name + " rows=")
    assert int(row[1].rsplit("rows=", 1)[1]) > 0