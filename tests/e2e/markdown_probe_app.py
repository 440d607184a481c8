"""A page that puts hostile names, escaped, into every kind of Streamlit element that renders Markdown;
one name raw, as the control that shows the check can see a link. Run by test_markdown_rendering.py."""

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from components.text import escape_markdown  # noqa: E402

NAMES = ["恶[点我](http://evil.example)", "![图](http://evil.example/x.png)", "**粗**", "<b>x</b>", ":red[x]",
         ":material/home:", ":material_home:", "$x$", "# 标题", "- 列表", "> 引用", ":streamlit:", ":smile:",
         "`码`", "~~删~~", "http://evil.example", "www.evil.example", "a@evil.example"]

st.markdown("CONTROL " + NAMES[0])
with st.container(key="probe"):
    for position, name in enumerate(NAMES):
        text = escape_markdown(name)
        st.markdown(text)
        st.caption(text)
        st.warning(text)
        st.subheader(text)
        st.metric(text, text, help=text)
        with st.expander(text):
            st.write("·")
        st.tabs([text])
        st.button(text, key=f"button_{position}")
        st.radio(text, [0], format_func=lambda _, shown=text: shown, key=f"radio_{position}")
