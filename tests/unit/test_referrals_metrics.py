"""Referral measures against figures computed by hand on tiny frames."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pandas as pd
import pytest

from models.metrics import referrals as R
from models.referral_export import escape_cell, ledger_totals, reward_ledger_workbook

RULES = pd.DataFrame([
    {"rule_id": 1, "customer_kind": "personal", "yuan_per_customer": 15.0, "valid_from": date(2026, 1, 1),
     "valid_to": date(2026, 8, 15)},
    {"rule_id": 2, "customer_kind": "personal", "yuan_per_customer": 20.0, "valid_from": date(2026, 8, 16),
     "valid_to": None},
    {"rule_id": 3, "customer_kind": "corporate", "yuan_per_customer": 60.0, "valid_from": date(2026, 1, 1),
     "valid_to": None},
])


def _effective(rows):
    return pd.DataFrame(rows, columns=["event_id", "staff_id", "customer_id", "customer_kind", "campaign_id", "day"])


def test_ties_share_the_better_rank():
    assert R.rank_descending(pd.Series([10, 20, 20, 5, 10])).tolist() == [3, 1, 1, 5, 3]


def test_rank_change_compares_with_the_previous_period():
    current = pd.DataFrame({"staff_id": [1, 2, 3, 4], "staff_name": list("abcd"), "conversions": [5, 9, 9, 1]})
    previous = pd.DataFrame({"staff_id": [1, 2, 3], "conversions": [8, 2, 8]})
    board = R.rank_board(current, "staff_id", "conversions", previous).set_index("staff_id")
    assert board["rank"].to_dict() == {1: 3, 2: 1, 3: 1, 4: 4}
    assert board["previous_rank"].to_dict() == {1: 1, 2: 3, 3: 1, 4: pd.NA} or pd.isna(board.loc[4, "previous_rank"])
    assert int(board.loc[1, "rank_change"]) == -2  # fell from 1st to 3rd
    assert int(board.loc[2, "rank_change"]) == 2   # rose from 3rd to 1st
    assert int(board.loc[3, "rank_change"]) == 0
    assert pd.isna(board.loc[4, "rank_change"])


def test_rule_valid_on_the_event_day_applies_across_a_mid_quarter_change():
    events = _effective([(1, 1, 101, "personal", None, date(2026, 7, 10)), (2, 1, 102, "personal", None, date(2026, 8, 15)),
                         (3, 1, 103, "personal", None, date(2026, 8, 16)), (4, 2, 104, "corporate", None, date(2026, 9, 1))])
    rated = R.rate_for_events(events, RULES)
    assert rated["yuan_per_customer"].tolist() == [15.0, 15.0, 20.0, 60.0]
    assert rated["rule_id"].tolist() == [1, 1, 2, 3]


def test_a_campaign_rule_pays_its_own_customers_and_the_general_rule_pays_the_rest():
    rules = pd.concat([RULES.assign(campaign_id=None), pd.DataFrame([
        {"rule_id": 4, "campaign_id": 7, "customer_kind": "personal", "yuan_per_customer": 18.0,
         "valid_from": date(2026, 8, 1), "valid_to": date(2026, 8, 31)}])], ignore_index=True)
    events = _effective([(1, 1, 101, "personal", 7, date(2026, 7, 31)),    # campaign, before its rule: general 15
                         (2, 1, 102, "personal", 7, date(2026, 8, 10)),    # campaign rule 18 (general says 15)
                         (3, 1, 103, "personal", 7, date(2026, 8, 20)),    # campaign rule 18 (general says 20)
                         (4, 1, 104, "personal", 8, date(2026, 8, 20)),    # another campaign: general 20
                         (5, 1, 105, "personal", None, date(2026, 8, 20)),  # general code: general 20
                         (6, 1, 106, "corporate", 7, date(2026, 8, 20)),   # no campaign rule for corporate: 60
                         (7, 1, 107, "personal", 7, date(2026, 9, 1))])    # campaign rule over: general 20
    rated = R.rate_for_events(events, rules)
    assert rated["yuan_per_customer"].tolist() == [15.0, 18.0, 18.0, 20.0, 20.0, 60.0, 20.0]
    assert rated["rule_id"].tolist() == [1, 4, 4, 2, 2, 3, 2]
    assert R.rule_overlaps(rules) == [], "a campaign's rule may share days with the general one"
    clash = pd.concat([rules, rules.iloc[[3]].assign(rule_id=5, valid_from=date(2026, 8, 31))], ignore_index=True)
    assert len(R.rule_overlaps(clash)) == 1, "two rules of one campaign may not"


def test_each_ledger_line_names_the_rule_that_paid_it():
    basis, withheld = R.reward_basis(_effective([(1, 1, 101, "personal", None, date(2026, 7, 10))]),
                                     RULES, pd.DataFrame(), date(2026, 7, 1), date(2026, 9, 30))
    assert R.ledger_from_basis(basis, withheld)["basis"].tolist() == ["个人 1×15元(规则#1，2026-01-01起) = 15元"]
    assert R.rule_text(None, None) == "(无适用规则)"


def test_quarter_reward_counts_each_customer_once_and_withholds_flagged_ones():
    effective = _effective([
        (1, 1, 100, "personal", None, date(2026, 6, 20)),   # effective last quarter: paid then, not now
        (2, 1, 100, "personal", None, date(2026, 7, 5)),
        (3, 1, 101, "personal", None, date(2026, 7, 10)),   # 15
        (4, 1, 102, "personal", None, date(2026, 8, 14)),   # 15
        (5, 1, 102, "personal", None, date(2026, 9, 1)),    # same customer again: ignored
        (6, 1, 103, "personal", None, date(2026, 8, 20)),   # 20 after the change
        (7, 2, 200, "corporate", None, date(2026, 9, 2)),   # 60
        (8, 2, 201, "personal", None, date(2026, 9, 3)),    # flagged: withheld
        (9, 2, 202, "personal", None, date(2026, 10, 1)),   # next quarter
    ])
    excluded = pd.DataFrame({"staff_id": [2], "customer_id": [201]})
    basis, withheld = R.reward_basis(effective, RULES, excluded, date(2026, 7, 1), date(2026, 9, 30))
    assert sorted(basis["customer_id"]) == [101, 102, 103, 200]
    assert withheld["customer_id"].tolist() == [201]
    ledger = R.ledger_from_basis(basis, withheld).set_index("staff_id")
    assert ledger.loc[1, "amount"] == 15 + 15 + 20
    assert ledger.loc[1, "personal_customers"] == 3 and ledger.loc[1, "effective_customers"] == 3
    assert ledger.loc[1, "basis"] == "个人 2×15元(规则#1，2026-01-01起) + 个人 1×20元(规则#2，2026-08-16起) = 50元"
    assert ledger.loc[2, "amount"] == 60 and ledger.loc[2, "corporate_customers"] == 1
    assert ledger.loc[2, "flagged_exclusions"] == 1
    assert "暂缓" in ledger.loc[2, "basis"]


def test_cleared_flags_no_longer_exclude():
    flags = pd.DataFrame({"event_id": [1, 2, 3], "staff_id": [7, 7, 8], "customer_id": [70, 70, 80],
                          "rule": ["device_burst", "device_burst", "quick_reversal"], "detail": ["", "", ""]})
    clear_one = pd.DataFrame({"event_id": [1], "rule": ["device_burst"]})
    assert R.excluded_customers(flags, clear_one).values.tolist() == [[7, 70], [8, 80]]
    clear_both = pd.DataFrame({"event_id": [1, 2], "rule": ["device_burst", "device_burst"]})
    assert R.excluded_customers(flags, clear_both).values.tolist() == [[8, 80]]


def test_overlapping_rules_of_one_kind_are_reported():
    assert R.rule_overlaps(RULES) == []
    clash = pd.concat([RULES, pd.DataFrame([{"rule_id": 9, "customer_kind": "personal", "yuan_per_customer": 12.0,
                                             "valid_from": date(2026, 12, 1), "valid_to": None}])])
    problems = R.rule_overlaps(clash)
    assert len(problems) == 1 and "重叠" in problems[0] and "overlapping" in problems[0]
    corporate_ok = pd.concat([RULES.iloc[:2], pd.DataFrame([{"rule_id": 9, "customer_kind": "corporate",
                                                             "yuan_per_customer": 60.0, "valid_from": date(2026, 3, 1),
                                                             "valid_to": None}])])
    assert R.rule_overlaps(corporate_ok) == []


def _events(rows):
    columns = ["event_id", "code_id", "staff_id", "customer_id", "stage", "day", "device_id", "phone_prefix", "reversed_on"]
    return pd.DataFrame(rows, columns=columns)


def test_device_burst_needs_five_registrations_on_one_code_and_day():
    day = date(2026, 9, 1)
    rows = [(i, 1, 7, 100 + i, "register", day, "dev-x", "", None) for i in range(5)]
    rows += [(10, 1, 7, 100, "convert", date(2026, 9, 2), "", "", None)]
    rows += [(20 + i, 2, 8, 200 + i, "register", day, "dev-y", "", None) for i in range(4)]
    flags = R.flag_bursts(_events(rows), "device_id", 5, "device_burst")
    assert sorted(flags["event_id"]) == [0, 1, 2, 3, 4, 10]
    assert set(flags["rule"]) == {"device_burst"}


def test_phone_prefix_burst_and_quick_reversal():
    day = date(2026, 9, 1)
    rows = [(i, 1, 7, 100 + i, "register", day, f"d{i}", "1380571", None) for i in range(6)]
    rows += [(10, 3, 9, 300, "convert", day, "", "", date(2026, 9, 4)),   # reversed after 3 days
             (11, 3, 9, 301, "convert", day, "", "", date(2026, 10, 20)),  # after 49 days: genuine
             (12, 3, 9, 302, "convert", day, "", "", None)]
    events = _events(rows)
    assert len(R.flag_bursts(events, "phone_prefix", 6, "phone_prefix_burst")) == 6
    assert len(R.flag_bursts(events, "phone_prefix", 7, "phone_prefix_burst")) == 0
    quick = R.flag_quick_reversals(events)
    assert quick["event_id"].tolist() == [10]


def test_self_referral_and_relative_in_the_same_village():
    staff = pd.DataFrame({"staff_id": [7, 8], "phone": ["13800000007", "13800000008"]})
    customers = pd.DataFrame({
        "customer_id": [70, 71, 72, 73],
        "name": ["王芳", "王强", "王五", "李四"],
        "phone": ["13800000007", "1", "2", "3"],
        "village_id": [5, 5, 6, 5],
    })
    rows = [(1, 1, 7, 70, "register", date(2026, 9, 1), "", "", None),  # owner's own record
            (2, 1, 7, 71, "convert", date(2026, 9, 1), "", "", None),   # same surname, same village
            (3, 1, 7, 72, "convert", date(2026, 9, 1), "", "", None),   # same surname, other village
            (4, 1, 7, 73, "convert", date(2026, 9, 1), "", "", None),   # other surname
            (5, 2, 8, 71, "convert", date(2026, 9, 1), "", "", None)]   # someone else's code
    flags = R.flag_self_referrals(_events(rows), staff, customers)
    assert sorted(zip(flags["event_id"], flags["rule"], strict=True)) == [(1, "self_referral"), (2, "relative_referral")]


def test_funnel_rates_follow_the_stages():
    counts = pd.DataFrame({"campaign_id": [1, 1, 1, 1, 2], "stage": ["click", "register", "participate", "convert", "click"],
                           "events": [80, 30, 15, 6, 20]})
    funnel = R.funnel_table(counts).set_index("stage")
    assert funnel["people"].tolist() == [100, 30, 15, 6]
    assert funnel.loc["register", "step_rate"] == pytest.approx(0.3)
    assert funnel.loc["convert", "step_rate"] == pytest.approx(0.4)
    assert funnel.loc["convert", "rate_from_click"] == pytest.approx(0.06)
    empty = R.funnel_table(pd.DataFrame(columns=["campaign_id", "stage", "events"]))
    assert empty["people"].sum() == 0


def test_channel_click_to_conversion():
    shares = pd.DataFrame({"channel": ["wechat_chat", "moments"], "shares": [10, 4], "clicks": [40, 0]})
    conversions = pd.DataFrame({"channel": ["wechat_chat"], "conversions": [6]})
    table = R.channel_performance(shares, conversions).set_index("channel")
    assert table.loc["wechat_chat", "click_to_conversion"] == pytest.approx(0.15)
    assert table.loc["wechat_chat", "clicks_per_share"] == pytest.approx(4.0)
    assert pd.isna(table.loc["moments", "click_to_conversion"])
    assert table.loc["weibo", "shares"] == 0


def test_internal_referrals_count_converted_as_accepted():
    staff = pd.DataFrame({"staff_id": [1, 2, 3], "staff_name": ["甲", "乙", "丙"], "branch_name": ["x"] * 3,
                          "role": ["teller", "lobby_manager", "account_manager"]})
    counts = pd.DataFrame({"staff_id": [1, 1, 1, 1], "outcome": ["accepted", "converted", "lost", "pending"],
                           "referrals": [2, 3, 4, 1]})
    table = R.internal_referral_table(counts, staff).set_index("staff_id")
    assert list(table.index) == [1, 2]  # account managers receive, they do not refer
    assert table.loc[1, "made"] == 10 and table.loc[1, "accepted"] == 5 and table.loc[1, "converted"] == 3
    assert table.loc[1, "conversion_rate"] == pytest.approx(0.3)
    assert table.loc[2, "made"] == 0 and pd.isna(table.loc[2, "acceptance_rate"])


def test_roll_up_recomputes_the_rate_from_sums():
    board = pd.DataFrame({"staff_id": [1, 2, 3], "branch_id": [10, 10, 11], "branch_name": ["a", "a", "b"],
                          "region_name": ["r", "r", None], "clicks": [9, 1, 5], "invites": [10, 30, 4],
                          "participants": [1, 1, 1], "invited_converted": [4, 4, 1], "conversions": [5, 3, 1], "conversion_amount": [1.0, 2.0, 3.0],
                          "effective_customers": [2, 1, 0], "reward_yuan": [30.0, 15.0, 0.0]})
    branches = R.roll_up(board, "branch").set_index("branch_id")
    assert branches.loc[10, "conversion_rate"] == pytest.approx(8 / 40)
    assert branches.loc[10, "staff"] == 2 and branches.loc[10, "reward_yuan"] == 45.0
    regions = R.roll_up(board, "region").set_index("region_name")
    assert set(regions.index) == {"r", "—"}


def test_one_two_period_board_ranks_every_level_and_metric():
    """The page reads the staff board once; ranking by branch or by reward compares with the previous
    period's sums at that level, as a board read for that level would."""
    def board(conversions, rewards):
        return pd.DataFrame({"staff_id": [1, 2, 3], "staff_name": list("abc"), "branch_id": [10, 10, 11],
                             "branch_name": ["a", "a", "b"], "region_name": ["r", "r", "s"], "clicks": [0, 0, 0],
                             "invites": [4, 2, 2], "participants": [0, 0, 0], "invited_converted": [1, 1, 0],
                             "conversions": conversions, "conversion_amount": [0.0, 0.0, 0.0],
                             "effective_customers": [0, 0, 0], "reward_yuan": rewards})
    current, previous = board([1, 1, 5], [15.0, 60.0, 20.0]), board([4, 3, 1], [0.0, 0.0, 90.0])
    base = R.with_previous(R.with_rates(current), previous)
    branches = R.rank_staff_board(base, "branch", "conversions").set_index("branch_id")
    assert branches["rank"].to_dict() == {11: 1, 10: 2}
    assert branches["rank_change"].to_dict() == {11: 1, 10: -1}  # 10 led before with 7 against 1
    assert branches.loc[10, "conversion_rate"] == pytest.approx(2 / 6)
    staff = R.rank_staff_board(base, "staff", "reward_yuan").set_index("staff_id")
    assert staff["rank"].to_dict() == {2: 1, 3: 2, 1: 3}
    assert staff["rank_change"].to_dict() == {2: 1, 3: -1, 1: -1}  # before: 3 first (90), 1 and 2 tied 2nd
    assert not any(c.startswith("previous_") for c in staff.columns if c != "previous_rank")
    counts_only = R.with_previous(R.with_rates(current), previous.drop(columns=list(R.REWARD_METRICS)))
    assert R.rank_staff_board(counts_only, "branch", "conversions")["rank_change"].tolist() == [1, -1]
    unknown = R.rank_staff_board(counts_only, "staff", "reward_yuan")
    assert unknown["rank"].tolist() == [1, 2, 3] and unknown["rank_change"].isna().all(), "no previous rewards: no change"


