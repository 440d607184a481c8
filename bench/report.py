"""Markdown tables from bench JSON files: `python -m bench.report bench/results/*.json` (for the README)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _ms(value) -> str:
    return "–" if value is None else f"{value * 1000:,.0f}"


def page_table(databases: dict) -> list[str]:
    lines = ["| database | page | scope | render cold ms | render warm ms | data cold ms | data warm ms | cached ms | slowest query |",
             "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for label, block in databases.items():
        for row in block.get("pages", []):
            lines.append(f"| {label} | {row['page']} | {row['scope']} | {_ms(row['render_cold_s'])} | "
                         f"{_ms(row['render_warm_s'])} | {_ms(row['data_cold_s'])} | {_ms(row['data_warm_s'])} | "
                         f"{_ms(row['data_cached_s'])} | {row['slowest_query']} ({_ms(row['slowest_query_s'])}) |")
    return lines


def leaderboard_table(databases: dict) -> list[str]:
    lines = ["| database | scope | days | raw GROUP BY ms | rollup ms | DuckDB ms | rollup vs raw | rollup vs DuckDB | agree |",
             "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for label, block in databases.items():
        for row in block.get("leaderboard", []):
            lines.append(f"| {label} | {row['scope']} | {row.get('period_days', 90)} | {_ms(row['raw_group_by_warm_s'])} | {_ms(row['rollup_warm_s'])} | "
                         f"{_ms(row['duckdb_warm_s'])} | {row['rollup_vs_raw_x']:.1f}x | {row['rollup_vs_duckdb_x']:.1f}x | "
                         f"{row['results_agree']} |")
    return lines


def main(paths: list[str]) -> int:
    databases: dict = {}
    extras: list[str] = []
    for path in paths:
        data = json.loads(Path(path).read_text())
        for label, block in data["databases"].items():  # several runs may measure parts of one database
            merged = databases.setdefault(label, {})
            merged.update({k: v for k, v in block.items() if v or k not in merged})
        for label, block in data["databases"].items():
            graph = block.get("graph") or {}
            if graph:
                extras.append(f"- {label}: ego network (2 hops, {graph.get('ego_2hop_people')} people) "
                              f"{_ms(graph['ego_2hop_s'])} ms; branch graph with metrics "
                              f"({graph['branch_graph_people']:,} people) {_ms(graph['branch_graph_s'])} ms")
        if data.get("rss"):
            extras.append(f"- RSS of `streamlit run` with {data['rss']['sessions']} sessions: peak "
                          f"{data['rss']['peak_rss_mb']:,.0f} MB")
        extras.append(f"- {Path(path).name}: {data['when']}, load average at start {data['machine']['load_average_at_start']}")
    print("\n".join(page_table(databases)))
    print()
    print("\n".join(leaderboard_table(databases)))
    print()
    from bench.__main__ import growth

    print("| backend | page | scope | render cold large/demo | data cold large/demo | data warm large/demo |")
    print("|---|---|---|---:|---:|---:|")
    for row in growth({"databases": databases}):
        cells = [f"{row[m]:.1f}x" if m in row else "–" for m in ("render_cold_s_x", "data_cold_s_x", "data_warm_s_x")]
        print(f"| {row['backend']} | {row['page']} | {row['scope']} | " + " | ".join(cells) + " |")
    print()
    print("\n".join(extras))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
