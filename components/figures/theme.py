"""One colour per area and shared figure defaults, so every chart looks like the same product."""

from __future__ import annotations

import plotly.graph_objects as go

AREA_COLOURS = {
    "followers": "#1f6feb",
    "groups": "#2da44e",
    "referrals": "#bf8700",
    "graph": "#8250df",
    "campaign": "#cf222e",
}
POSITIVE = "#2da44e"
NEGATIVE = "#cf222e"
NEUTRAL = "#57606a"
FONT_FAMILY = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


def apply_layout(figure: go.Figure, title: str | None = None, height: int = 420) -> go.Figure:
    """The house look. Hover defaults to one box per date ("x unified", for time lines); a builder that chose
    its own hover mode before (bars of names: "closest") keeps it."""
    figure.update_layout(
        title=title, height=height, margin={"l": 10, "r": 10, "t": 60 if title else 20, "b": 10},
        font={"family": FONT_FAMILY, "size": 13}, hovermode=figure.layout.hovermode or "x unified",
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    )
    return figure
