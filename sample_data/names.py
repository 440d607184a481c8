"""Pools of realistic Chinese names drawn once from Faker (zh_CN) and then sampled with numpy."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from faker import Faker


@lru_cache(maxsize=4)
def person_name_pool(seed: int, size: int = 6000) -> tuple[str, ...]:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    return tuple(fake.name() for _ in range(size))


@lru_cache(maxsize=4)
def company_name_pool(seed: int, size: int = 1500) -> tuple[str, ...]:
    fake = Faker("zh_CN")
    fake.seed_instance(seed + 7)
    return tuple(fake.company() for _ in range(size))


def sample_names(rng: np.random.Generator, count: int, seed: int) -> np.ndarray:
    pool = np.array(person_name_pool(seed))
    return pool[rng.integers(0, len(pool), size=count)]


def sample_companies(rng: np.random.Generator, count: int, seed: int) -> np.ndarray:
    pool = np.array(company_name_pool(seed))
    return pool[rng.integers(0, len(pool), size=count)]


MOBILE_PREFIXES = np.array(
    ["134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159", "182", "183",
     "187", "188", "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "189", "177"]
)


def sample_phones(rng: np.random.Generator, count: int) -> np.ndarray:
    prefixes = MOBILE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), size=count)]
    tails = rng.integers(0, 100_000_000, size=count)
    return np.char.add(prefixes.astype(str), np.char.zfill(tails.astype(str), 8))
