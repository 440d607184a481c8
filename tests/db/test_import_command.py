"""`manage.py import`: one transaction per file, --dry-run writes nothing, a refused file exits non-zero."""

from __future__ import annotations

from sqlalchemy import text

from manage import main
from models.db import make_engine
from tests.import_corpus.make_corpus import HERE

ORG = [("region", "片区代码,片区名称\nR01,城区片区\n"),
       ("branch", "网点代码,网点名称,层级,上级网点代码,片区代码\nHO,总行,总行,,\nB1,一支行,支行,HO,R01\n"),
       ("official_account", "原始ID,公众号名称,网点代码\ngh_b101,一支行服务号,B1\n")]


def test_import_command(monkeypatch, tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("DATABASE_URL", url)
    for kind, content in ORG:
        path = tmp_path / f"{kind}.csv"
        path.write_text(content, encoding="utf-8")
        assert main(["import", kind, str(path)]) == 0
    good, bad = str(HERE / "followers_utf8.csv"), str(HERE / "bad_net.csv")
    assert main(["import", "follower_daily", good, "--account", "gh_b101", "--dry-run"]) == 0
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM followerdaily")).scalar() == 0
    assert main(["import", "follower_daily", good, bad, "--account", "gh_b101"]) == 1
    output = capsys.readouterr()
    assert "new=7" in output.out and "row 3" in output.err
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM followerdaily")).scalar() == 7, "the good file went in alone"
        outcomes = [r[0] for r in conn.execute(text("SELECT outcome FROM auditlog WHERE action = 'import' ORDER BY id"))]
    assert outcomes[-2:] == ["ok", "refused"]
    assert main(["import", "no_such_kind", good]) == 2
    engine.dispose()
