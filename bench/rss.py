"""RSS of one `streamlit run` process while N browser sessions (Playwright contexts) are signed in and
open pages: the memory a single app server needs at this scale."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PAGE_LINKS = ["总览", "粉丝增长", "社群活跃", "返乡农民工 213N", "推荐排行榜", "客户关系网络"]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_and_measure(database_url: str, sessions: int = 10, timeout_s: float = 120, budget_s: float = 600,
                      settle_s: float = 240) -> dict:
    from playwright.sync_api import sync_playwright

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    peak = 0.0
    samples: list[tuple[str, float]] = []
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        samples.append(("idle", _rss_mb(process.pid)))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            contexts = [browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
                        for _ in range(sessions)]
            tabs = [context.new_page() for context in contexts]
            for tab in tabs:
                tab.goto(base, timeout=timeout_s * 1000)
            for tab in tabs:
                tab.wait_for_selector("[data-testid='stForm']", timeout=timeout_s * 1000)
            for tab in tabs:  # one-click demo account (head office admin)
                tab.get_by_role("button", name="以「总行管理员」身份进入").first.click(timeout=timeout_s * 1000)
            started = time.perf_counter()
            for round_number in range(len(PAGE_LINKS)):
                if time.perf_counter() - started > budget_s:  # enough samples; stop rather than run for ever
                    break
                for index, tab in enumerate(tabs):  # sessions spread over the pages, every page each round
                    link = PAGE_LINKS[(round_number + index) % len(PAGE_LINKS)]
                    with contextlib.suppress(Exception):  # a session still busy is sampled all the same
                        tab.get_by_role("link", name=link).first.click(timeout=timeout_s * 1000)
                for tab in tabs:
                    try:
                        tab.wait_for_timeout(800)
                        tab.wait_for_function(
                            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout_s * 1000)
                    except Exception:  # noqa: BLE001 - a slow page still counts towards memory
                        pass
                rss = _rss_mb(process.pid)
                peak = max(peak, rss)
                samples.append((f"round {round_number + 1}", rss))
            elapsed = time.perf_counter() - started
            settle_until = time.perf_counter() + settle_s  # let the last pages finish, sampling memory
            while time.perf_counter() < settle_until:
                time.sleep(5)
                rss = _rss_mb(process.pid)
                peak = max(peak, rss)
                samples.append((f"settle {time.perf_counter() - started:.0f}s", rss))
            browser.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return {"sessions": sessions, "peak_rss_mb": round(max(peak, *(rss for _, rss in samples)), 1), "samples": samples,
            "seconds_for_all_rounds": round(elapsed, 1)}
