"""A new day for every branch written through the importers' refresh (only the rollups each kind feeds, running
totals appended, batches re-judged for what the day touched) leaves every rollup as a full rebuild would."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlmodel import Session

from bench.daily_refresh import generate_day, last_day, write_day
from models.measures.referrals import DEVICE_BURST_MIN
from models.referrals import ReferralEvent, ReferralStage
from models.refresh import refresh_rollups
from models.rollup_tables import (
    ROLLUP_TABLES,
    GroupMembersBankDaily,
    GroupValueSnapshot,
    ReferralFraudFlag,
    ReferralInvitation,
)
from models.store.frames import read_frame
from tests.conftest import DEMO_END


def _planted_fraud(session: Session, new_day) -> tuple[pd.DataFrame, dict]:
    """Fraud cases on the new day whose flags reach days before it, whatever the drawn day holds: DEVICE_BURST_MIN
    registrations through one code from one device, the first by a customer who converted through that code
    before (the burst flags that earlier conversion), and a conversion of that customer (an invitation to add);
    and a conversion through a code by a customer of an earlier burst through it (that burst flags it). Returns
    the events and what to look for: the earlier conversion's id and the earlier burst's (code, customer)."""
    converted = session.execute(select(ReferralEvent).where(
        ReferralEvent.stage == ReferralStage.CONVERT.value, ReferralEvent.customer_id.is_not(None),
        ReferralEvent.id.not_in(select(ReferralFraudFlag.event_id))).order_by(ReferralEvent.id)).scalars().first()
    others = session.execute(select(ReferralEvent.customer_id).where(
        ReferralEvent.branch_id == converted.branch_id, ReferralEvent.customer_id.is_not(None),
        ReferralEvent.customer_id != converted.customer_id)
        .distinct().order_by(ReferralEvent.customer_id).limit(DEVICE_BURST_MIN - 1)).scalars().all()
    base = {"code_id": converted.code_id, "campaign_id": converted.campaign_id, "branch_id": converted.branch_id,
            "staff_id": converted.staff_id, "day": new_day, "product": "", "amount": 0.0, "customer_kind": "personal",
            "effective": False, "share_channel": "", "device_id": "burst-device", "phone_prefix": "",
            "reversed_on": None}
    customers = [converted.customer_id, *others]
    rows = [{**base, "customer_id": int(c), "stage": ReferralStage.REGISTER.value, "event_ref": f"burst-{i}"}
            for i, c in enumerate(customers)]
    rows.append({**base, "customer_id": int(customers[0]), "stage": ReferralStage.CONVERT.value, "product": "deposit",
                 "amount": 5000.0, "effective": True, "device_id": "", "event_ref": "burst-convert"})
    earlier = session.execute(select(ReferralEvent).join(ReferralFraudFlag, ReferralFraudFlag.event_id == ReferralEvent.id)
                              .where(ReferralFraudFlag.rule == "device_burst",
                                     ReferralEvent.stage == ReferralStage.REGISTER.value)
                              .order_by(ReferralEvent.id)).scalars().first()
    assert earlier is not None, "the demo seed plants a device burst"
    rows.append({**base, "code_id": earlier.code_id, "campaign_id": earlier.campaign_id, "branch_id": earlier.branch_id,
                 "staff_id": earlier.staff_id, "customer_id": int(earlier.customer_id),
                 "stage": ReferralStage.CONVERT.value, "product": "deposit", "amount": 800.0, "device_id": "",
                 "event_ref": "after-burst-convert"})
    return pd.DataFrame(rows), {"earlier_conversion": converted.id,
                                "after_burst": (earlier.code_id, earlier.customer_id)}


def _as_states(members: pd.DataFrame) -> pd.DataFrame:
    """The bank's member counts as states (a row holds from its day to the next): a row repeating the figure
    before it says nothing (a full rebuild writes one on a day whose joins and leaves cancel out; an
    incremental refresh does not)."""
    members = members.sort_values(["kind", "day"]).reset_index(drop=True)
    repeated = members["members"].eq(members.groupby("kind")["members"].shift(1))
    return members[~repeated].reset_index(drop=True)


def _rollups(session: Session) -> dict[str, pd.DataFrame]:
    """Every rollup table's rows without surrogate ids, in one order."""
    out = {}
    for rollup in ROLLUP_TABLES:
        table = rollup.__table__
        frame = read_frame(session, select(*[c for c in table.c if c.name != "id"]))
        frame = frame.astype({c: str for c in frame.columns if frame[c].dtype == object})
        out[table.name] = frame.sort_values(list(frame.columns)).reset_index(drop=True)
    out[GroupMembersBankDaily.__tablename__] = _as_states(out[GroupMembersBankDaily.__tablename__])
    # A branch's network value is stored as of its own last membership change (a branch nobody joined or left
    # keeps its earlier day; a full rebuild dates every branch the bank's last): the figures are the same.
    value = out[GroupValueSnapshot.__tablename__].drop(columns="as_of")
    out[GroupValueSnapshot.__tablename__] = value.sort_values(list(value.columns)).reset_index(drop=True)
    return out


def test_a_new_day_for_every_branch_refreshed_per_kind_equals_a_full_rebuild(empty_engine):
    from sample_data.generate import seed_database

    seed_database(empty_engine, "demo", 1, DEMO_END)
    with Session(empty_engine) as session:
        new_day = last_day(session) + timedelta(days=1)
        day = generate_day(session, np.random.default_rng(7), new_day)
        planted, look_for = _planted_fraud(session, new_day)
        day["referral events"] = pd.concat([day["referral events"], planted], ignore_index=True)
        assert all(not frame.empty for frame in day.values()), {k: len(f) for k, f in day.items()}
        write_day(session, day, new_day)
        refreshed = _rollups(session)
        flagged = read_frame(session, select(ReferralFraudFlag.rule).where(ReferralFraudFlag.day == new_day))
        reached_back = read_frame(session, select(ReferralFraudFlag.rule).where(
            ReferralFraudFlag.event_id == look_for["earlier_conversion"]))
        code_id, customer_id = look_for["after_burst"]
        after_burst = read_frame(session, select(ReferralFraudFlag.rule).join(
            ReferralEvent, ReferralEvent.id == ReferralFraudFlag.event_id).where(
            ReferralEvent.code_id == code_id, ReferralEvent.customer_id == customer_id, ReferralEvent.day == new_day))
        invited = read_frame(session, select(ReferralInvitation.customer_id)
                             .where(ReferralInvitation.registered_on == new_day))
        refresh_rollups(session)
        rebuilt = _rollups(session)
        session.rollback()
    assert "device_burst" in set(flagged["rule"]) and not invited.empty
    # The bounded fraud refresh reached past the new day both ways: a new burst flagged an earlier conversion,
    # an earlier burst flagged a new conversion (the comparison below checks that nothing else moved)
    assert "device_burst" in set(reached_back["rule"]) and "device_burst" in set(after_burst["rule"])
    for name, expected in rebuilt.items():
        pd.testing.assert_frame_equal(refreshed[name], expected, check_dtype=False, check_exact=False, rtol=1e-9,
                                      obj=name)
