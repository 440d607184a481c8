"""The data layer: SQLModel tables, engine and query functions. Imports no streamlit."""

from models import (  # noqa: F401  (register tables)
    accounts,
    campaign,
    customers,
    followers,
    graph,
    groups,
    org,
    referrals,
    rollup_tables,
    system,
    tasklist,
)
