"""Campaign queries on SQLite and PostgreSQL against the demo data, checked with independent SQL and
the generator's known facts."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

from models.campaign import TargetLevel, spring_festival
from models.metrics import campaign as C
from models.scope import Scope
from sample_data.campaign import completed_seasons
from tests.conftest import DEMO_END


def _season(session, season: int) -> pd.Series:
    seasons = C.campaigns(session)
    return seasons[seasons["season"] == season].iloc[0]


def _county_branch(session) -> int:
    return session.execute(text(
        "SELECT branch_id FROM namelistentry GROUP BY branch_id ORDER BY COUNT(*) DESC, branch_id LIMIT 1")).scalar_one()


def test_two_completed_seasons_on_their_lunar_dates(demo_session):
    seasons = C.campaigns(demo_session)
    assert list(seasons["season"]) == completed_seasons(DEMO_END) == [2025, 2026]
    for row in seasons.itertuples():
        assert row.spring_festival.date() == spring_festival(row.season)
        assert row.end_date.date() <= DEMO_END


def test_daily_deposits_match_a_plain_sum_and_respect_scope(demo_session):
    campaign = _season(demo_session, 2026)
    daily = C.daily_deposits(demo_session, Scope.head_office(), int(campaign["campaign_id"]))
    expected = demo_session.execute(text("SELECT SUM(amount) FROM campaigndeposit WHERE campaign_id = :c"),
                                    {"c": int(campaign["campaign_id"])}).scalar_one()
    assert daily["amount"].sum() == pytest.approx(float(expected))
    assert daily["day"].min() >= campaign["start_date"] and daily["day"].max() <= campaign["end_date"]
    branch = _county_branch(demo_session)
    mine = C.deposits_by_customer_day(demo_session, Scope.for_branches([branch]), int(campaign["campaign_id"]))
    assert set(mine["branch_id"]) == {branch}
    assert C.name_list(demo_session, Scope.for_branches([branch]), int(campaign["campaign_id"]))["branch_id"].eq(branch).all()


def test_name_list_carries_sms_and_visits_one_row_per_worker(demo_session):
    campaign_id = int(_season(demo_session, 2026)["campaign_id"])
    entries = C.name_list(demo_session, Scope.head_office(), campaign_id)
    counts = demo_session.execute(text(
        "SELECT (SELECT COUNT(*) FROM namelistentry WHERE campaign_id = :c), "
        "(SELECT COUNT(*) FROM visit v JOIN namelistentry e ON e.id = v.entry_id "
        " WHERE e.campaign_id = :c AND v.visit_round = 1), "
        "(SELECT COUNT(*) FROM smsmessage s JOIN namelistentry e ON e.id = s.entry_id "
        " WHERE e.campaign_id = :c AND s.replied_on IS NOT NULL)"), {"c": campaign_id}).one()
    assert len(entries) == counts[0] and entries["entry_id"].is_unique
    assert entries["visit1_date"].notna().sum() == counts[1]
    assert entries["replied_on"].notna().sum() == counts[2]


def test_branch_targets_equal_their_villages_and_staff(demo_session):
    campaign_id = int(_season(demo_session, 2026)["campaign_id"])
    frame = C.targets(demo_session, Scope.head_office(), campaign_id)
    by_level = frame.groupby("level")["deposit_target"].sum()
    assert by_level[TargetLevel.BRANCH.value] == pytest.approx(by_level[TargetLevel.VILLAGE.value])
    assert by_level[TargetLevel.STAFF.value] == pytest.approx(by_level[TargetLevel.BRANCH.value], rel=0.01)


def test_replies_and_conversion_look_like_the_playbook(demo_session):
    """Seed 004: only replies count and repliers convert near 70%; the silent far less."""
    campaign = _season(demo_session, 2026)
    campaign_id = int(campaign["campaign_id"])
    entries = C.name_list(demo_session, Scope.head_office(), campaign_id)
    deposits = C.deposits_by_customer_day(demo_session, Scope.head_office(), campaign_id)
    funnel = C.sms_funnel(entries, deposits, campaign["end_date"].date())
    repliers_converted = demo_session.execute(text(
        "SELECT COUNT(DISTINCT e.id) FROM namelistentry e JOIN smsmessage s ON s.entry_id = e.id "
        "WHERE e.campaign_id = :c AND s.replied_on IS NOT NULL AND EXISTS "
        "(SELECT 1 FROM campaigndeposit d WHERE d.customer_id = e.customer_id AND d.campaign_id = :c)"),
        {"c": campaign_id}).scalar_one()
    assert funnel["repliers_converted"] == repliers_converted
    assert 0.30 <= funnel["reply_rate"] <= 0.45
    assert 0.60 <= funnel["replier_conversion"] <= 0.80
    assert funnel["silent_conversion"] < 0.25


def test_some_villages_lag_and_some_visits_are_late(demo_session):
    campaign = _season(demo_session, 2026)
    campaign_id = int(campaign["campaign_id"])
    frames = {**C.worker_frames(demo_session, Scope.head_office(), campaign_id),
              **C.season_summary(demo_session, Scope.head_office(), campaign_id)}
    end = campaign["end_date"].date()
    status = C.visit_status(frames["entries"], campaign["spring_festival"].date(), end)
    summary = C.visit_summary(status).set_index("visit_round")
    assert (summary["late"] > 0).all() and (summary["on_time"] > summary["late"]).all()
    villages = C.by_village(frames["entries"], status, frames["deposits"],
                            frames["targets"][frames["targets"]["level"] == "village"], end)
    assert villages["deposited"].sum() == pytest.approx(frames["daily"]["amount"].sum())
    assert 0 < len(C.lagging(villages)) < len(villages)


def test_visit_next_lists_workers_at_home_with_a_round_due(demo_session):
    campaign = _season(demo_session, 2026)
    frames = C.worker_frames(demo_session, Scope.head_office(), int(campaign["campaign_id"]))
    as_of = date(2026, 2, 10)
    status = C.visit_status(frames["entries"], campaign["spring_festival"].date(), as_of)
    ties = C.key_person_ties(frames["entries"], frames["key_people"], as_of)
    got = C.visit_next(frames["entries"], status, frames["deposits"], ties, as_of)
    assert len(got) > 0
    assert (got["returned_on"] <= pd.Timestamp(as_of)).all() and (got["leaves_on"] > pd.Timestamp(as_of)).all()
    for _, mine in got.groupby("staff_id"):
        assert list(mine["rank"]) == list(range(1, len(mine) + 1))
        assert mine["priority"].is_monotonic_decreasing


def test_overview_headline_reports_the_latest_season(demo_session):
    headline = C.overview_headline(demo_session, Scope.head_office(), DEMO_END)
    assert headline["season"] == 2026 and headline["running"] is False
    expected = demo_session.execute(text(
        "SELECT SUM(amount) FROM campaigndeposit d JOIN migrantcampaign m ON m.id = d.campaign_id "
        "WHERE m.season = 2026")).scalar_one()
    assert headline["deposited"] == pytest.approx(float(expected))
    assert headline["lagging_villages"] >= 1 and len(headline["worst_villages"]) >= 1
    running = C.overview_headline(demo_session, Scope.head_office(), date(2026, 2, 10))
    assert running["running"] is True and running["days_to_festival"] == 7


def _standing_from_the_village_table(session, scope, campaign_id: int, day: date) -> dict:
    """What the overview showed before `village_standing`: the campaign page's village table, then `lagging`."""
    village_targets = C.targets(session, scope, campaign_id, levels=(TargetLevel.VILLAGE.value,))
    counts = C.list_counts(session, scope, campaign_id, day, keys=("village_id",))
    table = C.table_from_counts(counts["village"], village_targets, "village_id")
    behind = C.lagging(table)
    worst = behind.sort_values(["gap", "village_id"], ascending=[False, True]).head(3)
    return {"villages": len(table), "lagging": len(behind),
            "worst": [(int(r.village_id), r.village_name, int(r.branch_id), r.branch_name, r.attainment, r.gap)
                      for r in worst.itertuples()]}