def test_code_and_event_validation_messages():
    problems = R.validate_new_codes(["A1", "A1", "B2", ""], {"B2"})
    assert len(problems) == 3 and any("重复" in p and "duplicate" in p for p in problems)
    codes = pd.DataFrame({"code": ["G1", "K1"], "code_id": [1, 2], "campaign_id": [None, 5]})
    windows = pd.DataFrame({"campaign_id": [5], "start_date": [date(2026, 8, 1)], "end_date": [date(2026, 8, 31)]})
    events = pd.DataFrame({"code": ["G1", "NOPE", "K1", "K1"], "stage": ["click", "click", "convert", "register"],
                           "day": [date(2026, 1, 1), date(2026, 8, 2), date(2026, 9, 1), date(2026, 8, 5)]})
    problems = R.validate_events(events, codes, windows)
    assert len(problems) == 2
    assert "未知邀请码" in problems[0] and "unknown code" in problems[0]
    assert "活动期" in problems[1] and "outside the campaign" in problems[1]


def test_quarters_and_previous_period():
    assert R.parse_quarter("2026Q3") == (date(2026, 7, 1), date(2026, 9, 30))
    assert R.parse_quarter("2026q4") == (date(2026, 10, 1), date(2026, 12, 31))
    with pytest.raises(R.ReferralInputError):
        R.parse_quarter("2026Q5")
    assert R.quarter_of(date(2026, 8, 16)) == "2026Q3"
    assert R.previous_period(date(2026, 7, 1), date(2026, 9, 30)) == (date(2026, 4, 1), date(2026, 6, 30))


