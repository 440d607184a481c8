"""PostgreSQL's binary COPY (models/store/pg_binary.py) writes exactly the rows the text COPY writes: NULLs of
every kind, dates before and after 2000-01-01, Chinese text, empty strings, categories and nullable integers;
and a value it cannot build sends the whole table through the text COPY instead, with nothing written twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine

from models.customers import Customer
from models.migrations import create_all
from models.store import bulk
from models.store.pg_binary import column_kinds, encode_rows
from tests.conftest import _new_engine

TABLE = Customer.__table__


@pytest.fixture
def postgres(tmp_path) -> Iterator[Engine]:
    engine, cleanup = _new_engine("postgresql", tmp_path)
    create_all(engine)
    yield engine
    cleanup()


def _customers(first_id: int) -> pd.DataFrame:
    rows = 7
    return pd.DataFrame({
        "id": np.arange(first_id, first_id + rows),
        "code": [f"C{first_id + n}" for n in range(rows)],
        "branch_id": np.full(rows, 1),
        "staff_id": pd.array([3, None, 5, None, 7, 8, 9], dtype="Int64"),
        "village_id": pd.array([1, None, 2, 3, None, 4, 5], dtype="Int64"),
        "name": ["张三", "李四", "", "O'Brien, \"Jr\"\t\\", "王五", "Ünïcödé 😀", "赵六"],
        "phone": pd.Series(["138", "139", "138", "", "137", "138", "136"], dtype="category"),
        "gender": ["男", "女", "男", "女", "", "男", "女"],
        "birth_year": pd.array([1960, None, 1999, 2000, None, 1985, 1970], dtype="Int64"),
        "kind": ["personal"] * 6 + ["corporate"],
        "occupation": pd.Series(["农民", "", "工人", "教师", "", "司机", "厨师"], dtype="str"),
        "wecom_external_userid": pd.Series(["wm1", None, "wo2", None, "", "wm1", "wm3"], dtype="str"),
        "is_prospect": [True, False, True, False, True, False, True],
        "e_banking": pd.array([True, False, False, True, True, False, True], dtype="boolean"),
        "deposit_balance": [0.1, 1e12, -5.25, 1e-300, 0.0, 3.0, 7.5],
        "wealth_balance": np.arange(rows, dtype="int64"),  # a float column held as integers
        "products_held": np.arange(rows),
        "opened_on": [date(1999, 12, 31), date(2000, 1, 1), None, date(2026, 11, 22), pd.Timestamp("2024-02-29"),
                      date(1970, 1, 1), date(2000, 1, 2)],
        "asset_tier": ["", "A", "B", "", "C", "A", ""],
        "channel_preference": pd.Series(["wechat", "", "sms", "wechat", "", "sms", "wechat"], dtype="category"),
    })


def _stored(engine: Engine, ids: range) -> list[tuple]:
    columns = [TABLE.c[name] for name in _customers(0).columns if name != "id"]
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            select(*columns).where(TABLE.c.id.in_(list(ids))).order_by(TABLE.c.id))]


def _insert(engine: Engine, frame: pd.DataFrame) -> None:
    with engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # no branch or staff rows here
        bulk.bulk_insert(conn, TABLE, frame, chunk_rows=3)  # three chunks: rows assembled across chunk ends


def test_binary_copy_writes_what_the_text_copy_writes(postgres, monkeypatch):
    frame = _customers(1)
    assert column_kinds(TABLE, list(frame.columns)) is not None
    assert encode_rows(frame, column_kinds(TABLE, list(frame.columns))) is not None  # this frame goes binary
    _insert(postgres, frame)
    monkeypatch.setattr(bulk, "column_kinds", lambda table, columns: None)  # the text COPY, as before
    _insert(postgres, _customers(101).assign(code=frame["code"].str.replace("C", "T")))
    binary, textual = _stored(postgres, range(1, 8)), _stored(postgres, range(101, 108))
    assert [row[1:] for row in binary] == [row[1:] for row in textual]
    assert binary[0][4] == "张三" and binary[1][2] is None and binary[1][10] is None  # code and the rest line up
    assert binary[0][16] == date(1999, 12, 31) and binary[4][16] == date(2024, 2, 29) and binary[2][16] is None


def test_a_value_without_a_binary_form_sends_the_table_through_text(postgres, monkeypatch):
    frame = _customers(1)
    frame["phone"] = [138, 139, 138, 137, 137, 138, 136]  # numbers in a text column: the text COPY writes them
    built = []
    monkeypatch.setattr(bulk, "encode_rows", lambda chunk, kinds: built.append(len(chunk)) or encode_rows(chunk, kinds))
    _insert(postgres, frame)
    assert built in ([3], [3, 3])  # the first chunk found it: the attempt stopped there (one chunk built ahead)
    assert [row[5] for row in _stored(postgres, range(1, 8))] == ["138", "139", "138", "137", "137", "138", "136"]


def test_a_frame_of_fixed_width_columns_without_nulls_is_built_row_by_row_alike():
    """Every row the same width takes the structured-array path; with a NULL the offsets path: same bytes."""
    kinds = ["int", "float", "date", "bool"]
    frame = pd.DataFrame({"a": [1, -2], "b": [0.5, 2.0], "c": [date(2000, 1, 1), date(1999, 12, 31)],
                          "d": [True, False]})
    fixed = encode_rows(frame, kinds)
    with_null = encode_rows(frame.assign(b=[0.5, np.nan]), kinds)
    row = 2 + 4 + 4 + 4 + 8 + 4 + 4 + 4 + 1
    assert len(fixed) == 2 * row and len(with_null) == 2 * row - 8
    assert fixed[:row] == with_null[:row]
    assert fixed[row:row + 10] == b"\x00\x04\x00\x00\x00\x04\xff\xff\xff\xfe"  # 4 fields, int4 -2
    assert with_null[row + 10:row + 14] == b"\xff\xff\xff\xff"  # the NULL's length word


def test_a_column_null_in_every_row_of_a_chunk():
    """A chunk where a column holds no value at all (found by the large seed: a reversal day, NULL in
    nearly every row) writes only length words for it."""
    frame = pd.DataFrame({"a": [1, 2], "b": [np.nan, np.nan], "c": pd.Series([None, None], dtype="str")})
    nulls = b"\xff\xff\xff\xff" * 2
    assert encode_rows(frame, ["int", "float", "text"]) == (b"\x00\x03\x00\x00\x00\x04\x00\x00\x00\x01" + nulls
                                                           + b"\x00\x03\x00\x00\x00\x04\x00\x00\x00\x02" + nulls)
