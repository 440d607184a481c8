"""Meeting mode: large type, high contrast, no sidebar, and a pausable slideshow of the key charts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from components.i18n import t

MEETING_KEY = "meeting_mode"
SLIDE_KEY = "meeting_slide"
PLAYING_KEY = "meeting_playing"
SHOWN_AT_KEY = "meeting_shown_at"
SECONDS_KEY = "meeting_seconds"
SECONDS_CHOICES = (10, 15, 20, 30, 60)

MEETING_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stSidebarNav"], header[data-testid="stHeader"] { display: none !important; }
html { font-size: 20px; }
.stApp { background: #ffffff; color: #000000; }
[data-testid="stMainBlockContainer"], .block-container { max-width: 100% !important; padding: 1rem 2rem !important; }
[data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li { font-size: 1.25rem; color: #000; }
[data-testid="stMetricValue"] { font-size: 2.6rem !important; font-weight: 700; color: #000; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem !important; color: #000; }
h1, h2, h3 { color: #000 !important; font-weight: 800 !important; }
</style>
"""


@dataclass(frozen=True)
class Slide:
    title: str
    draw: Callable[[], None]


def in_meeting_mode() -> bool:
    """On when switched on in this session, or when the link asks for it (`?meeting=1`, for the projector)."""
    if st.query_params.get("meeting") == "1" and MEETING_KEY not in st.session_state:
        st.session_state[MEETING_KEY] = True
    return bool(st.session_state.get(MEETING_KEY))


def enter() -> None:
    st.session_state[MEETING_KEY] = True
    st.session_state[SLIDE_KEY] = 0
    st.session_state[PLAYING_KEY] = True
    st.session_state.pop(SHOWN_AT_KEY, None)


def leave() -> None:
    st.session_state[MEETING_KEY] = False
    st.query_params.pop("meeting", None)


def _step(by: int) -> None:
    st.session_state[SLIDE_KEY] = st.session_state.get(SLIDE_KEY, 0) + by
    st.session_state[SHOWN_AT_KEY] = time.monotonic()


def _toggle() -> None:
    st.session_state[PLAYING_KEY] = not st.session_state.get(PLAYING_KEY, True)
    st.session_state[SHOWN_AT_KEY] = time.monotonic()


def slideshow(slides: list[Slide], extra_controls: Callable[[], None] | None = None) -> None:
    """The slides one at a time; advances every few seconds while playing (a fragment re-runs on a
    timer, so only the slide redraws), pausable, with previous / next and a way out."""
    st.markdown(MEETING_CSS, unsafe_allow_html=True)
    playing = st.session_state.get(PLAYING_KEY, True)
    seconds = st.session_state.get(SECONDS_KEY, SECONDS_CHOICES[1])
    controls = st.container(horizontal=True, vertical_alignment="center")
    controls.button(t("meeting.previous"), icon=":material/skip_previous:", on_click=_step, args=(-1,),
                    key="meeting_prev")
    controls.button(t("meeting.pause") if playing else t("meeting.play"), key="meeting_toggle", on_click=_toggle,
                    icon=":material/pause:" if playing else ":material/play_arrow:", type="primary")
    controls.button(t("meeting.next"), icon=":material/skip_next:", on_click=_step, args=(1,), key="meeting_next")
    controls.selectbox(t("meeting.seconds"), SECONDS_CHOICES, key=SECONDS_KEY, index=SECONDS_CHOICES.index(seconds),
                       label_visibility="collapsed", width=110, format_func=lambda s: f"{s} s")
    if extra_controls is not None:
        with controls:
            extra_controls()
    controls.button(t("meeting.exit"), icon=":material/close_fullscreen:", on_click=leave, key="meeting_exit")

    @st.fragment(run_every=seconds if playing else None)
    def current_slide() -> None:
        now = time.monotonic()
        shown_at = st.session_state.get(SHOWN_AT_KEY)
        if shown_at is None:
            st.session_state[SHOWN_AT_KEY] = now
        elif st.session_state.get(PLAYING_KEY, True) and now - shown_at >= seconds - 0.5:
            _step(1)
        index = st.session_state.get(SLIDE_KEY, 0) % len(slides)
        slide = slides[index]
        st.caption(t("meeting.slide_of", n=index + 1, total=len(slides)))
        st.header(slide.title)
        slide.draw()

    if slides:
        current_slide()
