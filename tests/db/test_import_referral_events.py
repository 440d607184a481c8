"""Referral events import on both backends: keyed by the source's event id, checked against codes and
campaign dates, all or nothing, and idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import Session

from models.importing import commit
from sample_data.generate import seed_database
from tests.conftest import DEMO_END, DEMO_SEED


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_referral_events_import_once_and_refuse_bad_rows(empty_engine):
    seed_database(empty_engine, "demo", DEMO_SEED, DEMO_END)
    with empty_engine.connect() as conn:
        code, start, end = conn.execute(text(
            "SELECT i.code, c.start_date, c.end_date FROM invitecode i JOIN campaign c ON c.id = i.campaign_id "
            "ORDER BY i.id LIMIT 1")).one()
        general = conn.execute(text("SELECT code FROM invitecode WHERE campaign_id IS NULL ORDER BY id LIMIT 1")).scalar()
        customer = conn.execute(text("SELECT code FROM customer ORDER BY id LIMIT 1")).scalar()
        before = conn.execute(text("SELECT COUNT(*) FROM referralevent")).scalar()
    header = "事件编号,邀请码,环节,日期,客户号,产品,金额,客户类型,有效户"
    good = _csv(header, f"EXT-1,{code},转化,{start},{customer},电子银行,\"1,000\",个人,是",
                f"EXT-2,{general},点击,{DEMO_END},,,,,")
    with Session(empty_engine) as session:
        first = commit("referral_event", good, "events.csv", session, "admin")
    assert first.committed and first.preview.new == 2, first.preview.rejects
    with Session(empty_engine) as session:
        again = commit("referral_event", good, "events.csv", session, "admin")
    assert again.preview.new == 0 and again.preview.unchanged == 2

    bad = _csv(header, "EXT-3,NO-SUCH-CODE,点击,2026-11-01,,,,,",
               f"EXT-4,{code},点击,{date.fromisoformat(str(end)[:10]) + timedelta(days=1)},,,,,",
               f"EXT-5,{general},转化,{DEMO_END},,存款,100,个人,否",
               f"EXT-6,{general},点击,{DEMO_END},,,,,")
    with Session(empty_engine) as session:
        refused = commit("referral_event", bad, "bad.csv", session, "admin")
    assert not refused.committed
    rejects = refused.preview.rejects
    reasons = set(zip(rejects["row"], rejects["column"], strict=True))
    assert reasons == {(2, "邀请码"), (3, "日期"), (4, "客户号")}, rejects
    with empty_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM referralevent")).scalar() == before + 2
        assert conn.execute(text("SELECT amount FROM referralevent WHERE event_ref = 'EXT-1'")).scalar() == 1000
