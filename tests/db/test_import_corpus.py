"""Every file of the import corpus, on SQLite and PostgreSQL: the exact outcome, nothing written by a
refused file, nothing changed by a second import of the same file, and one audit row per attempt."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from models.accounts import AuditLog
from models.importing import commit, preview
from models.system import DataVersion
from sample_data.generate import seed_database
from tests.conftest import BACKENDS, DEMO_END, DEMO_SEED, _new_engine
from tests.import_corpus.make_corpus import CASES, CHAIN, HERE, Case


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_engine(request, tmp_path_factory) -> Iterator[Engine]:
    """A private demo database per backend (the shared demo database is never written to)."""
    engine, cleanup = _new_engine(request.param, tmp_path_factory.mktemp("corpus"))
    seed_database(engine, "demo", DEMO_SEED, DEMO_END)
    yield engine
    cleanup()


def snapshot(engine: Engine) -> dict[str, tuple]:
    """Row count and a checksum of every table but the audit log; the data version."""
    state = {}
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == AuditLog.__tablename__:
                continue
            # `id` for most tables; summaries keyed otherwise are summed over their first whole-number key
            keys = [c for c in table.primary_key.columns if c.type.python_type is int]
            checksum = func.sum(keys[0]) if keys else func.count()
            state[table.name] = tuple(conn.execute(select(func.count(), checksum)).one())
        state["followerdaily_figures"] = tuple(conn.execute(text(
            "SELECT SUM(new_follows), SUM(unfollows), SUM(net_follows), SUM(cumulative) FROM followerdaily")).one())
        state["version"] = conn.execute(select(DataVersion.version)).scalar()
    return state


def audit_rows(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(AuditLog.outcome, AuditLog.detail).order_by(AuditLog.id))]


def run(engine: Engine, case: Case, username: str = "corpus_test"):
    with Session(engine) as session:
        return commit(case.kind, (HERE / case.file).read_bytes(), case.file, session, username, case.options)


def check_outcome(case: Case, result) -> None:
    found = result.preview
    if case.refused:
        assert found.refusal is not None and case.refused in found.refusal.en, found.refusal
        assert found.refusal.zh, "every refusal has a Chinese reason"
        return
    assert found.refusal is None, found.refusal
    rejected = tuple(zip(found.rejects["row"].tolist(), found.rejects["column"], strict=True))
    assert rejected == case.rejected, found.rejects.to_string()
    assert (found.new, found.changed, found.unchanged) == (case.new, case.changed, case.unchanged)
    assert all(found.rejects["reason_zh"].str.len() > 0) and all(found.rejects["reason_en"].str.len() > 0)


@pytest.mark.parametrize("case", CASES, ids=[c.file for c in CASES])
def test_corpus_file(corpus_engine: Engine, case: Case):
    before = snapshot(corpus_engine)
    audits = len(audit_rows(corpus_engine))
    result = run(corpus_engine, case)
    check_outcome(case, result)
    after = snapshot(corpus_engine)
    outcome, detail = audit_rows(corpus_engine)[-1]
    assert len(audit_rows(corpus_engine)) == audits + 1
    assert result.preview.sha256 in detail and case.file in detail
    if case.refused or case.rejected:
        assert not result.committed and outcome == "refused"
        assert after == before, "a refused file changes nothing"
        return
    assert result.committed and outcome == "ok"
    assert after["version"] == before["version"] + 1, "caches must see the import"
    again = run(corpus_engine, case)
    assert (again.preview.new, again.preview.changed) == (0, 0)
    assert again.preview.unchanged == case.new + case.changed + case.unchanged
    assert snapshot(corpus_engine) == after, "re-importing the same file changes nothing"


def test_a_quarters_files_load_in_order_and_land_where_they_belong(corpus_engine: Engine):
    for case in CHAIN:
        result = run(corpus_engine, case)
        check_outcome(case, result)
        assert result.committed == (not case.rejected)
    with corpus_engine.connect() as conn:
        outlet = conn.execute(text("SELECT b.level, p.code FROM branch b JOIN branch p ON p.id = b.parent_id "
                                   "WHERE b.code = 'ZJ001-91'")).one()
        assert tuple(outlet) == ("outlet", "ZJ001-90"), "a parent given later in the same file is linked"
        staff = conn.execute(text("SELECT employee_no, role FROM staff WHERE employee_no LIKE '%900003'")).one()
        assert tuple(staff) == ("900003", "teller")
        customer = conn.execute(text("SELECT c.deposit_balance, c.e_banking, c.opened_on, v.code FROM customer c "
                                     "JOIN village v ON v.id = c.village_id WHERE c.code = 'C90000003'")).one()
        assert customer[0] == 37_500 and bool(customer[1]) is False and str(customer[2]) == "2019-03-03"
        assert customer[3] == "V900002"
        deposits = conn.execute(text("SELECT SUM(amount) FROM campaigndeposit d JOIN customer c ON c.id = d.customer_id "
                                     "WHERE c.code LIKE 'C9000000%'")).scalar()
        assert deposits == 58_000
        replies = conn.execute(text("SELECT COUNT(*) FROM smsmessage s JOIN namelistentry e ON e.id = s.entry_id "
                                    "JOIN customer c ON c.id = e.customer_id WHERE c.code LIKE 'C9000000%' "
                                    "AND s.reply_code IS NOT NULL")).scalar()
        assert replies == 2
        ties = conn.execute(text("SELECT a.code, b.code, r.kind, r.weight, b2.code FROM relationship r "
                                 "JOIN customer a ON a.id = r.customer_a_id JOIN customer b ON b.id = r.customer_b_id "
                                 "JOIN branch b2 ON b2.id = r.branch_id WHERE a.code LIKE 'C9000000%' "
                                 "ORDER BY a.code, b.code")).fetchall()
        assert [tuple(t) for t in ties] == [
            ("C90000001", "C90000005", "referral", 2.5, "ZJ001-90"),  # directed: kept as given
            ("C90000003", "C90000004", "family", 3.0, "ZJ001-90"),  # undirected: stored smaller id first
            ("C90000005", "C90000006", "village", 1.2, "ZJ001-90"),
        ]
    before = snapshot(corpus_engine)
    for case in CHAIN:
        if not case.rejected:
            again = run(corpus_engine, case)
            assert (again.preview.new, again.preview.changed) == (0, 0), case.file
    assert snapshot(corpus_engine) == before


def test_an_error_while_writing_rolls_the_whole_file_back(corpus_engine: Engine, monkeypatch):
    from models.importing import pipeline

    case = Case("followers_utf8.csv", "follower_daily", {"account": "gh_zj00110"})
    before = snapshot(corpus_engine)

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline, "bump_data_version", broken)
    with pytest.raises(RuntimeError):
        run(corpus_engine, case)
    assert snapshot(corpus_engine) == before


def test_preview_writes_nothing(corpus_engine: Engine):
    before = snapshot(corpus_engine)
    with Session(corpus_engine) as session:
        found = preview("follower_daily", (HERE / "followers_utf8.csv").read_bytes(), "x.csv", session,
                        {"account": "gh_zj00111"})
    assert found.ok and found.new == 7
    assert snapshot(corpus_engine) == before
