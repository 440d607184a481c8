"""The database goes away while a user is signed in: a plain message (no traceback, no URL), the user stays signed
in, and the page comes back on the next run without a reload or a new sign-in (the outage message's own poll)."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.exc import OperationalError

import components.data as data
from tests.pages.conftest import page, signed_out_now

LOST = OperationalError("SELECT version FROM dataversion", {},
                        psycopg.OperationalError("server closed the connection unexpectedly"))


def _messages(app) -> list[str]:
    return [element.value for element in app.error]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_lost_database_shows_a_message_keeps_the_session_and_recovers(demo_env, monkeypatch, language):
    test = page("app_pages/followers.py", "demo_president")
    if language == "en":
        test.session_state["ui_language"] = "en"
    app = test.run()
    assert not app.exception and not signed_out_now(app)
    drawn_before = len(app.main)
    original = data.read_data_version

    def lost(_session):
        raise LOST

    monkeypatch.setattr(data, "read_data_version", lost)
    data.refresh_data_version()
    app.run()
    assert not app.exception, "a message, not a traceback"
    messages = _messages(app)
    expected = "The connection to the database was lost" if language == "en" else "与数据库的连接中断"
    assert len(messages) == 1 and messages[0].startswith(f"**{expected}"), messages
    assert "127.0.0.1" not in messages[0] and "SELECT" not in messages[0]
    assert not signed_out_now(app), "still signed in"

    monkeypatch.setattr(data, "read_data_version", original)   # the database is back: the poll reruns the page
    data.refresh_data_version()
    app.run()
    assert not app.exception and not _messages(app) and not signed_out_now(app)
    assert len(app.main) >= drawn_before * 0.8, "the page is drawn again"
    assert app.title[0].value == ("Follower growth" if language == "en" else "粉丝增长")


def test_a_bug_is_not_mistaken_for_an_outage(demo_env, monkeypatch):
    app = page("app_pages/followers.py", "demo_president").run()
    original = data.read_data_version

    def broken(_session):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(data, "read_data_version", broken)
    data.refresh_data_version()
    app.run()
    assert app.exception, "a programming error still surfaces as one"
    monkeypatch.setattr(data, "read_data_version", original)
    data.refresh_data_version()
