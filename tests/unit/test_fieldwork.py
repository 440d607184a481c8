"""The pure parts of field work: who may write on which name-list entry, and the audit detail that keeps the
values before and after whole even when they pass the audit column's length."""

from __future__ import annotations

import json

import pytest

from models.campaign import NameListEntry
from models.fieldwork import AUDIT_DETAIL, audit_lines, refusal
from models.scope import Scope

ENTRY = NameListEntry(id=7, campaign_id=1, customer_id=1, branch_id=3, staff_id=2)


@pytest.mark.parametrize(("scope", "expected"), [
    (Scope.for_branches({3}, role="staff", staff_id=2), None),
    (Scope.for_branches({3}, role="staff", staff_id=9), "not_assigned"),
    (Scope.for_branches({3}, role="staff", staff_id=None), "not_assigned"),
    (Scope.for_branches({4}, role="staff", staff_id=2), "outside_scope"),
    (Scope.for_branches({3, 4}, role="president"), None),
    (Scope.for_branches({4}, role="president"), "outside_scope"),
    (Scope.head_office(), None),
    (Scope(branch_ids=None, role="viewer", read_only=True), "read_only"),
    (Scope.for_branches({3}, role="viewer", read_only=True), "read_only"),
    (Scope.for_branches({3}, role="president", read_only=True), "read_only"),
    (Scope.for_branches({3}, role="auditor"), "read_only"),
], ids=["own staff", "another staff", "unlinked staff", "staff elsewhere", "president", "president elsewhere",
        "head office", "viewer", "branch viewer", "read-only president", "unknown role"])
def test_who_may_write_on_an_entry(scope, expected):
    assert refusal(scope, ENTRY) == expected


def test_a_read_only_caller_is_refused_before_any_entry_is_read():
    assert refusal(Scope(branch_ids=None, role="viewer", read_only=True), None) == "read_only"
    assert refusal(Scope.for_branches({3}, role="staff", staff_id=2), None) is None


def test_a_short_change_is_one_audit_line():
    detail = {"visit": 1, "entry": 7, "before": {"note": "a"}, "after": {"note": "b"}}
    assert [json.loads(line) for line in audit_lines(detail)] == [detail]


def test_a_long_change_is_two_whole_lines_never_cut():
    detail = {"visit": 1, "entry": 7, "before": {"note": "甲" * 200, "outcome": "welcomed"},
              "after": {"note": "乙" * 200, "outcome": "declined"}}
    lines = audit_lines(detail)
    assert len(json.dumps(detail, ensure_ascii=False)) > AUDIT_DETAIL
    assert all(len(line) <= AUDIT_DETAIL for line in lines)
    assert [json.loads(line) for line in lines] == [
        {"visit": 1, "entry": 7, "before": detail["before"]}, {"visit": 1, "entry": 7, "after": detail["after"]}]
