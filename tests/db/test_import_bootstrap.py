"""A bank with no demo data loads its own world from files alone, and the registry takes a new kind
in a few lines."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text
from sqlmodel import Session

from models.importing import KINDS, commit, register
from models.importing.spec import Column, ImportKind
from models.org import Region


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_an_empty_database_is_filled_from_files_and_the_version_moves(empty_engine):
    files = [
        ("region", _csv("片区代码,片区名称", "R01,城区片区")),
        ("branch", _csv("网点代码,网点名称,层级,上级网点代码,片区代码", "HO,总行,总行,,", "B1,一分行,分行,HO,R01",
                        "B1-01,一支行,支行,B1,R01")),
        ("official_account", _csv("原始ID,公众号名称,网点代码", "gh_b101,一支行服务号,B1-01")),
        ("follower_daily", _csv("时间,新关注人数,取消关注人数,净增关注人数,累积关注人数,公众号",
                                "2026-01-01,10,2,8,108,gh_b101", "2026-01-02,5,0,5,113,一支行服务号")),
    ]
    for number, (kind, data) in enumerate(files, start=1):
        with Session(empty_engine) as session:
            result = commit(kind, data, f"{kind}.csv", session, "admin")
        assert result.committed, (kind, result.preview.refusal, result.preview.rejects)
        assert result.data_version == number
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT b.code, f.day, f.cumulative FROM followerdaily f JOIN branch b "
                                 "ON b.id = f.branch_id ORDER BY f.day")).fetchall()
    assert [(r[0], str(r[1]), r[2]) for r in rows] == [("B1-01", "2026-01-01", 108), ("B1-01", "2026-01-02", 113)]


def test_a_new_kind_is_a_few_lines(empty_engine):
    def resolve(session, frame, options):
        from models.importing.spec import Resolved
        return Resolved(frame[["code", "name"]].copy())

    spec = register(ImportKind(key="test_regions", label=("测试片区", "Test regions"), table=Region.__table__,
                               natural_key=("code",), resolve=resolve, unique=("code",),
                               columns=(Column("code", ("代码", "code")), Column("name", ("名称", "name")))))
    try:
        with Session(empty_engine) as session:
            first = commit(spec.key, _csv("代码,名称", "R9,新片区"), "r.csv", session, "admin")
        with Session(empty_engine) as session:
            renamed = commit(spec.key, _csv("code,name", "R9,更名片区"), "r.csv", session, "admin")
        assert (first.preview.new, renamed.preview.changed) == (1, 1)
        with empty_engine.connect() as conn:
            assert pd.read_sql(text("SELECT code, name FROM region"), conn).values.tolist() == [["R9", "更名片区"]]
    finally:
        KINDS.pop(spec.key)
