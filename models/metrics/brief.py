"""The meeting brief: "what changed since last week" as sentences a president says aloud.

Pure functions over figures the other metrics modules already compute (follower KPIs, group and
referral headlines, the campaign headline, drop episodes). A sentence is a message key plus its
values; the UI turns it into Chinese or English text through the i18n dictionary (`brief.*` keys),
so the rules here are tested once and read the same in both languages.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import case, func, select

from models.metrics import campaign, followers, groups, referrals, tasks
from models.rollup_tables.week_card import BranchWeekCard

# Changes smaller than these are "about the same" and not worth a sentence in a meeting.
FLAT_SHARE_POINTS = 0.01   # group activity: one percentage point
FLAT_RELATIVE = 0.05       # follower / referral counts: 5 % of last week's figure


@dataclass(frozen=True)
class WeekFigures:
    """One scope's headline figures for the seven days ending on `end` (None: the area has no data)."""

    end: date
    net_follows: int | None = None
    cumulative_followers: int | None = None
    drop_branches: int | None = None
    active_share: float | None = None
    dormant_groups: int | None = None
    conversions: int | None = None
    fraud_flags: int | None = None
    campaign_running: bool = False
    campaign_deposited: float | None = None
    campaign_attainment: float | None = None
    tasks_closed: int | None = None


@dataclass(frozen=True)
class Sentence:
    """One thing to say: `key` names the wording (brief.<key> in the strings), `tone` is good / bad /
    neutral (drives the icon), `values` fill the wording. Values whose name ends in `_yuan` are amounts,
    `_share` fractions; the UI formats them in the reader's language."""

    key: str
    tone: str
    values: dict[str, object] = field(default_factory=dict)


def last_week_end(end: date) -> date:
    """The day a week before `end`: the brief compares the seven days to `end` with the seven before."""
    return end - timedelta(days=7)


def _is_flat(current: float, previous: float, relative: float = FLAT_RELATIVE) -> bool:
    if previous == 0:
        return current == 0
    return abs(current - previous) <= relative * abs(previous)


def follower_sentence(this: WeekFigures, last: WeekFigures) -> Sentence | None:
    if this.net_follows is None:
        return None
    net, before = this.net_follows, last.net_follows
    if net < 0:
        return Sentence("followers_lost", "bad", {"lost": -net, "total": this.cumulative_followers or 0})
    if before is None:
        return Sentence("followers_gained", "good", {"net": net, "total": this.cumulative_followers or 0})
    if _is_flat(net, before):
        return Sentence("followers_steady", "neutral", {"net": net, "before": before})
    if net > before:
        return Sentence("followers_faster", "good", {"net": net, "diff": net - before, "before": before})
    return Sentence("followers_slower", "bad", {"net": net, "diff": before - net, "before": before})


def drop_sentence(this: WeekFigures, last: WeekFigures) -> Sentence | None:
    now, before = this.drop_branches, last.drop_branches
    if now is None:
        return None
    if now == 0 and not before:
        return None
    if now == 0:
        return Sentence("drops_cleared", "good", {"before": before})
    if before is None or now > before:
        return Sentence("drops_more", "bad", {"n": now, "new": now - (before or 0)})
    if now < before:
        return Sentence("drops_fewer", "good", {"n": now, "before": before})
    return Sentence("drops_same", "bad", {"n": now})


def group_sentences(this: WeekFigures, last: WeekFigures) -> list[Sentence]:
    said: list[Sentence] = []
    if this.active_share is not None and last.active_share is not None:
        change = this.active_share - last.active_share
        values = {"now_share": this.active_share, "before_share": last.active_share}
        if abs(change) < FLAT_SHARE_POINTS:
            said.append(Sentence("groups_active_steady", "neutral", values))
        else:
            said.append(Sentence("groups_active_up" if change > 0 else "groups_active_down",
                                 "good" if change > 0 else "bad", values))
    if this.dormant_groups is not None and last.dormant_groups is not None:
        change = this.dormant_groups - last.dormant_groups
        if change > 0:
            said.append(Sentence("groups_dormant_more", "bad", {"n": change, "total": this.dormant_groups}))
        elif change < 0:
            said.append(Sentence("groups_dormant_fewer", "good", {"n": -change, "total": this.dormant_groups}))
    return said


def referral_sentences(this: WeekFigures, last: WeekFigures) -> list[Sentence]:
    said: list[Sentence] = []
    if this.conversions is not None:
        now, before = this.conversions, last.conversions
        if before is None or _is_flat(now, before):
            said.append(Sentence("referrals_steady", "neutral", {"n": now}))
        elif now > before:
            said.append(Sentence("referrals_up", "good", {"n": now, "before": before}))
        else:
            said.append(Sentence("referrals_down", "bad", {"n": now, "before": before}))
    if this.fraud_flags:
        said.append(Sentence("fraud_flags", "bad", {"n": this.fraud_flags}))
    return said