@pytest.mark.parametrize("day", [date(2025, 1, 20), date(2026, 2, 3), date(2026, 2, 10), date(2026, 3, 1)])
def test_village_standing_counts_what_the_village_table_and_lagging_find(demo_session, day):
    """Every day of a season and its ends, head office and each branch with a list: the two statements give
    the counts and the worst villages that the page's table gives."""
    seasons = C.campaigns(demo_session)
    started = seasons[seasons["start_date"] <= pd.Timestamp(day)].iloc[-1]
    campaign_id = int(started["campaign_id"])
    branches = [b for (b,) in demo_session.execute(text(
        "SELECT DISTINCT branch_id FROM namelistentry WHERE campaign_id = :c ORDER BY branch_id"), {"c": campaign_id})]
    seen_lagging = 0
    for scope in [Scope.head_office(), *(Scope.for_branches([b]) for b in branches)]:
        rollup_day = min(max(day, started["start_date"].date()), started["end_date"].date())
        expected = _standing_from_the_village_table(demo_session, scope, campaign_id, rollup_day)
        got = C.village_standing(demo_session, scope, campaign_id, rollup_day)
        assert (got["villages"], got["lagging"]) == (expected["villages"], expected["lagging"]), scope
        assert [tuple(v.values())[:4] for v in got["worst"]] == [w[:4] for w in expected["worst"]], scope
        assert [tuple(v.values())[4:] for v in got["worst"]] == [pytest.approx(w[4:]) for w in expected["worst"]]
        seen_lagging += got["lagging"]
    assert seen_lagging > 0  # the comparison saw lagging villages, not only empty lists


def test_daily_deposits_of_two_seasons_equal_each_season_read_alone(demo_session):
    ids = [int(c) for c in C.campaigns(demo_session)["campaign_id"]]
    branch = _county_branch(demo_session)
    for scope in (Scope.head_office(), Scope.for_branches([branch]), Scope.for_branches([])):
        both = C.daily_deposits_of(demo_session, scope, ids)
        assert list(both) == ids
        for campaign_id in ids:
            pd.testing.assert_frame_equal(both[campaign_id], C.daily_deposits(demo_session, scope, campaign_id))


def test_an_empty_scope_gives_empty_frames_and_no_headline(demo_session):
    nobody = Scope.for_branches([])
    campaign_id = int(_season(demo_session, 2026)["campaign_id"])
    assert C.name_list(demo_session, nobody, campaign_id).empty
    assert C.daily_deposits(demo_session, nobody, campaign_id).empty
    assert C.overview_headline(demo_session, nobody, DEMO_END) is None
