"""Names from the data shown in charts as text, never as markup.

Plotly.js renders a subset of HTML in every chart text (category tick labels, trace and legend names,
`text`, hover text and templates, annotations, titles): `<a href>` (http, https, mailto) becomes a
clickable link, `<b> <i> <em> <s> <u> <sup> <sub> <span style>` change the look, `<br>` breaks the line.
Other tags (`<img>`, `<script>`) are shown as typed. It then decodes `&amp; &lt; &gt;`, `&nbsp; &deg;
&times; &plusmn; &mu;` and every numeric entity into text that is never parsed as a tag again; other
named entities, `&quot;` among them, stay as typed (so quotes are not escaped here: `&quot;` would show).
So a branch, staff, customer, group, village or event name passes through `plain_label` before it becomes
chart text, and the reader sees it exactly as it was typed. Numbers and our own translated labels are not
data. Checked in Chromium with Streamlit's plotly.js and the one the meeting brief inlines.
"""

from __future__ import annotations

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def plain_label(value: object) -> str:
    """`value` as chart text that Plotly shows as typed: `&`, `<` and `>` as entities, so no tag, link
    or entity in a name is ever interpreted. Escaping is one-to-one, so distinct names stay distinct
    categories (bars do not merge)."""
    if value is None:
        return ""
    return str(value).translate(_ENTITIES)
