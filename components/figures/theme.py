"""One colour per area and shared figure defaults, so every chart looks like the same product."""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

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
TEMPLATE_NAME = "cockpit"


def _register_template() -> None:
    """plotly_white's layout (white plot area, light grid) without its per-trace-type defaults, as every new figure's
    template. Measured: a new `go.Figure()` with plotly's default template costs ~17 ms and `template="plotly_white"`
    ~70 ms more (both validate and deep-copy the whole template); with this one under 1 ms. At five charts a page
    that was about half of a warm page's time on the server."""
    if TEMPLATE_NAME not in pio.templates:
        pio.templates[TEMPLATE_NAME] = go.layout.Template(layout=pio.templates["plotly_white"].layout)
    pio.templates.default = TEMPLATE_NAME


_register_template()


def apply_layout(figure: go.Figure, title: str | None = None, height: int = 420) -> go.Figure:
    """The house look. Hover defaults to one box per date ("x unified", for time lines); a builder that chose
    its own hover mode before (bars of names: "closest") keeps it."""
    figure.update_layout(
        title=title, height=height, margin={"l": 10, "r": 10, "t": 60 if title else 20, "b": 10},
        font={"family": FONT_FAMILY, "size": 13}, hovermode=figure.layout.hovermode or "x unified",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
    )
    return figure
