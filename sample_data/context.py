"""What every domain generator receives: the scale, the seed, the period and the frames made so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scale:
    name: str
    cities: int
    sub_branches_per_city: int
    staff_per_branch: int
    customers_per_branch: int
    days: int = 365


SCALES: dict[str, Scale] = {
    "demo": Scale("demo", cities=1, sub_branches_per_city=12, staff_per_branch=12, customers_per_branch=1200),
    "medium": Scale("medium", cities=8, sub_branches_per_city=12, staff_per_branch=15, customers_per_branch=800),
    "large": Scale("large", cities=80, sub_branches_per_city=12, staff_per_branch=20, customers_per_branch=1040),
}


@dataclass
class GenContext:
    scale: Scale
    seed: int
    end: date
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.scale.days - 1)

    @property
    def days(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="D")

    def rng(self, domain: str) -> np.random.Generator:
        """An independent stream per domain, so adding a domain never changes another's rows."""
        domain_key = sum((i + 1) * ord(ch) for i, ch in enumerate(domain))
        return np.random.default_rng([self.seed, domain_key])
