"""The WeCom brief as composed text: within 4096 bytes of UTF-8 with Chinese names (alerts trimmed with
"… 另有 N 条", never cut inside a character or a line), hostile names inert, both languages; the robot throttle."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest

from components.push import app_link, compose_brief, wecom_text
from models.metrics.brief import Sentence
from models.push.brief import Alert, BranchBrief
from models.push.wecom import MAX_BYTES, Throttle

CHINA = timezone(timedelta(hours=8))
END = date(2026, 11, 30)
FRESH = {"latest_day": END, "arrived_at": datetime(2026, 12, 1, 8, 16, tzinfo=CHINA), "via": "sync", "behind": []}
SENTENCES = [Sentence("followers_faster", "good", {"net": 389, "diff": 24, "before": 365}),
             Sentence("drops_more", "bad", {"n": 3, "new": 1}),
             Sentence("groups_active_down", "bad", {"now_share": 0.139, "before_share": 0.156}),
             Sentence("campaign_week", "good", {"week_yuan": 1_234_567.0, "now_share": 0.41, "before_share": 0.35})]
CJK = re.compile(r"[\u4e00-\u9fff]")
HOSTILE = ('[点我领奖](http://evil.example/x)<font color="info">假通知</font>\n## 假标题 <@all> @all '
           '**粗** `code` &lt;b&gt; > 引用 http://evil.example')


def _brief(alerts: list[Alert], name: str = "月河社区支行", sentences=None, freshness=None) -> BranchBrief:
    return BranchBrief(3, "ZJ001-01", name, END, SENTENCES if sentences is None else sentences, alerts,
                       FRESH if freshness is None else freshness)


def _silent_groups(n: int) -> list[Alert]:
    return [Alert("dormant", {"name": f"嘉兴南湖区月河街道第{i}社区业主交流与理财服务群", "days": 30 + i}) for i in range(n)]


def test_a_short_brief_lists_everything_in_order():
    text = compose_brief(_brief([Alert("drop", {"branch": "南湖支行", "start": date(2026, 11, 20), "days": 11,
                                                "net": -42}), Alert("fraud", {"n": 2})] + _silent_groups(2)),
                         public_url="https://cockpit.bank.example")
    lines = text.split("\n")
    assert lines[0] == "## 月河社区支行 · 晨报 2026-11-30"
    assert lines[1] == '<font color="comment">数据截至 2026-11-30 · 2026-12-01 08:16 同步</font>' or \
        lines[1] == '<font color="comment">数据截至 2026-11-30 · 08:16 同步</font>'
    assert '> <font color="info">▲</font> 本周粉丝净增 389，比上周多 24（上周 365）。' in lines
    assert "返乡营销本周新增存款 123.5万元" in text and "13.9%" in text
    assert lines.index("**与上周相比**") < lines.index("**预警**")
    alerts = [line for line in lines if line.startswith('> <font color="warning">!</font>')]
    assert len(alerts) == 4 and "南湖支行：自 2026-11-20 起掉粉预警（11 天，期间净增 -42）" in alerts[0]
    assert "另有" not in text
    assert lines[-1] == "[打开驾驶舱查看详情](https://cockpit.bank.example/?branch=3)"


@pytest.mark.parametrize("count", [60, 200, 2000])
def test_many_alerts_are_trimmed_to_4096_bytes_with_the_rest_counted(count):
    text = compose_brief(_brief(_silent_groups(count)), public_url="https://cockpit.bank.example")
    size = len(text.encode("utf-8"))
    assert size <= MAX_BYTES
    lines = text.split("\n")
    shown = [line for line in lines if line.startswith('> <font color="warning">!</font> 沉默群：')]
    assert all(line.endswith("天没有客户发言）") for line in shown)   # whole lines only
    more = [line for line in lines if line.startswith("… 另有 ")]
    assert more == [f"… 另有 {count - len(shown)} 条"]
    assert lines[-1].startswith("[打开驾驶舱查看详情](")                  # the link survives the trimming
    one_more = len(shown[0].encode("utf-8")) + 1
    assert size + one_more > MAX_BYTES - 20, "it stops only when another alert would not fit"


def test_the_budget_is_bytes_not_characters_and_never_cuts_a_character():
    alerts = _silent_groups(40)
    for budget in range(700, 1400, 37):   # budgets that fall inside 3-byte characters
        text = compose_brief(_brief(alerts), max_bytes=budget)
        data = text.encode("utf-8")
        assert len(data) <= budget
        assert data.decode("utf-8") == text
        assert "… 另有 " in text
        assert len(text) < budget   # Chinese takes three bytes a character: a character count would overflow


def test_hostile_names_cannot_add_links_tags_headings_or_mentions():
    alerts = [Alert("drop", {"branch": HOSTILE, "start": date(2026, 11, 20), "days": 3, "net": -5}),
              Alert("dormant", {"name": HOSTILE, "days": 40}),
              Alert("lagging", {"n": 1, "total": 9, "villages": [(HOSTILE, 0.2)]})]
    text = compose_brief(_brief(alerts, name=HOSTILE), public_url="https://cockpit.bank.example")
    links = re.findall(r"\[[^\]]*\]\([^)]*\)", text)
    assert links == ["[打开驾驶舱查看详情](https://cockpit.bank.example/?branch=3)"]
    assert "evil.example" not in "".join(links) and "http://evil" not in text and "://evil" not in text
    tags = re.findall(r"<[^>]*>", text)
    assert set(tags) <= {'<font color="comment">', '<font color="info">', '<font color="warning">', "</font>"}
    assert "假通知</font>" not in text and "<@" not in text and "@all" not in text
    headings = [line for line in text.split("\n") if line.lstrip().startswith("#")]
    assert len(headings) == 1 and headings[0].startswith("## ")
    assert "**粗**" not in text and "`" not in text and "&lt;" not in text
    assert not any(line.startswith("> 引用") for line in text.split("\n"))


def test_wecom_text_keeps_ordinary_names_and_shortens_long_ones():
    assert wecom_text("月河社区支行") == "月河社区支行"
    assert wecom_text("A (B) [C]") == "A （B） ［C］"
    assert wecom_text("甲" * 60) == "甲" * 39 + "…"
    assert wecom_text(None) == ""


def test_english_brief_has_english_wording():
    text = compose_brief(_brief(_silent_groups(3) + [Alert("fraud", {"n": 2})]), language="en",
                         public_url="https://cockpit.bank.example")
    assert "morning brief 2026-11-30" in text and "Data up to 2026-11-30 · synced" in text
    assert "Followers grew by 389 this week, 24 more than last week (365)." in text
    assert "¥1.23M" in text and "Open the cockpit for the details" in text
    wording = re.sub(r"嘉兴南湖区月河街道第\d+社区业主交流与理财服务群|月河社区支行", "", text)
    assert not CJK.search(wording), wording


def test_behind_sources_and_no_data_are_said():
    behind = {**FRESH, "behind": [("followers", date(2026, 11, 22), 8)]}
    text = compose_brief(_brief([], freshness=behind))
    assert '<font color="warning">粉丝数据停在 2026-11-22，已落后 8 天</font>' in text
    assert "> 暂无预警。" in text
    empty = compose_brief(BranchBrief(3, "ZJ001-01", "月河社区支行", None, freshness={"latest_day": None}))
    assert "暂无晨报" in empty and "**预警**" not in empty


def test_link_without_public_url_is_left_out_and_escaped_otherwise():
    assert "](" not in compose_brief(_brief([]))
    assert app_link("https://cockpit.bank.example/", 12) == "https://cockpit.bank.example/?branch=12"


def test_throttle_allows_20_a_minute_per_robot():
    throttle = Throttle()
    for _ in range(20):
        assert throttle.ready_at("a", 100.0) == 100.0
        throttle.record("a", 100.0)
    assert throttle.ready_at("a", 100.0) == 160.0
    assert throttle.ready_at("b", 100.0) == 100.0      # another robot is not held up
    assert throttle.ready_at("a", 160.0) == 160.0