def campaign_sentence(this: WeekFigures, last: WeekFigures) -> Sentence | None:
    if not this.campaign_running or this.campaign_deposited is None:
        return None
    week_yuan = this.campaign_deposited - (last.campaign_deposited or 0.0) if last.campaign_running else \
        this.campaign_deposited
    values = {"week_yuan": week_yuan, "now_share": this.campaign_attainment or 0.0,
              "before_share": (last.campaign_attainment or 0.0) if last.campaign_running else 0.0}
    return Sentence("campaign_week", "good" if week_yuan > 0 else "bad", values)


def task_sentence(this: WeekFigures, last: WeekFigures) -> Sentence | None:
    """Tasks closed as done this week against the week before; nothing while neither week closed one."""
    if this.tasks_closed is None or (this.tasks_closed == 0 and not last.tasks_closed):
        return None
    now, before = this.tasks_closed, last.tasks_closed or 0
    return Sentence("tasks_closed", "good" if now >= before and now > 0 else "bad" if now < before else "neutral",
                    {"n": now, "before": before})


def what_changed(this: WeekFigures, last: WeekFigures) -> list[Sentence]:
    """The week against the week before, area by area, in the order a president runs the meeting:
    followers, drops, groups, referrals (and fraud flags), the campaign, the tasks closed. Areas without
    data say nothing."""
    said: list[Sentence] = []
    for sentence in (follower_sentence(this, last), drop_sentence(this, last)):
        if sentence is not None:
            said.append(sentence)
    said += group_sentences(this, last)
    said += referral_sentences(this, last)
    for sentence in (campaign_sentence(this, last), task_sentence(this, last)):
        if sentence is not None:
            said.append(sentence)
    return said


def branch_extremes(ranking: pd.DataFrame, value_column: str = "net_growth", n: int = 5) -> tuple[pd.DataFrame,
                                                                                                   pd.DataFrame]:
    """The `n` best and `n` worst branches of a ranking by `value_column` (worst first in the second);
    with fewer than 2n branches the two lists do not overlap: the bottom takes what the top left."""
    if ranking.empty:
        return ranking, ranking
    ordered = ranking.sort_values([value_column, "branch_id"], ascending=[False, True]).reset_index(drop=True)
    top = ordered.head(n)
    rest = ordered.iloc[len(top):]
    bottom = rest.tail(n).iloc[::-1].reset_index(drop=True)
    return top, bottom


# ---------------------------------------------------------------- queries (built on the areas' own functions)


def week_figures(session, scope, end: date, tasks_until: date | None = None) -> WeekFigures:
    """The scope's figures for the seven days ending on `end`, summed from the branches' stored week cards
    (one row per branch), or computed through each area's own metrics when the card does not hold `end`.
    Tasks are the app's own work, stamped when they are closed: their week ends on `tasks_until` (the
    overview passes today when it shows the latest imported day, so "this week" is this week even when
    the last file is a few days old), or on `end`."""
    stored = stored_week_figures(session, scope, end)
    if stored is None:
        return week_figures_direct(session, scope, end, tasks_until)
    until = tasks_until or end
    return replace(stored, tasks_closed=tasks.tasks_closed(session, scope, until - timedelta(days=6), until))


def stored_week_figures(session, scope, end: date) -> WeekFigures | None:
    """`week_figures` (without the tasks) from `BranchWeekCard`: the scope's rows of `end` summed in one
    statement, the season's target and the week's cleared fraud flags read only when they matter. None
    when the card holds no row for the scope on `end` (outside its calendar, or not built yet)."""
    card = BranchWeekCard
    row = session.execute(
        select(func.count(), func.sum(card.net_follows), func.sum(card.cumulative_followers),
               func.sum(card.follower_days), func.sum(case((card.drop_running, 1), else_=0)), func.sum(card.groups),
               func.sum(card.dormant_groups), func.sum(card.member_days), func.sum(card.active_member_days),
               func.sum(card.conversions), func.sum(card.fraud_flags), func.max(card.campaign_id),
               func.sum(card.campaign_deposited))
        .where(scope.clause(card.branch_id), card.day == end)).one()
    (rows, net, cumulative, follower_days, drops, group_count, dormant, member_days, active_days, conversions,
     flags, campaign_id, deposited) = row
    if not rows:
        return None
    has_followers = bool(follower_days)
    has_groups = bool(group_count)
    open_flags = int(flags or 0)
    if open_flags:
        open_flags -= referrals.cleared_flag_count(session, scope, end - timedelta(days=6), end)
    running, deposited_to_date, attainment = False, None, None
    if campaign_id is not None:
        target = campaign.branch_target_total(session, scope, int(campaign_id))
        running = target > 0 or campaign.has_deposits(session, scope, int(campaign_id))
        if running:
            deposited_to_date = float(deposited or 0.0)
            attainment = deposited_to_date / target if target else None
    return WeekFigures(
        end=end,
        net_follows=int(net) if has_followers else None,
        cumulative_followers=int(cumulative) if has_followers else None,
        drop_branches=int(drops) if has_followers else None,
        active_share=(int(active_days) / int(member_days) if member_days else None) if has_groups else None,
        dormant_groups=int(dormant) if has_groups else None,
        conversions=int(conversions or 0), fraud_flags=open_flags,
        campaign_running=running, campaign_deposited=deposited_to_date, campaign_attainment=attainment,
    )