def test_export_escapes_formulas_and_keeps_the_totals():
    ledger = pd.DataFrame({
        "employee_no": ["E1", "E2"], "staff_name": ["=HYPERLINK(\"x\")", "@王"], "branch_name": ["-a", "+b"],
        "quarter": ["2026Q3"] * 2, "personal_customers": [3, 1], "corporate_customers": [0, 1],
        "effective_customers": [3, 2], "amount": [50.0, 80.0], "flagged_exclusions": [0, 1],
        "basis": ["个人 2×15元 + 个人 1×20元 = 50元", "对公 1×60元"], "status": ["computed"] * 2,
    })
    assert escape_cell("=1+1") == "'=1+1" and escape_cell("正常") == "正常" and escape_cell(5) == 5
    book = openpyxl.load_workbook(io.BytesIO(reward_ledger_workbook(ledger, "2026Q3")))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[2][1] == "'@王" and rows[1][2] == "'-a"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    total = rows[-1]
    assert total[0].startswith("合计")
    assert total[7] == ledger_totals(ledger)["amount"] == 130.0
    assert total[6] == 5


def test_previous_period_of_equal_days_when_not_whole_months():
    assert R.previous_period(date(2026, 9, 10), date(2026, 9, 19)) == (date(2026, 8, 31), date(2026, 9, 9))
    assert R.previous_period(date(2026, 1, 1), date(2026, 1, 31)) == (date(2025, 12, 1), date(2025, 12, 31))


