"""The data layer: SQLModel tables, engine and query functions. Imports no streamlit."""

from models import (  # noqa: F401  (register tables)
    accounts,
    campaign,
    clv_scores,
    connections,
    customers,
    followers,
    graph,
    groups,
    org,
    products,
    referrals,
    rollup_tables,
    staff_activity,
    system,
    tasklist,
)
