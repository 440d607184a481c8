"""Row highlighting for tables: the viewer's own row stands out (bold on a pale blue band)."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

OWN_ROW_STYLE = "background-color: #dbe9ff; font-weight: 700"


def highlight_rows(frame: pd.DataFrame, mask: pd.Series, style: str = OWN_ROW_STYLE) -> Styler:
    """A Styler that paints the rows where `mask` is true; `mask` shares `frame`'s index."""
    flags = mask.reindex(frame.index, fill_value=False).to_numpy()
    return frame.style.apply(lambda row: [style if flags[frame.index.get_loc(row.name)] else ""] * len(row), axis=1)
