"""Customers on SQLite and PostgreSQL: the segment matrix, the signals and the group-buy rates the page reads
equal a recomputation from the raw rows; staff see only their own customers; the product-event and customer-
attribute imports write once, refuse a malformed file whole (row and column named) and change nothing when
imported again; and the import keeps the rollups in step."""

from __future__ import annotations

import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import event, func, select, text
from sqlmodel import Session

from models.customers import Customer
from models.importing import commit
from models.measures.customers import age_band, life_cycle_stage, quarter_end_before, rhythm
from models.metrics import customers as metrics
from models.migrations import create_all
from models.org import Branch, Staff
from models.products import ProductEvent
from models.refresh import refresh_rollups
from models.refresh.customers import SeedCustomerRows, _slice_customers, _slice_events, refresh_customer_rollups
from models.rollup_tables.customers import (
    CustomerActivity,
    CustomerSegmentQuarter,
    CustomerSignal,
    GroupBuyOutcome,
    ProductBranchMonth,
)
from models.scope import Scope
from models.store.bulk import bulk_insert, reset_sequences
from models.store.frames import read_frame
from sample_data.generate import generate_frames
from tests.conftest import DEMO_END, DEMO_SEED

AS_OF = date(2026, 11, 30)
PRODUCTS = ["deposit", "withdrawal", "wealth", "insurance", "precious_metal"]


@pytest.fixture
def small_bank(empty_engine):
    """Three branches, six staff, 150 customers and a year and a half of random product events, one group buy."""
    rng = np.random.default_rng(7)
    create_all(empty_engine)
    with empty_engine.begin() as conn:
        bulk_insert(conn, Branch.__table__, pd.DataFrame({
            "id": [1, 2, 3], "code": ["B1", "B2", "B3"], "name": ["东门支行", "西门支行", "南门支行"],
            "level": "sub_branch", "city": "", "kind": ["county", "community", "urban"]}))
        bulk_insert(conn, Staff.__table__, pd.DataFrame({
            "id": range(1, 7), "branch_id": [1, 1, 2, 2, 3, 3], "employee_no": [f"E{i}" for i in range(1, 7)],
            "name": [f"员工{i}" for i in range(1, 7)], "role": "account_manager", "phone": "", "email": ""}))
        n = 150
        staff = rng.integers(1, 7, n)
        customers = pd.DataFrame({
            "id": range(1, n + 1), "code": [f"C{i:05d}" for i in range(1, n + 1)], "branch_id": (staff + 1) // 2,
            "staff_id": staff, "name": [f"客户{i}" for i in range(1, n + 1)], "phone": [f"139{i:08d}" for i in range(n)],
            "gender": "", "birth_year": rng.integers(1940, 2004, n), "kind": "personal",
            "occupation": rng.choice(["farmer", "retiree", "teacher"], n), "is_prospect": np.arange(n) % 25 == 0,
            "e_banking": False, "deposit_balance": rng.integers(1, 200, n) * 1000.0, "wealth_balance": 0.0,
            "products_held": 1, "opened_on": [AS_OF - timedelta(days=int(d)) for d in rng.integers(20, 2000, n)],
            "asset_tier": rng.choice(["mass", "affluent"], n), "channel_preference": rng.choice(["branch", "mobile"], n)})
        bulk_insert(conn, Customer.__table__, customers)
        holders = customers[~customers["is_prospect"]]
        rows = []
        for c in holders.itertuples():
            for offset in sorted(set(rng.integers(0, 540, int(rng.integers(0, 25))).tolist())):
                rows.append({"customer_id": c.id, "branch_id": c.branch_id, "staff_id": c.staff_id,
                             "event_date": AS_OF - timedelta(days=offset), "product": PRODUCTS[offset % 5],
                             "amount": 1000.0 + offset, "margin": offset / 100, "group_buy_code": ""})
        for c in holders[holders["branch_id"] == 1].head(10).itertuples():  # a group buy 200 days ago
            rows.append({"customer_id": c.id, "branch_id": 1, "staff_id": c.staff_id,
                         "event_date": AS_OF - timedelta(days=201), "product": "fund", "amount": 5000.0,
                         "margin": 60.0, "group_buy_code": "GB-1"})
        events = pd.DataFrame(rows).drop_duplicates(["customer_id", "event_date", "product"])
        events.insert(0, "id", range(1, len(events) + 1))
        bulk_insert(conn, ProductEvent.__table__, events)
        reset_sequences(conn, [Branch.__table__, Staff.__table__, Customer.__table__, ProductEvent.__table__])
    refresh_rollups(empty_engine)
    return empty_engine


