"""Masking of personal numbers, and the one rule for a staff member's own customers.

Own customer (the rule every page uses): a customer is the own customer of the staff record that the
customer record names as its managing staff (`Customer.staff_id`), and of no one else: not the contact
staff of a name-list entry, not a group's owner, not the staff member of an invite code. A signed-in
user's staff record is `Scope.staff_id` (from the account, never from a widget); an account without one
has no own customers. Own customers' phone numbers are shown unmasked; a staff-role user's person-level
lists hold only their own customers. Admins see every phone (`Scope.can_see_phones`).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import ColumnElement, false

from models.scope import Scope

CUSTOMER_STAFF = "customer_staff_id"  # the frame column that carries Customer.staff_id


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    digits = str(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    text = str(number)
    return text[:4] + "*" * max(len(text) - 8, 0) + text[-4:] if len(text) > 8 else "*" * len(text)


def is_own_customer(scope: Scope, customer_staff_id: int | None) -> bool:
    """The rule for one customer record: its managing staff is the signed-in user's staff record."""
    if scope.staff_id is None or customer_staff_id is None or pd.isna(customer_staff_id):
        return False
    return int(customer_staff_id) == int(scope.staff_id)


def own_customer_rows(frame: pd.DataFrame, scope: Scope, column: str = CUSTOMER_STAFF) -> pd.Series:
    """The rule for a frame: True on rows whose `column` (the customer's managing staff) is the user's."""
    if scope.staff_id is None or column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return frame[column].eq(int(scope.staff_id)).fillna(False).astype(bool)


def own_customer_clause(scope: Scope, column) -> ColumnElement[bool]:
    """The rule in SQL, for `column` = Customer.staff_id (an account without a staff record: no rows)."""
    return false() if scope.staff_id is None else column == int(scope.staff_id)


def may_see_phone(scope: Scope, customer_staff_id: int | None) -> bool:
    return scope.can_see_phones or is_own_customer(scope, customer_staff_id)


def phones_for_scope(frame: pd.DataFrame, scope: Scope, phone_column: str = "phone",
                     staff_column: str = CUSTOMER_STAFF) -> pd.DataFrame:
    """Mask `phone_column` row by row unless the scope may see it (admin, or the customer's own staff)."""
    if phone_column not in frame.columns or scope.can_see_phones:
        return frame
    own = own_customer_rows(frame, scope, staff_column)
    masked = frame[phone_column].map(mask_phone)
    return frame.assign(**{phone_column: frame[phone_column].where(own, masked)})


def own_customers_only(frame: pd.DataFrame, scope: Scope, staff_column: str = CUSTOMER_STAFF) -> pd.DataFrame:
    """Staff see person-level rows of their own customers only; other roles see the whole scope."""
    if scope.role != "staff":
        return frame
    return frame[own_customer_rows(frame, scope, staff_column)]
