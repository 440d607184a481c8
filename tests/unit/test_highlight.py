"""The viewer's own row is painted; with no own row the table is the plain frame (no Styler to format)."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from components.highlight import OWN_ROW_STYLE, highlight_rows


def test_only_the_flagged_row_is_painted():
    frame = pd.DataFrame({"name": ["王", "李", "张"], "invites": [3, 2, 1]}, index=[10, 11, 12])
    styled = highlight_rows(frame, pd.Series([False, True, False], index=[10, 11, 12]))
    assert isinstance(styled, Styler)
    styled._compute()
    painted = {row for (row, _col), styles in styled.ctx.items() if ("background-color", "#dbe9ff") in styles}
    assert painted == {1}
    assert OWN_ROW_STYLE.startswith("background-color: #dbe9ff")


def test_no_own_row_gives_the_frame_itself():
    frame = pd.DataFrame({"name": ["王", "李"], "invites": [3, 2]})
    assert highlight_rows(frame, pd.Series([False, False])) is frame
    assert highlight_rows(frame, pd.Series([], dtype=bool)) is frame