def test_referral_generator_is_deterministic_and_plants_every_fraud_rule():
    from sample_data.generate import generate_frames

    first = generate_frames("demo", 3, date(2026, 11, 22))
    second = generate_frames("demo", 3, date(2026, 11, 22))
    pd.testing.assert_frame_equal(first["referralevent"], second["referralevent"])
    events = first["referralevent"].rename(columns={"id": "event_id"})
    checked = events[events["stage"].isin(["register", "convert"])]
    flags = R.fraud_flags(checked, first["staff"].rename(columns={"id": "staff_id"})[["staff_id", "phone"]],
                          first["customer"].rename(columns={"id": "customer_id"})[["customer_id", "name", "phone", "village_id"]])
    assert set(R.FRAUD_RULES) <= set(flags["rule"])
    codes = first["invitecode"]
    assert codes["code"].is_unique
    campaigns = first["campaign"].set_index("id")
    own = events.merge(codes[["id", "campaign_id"]].rename(columns={"id": "code_id", "campaign_id": "code_campaign"}),
                       on="code_id").dropna(subset=["code_campaign"])
    window = campaigns.reindex(own["code_campaign"].astype(int))
    assert ((own["day"].to_numpy() >= window["start_date"].to_numpy()) & (own["day"].to_numpy() <= window["end_date"].to_numpy())).all()