def raw(engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    with Session(engine) as session:
        customers = read_frame(session, select(Customer).where(Customer.is_prospect.is_(False)))
        events = read_frame(session, select(ProductEvent))
    events["event_date"] = pd.to_datetime(events["event_date"])
    return customers, events


def recomputed_stages(customers: pd.DataFrame, events: pd.DataFrame, day: date) -> pd.DataFrame:
    frame = customers.set_index("id")[["branch_id", "staff_id", "opened_on", "birth_year", "deposit_balance"]]
    frame = frame.join(rhythm(events, day))
    frame["stage"] = life_cycle_stage(frame, day)
    frame["age_band"] = age_band(frame["birth_year"], day)
    return frame


def test_the_matrix_equals_a_recomputation_from_raw_rows(small_bank):
    customers, events = raw(small_bank)
    expected = recomputed_stages(customers, events, AS_OF)
    with Session(small_bank) as session:
        assert metrics.as_of(session, Scope.head_office()) == (AS_OF, quarter_end_before(AS_OF))
        matrix = metrics.segment_matrix(session, Scope.head_office(), by="stage")
        silver = metrics.segment_matrix(session, Scope.head_office(), by="stage",
                                        segment=metrics.segment_from({"age_band": ["60_plus"]}))
    got = matrix.set_index(["branch_id", "value"])
    want = expected.groupby(["branch_id", "stage"]).agg(customers=("deposit_balance", "size"),
                                                        deposits=("deposit_balance", "sum"))
    want.index.names = ["branch_id", "value"]
    now = got[got["customers"] > 0][["customers", "deposits"]]
    pd.testing.assert_frame_equal(now.sort_index(), want.sort_index(), check_dtype=False)
    want_silver = expected[expected["age_band"] == "60_plus"].groupby("branch_id")["deposit_balance"].size()
    assert silver.groupby("branch_id")["customers"].sum().to_dict() == want_silver.to_dict()
    with Session(small_bank) as session:  # the overview's silver-haired shares, head office and one branch
        for scope, rows in ((Scope.head_office(), expected), (Scope.for_branches([2]), expected[expected["branch_id"] == 2])):
            headline = metrics.overview_headline(session, scope)
            known, old = rows[rows["age_band"] != "unknown"], rows[rows["age_band"] == "60_plus"]
            assert headline["customers"] == len(known)
            assert headline["silver_share"] == pytest.approx(len(old) / len(known))
            assert headline["silver_deposit_share"] == pytest.approx(old["deposit_balance"].sum() / known["deposit_balance"].sum())
    # last quarter: those who were customers then, in the stage they had then
    before = quarter_end_before(AS_OF)
    then = recomputed_stages(customers, events[events["event_date"] <= pd.Timestamp(before)], before)
    existed = (pd.to_datetime(then["opened_on"]) <= pd.Timestamp(before)) | then["first_event"].notna()
    want_before = then[existed].groupby("branch_id").size()
    assert matrix.groupby("branch_id")["customers_before"].sum().to_dict() == want_before.to_dict()


def test_signals_and_group_buys_equal_the_raw_rows_and_staff_see_their_own(small_bank):
    customers, events = raw(small_bank)
    with Session(small_bank) as session:
        signals = read_frame(session, select(CustomerSignal))
        staff_scope = Scope.for_branches([1], role="staff", staff_id=1)
        own_calls = metrics.customers_to_call(session, staff_scope)
        own_people = metrics.segment_customers(session, staff_scope)
        counts = metrics.signal_counts(session, staff_scope)
        buys = metrics.group_buys(session, Scope.for_branches([1], role="president"))
        stored = session.execute(select(func.count()).select_from(CustomerActivity)).scalar_one()
    assert stored == len(customers)
    expected = recomputed_stages(customers, events, AS_OF)
    since = (pd.Timestamp(AS_OF) - pd.to_datetime(expected["last_event"])).dt.days
    rhythm_ids = set(expected.index[((since > 3 * expected["usual_gap_days"]) & (since > 60) & (since <= 180)).fillna(False)])
    assert set(signals.loc[signals["kind"] == "rhythm", "customer_id"]) == rhythm_ids
    own = set(customers.loc[customers["staff_id"] == 1, "id"])
    assert set(own_calls["customer_id"]) <= own and set(own_people["customer_id"]) == own
    assert counts["customers_to_call"] == signals.loc[signals["staff_id"] == 1, "customer_id"].nunique()
    assert not own_people["phone"].str.contains(r"\*").any()  # their own customers' phones unmasked
    with Session(small_bank) as session:  # closed here: a session left to the garbage collector holds its
        # PostgreSQL transaction open, and the fixture's DROP SCHEMA waits on it for ever
        president = metrics.segment_customers(session, Scope.for_branches([1], role="president"))
    assert president["phone"].str.contains(r"\*\*\*\*").all()  # a president sees them masked
    buyers = events[events["group_buy_code"] == "GB-1"]["customer_id"].unique()
    first = pd.Timestamp(AS_OF - timedelta(days=201))
    later = events[events["customer_id"].isin(buyers) & (events["event_date"] > first)
                   & (events["event_date"] <= first + pd.Timedelta(days=90))
                   & events["product"].isin(["wealth", "insurance", "precious_metal", "fund", "credit_card", "loan"])]
    assert buys[["group_buy_code", "buyers", "repeat_buyers"]].values.tolist() == [
        ["GB-1", len(buyers), later["customer_id"].nunique()]]


def csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_product_event_import_good_bad_and_again(small_bank):
    header = "客户号,业务日期,产品,金额（元）,银行收益（元）,经办员工工号,团购活动编号"
    good = csv(header, "C00002,2026-12-01,黄金,\"8,000\",240,E2,GB-9", "C00003,2026-12-01,存款,5000,,,",
               "C00003,2026-12-01,取款,1200,0,,")
    with Session(small_bank) as session:
        first = commit("product_event", good, "events.csv", session, "admin")
    assert first.committed and first.preview.new == 3, first.preview.rejects
    with small_bank.connect() as conn:
        rows = conn.execute(text("SELECT product, amount, margin, staff_id, group_buy_code FROM productevent "
                                 "WHERE event_date = :d ORDER BY customer_id, product"), {"d": date(2026, 12, 1)}).all()
        staff_of_3 = conn.execute(text("SELECT staff_id FROM customer WHERE code = 'C00003'")).scalar()
        as_of = conn.execute(text("SELECT MAX(as_of) FROM customeractivity")).scalar()
    assert [tuple(r) for r in rows] == [("precious_metal", 8000.0, 240.0, 2, "GB-9"),
                                        ("deposit", 5000.0, 0.0, staff_of_3, ""),
                                        ("withdrawal", 1200.0, 0.0, staff_of_3, "")]
    assert str(as_of)[:10] == "2026-12-01"  # the rollups moved with the import
    with Session(small_bank) as session:
        again = commit("product_event", good, "events.csv", session, "admin")
    assert again.committed and again.preview.new == 0 and again.preview.changed == 0 and again.preview.unchanged == 3

    bad = csv(header, "C00004,2026-12-02,存款,100,,,", "C99999,2026-12-02,存款,100,,,", "C00005,2026-13-02,存款,100,,,",
              "C00006,2026-12-02,彩票,100,,,", "C00007,2026-12-02,存款,-5,,,")
    with small_bank.connect() as conn:
        before = conn.execute(text("SELECT COUNT(*) FROM productevent")).scalar()
    with Session(small_bank) as session:
        refused = commit("product_event", bad, "bad.csv", session, "admin")
    assert not refused.committed
    reasons = set(zip(refused.preview.rejects["row"], refused.preview.rejects["column"], strict=True))
    assert reasons == {(3, "客户号"), (4, "业务日期"), (5, "产品"), (6, "金额（元）")}, refused.preview.rejects
    with small_bank.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM productevent")).scalar() == before  # the good row too


def test_customer_attribute_import_updates_known_customers_only(small_bank):
    header = "客户号,出生年份,职业,资产层级,偏好渠道"
    good = csv(header, "C00010,1950,教师,私行,电话", "C00011,,,,微信")
    with small_bank.connect() as conn:
        kept = conn.execute(text("SELECT birth_year, occupation FROM customer WHERE code = 'C00011'")).one()
    with Session(small_bank) as session:
        first = commit("customer_attributes", good, "attributes.csv", session, "admin")
    assert first.committed and first.preview.changed == 2 and first.preview.new == 0, first.preview.rejects
    with small_bank.connect() as conn:
        assert tuple(conn.execute(text("SELECT birth_year, occupation, asset_tier, channel_preference FROM customer "
                                       "WHERE code = 'C00010'")).one()) == (1950, "teacher", "private", "phone")
        assert tuple(conn.execute(text("SELECT birth_year, occupation FROM customer WHERE code = 'C00011'")).one()) \
            == tuple(kept)
        segment = conn.execute(text("SELECT a.asset_tier, a.age_band FROM customeractivity a JOIN customer c "
                                    "ON c.id = a.customer_id WHERE c.code = 'C00010'")).one()
    assert tuple(segment) == ("private", "60_plus")  # the segments moved with the import
    with Session(small_bank) as session:
        again = commit("customer_attributes", good, "attributes.csv", session, "admin")
    assert again.preview.changed == 0 and again.preview.unchanged == 2
    with Session(small_bank) as session:
        refused = commit("customer_attributes", csv(header, "C00012,1960,,,", "C77777,1960,,,"), "bad.csv", session,
                         "admin")
    assert not refused.committed
    assert refused.preview.rejects[["row", "column"]].values.tolist() == [[3, "客户号"]]


def test_the_page_queries_read_rollups_not_product_events(small_bank):
    seen: list[str] = []

    def capture(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        seen.append(statement.lower())

    scopes = [Scope.head_office(), Scope.for_branches([1], role="president"),
              Scope.for_branches([1], role="staff", staff_id=1)]
    event.listen(small_bank, "before_cursor_execute", capture)
    try:
        with Session(small_bank) as session:
            for scope in scopes:
                metrics.segment_matrix(session, scope, by="age_band", segment=metrics.segment_from({"stage": ["mature"]}))
                metrics.segment_customers(session, scope)
                metrics.customers_to_call(session, scope)
                metrics.signal_staff(session, scope)
                metrics.stopped_selling(session, scope)
                metrics.group_buys(session, scope)
                metrics.overview_headline(session, scope)
    finally:
        event.remove(small_bank, "before_cursor_execute", capture)
    assert seen and not [s for s in seen if re.search(r'\b"?productevent"?\b', s)]


def test_a_seed_takes_each_slice_from_memory_exactly_as_the_database_gives_it_back(demo_engine):
    """The seed's customer rollups read no events back (SeedCustomerRows): each slice must be the very frame
    the database read gives, types and order included, or the stored stages and sums would differ."""
    seed_rows = SeedCustomerRows.from_frames(generate_frames("demo", DEMO_SEED, DEMO_END))
    with demo_engine.connect() as conn:
        branches = [int(b) for b in conn.execute(select(Branch.id).order_by(Branch.id)).scalars()]
        for position in range(0, len(branches), 5):  # slices of five branches: several, the last one short
            chunk = branches[position:position + 5]
            customers, events = seed_rows.slice(chunk)
            pd.testing.assert_frame_equal(customers, _slice_customers(conn, chunk))
            pd.testing.assert_frame_equal(events, _slice_events(conn, chunk, away=False))
            assert len(events) > 0 and events["group_buy_code"].notna().any()


def _customer_rollup_rows(conn) -> dict[str, pd.DataFrame]:
    """Every row of the customer rollups, ordered by all its columns; serial ids left out (a sequence moves on)."""
    def columns(table):
        return [column for column in table.c if column.name != "id"]
    return {table.name: read_frame(conn, select(*columns(table)).order_by(*columns(table))) for table in
            (CustomerActivity.__table__, CustomerSignal.__table__, CustomerSegmentQuarter.__table__,
             ProductBranchMonth.__table__, GroupBuyOutcome.__table__)}


def test_the_seeds_customer_rollups_equal_a_rebuild_that_reads_the_stored_events(demo_engine):
    with demo_engine.connect() as conn:
        seeded = _customer_rollup_rows(conn)
    with demo_engine.connect() as conn, conn.begin() as transaction:
        refresh_customer_rollups(conn)  # no seed rows: every event read back from the database
        rebuilt = _customer_rollup_rows(conn)
        transaction.rollback()  # the shared demo database stays as seeded
    for name, rows in seeded.items():
        assert len(rows) > 0, name
        pd.testing.assert_frame_equal(rows, rebuilt[name], obj=name)
