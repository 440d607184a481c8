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
    rollups,  # noqa: F401, E402  (daily aggregates the pages read)
    system,
)
