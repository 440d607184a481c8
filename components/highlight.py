"""Row highlighting for tables: the viewer's own row stands out (bold on a pale blue band)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pandas loads the Styler (and jinja2, ~0.2 s) on first use of `frame.style`: only when a row is painted
    from pandas.io.formats.style import Styler

OWN_ROW_STYLE = "background-color: #dbe9ff; font-weight: 700"


def highlight_rows(frame: pd.DataFrame, mask: pd.Series, style: str = OWN_ROW_STYLE) -> Styler | pd.DataFrame:
    """A Styler that paints the rows where `mask` is true; `mask` shares `frame`'s index. With no row to paint (head
    office, a president) the frame itself: a Styler makes Streamlit format every cell on the server (about 0.3 s per
    leaderboard on every rerun), and nothing would be painted."""
    flags = mask.reindex(frame.index, fill_value=False).to_numpy(dtype=bool)
    if not flags.any():
        return frame

    def paint(data: pd.DataFrame) -> pd.DataFrame:   # one vectorised frame of styles, not a Python call per row
        styles = np.where(flags[:, None], style, "")
        return pd.DataFrame(np.broadcast_to(styles, data.shape), index=data.index, columns=data.columns)

    return frame.style.apply(paint, axis=None)
