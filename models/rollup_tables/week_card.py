"""The overview's week card: per branch and day, the figures of the seven days ending on that day that the
head-office brief compares week against week. Head office sums one row per branch instead of asking every
area for its headline; one branch reads one row."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

CARD_WEEK_DAYS = 7          # the brief's week: the seven days ending on `day`
CARD_FOLLOWER_LOOKBACK = 21  # a scope "has follower figures" on a day when it has some in the 21 days to it
CARD_MIN_DROP_DAYS = 5      # a drop is counted once its flagged run is this long (as `drops_running_on_day`)


class BranchWeekCard(SQLModel, table=True):
    """One branch's week ending on `day`. Additive across branches: a scope's card is the sum of its rows
    (shares are kept as numerator and denominator, the season's deposits as the amount to date). Rows
    exist for every branch on every day from seven days before the bank's first follower day to its last."""

    __table_args__ = (
        Index("ix_branch_week_card_branch_day", "branch_id", "day", unique=True),
        Index("ix_branch_week_card_day", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    branch_id: int = Field(foreign_key="branch.id")
    day: date
    net_follows: int = 0               # net follows over the seven days
    cumulative_followers: int = 0      # followers on `day` (its accounts' rows of that day)
    follower_days: int = 0             # days with follower figures in the 21 days to `day`
    drop_running: bool = False         # a follower drop of at least five days is running on `day`
    groups: int = 0                    # groups created by `day`
    dormant_groups: int = 0            # of those, silent for the dormancy threshold on `day`
    member_days: int = 0               # group member-days over the seven days
    active_member_days: int = 0        # of those, days a member posted
    conversions: int = 0               # live referral conversions over the seven days
    fraud_flags: int = 0               # fraud flags stored for the seven days' events (cleared ones included)
    campaign_id: int | None = Field(default=None, foreign_key="migrantcampaign.id")  # the season running on `day`
    campaign_deposited: float = 0.0    # that season's deposits from its start to `day`
