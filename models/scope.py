"""Scope: the set of branches a caller may see. Built on the server, never from a widget value."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, true


class ScopeError(PermissionError):
    """A request reached for a branch outside the caller's scope: refused, not silently narrowed."""


@dataclass(frozen=True)
class Scope:
    """`branch_ids=None` means every branch (head office). `can_see_phones` governs masking.

    `staff_id` marks a staff member's own customers (they may see those phones unmasked).
    """

    branch_ids: frozenset[int] | None = None
    label: str = "head_office"
    can_see_phones: bool = False
    staff_id: int | None = None
    role: str = "admin"
    read_only: bool = field(default=False)

    @classmethod
    def head_office(cls) -> Scope:
        return cls(branch_ids=None, label="head_office", can_see_phones=True, role="admin")

    @classmethod
    def for_branches(cls, branch_ids: Iterable[int], label: str = "branches", **kwargs) -> Scope:
        return cls(branch_ids=frozenset(int(b) for b in branch_ids), label=label, **kwargs)

    @property
    def is_everything(self) -> bool:
        return self.branch_ids is None

    def allows(self, branch_id: int) -> bool:
        return self.branch_ids is None or int(branch_id) in self.branch_ids

    def narrow(self, branch_ids: Iterable[int] | None) -> Scope:
        """A smaller scope for a filter choice; any branch outside this scope raises ScopeError."""
        if branch_ids is None:
            return self
        wanted = frozenset(int(b) for b in branch_ids)
        outside = wanted if self.branch_ids is None else wanted - self.branch_ids
        if self.branch_ids is not None and outside:
            raise ScopeError(f"无权查看这些网点 / not allowed to see branches {sorted(outside)}")
        return Scope(
            branch_ids=wanted,
            label=self.label,
            can_see_phones=self.can_see_phones,
            staff_id=self.staff_id,
            role=self.role,
            read_only=self.read_only,
        )

    def clause(self, column) -> ColumnElement[bool]:
        """The SQL condition that keeps rows of `column` (a branch id column) inside the scope."""
        if self.branch_ids is None:
            return true()
        return column.in_(sorted(self.branch_ids))
