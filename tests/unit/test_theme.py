"""One look: the Streamlit theme's chart colours are the areas' colours, in the same order."""

from __future__ import annotations

import tomllib
from pathlib import Path

from components.figures.theme import AREA_COLOURS

CONFIG = Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml"


def test_streamlit_theme_starts_with_the_area_colours():
    theme = tomllib.loads(CONFIG.read_text())["theme"]
    assert theme["chartCategoricalColors"][: len(AREA_COLOURS)] == list(AREA_COLOURS.values())
    assert theme["primaryColor"] == AREA_COLOURS["followers"]


def test_house_layout_keeps_a_builders_own_hover_mode():
    """Bars of names hover one bar at a time ("closest"); a plain figure gets the time-line default."""
    import pandas as pd
    import plotly.graph_objects as go

    from components.figures.followers import ranking_bars
    from components.figures.theme import apply_layout

    ranking = pd.DataFrame({"branch_name": ["甲支行", "乙支行"], "net_growth": [12, -3]})
    assert ranking_bars(ranking, "net_growth", "净增").layout.hovermode == "closest"
    assert apply_layout(go.Figure()).layout.hovermode == "x unified"
