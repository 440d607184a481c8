"""The data layer: SQLModel tables, engine and query functions. Imports no streamlit."""

from models import accounts, campaign, customers, followers, graph, groups, org, referrals, rollup_tables, system  # noqa: F401  (register tables)
