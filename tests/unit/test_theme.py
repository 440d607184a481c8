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
