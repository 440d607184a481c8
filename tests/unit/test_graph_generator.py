"""The relationship generator is deterministic and builds the networks the issue asks for."""

from __future__ import annotations

from datetime import date

import pandas as pd

from sample_data.generate import generate_frames


def _relationships(seed: int) -> pd.DataFrame:
    return generate_frames("demo", seed, date(2026, 11, 22))["relationship"]


def test_same_seed_same_network_and_another_seed_another():
    first, again, other = _relationships(1), _relationships(1), _relationships(2)
    pd.testing.assert_frame_equal(first, again)
    assert not first[["customer_a_id", "customer_b_id"]].equals(other[["customer_a_id", "customer_b_id"]])


def test_every_kind_is_present_with_its_weight_and_prospects_are_inside_the_networks():
    frames = generate_frames("demo", 1, date(2026, 11, 22))
    edges, customers = frames["relationship"], frames["customer"]
    assert set(edges["kind"]) == {"family", "neighbour", "village", "workplace", "colleague", "referral", "group"}
    assert edges.groupby("kind")["weight"].first().to_dict()["family"] == 3.0
    assert not edges.duplicated(["customer_a_id", "customer_b_id", "kind"]).any()
    tied = set(edges["customer_a_id"]) | set(edges["customer_b_id"])
    prospects = set(customers.loc[customers["is_prospect"], "id"])
    assert len(prospects & tied) / len(prospects) > 0.9
