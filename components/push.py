"""The morning brief as a WeCom group-robot markdown message: pure, tested without Streamlit or a network.

WeCom's robot markdown (https://developer.work.weixin.qq.com/document/path/91770) knows headings (#), bold
(**), links ([text](url)), inline code (`), quotes (>) and <font color="info|comment|warning">; a message is at
most 4096 bytes of UTF-8. Names from the data pass through `wecom_text`, which turns every character that
could start one of those (or an @mention, an HTML entity, a bare link's "://") into its full-width twin and
line breaks into spaces, so a branch or group name cannot add a link, a tag or a heading. The message fits the
byte budget by listing fewer alerts and ending the list with "… 另有 N 条"; it is never cut inside a character.
"""

from __future__ import annotations

from urllib.parse import urlencode

from components.brief import TONE_ICONS, format_money, freshness_words
from components.i18n import translate
from models.metrics.brief import Sentence
from models.push.brief import Alert, BranchBrief
from models.push.wecom import MAX_BYTES, content_bytes

# Full-width twins of the characters WeCom markdown, its tags, mentions and entities act on.
_NEUTRAL = str.maketrans({"<": "＜", ">": "＞", "[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "`": "｀",
                          "#": "＃", "&": "＆", ":": "：", "@": "＠", "\\": "＼", "|": "｜", "~": "～", "_": "＿",
                          "\n": " ", "\r": " ", "\t": " ", "\u2028": " ", "\u2029": " "})
MAX_NAME = 40
TONE_COLOURS = {"good": "info", "bad": "warning", "neutral": "comment"}


def wecom_text(text: object, limit: int = MAX_NAME) -> str:
    """A name from the data as literal text in WeCom markdown (at most `limit` characters, then "…")."""
    value = "" if text is None else str(text).translate(_NEUTRAL)
    return value if len(value) <= limit else value[:limit - 1] + "…"


def _value(name: str, value: object, language: str) -> str:
    if name.endswith("_yuan"):
        return format_money(float(value), language)  # type: ignore[arg-type]
    if name.endswith("_share"):
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if isinstance(value, int | float):
        return f"{value:,.0f}"
    return wecom_text(value)


def sentence_line(sentence: Sentence, language: str) -> str:
    values = {name: _value(name, value, language) for name, value in sentence.values.items()}
    icon = f'<font color="{TONE_COLOURS[sentence.tone]}">{TONE_ICONS[sentence.tone]}</font>'
    return f"> {icon} {translate(f'brief.{sentence.key}', language, **values)}"


def alert_line(alert: Alert, language: str) -> str:
    v = alert.values
    if alert.kind == "drop":
        text = translate("followers.overview.drop_alert", language, branch=wecom_text(v["branch"]), start=v["start"],
                         days=v["days"], net=v["net"])
    elif alert.kind == "fraud":
        text = translate("overview.fraud_alert", language, n=v["n"])
    elif alert.kind == "lagging":
        open_, close = ("（", "）") if language == "zh" else (" (", ")")
        names = ("、" if language == "zh" else ", ").join(
            f"{wecom_text(name)}{open_}{attainment * 100:.0f}%{close}" for name, attainment in v["villages"])
        text = translate("push.lagging", language, n=v["n"], total=v["total"], names=names)
    else:
        text = translate("push.dormant", language, name=wecom_text(v["name"]), days=v["days"])
    return f'> <font color="warning">!</font> {text}'


def app_link(public_url: str, branch_id: int) -> str:
    """The overview narrowed to the branch (the scope picker reads ?branch=)."""
    return f"{public_url.rstrip('/')}/?{urlencode({'branch': branch_id})}"


def _fit(head: list[str], items: list[str], tail: list[str], more_key: str, language: str,
         max_bytes: int) -> list[str] | None:
    """`head + items + tail` with as many items as fit in `max_bytes` (the rest counted in a "more" line);
    None when not even the head and tail fit."""
    def size(lines: list[str]) -> int:
        return content_bytes("\n".join(lines))

    for shown in range(len(items), -1, -1):
        more = [translate(more_key, language, n=len(items) - shown)] if shown < len(items) else []
        lines = head + items[:shown] + more + tail
        if size(lines) <= max_bytes:
            return lines
    return None


def _cut(text: str, max_bytes: int) -> str:
    """Last resort: the longest prefix of whole characters within `max_bytes`."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def compose_brief(brief: BranchBrief, language: str = "zh", public_url: str = "", max_bytes: int = MAX_BYTES) -> str:
    """The branch's brief as WeCom markdown within `max_bytes` (UTF-8): title, freshness, what changed since
    last week, the alerts (trimmed with "… 另有 N 条" to fit) and a link to the app."""
    day = brief.end.isoformat() if brief.end else "—"
    head = [f"## {translate('push.title', language, branch=wecom_text(brief.branch_name), day=day)}"]
    if brief.freshness:
        line, notes = freshness_words(brief.freshness, language)
        head.append(f'<font color="comment">{line}</font>')
        head += [f'<font color="warning">{note}</font>' for note in notes]
    tail = [f"[{translate('push.open', language)}]({app_link(public_url, brief.branch_id)})"] if public_url else []
    if brief.end is None:
        return _cut("\n".join(head + [translate("push.no_data", language)] + tail), max_bytes)
    changes = [sentence_line(s, language) for s in brief.sentences] or \
        [f"> {translate('brief.nothing_changed', language)}"]
    alerts = [alert_line(a, language) for a in brief.alerts] or [f"> {translate('overview.no_alerts', language)}"]
    head = head + ["", f"**{translate('brief.changed', language)}**", *changes, "",
                   f"**{translate('overview.alerts', language)}**"]
    lines = _fit(head, alerts, [""] + tail if tail else [], "push.more", language, max_bytes)
    if lines is None:  # even the sentences do not fit (never with today's wording): trim them the same way
        short_head = head[:head.index("") + 2]
        lines = _fit(short_head, changes, tail, "push.more", language, max_bytes) or short_head + tail
    return _cut("\n".join(lines), max_bytes)
