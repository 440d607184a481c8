"""The data layer: SQLModel tables, engine and query functions. Imports no streamlit."""

from models import customers, followers, graph, org, system  # noqa: F401  (register tables)
