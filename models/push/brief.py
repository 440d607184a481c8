"""What a branch's morning brief says, as data: the overview's "what changed since last week" sentences, its
alerts (one item per branch in a drop, per lagging village list, per fraud-flag count, per silent group) and
how fresh the figures are, for the branch and every branch under it, read through the same query functions
as the overview page. Wording and WeCom markdown are the composer's (`components.push.compose_brief`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlmodel import Session

from models.metrics import brief, campaign, followers, groups, referrals
from models.metrics.brief import Sentence
from models.metrics.freshness import data_freshness, summary
from models.metrics.org import descendant_branch_ids
from models.org import Branch
from models.scope import Scope
from models.store.frames import read_frame

BRIEF_DAYS = 7  # the brief speaks of the last week, as "what changed since last week" does


@dataclass(frozen=True)
class Alert:
    """One alert: `kind` drop | fraud | lagging | dormant (the composer's wording) and its values; names
    from the data are raw text here and escaped by the composer."""

    kind: str
    values: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class BranchBrief:
    branch_id: int
    branch_code: str
    branch_name: str
    end: date | None                      # the last day with follower figures (None: the branch has none)
    sentences: list[Sentence] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    freshness: dict[str, object] = field(default_factory=dict)   # models.metrics.freshness.summary


class UnknownBranch(LookupError):
    """No branch with that code."""


def branch_scope(session: Session, branch_code: str) -> tuple[Branch, Scope]:
    """The branch and the scope its president sees: the branch and every branch under it, phones masked."""
    branch = session.execute(select(Branch).where(Branch.code == branch_code)).scalars().first()
    if branch is None:
        raise UnknownBranch(branch_code)
    tree = read_frame(session, select(Branch.id.label("branch_id"), Branch.parent_id))
    return branch, Scope.for_branches(descendant_branch_ids(tree, branch.id), label=branch.name, role="president")


def alerts_on(session: Session, scope: Scope, end: date) -> list[Alert]:
    """The overview's alerts for `scope` on `end`, most urgent first: branches losing followers, open fraud
    flags, lagging campaign villages, then each silent group (the longest list, trimmed first)."""
    found = [Alert("drop", {"branch": row.branch_name, "start": row.start_day.date(), "days": int(row.days),
                            "net": int(row.episode_net)})
             for row in brief.drop_alerts_on(session, scope, end).itertuples(index=False)]
    flags = referrals.overview_headline(session, scope, end=end, days=BRIEF_DAYS)["open_fraud_flags"]
    if flags:
        found.append(Alert("fraud", {"n": int(flags)}))
    season = campaign.overview_headline(session, scope, end=end)
    if season and season["running"] and season["worst_villages"]:
        found.append(Alert("lagging", {"n": int(season["lagging_villages"]), "total": int(season["villages"]),
                                       "villages": [(v["village_name"], float(v["attainment"]))
                                                    for v in season["worst_villages"]]}))
    dormant = groups.overview_headline(session, scope, end=end, period_days=BRIEF_DAYS)["dormant"]
    found += [Alert("dormant", {"name": row.group_name, "days": int(row.days_silent)})
              for row in dormant.itertuples(index=False)]
    return found


def branch_brief(session: Session, branch_code: str, end: date | None = None, now: datetime | None = None) \
        -> BranchBrief:
    """The brief of one branch (and the branches under it) for the week ending on `end` (default: its last
    day with follower figures)."""
    branch, scope = branch_scope(session, branch_code)
    freshness = summary(data_freshness(session, scope, now=now))
    end = end or followers.follower_date_range(session, scope)[1]
    if end is None:
        return BranchBrief(branch.id, branch.code, branch.name, None, freshness=freshness)
    this_week = brief.week_figures(session, scope, end)
    last_week = brief.week_figures(session, scope, brief.last_week_end(end))
    return BranchBrief(branch.id, branch.code, branch.name, end, brief.what_changed(this_week, last_week),
                       alerts_on(session, scope, end), freshness)
