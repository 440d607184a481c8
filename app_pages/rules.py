"""规则与复核 / Rules & reviews: the fraud review work list (admins and presidents), the piece-rate reward
rules (admins edit them forward only) and closing a quarter by exporting its payroll ledger (admins). Every
write is one service function in `models.referral_review` that checks the role and scope on the server."""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import pandas as pd
import streamlit as st
from sqlmodel import Session

from components.auth import signed_in_user
from components.data import engine, fresh_query, page_scope, query, refresh_data_version, require_database
from components.filters import period_picker, scope_picker
from components.i18n import format_number, t
from components.tables import audited, labelled
from components.text import escape_markdown
from models.accounts import UserRole
from models.metrics import referrals as R
from models.referral_export import reward_ledger_workbook
from models.referral_review import (
    ReviewConflict,
    ReviewRefused,
    close_quarter,
    decide_flag,
    reverse_decision,
    rule_series_stamp,
    set_reward_rule,
)

WORK_LIST_ROWS = 500
SHOWN_ROWS = 500
FLASH = "rules_flash"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN = st.column_config.NumberColumn(format="localized")

st.title(t("rules.title"))
st.caption(t("rules.caption"))
require_database()
scope = page_scope()
user = signed_in_user()
if user is None or scope.read_only or scope.role not in (UserRole.ADMIN.value, UserRole.PRESIDENT.value):
    st.error(t("rules.no_access"))
    st.stop()
is_admin = scope.role == UserRole.ADMIN.value
if FLASH in st.session_state:
    st.success(st.session_state.pop(FLASH))


def attempt(action, *args, **kwargs):
    """One service write in its own session; a refusal or a conflict becomes a message (None returned)."""
    try:
        with Session(engine()) as session:
            result = action(session, scope, user.username, *args, **kwargs)
    except ReviewRefused as exc:
        st.error(t("rules.refused", message=str(exc)))
        return None
    except ReviewConflict as exc:
        st.warning(t("rules.conflict", message=str(exc)))
        return None
    except R.ReferralInputError as exc:
        st.error(str(exc))
        return None
    refresh_data_version()
    return result


def done(message: str) -> None:
    st.session_state[FLASH] = message
    st.rerun()


def status_label(status: str) -> str:
    return t(f"rules.status.{status}")


closed_to = query(R.closed_through, scope)
choice = scope_picker(scope, key="rules_scope")
first_day, last_day = query(R.referral_date_range, choice.scope)
if first_day is None:
    st.info(t("error.no_data_period"))
    st.stop()
start, end = period_picker(first_day, last_day, key="rules_period", default_days=180)
review_tab, rules_tab, quarters_tab = st.tabs([t("rules.tab.review"), t("rules.tab.rules"), t("rules.tab.quarters")])

