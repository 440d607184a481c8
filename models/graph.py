"""The customer relationship graph: ties between customers and prospects, and per-person metrics.

Staff-to-customer service ties are `Customer.staff_id` (the managing account manager); key-person
roles are `customers.KeyPerson`. This module adds the customer-to-customer ties and the
precomputed centrality and community of every person (`NodeMetric`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel


class RelationKind(StrEnum):
    FAMILY = "family"
    NEIGHBOUR = "neighbour"
    WORKPLACE = "workplace"
    VILLAGE = "village"
    COLLEAGUE = "colleague"
    REFERRAL = "referral"
    GROUP = "group"


class RelationSource(StrEnum):
    """Where the bank learned of a tie."""

    HOUSEHOLD_SURVEY = "household_survey"  # 整村授信 / household visits
    VILLAGE_SURVEY = "village_survey"  # talks with village key persons
    STAFF_VISIT = "staff_visit"
    PAYROLL = "payroll"  # 代发工资: same employer
    REFERRAL_CODE = "referral_code"
    GROUP_MEMBERSHIP = "group_membership"
    IMPORT = "import"


# How strong a tie of each kind is by default (the generator and importers use these).
DEFAULT_WEIGHT: dict[str, float] = {
    RelationKind.FAMILY: 3.0,
    RelationKind.REFERRAL: 2.5,
    RelationKind.WORKPLACE: 2.0,
    RelationKind.COLLEAGUE: 1.5,
    RelationKind.VILLAGE: 1.5,
    RelationKind.NEIGHBOUR: 1.0,
    RelationKind.GROUP: 0.5,
}

# Ties with a direction: customer_a brought customer_b. Every other kind is stored with a < b.
DIRECTED_KINDS = frozenset({RelationKind.REFERRAL.value})


class Relationship(SQLModel, table=True):
    """One tie between two people (customers or prospects) of one kind; unique per pair and kind.

    `branch_id` is customer_a's home branch, so that scope filters the graph like any other table.
    """

    __table_args__ = (
        UniqueConstraint("customer_a_id", "customer_b_id", "kind", name="uq_relationship_pair_kind"),
        Index("ix_relationship_b", "customer_b_id"),
        Index("ix_relationship_branch_kind", "branch_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_a_id: int = Field(foreign_key="customer.id")
    customer_b_id: int = Field(foreign_key="customer.id")
    branch_id: int = Field(foreign_key="branch.id")
    kind: str = Field(max_length=16)
    weight: float = 1.0
    source: str = Field(default=RelationSource.IMPORT, max_length=24)


class NodeMetric(SQLModel, table=True):
    """A person's place in their branch's network, precomputed by `manage.py graph-metrics`.

    `pagerank` is influence within the branch (summing to 1 there); `influence` is the same scaled
    so that the average person of the branch is 1.0, comparable across branches; `betweenness` is brokerage (who links circles
    that would not otherwise meet), `community` is the circle (Louvain, seeded) and
    `customer_neighbour_share` the share of the person's contacts who already bank with us.
    """

    __table_args__ = (
        Index("ix_node_metric_branch_influence", "branch_id", "influence"),
        Index("ix_node_metric_branch_community", "branch_id", "community"),
        Index("ix_node_metric_branch_betweenness", "branch_id", "betweenness"),
        # Head office's "top 20 of a million" lists read these in order and stop early.
        Index("ix_node_metric_influence", "influence"),
        Index("ix_node_metric_betweenness", "betweenness"),
        Index("ix_node_metric_prospect_ties", "is_prospect", "customer_ties"),
        Index("ix_node_metric_branch_prospect_ties", "branch_id", "is_prospect", "customer_ties"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", unique=True)
    branch_id: int = Field(foreign_key="branch.id")
    degree: int = 0
    weighted_degree: float = 0.0
    pagerank: float = 0.0
    influence: float = 0.0
    betweenness: float = 0.0
    community: int = -1
    communities_bridged: int = 0
    customer_neighbour_share: float | None = None
    # Stored so that "prospects best tied to our customers" is an index read, not a sort of everyone:
    # degree × customer_neighbour_share, and whether the person was a prospect when measured.
    customer_ties: float = 0.0
    is_prospect: bool = False
    computed_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class NetworkSummary(SQLModel, table=True):
    """One row per branch with a relationship network: ties (kept in step by imports) and what the last
    `graph-metrics` run measured there, so head office reads 1,000 rows instead of millions."""

    branch_id: int = Field(foreign_key="branch.id", primary_key=True)
    ties: int = 0
    people_measured: int = 0
    prospects_well_tied: int = 0
    computed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=True))
