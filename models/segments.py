"""Saving a customer segment (issue 18): a named combination of segment filters for the marketing team.

Presidents save segments for their branch (the branch of their account, never a widget's), head office
bank-wide; staff and viewers read them. Each save is one transaction with its audit line; a refusal writes
only its audit line and raises `SegmentRefused`."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlmodel import Session

from models.accounts import UserRole
from models.auth import audit, bump_data_version
from models.metrics.customers import SEGMENT_KEYS, Segment
from models.products import CustomerSegment
from models.scope import Scope

NAME_LENGTH = 64
SAVERS = (UserRole.ADMIN.value, UserRole.PRESIDENT.value)


class SegmentRefused(ValueError):
    """The segment cannot be saved; `code` names why (the page words it in zh/en)."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(code)


def save_segment(session: Session, scope: Scope, username: str, name: str, segment: Segment) -> int:
    """Save `segment` under `name` for the caller's branch (a president of several: the first of them) or
    bank-wide (head office); returns its id."""
    clean = " ".join((name or "").split())[:NAME_LENGTH]
    problem = None
    if scope.role not in SAVERS or scope.read_only:
        problem = "not_allowed"
    elif not clean:
        problem = "no_name"
    elif not segment or any(key not in SEGMENT_KEYS or not values for key, values in segment):
        problem = "no_filters"
    if problem is not None:
        audit(session, username, "customer_segment_save", "refused", f"{problem} name={clean!r}")
        session.commit()
        raise SegmentRefused(problem)
    branch_id = None if scope.branch_ids is None else min(scope.branch_ids)
    definition = json.dumps({key: list(values) for key, values in segment}, ensure_ascii=False, sort_keys=True)
    row = CustomerSegment(name=clean, definition=definition, branch_id=branch_id, created_by=username[:64],
                          created_at=datetime.now(UTC))
    session.add(row)
    session.flush()
    bump_data_version(session)
    audit(session, username, "customer_segment_save", "ok", f"id={row.id} name={clean!r} branch={branch_id} {definition}")
    session.commit()
    return int(row.id)