with review_tab:
    st.caption(t("rules.review_note"))
    counts = query(R.review_counts, choice.scope, start=start, end=end)
    st.markdown("**" + t("rules.counts", **{k: format_number(v) for k, v in counts.items()}) + "**")
    status = st.segmented_control(t("rules.status_filter"), [*R.REVIEW_STATUSES, "all"], default="open",
                                  key="rules_status", format_func=status_label) or "open"
    flags = query(R.fraud_work_list, choice.scope, start=start, end=end, status=None if status == "all" else status,
                  limit=WORK_LIST_ROWS)
    total = sum(counts.values()) if status == "all" else counts.get(status, 0)
    if flags.empty:
        st.info(t("rules.list_empty"))
    else:
        if total > len(flags):
            st.caption(t("rules.list_top", shown=format_number(len(flags)), total=format_number(total)))
        shown = flags.assign(rule=flags["rule"].map(lambda r: t(f"ref.rule.{r}")),
                             stage=flags["stage"].map(lambda s: t(f"ref.stage.{s}")),
                             status=flags["status"].map(status_label),
                             decided_by=flags["decided_by"].fillna(""), reason=flags["reason"].fillna(""),
                             decided_on=flags["decided_on"].astype(str).where(flags["decided_on"].notna(), ""))
        st.dataframe(labelled(shown, {
            "event_id": t("rules.col.event"), "day": t("ref.col.day"), "branch_name": t("ref.col.branch"),
            "staff_name": t("ref.col.staff"), "rule": t("ref.col.rule"), "stage": t("ref.col.stage"),
            "customer_id": t("ref.col.customer"), "detail": t("ref.col.detail"), "status": t("rules.col.status"),
            "decided_by": t("rules.col.decided_by"), "decided_on": t("rules.col.decided_on"),
            "reason": t("rules.col.reason")}), hide_index=True, width="stretch", key="rules_flag_table",
            height=320 if len(flags) > 8 else "auto")
        keys = (flags["event_id"].astype(str) + "|" + flags["rule"]).tolist()
        chosen = st.session_state.get("rules_pick")
        if chosen and chosen not in keys:  # decided by someone else meanwhile: keep it, its form and what was typed
            kept = fresh_query(R.fraud_work_list, choice.scope, event_id=int(chosen.split("|")[0]),
                               rule=chosen.split("|")[1])
            if not kept.empty:
                flags, keys = pd.concat([flags, kept], ignore_index=True), [*keys, chosen]
                shown = pd.concat([shown, kept.assign(rule=kept["rule"].map(lambda r: t(f"ref.rule.{r}")),
                                                      status=kept["status"].map(status_label))], ignore_index=True)
        labels = {key: f"#{row.event_id} · {row.day} · {row.staff_name}（{row.branch_name}）· {rule} · {state}"
                  for key, row, rule, state in zip(keys, flags.itertuples(index=False), shown["rule"], shown["status"],
                                                   strict=True)}
        picked = st.selectbox(t("rules.pick_flag"), keys, format_func=labels.get, key="rules_pick")
        row = flags.iloc[keys.index(picked)]
        base = f"{int(row['event_id'])}_{row['rule']}"
        seen_key = f"rules_seen_{base}"
        current = (str(row["status"]), int(row["version"]))
        seen = st.session_state.get(seen_key, current)  # what this user saw when the form was drawn
        submitted = False
        flag_day = pd.Timestamp(row["day"]).date()
        if closed_to is not None and flag_day <= closed_to:
            st.info(t("rules.flag_closed", day=closed_to))
        elif seen[0] == "open":
            with st.form(f"rules_decide_{base}"):
                st.markdown("**" + t("rules.decide_form") + "**")
                decision = st.radio(t("rules.decision"), ["confirmed", "cleared"], key=f"rules_decision_{base}",
                                    format_func=lambda d: t(f"rules.decision.{d}"), horizontal=True)
                reason = st.text_area(t("rules.reason"), key=f"rules_reason_{base}", max_chars=200, height=80)
                submitted = st.form_submit_button(t("rules.submit_decision"), type="primary")
            if submitted:
                if attempt(decide_flag, int(row["event_id"]), str(row["rule"]), decision, reason) is not None:
                    st.session_state.pop(seen_key, None)
                    done(t("rules.saved_decision", status=status_label(decision)))
                elif reason.strip():
                    st.caption(t("rules.kept_text", text=escape_markdown(reason)))
        else:
            st.markdown(t("rules.decided", status=status_label(seen[0]), by=escape_markdown(str(row["decided_by"] or "—")),
                          on=row["decided_on"], reason=escape_markdown(str(row["reason"] or "—"))))
            if is_admin:
                opposite = "cleared" if seen[0] == "confirmed" else "confirmed"
                with st.form(f"rules_reverse_{base}"):
                    st.markdown("**" + t("rules.reverse_form") + "** · " + t("rules.reverse_to", status=status_label(opposite)))
                    reason = st.text_area(t("rules.reverse_reason"), key=f"rules_reverse_reason_{base}", max_chars=200,
                                          height=80)
                    submitted = st.form_submit_button(t("rules.submit_reverse"), type="primary")
                if submitted:
                    if attempt(reverse_decision, int(row["event_id"]), str(row["rule"]), reason,
                               seen_version=seen[1]) is not None:
                        st.session_state.pop(seen_key, None)
                        done(t("rules.saved_decision", status=status_label(opposite)))
                    elif reason.strip():
                        st.caption(t("rules.kept_text", text=escape_markdown(reason)))
            else:
                st.caption(t("rules.admin_reverses"))
        if not submitted:
            st.session_state[seen_key] = current

