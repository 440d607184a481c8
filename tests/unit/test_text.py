"""Names as Markdown-literal text, and back to plain text for the HTML brief."""

from __future__ import annotations

from components.brief import meeting_brief_html
from components.text import JOINER as J
from components.text import escape_markdown, plain_text


def test_every_markdown_construct_in_a_name_is_backslash_escaped():
    assert escape_markdown("恶[点我](http://evil.example)") == rf"恶\[点我\]\(http\:{J}\/\/evil\.example\)"
    assert escape_markdown("![图](http://evil.example/x.png)") == rf"\!\[图\]\(http\:{J}\/\/evil\.example\/x\.png\)"
    assert escape_markdown("**粗** _斜_ `码`") == r"\*\*粗\*\* \_斜\_ \`码\`"
    assert escape_markdown("<b>x</b>") == r"\<b\>x\<\/b\>"
    assert escape_markdown(":red[x] :material/home:") == rf"\:{J}red\[x\] \:{J}material\/home\:{J}"
    assert escape_markdown("$x$") == r"\$x\$"
    assert escape_markdown("# 标题") == r"\# 标题"
    assert escape_markdown("1. 甲") == r"1\. 甲"
    assert escape_markdown("- 乙") == r"\- 乙"


def test_bare_links_and_shortcodes_found_after_parsing_are_broken_invisibly():
    """remark-gfm links bare URLs, www. and e-mail addresses, and Streamlit swaps :smile:, :streamlit: and
    :material_icon: on the parsed text, where backslashes are gone: a WORD JOINER breaks them."""
    assert escape_markdown("http://evil.example") == rf"http\:{J}\/\/evil\.example"
    assert escape_markdown("WWW.evil.example") == rf"WWW{J}\.evil\.example"
    assert escape_markdown("a@evil.example") == rf"a\@{J}evil\.example"
    assert escape_markdown(":smile:") == rf"\:{J}smile\:{J}"


def test_a_name_cannot_start_a_new_markdown_line():
    assert escape_markdown("甲\n# 乙\r\n> 丙") == r"甲 \# 乙  \> 丙"


def test_plain_names_are_unchanged_and_none_is_empty():
    assert escape_markdown("月河社区支行 张三") == "月河社区支行 张三"
    assert escape_markdown(None) == ""
    assert escape_markdown(12) == "12"


def test_plain_text_undoes_the_escaping():
    for name in ["恶[点我](http://evil.example)", "**粗**", "<b>x</b>", ":red[x]", "$x$", "# 标题", "a\\b", "a@b.cn",
                 "www.x.cn"]:
        assert plain_text(escape_markdown(name)) == name
    assert plain_text("沉默群：" + escape_markdown("<b>x</b>群")) == "沉默群：<b>x</b>群"


def test_the_html_brief_shows_escaped_alerts_as_html_escaped_text():
    alert = "沉默群：" + escape_markdown('<img src=x onerror="alert(1)">恶[点我](http://evil.example)')
    page = meeting_brief_html("zh", "简报", "范围", [], [alert], [("最佳员工", escape_markdown("<b>甲</b>"))], [])
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;恶[点我](http://evil.example)" in page
    assert "&lt;b&gt;甲&lt;/b&gt;" in page
    assert "<img" not in page and "<b>" not in page and "\\[" not in page


def test_a_name_in_a_brief_sentence_is_escaped_on_screen_and_plain_in_the_html():
    from components.brief import say
    from models.metrics.brief import Sentence

    sentence = Sentence("drops_same", "bad", {"n": "**3**"})  # a text value stands for any name
    assert r"\*\*3\*\*" in say(sentence, "zh")
    page = meeting_brief_html("zh", "简报", "范围", [sentence], [], [], [])
    assert "**3**" in page and "\\*" not in page
