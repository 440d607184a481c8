"""Figure builders: pure functions DataFrame -> plotly Figure, tested without Streamlit."""