def week_figures_direct(session, scope, end: date, tasks_until: date | None = None) -> WeekFigures:
    """`week_figures` read through each area's own metrics (the reference the stored card must equal)."""
    history = followers.daily_followers(session, scope, start=end - timedelta(days=20), end=end)
    follower = followers.follower_kpis(history, as_of=end) if not history.empty else {}
    drop_branches = _drop_branches_on(session, scope, end, has_figures=not history.empty)
    group = groups.overview_headline(session, scope, end=end, period_days=7)["kpis"]
    referral = referrals.overview_headline(session, scope, end=end, days=7)
    season = campaign.overview_headline(session, scope, end=end)
    running = bool(season and season["running"])
    return WeekFigures(
        end=end,
        net_follows=follower.get("net_7d"), cumulative_followers=follower.get("cumulative"),
        drop_branches=drop_branches,
        active_share=group.get("active_share") if group.get("groups") else None,
        dormant_groups=group.get("dormant_groups") if group.get("groups") else None,
        conversions=referral["conversions"], fraud_flags=referral["open_fraud_flags"],
        campaign_running=running,
        campaign_deposited=season["deposited"] if running else None,
        campaign_attainment=season["attainment"] if running else None,
        tasks_closed=tasks.tasks_closed(session, scope, (tasks_until or end) - timedelta(days=6), tasks_until or end),
    )


def _branches_in(drops: pd.DataFrame) -> int:
    return 0 if drops.empty else int(drops["branch_id"].nunique())


def _drop_branches_on(session, scope, end: date, has_figures: bool) -> int | None:
    """How many branches have a drop running on `end` (None: the scope has no follower figures then)."""
    return _branches_in(followers.drops_running_on_day(session, scope, end)) if has_figures else None


def drop_alerts_on(session, scope, end: date) -> pd.DataFrame:
    """Branches whose follower drop is still running on `end` (the overview's alert list for any day): the
    stored drop signal for every scope. One branch used to detect over its last 70 days: the same alert, but an
    episode that began before those days was cut short, and it cost a branch's overview more than any other read
    but the campaign's."""
    return followers.running_drop_alerts(session, scope, end)


def campaign_curves(session, scope, end: date) -> tuple[pd.DataFrame | None, float]:
    """The latest season started by `end` against the one before, as cumulative deposits by lunar day,
    and the branch target; (None, 0) when the store has no season to compare."""
    seasons = campaign.campaigns(session, scope)
    started = seasons[seasons["start_date"] <= pd.Timestamp(end)] if not seasons.empty else seasons
    if started.empty:
        return None, 0.0
    this = started.iloc[-1]
    last = campaign.previous_season(seasons, int(this["season"]))
    if last is None:
        return None, 0.0
    as_of = min(end, this["end_date"].date())
    this_daily = campaign.daily_deposits(session, scope, int(this["campaign_id"]))
    last_daily = campaign.daily_deposits(session, scope, int(last["campaign_id"]))
    if this_daily.empty and last_daily.empty:
        return None, 0.0
    target = campaign.branch_target_total(session, scope, int(this["campaign_id"]))  # one SUM, not every target row
    return campaign.comparison_curves(this_daily, this, last_daily, last, as_of), target


@dataclass(frozen=True)
class KeyChartData:
    """What the brief's charts draw besides the figures the overview shows anyway (the follower history, the
    best and worst branches): each marketing event's uplift and the drop episodes of the period, the groups'
    activity by kind, the referral funnel and the season's curves against the last (None: no season to compare)."""

    uplift: pd.DataFrame
    drops: pd.DataFrame
    activity: pd.DataFrame
    funnel: pd.DataFrame
    curves: pd.DataFrame | None
    target: float


def key_chart_data(session, scope, start: date, end: date) -> KeyChartData:
    """The charts' own reads, made only when the charts are drawn (the meeting's slides, the opened key-charts
    section, the downloaded brief): at every other visit they were a fifth of the overview's data time."""
    uplift, drops = followers.event_uplift_and_drops(session, scope, start, end)
    curves, target = campaign_curves(session, scope, end)
    return KeyChartData(uplift=uplift, drops=drops, activity=groups.activity_by_kind(session, scope, start, end),
                        funnel=referrals.funnel(session, scope, start, end), curves=curves, target=target)
