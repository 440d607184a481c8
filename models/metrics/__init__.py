"""Query functions (session, scope, filters) -> DataFrame, and the pure measures behind them."""
