"""The data layer: SQLModel tables, engine and query functions. Imports no streamlit."""

from models import accounts, campaign, customers, followers, graph, groups, org, referrals, system  # noqa: F401  (register tables)
from models import rollups  # noqa: F401, E402  (daily aggregates the pages read)
