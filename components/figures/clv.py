"""Figures for customer lifetime value: pure functions DataFrame -> plotly Figure (no Streamlit, no SQL)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.figures.text import plain_label
from components.figures.theme import NEGATIVE, NEUTRAL, apply_layout

EQUITY_COLOUR = "#1f4e79"


def calibration_errors(deciles: pd.DataFrame) -> dict[str, float]:
    """How far the last fit's holdout prediction was from what happened: the relative error of the total
    margin and of the total transactions (positive: predicted too much), and the mean absolute relative error
    of the deciles' margin. `deciles` holds per-customer means and `customers` (models.metrics.clv.calibration)."""
    weights = deciles["customers"]
    predicted = (deciles["predicted_margin_per_customer"] * weights).sum()
    actual = (deciles["actual_margin_per_customer"] * weights).sum()
    predicted_tx = (deciles["predicted_transactions_per_customer"] * weights).sum()
    actual_tx = (deciles["actual_transactions_per_customer"] * weights).sum()
    per_decile = ((deciles["predicted_margin_per_customer"] - deciles["actual_margin_per_customer"]).abs()
                  / deciles["actual_margin_per_customer"].abs().where(lambda v: v > 0))
    return {
        "margin_error": float(predicted / actual - 1) if actual else float("nan"),
        "transactions_error": float(predicted_tx / actual_tx - 1) if actual_tx else float("nan"),
        "mean_decile_error": float(per_decile.mean()) if per_decile.notna().any() else float("nan"),
    }


def calibration_figure(deciles: pd.DataFrame, title: str, x_title: str, y_title: str, predicted_name: str,
                       actual_name: str) -> go.Figure:
    """Predicted and actual margin per customer over the holdout months, side by side per decile of predicted
    value (1 = predicted least valuable, 10 = most): a good model's bars match and rise together."""
    frame = deciles.sort_values("decile")
    x = frame["decile"].astype(int).astype(str)
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=frame["predicted_margin_per_customer"], name=predicted_name, marker_color=NEUTRAL,
                         hovertemplate="%{y:,.1f}<extra>" + predicted_name + "</extra>"))
    fig.add_trace(go.Bar(x=x, y=frame["actual_margin_per_customer"], name=actual_name, marker_color=NEGATIVE,
                         hovertemplate="%{y:,.1f}<extra>" + actual_name + "</extra>"))
    fig.update_layout(barmode="group", hovermode="x unified", xaxis_title=x_title, yaxis_title=y_title)
    return apply_layout(fig, title, height=380)


def equity_figure(equity: pd.DataFrame, label_column: str, title: str, x_title: str, top: int = 15) -> go.Figure:
    """Horizontal bars of customer equity (the sum of 12-month CLV), the `top` largest at the top; names from
    the data enter the chart as plain text."""
    frame = equity.sort_values("equity", ascending=False).head(top).iloc[::-1]
    labels = frame[label_column].map(plain_label)
    fig = go.Figure(go.Bar(x=frame["equity"], y=labels, orientation="h", marker_color=EQUITY_COLOUR,
                           customdata=frame[["customers"]].to_numpy(),
                           hovertemplate="%{y}: %{x:,.0f} (%{customdata[0]:,})<extra></extra>"))
    fig.update_layout(hovermode="closest", xaxis_title=x_title, yaxis={"type": "category"})
    return apply_layout(fig, title, height=max(260, 40 + 26 * len(frame)))
