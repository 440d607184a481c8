"""`python manage.py clv` on SQLite and PostgreSQL: it stores a score for every customer with product events
(and none for a customer without), copies each customer's branch and managing staff, stores the calibration
deciles, audits and bumps the data version; a second run replaces every row. The equity and value-at-risk
queries then add up, stay in scope, keep staff to their own customers and mask phones."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

import manage
from models.accounts import AuditLog
from models.clv_scores import ClvCalibrationDecile, CustomerClv
from models.customers import Customer
from models.metrics import clv as clv_metrics
from models.products import ProductEvent
from models.scope import Scope
from models.store import bulk_insert
from models.system import DataVersion
from sample_data.clv_synthetic import synthetic_events
from tests.db.small_bank import S1, S2, S3, A, B, add_two_branches

CUSTOMERS = 400
START, END = date(2024, 12, 1), date(2026, 11, 30)
SILENT = CUSTOMERS + 1  # a customer without any product event


def owner(customer_id: int) -> tuple[int, int | None]:
    """Branch and managing staff: a third each to S1, S2 (branch A) and S3 (B); every tenth in A has none."""
    if customer_id % 10 == 0:
        return A, None
    return {0: (A, S1), 1: (A, S2), 2: (B, S3)}[customer_id % 3]


@pytest.fixture
def bank(empty_engine, monkeypatch):
    events = synthetic_events(CUSTOMERS, START, END, seed=7)
    with Session(empty_engine) as session:
        add_two_branches(session)
        session.add_all([Customer(id=c, code=f"C{c}", branch_id=owner(c)[0], staff_id=owner(c)[1], name=f"客户{c}",
                                  phone=f"139{c:08d}", birth_year=1950 + c % 50,
                                  occupation=("farmer", "retiree", "teacher")[c % 3],
                                  asset_tier=("mass", "affluent")[c % 2], channel_preference="")
                         for c in range(1, SILENT + 1)])
        session.flush()
        rows = events.assign(branch_id=events["customer_id"].map(lambda c: owner(c)[0]), product="wealth",
                             amount=1000.0, group_buy_code="",
                             staff_id=events["customer_id"].map(lambda c: owner(c)[1]).astype("Int64"))
        bulk_insert(session.connection(), ProductEvent.__table__, rows)
        session.add(DataVersion(id=1, version=1))
        session.commit()
    monkeypatch.setattr(manage, "make_engine", lambda *args, **kwargs: empty_engine)
    return empty_engine, events


def stored(engine) -> pd.DataFrame:
    with Session(engine) as session:
        rows = session.execute(select(CustomerClv)).scalars().all()
    return pd.DataFrame([row.model_dump() for row in rows]).set_index("customer_id").sort_index()


def test_clv_command_stores_every_customer_with_events_and_a_rerun_replaces_them(bank, capsys):
    engine, events = bank
    assert manage.main(["clv"]) == 0
    assert "lifetime value stored for 400 customers" in capsys.readouterr().out
    scores = stored(engine)
    assert scores.index.tolist() == list(range(1, CUSTOMERS + 1))  # not SILENT
    assert scores["branch_id"].tolist() == [owner(c)[0] for c in scores.index]
    assert [None if pd.isna(s) else int(s) for s in scores["staff_id"]] == [owner(c)[1] for c in scores.index]
    assert (scores["cutoff"] == max(events["event_date"])).all()
    assert scores["p_alive"].between(0, 1).all() and (scores["clv_12m"] >= 0).all()
    assert scores["clv_12m"].nunique() > CUSTOMERS // 2  # scores differ by customer history
    with Session(engine) as session:
        deciles = session.execute(select(ClvCalibrationDecile).order_by(ClvCalibrationDecile.decile)).scalars().all()
        assert [d.decile for d in deciles] == list(range(1, 11))
        assert sum(d.customers for d in deciles) == CUSTOMERS
        assert session.execute(select(func.count()).where(AuditLog.action == "clv_fit")).scalar() == 1
        assert session.get(DataVersion, 1).version == 2

    assert_queries_add_up(engine, scores)

    # a second run (an earlier cut-off): every row replaced, customers first seen after it are gone
    earlier = date(2025, 6, 30)
    assert manage.main(["clv", "--cutoff", earlier.isoformat()]) == 0
    again = stored(engine)
    first_seen = events.groupby("customer_id")["event_date"].min()
    assert again.index.tolist() == sorted(first_seen[first_seen <= earlier].index)
    assert (again["cutoff"] == earlier).all() and (again["fitted_at"] > scores["fitted_at"].max()).all()
    with Session(engine) as session:
        assert clv_metrics.equity_by_branch(session, Scope.head_office())["customers"].sum() == len(again)
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(ClvCalibrationDecile)).scalar() in (0, 10)
        assert session.execute(select(func.count()).where(AuditLog.action == "clv_fit")).scalar() == 2


def test_clv_command_without_events_says_so(empty_engine, monkeypatch, capsys):
    monkeypatch.setattr(manage, "make_engine", lambda *args, **kwargs: empty_engine)
    assert manage.main(["clv"]) == 1
    assert "nothing to fit" in capsys.readouterr().err


def assert_queries_add_up(engine, scores: pd.DataFrame) -> None:
    """Equity adds up to the stored CLV per branch, staff and segment; value at risk ranks, stays in scope,
    keeps a staff member to their own customers and masks phones for a president."""
    everything, branch_a = Scope.head_office(), Scope.for_branches({A}, role="president")
    staff_one = Scope.for_branches({A}, role="staff", staff_id=S1)
    with Session(engine) as session:
        by_branch = clv_metrics.equity_by_branch(session, everything)
        assert by_branch["equity"].sum() == pytest.approx(scores["clv_12m"].sum())
        assert by_branch.set_index("branch_id")["customers"].to_dict() == scores["branch_id"].value_counts().to_dict()
        only_a = clv_metrics.equity_by_branch(session, branch_a)
        assert only_a["branch_id"].tolist() == [A]
        by_staff = clv_metrics.equity_by_staff(session, branch_a)
        assert set(by_staff["staff_id"]) == {S1, S2}
        assert by_staff["equity"].sum() == pytest.approx(
            scores[(scores["branch_id"] == A) & scores["staff_id"].notna()]["clv_12m"].sum())
        for dimension in clv_metrics.SEGMENT_DIMENSIONS:
            segments = clv_metrics.equity_by_segment(session, everything, dimension=dimension)
            assert segments["equity"].sum() == pytest.approx(scores["clv_12m"].sum()), dimension
        ages = clv_metrics.equity_by_segment(session, everything, dimension="age_band")
        silver = sum(1 for c in scores.index if END.year - (1950 + c % 50) >= 60)  # age at the cut-off's year
        assert ages.set_index("segment").loc["60_plus", "customers"] == silver
        channels = clv_metrics.equity_by_segment(session, everything, dimension="channel_preference")
        assert channels["segment"].tolist() == ["unknown"]

        at_risk = clv_metrics.value_at_risk(session, branch_a, limit=20)
        expected = (scores[scores["branch_id"] == A].eval("clv_12m * (1 - p_alive)")
                    .sort_values(ascending=False).head(20))
        assert at_risk["customer_id"].tolist() == expected.index.tolist()
        assert at_risk["phone"].str.match(r"^\d{3}\*{4}\d{4}$").all()  # a president sees masked phones
        own = clv_metrics.value_at_risk(session, staff_one, limit=500)
        assert set(own["customer_staff_id"]) == {S1} and len(own) == (scores["staff_id"] == S1).sum()
        assert own["phone"].str.match(r"^139\d{8}$").all()  # their own customers' phones in full

        assert clv_metrics.fit_status(session, branch_a)["customers"] == (scores["branch_id"] == A).sum()
        deciles = clv_metrics.calibration(session, branch_a)
        assert deciles["customers"].sum() == CUSTOMERS
