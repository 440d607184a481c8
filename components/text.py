"""Names from the data shown as text, never as Markdown.

Streamlit renders Markdown (links, images, emphasis, headings, lists, tables, `:red[...]` and other
directives, `:material/...:` icons, `$...$` LaTeX) in st.markdown, captions, headings, alerts, toasts,
metric labels / values / help, widget labels and help, radio and segmented-control options, expander
and tab labels. A customer, staff member, branch, group, village or event name that goes into any of
them passes through `escape_markdown` first. Select-box options and dataframe cells are plain text and
take the name as it is.
"""

from __future__ import annotations

import re
import string

_ESCAPES = {ord(c): "\\" + c for c in string.punctuation}
_ESCAPES.update({ord("\n"): " ", ord("\r"): " "})
_ESCAPED = re.compile("\\\\([" + re.escape(string.punctuation) + "])")
# Some of Streamlit's Markdown runs on the parsed text, where backslashes are gone: bare links (http://, www.,
# e-mail addresses), :emoji: and :streamlit: shortcodes, :material_icon: names. An invisible WORD JOINER after
# every ":" and "@" and inside "www." breaks those patterns without changing what the reader sees.
JOINER = "\u2060"
_FOUND_AFTER_PARSING = re.compile(r"[:@]|(?i:www)(?=\.)")


def escape_markdown(text: object) -> str:
    """`text` as literal Markdown: every ASCII punctuation character backslash-escaped (CommonMark allows
    it for all of them, and the escaped character renders as itself), line breaks as spaces so a name
    cannot start a heading, list or table. An escaped `:` stops directives and `/` stops Streamlit's
    `:material/icon:` rewrite, which runs before parsing; an escaped `$` is not LaTeX. A WORD JOINER
    (invisible) after `:` and `@` and inside `www.` stops what runs after parsing: bare links, shortcodes."""
    if text is None:
        return ""
    return _FOUND_AFTER_PARSING.sub(lambda found: found.group(0) + JOINER, str(text)).translate(_ESCAPES)


def plain_text(markdown_source: str) -> str:
    """Text built for Markdown (names escaped by `escape_markdown`) as plain text again, for outputs that
    are not Markdown, such as the HTML meeting brief, which html-escapes it next."""
    return _ESCAPED.sub(r"\1", str(markdown_source)).replace(JOINER, "")
