"""Masking of personal numbers: 138****1234 for everyone but admins and the customer's own staff."""

from __future__ import annotations

import pandas as pd

from models.scope import Scope


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


def phones_for_scope(frame: pd.DataFrame, scope: Scope, phone_column: str = "phone",
                     staff_column: str = "staff_id") -> pd.DataFrame:
    """Mask `phone_column` row by row unless the scope may see it (admin, or the row's own staff)."""
    if phone_column not in frame.columns or scope.can_see_phones:
        return frame
    own = (frame[staff_column] == scope.staff_id) if (scope.staff_id is not None and staff_column in frame.columns) \
        else pd.Series(False, index=frame.index)
    masked = frame[phone_column].map(mask_phone)
    return frame.assign(**{phone_column: frame[phone_column].where(own, masked)})


def own_customers_only(frame: pd.DataFrame, scope: Scope, staff_column: str = "staff_id") -> pd.DataFrame:
    """Staff see person-level rows of their own customers only; other roles see the whole scope."""
    if scope.role != "staff" or staff_column not in frame.columns:
        return frame
    return frame[frame[staff_column] == scope.staff_id]
