"""What the groups page and the overview ask for: KPIs, the health table and the headline."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from models.measures.groups import DEFAULT_DORMANT_DAYS, group_health, kpis_from
from models.metrics.groups.activity import (
    _silence,
    _silent_since,
    bank_period_totals,
    dormant_group_list,
    group_counts,
    group_period_summary,
    last_customer_message,
    medians_for_shown,
    reply_time_histogram,
)
from models.metrics.groups.common import groups_in_scope
from models.metrics.groups.value import unique_member_count
from models.scope import Scope
from models.store.frames import read_frame

# ---------------------------------------------------------------- compositions for pages


def group_kpis(session: Session, scope: Scope, start: date, end: date,
               dormant_days: int = DEFAULT_DORMANT_DAYS, kind: str | None = None) -> dict[str, float | int | None]:
    """KPIs for the scope and period (members and dormancy as of `end`), optionally for one kind."""
    groups, dormant = group_counts(session, scope, end, dormant_days, kind)
    summary = bank_period_totals(session, start, end, kind) if scope.is_everything else \
        group_period_summary(session, scope, start, end, kind=kind, trend=False)  # the KPIs sum no trend
    return kpis_from(summary, (end - start).days + 1, reply_time_histogram(session, scope, start, end, kind=kind),
                     unique_member_count(session, scope, end, kind), groups, dormant)


def group_health_table(session: Session, scope: Scope, start: date, end: date,
                       dormant_days: int = DEFAULT_DORMANT_DAYS, kind: str | None = None,
                       limit: int | None = None) -> pd.DataFrame:
    """The list of groups with their health, dormant ones first; with `limit`, its first `limit` rows
    (the order does not depend on the median reply, so it is read only for those)."""
    no_medians = pd.DataFrame({"key": pd.Series(dtype="int64"), "median_reply_minutes": pd.Series(dtype="float64")})
    if limit is not None:
        shown = _most_silent_first(session, scope, start, end, dormant_days, kind, limit, no_medians)
        if shown is not None:
            return _with_medians(session, scope, start, end, kind, shown, limit)
    groups = groups_in_scope(session, scope, kind)
    summary = group_period_summary(session, scope, start, end, kind=kind)
    last_message = last_customer_message(session, scope, end, kind)
    if limit is None:
        medians = medians_for_shown(session, scope, start, end, "group", kind, pd.Series(dtype="int64"), None)
        return group_health(groups, summary, medians, last_message, end, dormant_days)
    shown = group_health(groups, summary, no_medians, last_message, end, dormant_days).head(limit)
    return _with_medians(session, scope, start, end, kind, shown, limit)


def _with_medians(session, scope, start, end, kind, shown: pd.DataFrame, limit: int) -> pd.DataFrame:
    medians = medians_for_shown(session, scope, start, end, "group", kind, shown["group_id"], limit)
    filled = shown["group_id"].map(medians.set_index("key")["median_reply_minutes"]) if not medians.empty else np.nan
    return shown.assign(median_reply_minutes=filled).astype({"median_reply_minutes": "float64"})


def _most_silent_first(session, scope, start, end, dormant_days, kind, limit, no_medians) -> pd.DataFrame | None:
    """The first `limit` rows of the health list when at least `limit` groups are dormant: they are the
    dormant groups silent longest (ties by active share), so only those candidates' period sums are read.
    None when there are too few dormant groups to fill the list (the caller reads every group)."""
    silence = _silence(session, scope, end, kind)
    since = _silent_since(silence)
    dormant = (silence.c.created_on <= end, since <= end - timedelta(days=dormant_days))
    # the silence of the `limit`-th longest-silent dormant group: every group silent as long is a candidate
    threshold = session.execute(select(since).where(*dormant).order_by(since, silence.c.group_id)
                                .offset(limit - 1).limit(1)).scalar()
    if threshold is None:
        return None
    rows = read_frame(session, select(silence.c.group_id, silence.c.last_message_day)
                      .where(*dormant, since <= threshold))
    candidates = [int(g) for g in rows["group_id"]]
    summary = group_period_summary(session, scope, start, end, kind=kind, group_ids=candidates)
    if len(summary) < limit:  # some dormant groups have no days in the period: not enough candidates
        return None
    groups = groups_in_scope(session, scope, kind, group_ids=candidates)
    last_message = rows.dropna().assign(last_message_day=lambda f: pd.to_datetime(f["last_message_day"]))
    return group_health(groups, summary, no_medians, last_message, end, dormant_days).head(limit)


def overview_headline(session: Session, scope: Scope, end: date, dormant_days: int = DEFAULT_DORMANT_DAYS,
                      period_days: int = 30) -> dict[str, object]:
    """For the overview page: the last `period_days` KPIs and the dormant-group alerts as of `end`."""
    start = end - timedelta(days=period_days - 1)
    return {"kpis": group_kpis(session, scope, start, end, dormant_days),
            "dormant": dormant_group_list(session, scope, end, dormant_days)}
