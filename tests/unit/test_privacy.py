from __future__ import annotations

import pandas as pd

from models.privacy import is_own_customer, mask_id_number, mask_phone, own_customers_only, phones_for_scope
from models.scope import Scope


def test_phone_is_masked_like_the_bank_prints_it():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("") == ""
    assert mask_id_number("330402199001011234") == "3304**********1234"


def test_staff_see_only_their_own_customers_phones():
    frame = pd.DataFrame({"phone": ["13800000001", "13900000002"], "customer_staff_id": [7, 8]})
    staff = Scope.for_branches([1], staff_id=7)
    shown = phones_for_scope(frame, staff)
    assert list(shown["phone"]) == ["13800000001", "139****0002"]
    assert list(phones_for_scope(frame, Scope.head_office())["phone"]) == ["13800000001", "13900000002"]
    assert list(phones_for_scope(frame, Scope.for_branches([1]))["phone"]) == ["138****0001", "139****0002"]


def test_staff_lists_hold_only_their_own_customers():
    frame = pd.DataFrame({"customer": ["甲", "乙"], "customer_staff_id": [7, 8]})
    assert list(own_customers_only(frame, Scope.for_branches([1], staff_id=7, role="staff"))["customer"]) == ["甲"]
    assert len(own_customers_only(frame, Scope.for_branches([1], staff_id=7, role="president"))) == 2


def test_empty_phone_stays_empty_when_masked():
    frame = pd.DataFrame({"phone": ["13812345678", ""], "customer_staff_id": [1, 1]})
    assert list(phones_for_scope(frame, Scope.for_branches([1]))["phone"]) == ["138****5678", ""]


def test_own_customer_is_the_customer_records_staff_and_nobody_without_a_staff_record():
    frame = pd.DataFrame({"phone": ["13800000001"], "staff_id": [7], "customer_staff_id": [8]})  # contact 7, owner 8
    assert list(phones_for_scope(frame, Scope.for_branches([1], staff_id=8))["phone"]) == ["13800000001"]
    assert list(phones_for_scope(frame, Scope.for_branches([1], staff_id=7))["phone"]) == ["138****0001"]
    unlinked = Scope.for_branches([1], staff_id=None, role="staff")
    assert own_customers_only(frame, unlinked).empty
    assert not is_own_customer(unlinked, None) and is_own_customer(Scope(staff_id=8), 8)