with rules_tab:
    st.caption(t("rules.rules_note"))
    st.caption(t("rules.closed_through", day=closed_to, quarter=R.quarter_of(closed_to)) if closed_to
               else t("rules.none_closed"))
    rules = query(R.reward_rules, scope)
    st.dataframe(labelled(rules.assign(
        campaign_name=rules["campaign_name"].fillna(t("rules.general")),
        customer_kind=rules["customer_kind"].map(lambda k: t(f"ref.kind.{k}")),
        valid_to=rules["valid_to"].astype(str).where(rules["valid_to"].notna(), t("rules.open_end"))), {
        "rule_id": t("rules.col.rule_id"), "campaign_name": t("rules.col.campaign"), "customer_kind": t("ref.col.kind"),
        "yuan_per_customer": t("ref.col.yuan_per_customer"), "valid_from": t("ref.col.valid_from"),
        "valid_to": t("ref.col.valid_to"), "note": t("rules.col.note"), "set_by": t("rules.col.set_by")}),
        hide_index=True, width="stretch", key="rules_table")
    if not is_admin:
        st.info(t("rules.admin_only_rules"))
    else:
        campaigns = query(R.campaigns, scope)
        campaign_names = {None: t("rules.general"), **dict(zip(campaigns["campaign_id"].astype(int), campaigns["name"],
                                                                  strict=True))}
        left, right = st.columns(2)
        campaign_id = left.selectbox(t("rules.col.campaign"), list(campaign_names), format_func=campaign_names.get,
                                     key="rules_campaign")
        kind = right.selectbox(t("ref.col.kind"), ["personal", "corporate"], format_func=lambda k: t(f"ref.kind.{k}"),
                               key="rules_kind")
        stamp = fresh_query(rule_series_stamp, scope, customer_kind=kind, campaign_id=campaign_id)
        stamp_key = f"rules_stamp_{kind}_{campaign_id}"
        seen_stamp = st.session_state.get(stamp_key, stamp)
        today = date.today()
        series = rules[(rules["customer_kind"] == kind) & (rules["campaign_id"].isna() if campaign_id is None
                                                          else rules["campaign_id"] == campaign_id)]
        in_force = series[(pd.to_datetime(series["valid_from"]) <= pd.Timestamp(today))
                          & (series["valid_to"].isna() | (pd.to_datetime(series["valid_to"]) >= pd.Timestamp(today)))]
        if in_force.empty:
            st.caption(t("rules.no_current_rate"))
        else:
            st.caption(t("rules.current_rate", yuan=format_number(in_force["yuan_per_customer"].iloc[0], 2),
                         since=in_force["valid_from"].iloc[0]))
        earliest = closed_to + timedelta(days=1) if closed_to else None
        with st.form("rules_edit"):
            st.markdown("**" + t("rules.edit_form") + "**")
            yuan = st.number_input(t("rules.yuan"), min_value=0.0, max_value=10_000.0, step=1.0, key="rules_yuan",
                                   value=float(in_force["yuan_per_customer"].iloc[0]) if not in_force.empty else 0.0)
            valid_from = st.date_input(t("rules.valid_from"), value=max(today, earliest) if earliest else today,
                                       min_value=earliest, key="rules_valid_from")
            note = st.text_input(t("rules.note"), max_chars=200, key="rules_note")
            submitted_rule = st.form_submit_button(t("rules.submit_rule"), type="primary")
        if submitted_rule:
            rule = attempt(set_reward_rule, kind, float(yuan), valid_from, campaign_id=campaign_id, note=note,
                           seen=seen_stamp)
            st.session_state[stamp_key] = fresh_query(rule_series_stamp, scope, customer_kind=kind,
                                                      campaign_id=campaign_id)
            if rule is not None:
                done(t("rules.saved_rule", rule=rule.id, day=rule.valid_from, yuan=format_number(rule.yuan_per_customer, 2)))
        else:
            st.session_state[stamp_key] = stamp

