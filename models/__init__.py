"""The data layer: SQLModel tables, engine and query functions. Imports no streamlit."""

from models import accounts, customers, followers, org, referrals, system  # noqa: F401  (register tables)
