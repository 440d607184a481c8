"""Brief sentences and amounts in the reader's language; the self-contained meeting brief (HTML).

No Streamlit here: the download button hands `meeting_brief_html` to a worker thread, and the tests
call it directly."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import plotly.graph_objects as go

from components.i18n import translate
from components.text import escape_markdown, plain_text
from models.metrics.brief import Sentence


def format_money(yuan: float | None, language: str) -> str:
    """An amount as a president says it: 万元 / 亿元 in Chinese, ¥ with k / M in English."""
    if yuan is None:
        return "—"
    if language == "zh":
        if abs(yuan) >= 1e8:
            return f"{yuan / 1e8:,.2f}亿元"
        if abs(yuan) >= 1e4:
            return f"{yuan / 1e4:,.1f}万元"
        return f"{yuan:,.0f}元"
    if abs(yuan) >= 1e6:
        return f"¥{yuan / 1e6:,.2f}M"
    if abs(yuan) >= 1e3:
        return f"¥{yuan / 1e3:,.1f}k"
    return f"¥{yuan:,.0f}"


def format_value(name: str, value: object, language: str) -> str:
    if name.endswith("_yuan"):
        return format_money(float(value), language)  # type: ignore[arg-type]
    if name.endswith("_share"):
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if isinstance(value, int | float):
        return f"{value:,.0f}"
    return escape_markdown(value)  # a name from the data: the sentence is Markdown on the overview


def say(sentence: Sentence, language: str) -> str:
    """The sentence in `language` as Markdown, its numbers formatted for that language, its names escaped."""
    values = {name: format_value(name, value, language) for name, value in sentence.values.items()}
    return translate(f"brief.{sentence.key}", language, **values)


def arrival_text(at, today) -> str:
    """08:16 on `today` (China time, as `at` is given), else 2026-11-28 08:16."""
    return at.strftime("%H:%M") if at.date() == today else at.strftime("%Y-%m-%d %H:%M")


def freshness_words(found: dict, language: str, today=None) -> tuple[str, list[str]]:
    """From `models.metrics.freshness.summary`: the line ("数据截至 2026-11-30 · 08:16 同步") and one note per
    source more than a day behind. No names from the data: safe as Markdown and as WeCom markdown."""
    if found.get("latest_day") is None:
        return translate("freshness.none", language), []
    day = found["latest_day"].isoformat()
    at = found.get("arrived_at")
    if at is None:
        line = translate("freshness.line_day_only", language, day=day)
    else:
        today = today or datetime.now(at.tzinfo).date()
        line = translate("freshness.line", language, day=day, at=arrival_text(at, today),
                         via=translate(f"freshness.via.{found['via']}", language))
    notes = [translate("freshness.behind", language, sources=translate(f"freshness.source.{source}", language),
                       day=last.isoformat(), days=days) for source, last, days in found.get("behind", [])]
    return line, notes


TONE_ICONS = {"good": "▲", "bad": "▼", "neutral": "●"}
TONE_COLOURS = {"good": "#1a7f37", "bad": "#cf222e", "neutral": "#57606a"}


@dataclass(frozen=True)
class BriefFigure:
    title: str
    figure: go.Figure


def meeting_brief_html(
    language: str, title: str, subtitle: str, sentences: Sequence[Sentence], alerts: Sequence[str],
    kpis: Sequence[tuple[str, str]], figures: Sequence[BriefFigure],
) -> str:
    """One HTML file that opens anywhere without a network: plotly.js is inlined once, every chart
    after the first reuses it; print styles put each chart on its own page. `alerts` and the KPI values are
    the Markdown shown on screen (names escaped): they are turned back to text and html-escaped here."""
    def esc(text: str) -> str:
        return html.escape(str(text))

    changed = "".join(
        f'<li><span style="color:{TONE_COLOURS[s.tone]}">{TONE_ICONS[s.tone]}</span> '
        f'{esc(plain_text(say(s, language)))}</li>'
        for s in sentences
    ) or f"<li>{esc(translate('brief.nothing_changed', language))}</li>"
    alert_items = "".join(f"<li>{esc(plain_text(a))}</li>" for a in alerts) or \
        f"<li>{esc(translate('overview.no_alerts', language))}</li>"
    kpi_cells = "".join(f'<div class="kpi"><div class="label">{esc(label)}</div>'
                        f'<div class="value">{esc(plain_text(value))}</div></div>'
                        for label, value in kpis)
    charts = []
    for position, item in enumerate(figures):
        body = item.figure.to_html(full_html=False, include_plotlyjs="inline" if position == 0 else False,
                                   config={"displaylogo": False, "responsive": True}, default_width="100%")
        charts.append(f'<section class="chart"><h2>{esc(item.title)}</h2>{body}</section>')
    lang_attr = "zh-CN" if language == "zh" else "en"
    return f"""<!DOCTYPE html>
<html lang="{lang_attr}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: #1f2328;
       max-width: 1100px; margin: 0 auto; padding: 24px; line-height: 1.5; }}
h1 {{ font-size: 28px; margin-bottom: 4px; }} h2 {{ font-size: 20px; border-bottom: 2px solid #1f6feb; }}
.subtitle {{ color: #57606a; }} ul {{ font-size: 17px; }}
.kpis {{ display: flex; flex-wrap: wrap; gap: 12px; }}
.kpi {{ border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 14px; min-width: 150px; }}
.kpi .label {{ color: #57606a; font-size: 13px; }} .kpi .value {{ font-size: 24px; font-weight: 600; }}
.hint {{ color: #57606a; font-size: 12px; }}
@media print {{ .chart {{ page-break-before: always; }} .hint {{ display: none; }} }}
</style></head><body>
<h1>{esc(title)}</h1><div class="subtitle">{esc(subtitle)}</div>
<h2>{esc(translate('brief.changed', language))}</h2><ul>{changed}</ul>
<h2>{esc(translate('overview.alerts', language))}</h2><ul>{alert_items}</ul>
<h2>{esc(translate('meeting.kpis', language))}</h2><div class="kpis">{kpi_cells}</div>
<p class="hint">{esc(translate('meeting.print_hint', language))}</p>
{''.join(charts)}
</body></html>"""