with quarters_tab:
    st.caption(t("rules.quarters_note"))
    closed = query(R.closed_quarters, scope)
    if not closed.empty:
        st.dataframe(labelled(closed.assign(closed_at=pd.to_datetime(closed["closed_at"], utc=True).dt.strftime("%Y-%m-%d %H:%M")), {
            "quarter": t("rules.quarter"), "closed_at": t("rules.col.closed_at"), "closed_by": t("rules.col.closed_by"),
            "staff_paid": t("rules.col.staff_paid"), "amount": t("rules.col.amount")}),
            hide_index=True, width="stretch", key="rules_closed_table", column_config={t("rules.col.amount"): YUAN})
    everything_first, everything_last = query(R.referral_date_range, scope)
    quarters = list(dict.fromkeys(R.quarter_of(d.date()) for d in pd.date_range(everything_first, everything_last,
                                                                                freq="D")))[::-1]
    quarter = st.selectbox(t("rules.quarter"), quarters, key="rules_quarter")
    record = closed[closed["quarter"] == quarter]
    ledger = query(R.quarter_ledger, scope, quarter=quarter)
    if not record.empty:
        st.success(t("rules.quarter_closed", quarter=quarter, by=escape_markdown(str(record["closed_by"].iloc[0])),
                     at=pd.Timestamp(record["closed_at"].iloc[0]).strftime("%Y-%m-%d %H:%M")))
        st.download_button(t("rules.download_closed"),
                           audited(partial(reward_ledger_workbook, ledger, quarter), "export_reward_ledger",
                                   f"{quarter} {len(ledger)} rows (closed, payroll)"),
                           f"payroll_ledger_{quarter}.xlsx", XLSX, key="rules_payroll_xlsx", icon=":material/payments:",
                           on_click="ignore")
    elif closed_to is not None and R.parse_quarter(quarter)[1] <= closed_to:
        st.info(t("rules.quarter_locked", quarter=quarter, day=closed_to))
    elif R.parse_quarter(quarter)[1] >= date.today():
        st.info(t("rules.quarter_running", quarter=quarter))
    else:
        st.info(t("rules.quarter_open", quarter=quarter))
        if is_admin:
            with st.form("rules_close"):
                st.markdown("**" + t("rules.close_form") + "**")
                confirm = st.checkbox(t("rules.close_confirm", quarter=quarter), key="rules_close_confirm")
                submitted_close = st.form_submit_button(t("rules.submit_close"), type="primary")
            if submitted_close:
                if not confirm:
                    st.warning(t("rules.close_needs_confirm"))
                elif attempt(close_quarter, quarter) is not None:
                    done(t("rules.closed_now", quarter=quarter))
        else:
            st.caption(t("rules.only_admin_closes"))
    st.caption(t("rules.ledger_lines"))
    if not ledger.empty:
        st.dataframe(labelled(ledger.assign(status=ledger["status"].map(lambda s: t(f"ref.status.{s}"))).head(SHOWN_ROWS), {
            "employee_no": t("ref.col.employee_no"), "staff_name": t("ref.col.staff"), "branch_name": t("ref.col.branch"),
            "effective_customers": t("ref.col.effective_customers"), "amount": t("ref.col.reward_yuan"),
            "flagged_exclusions": t("ref.col.withheld"), "basis": t("ref.col.basis"), "status": t("ref.col.status")}),
            hide_index=True, width="stretch", key="rules_ledger_table", column_config={t("ref.col.reward_yuan"): YUAN})
