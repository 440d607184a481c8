"""Strings of the rules and reviews page (规则与复核): the fraud review, reward rules, closing quarters."""

STRINGS: dict[str, tuple[str, str]] = {
    "nav.rules": ("规则与复核", "Rules & reviews"),
    "rules.title": ("规则与复核", "Rules & reviews"),
    "rules.caption": ("风险推荐逐条复核，计件奖励规则按生效日向后适用，季度台账导出发薪后即结账锁定。",
                      "Review flagged referrals one by one; piece-rate rules apply from their valid-from date on; "
                      "a quarter is locked once its ledger is exported for payroll."),
    "rules.no_access": ("此页面仅限总行管理员和行长使用。", "This page is for head-office admins and branch presidents."),
    "rules.tab.review": ("风险复核", "Fraud review"),
    "rules.tab.rules": ("奖励规则", "Reward rules"),
    "rules.tab.quarters": ("季度结账", "Quarters"),
    # fraud review
    "rules.review_note": ("系统按既定规则标记的可疑推荐（本人推荐、同设备/同号段集中注册、短期撤销等）。"
                          "待复核和已确认的，相关客户的奖励暂缓发放；排除（核实为正常）须填写理由，奖励随即计入。"
                          "行长可复核本行及下辖网点；改判仅限总行管理员，须填写理由。"
                          "已结账季度的推荐不再复核：已导出发薪的金额不变。",
                          "Referrals the fraud rules flagged (self-referral, bursts from one device or phone "
                          "prefix, quick reversals…). Open and confirmed flags keep the customer's reward "
                          "withheld; clearing one (genuine) needs a reason and pays the reward. Presidents "
                          "review their own branches; only a head-office admin reverses a decision, with a "
                          "reason. Referrals of a closed quarter are not reviewed any more: the amounts "
                          "exported for payroll stand."),
    "rules.status_filter": ("状态", "Status"),
    "rules.status.open": ("待复核", "Open"),
    "rules.status.confirmed": ("已确认违规", "Confirmed"),
    "rules.status.cleared": ("已排除", "Cleared"),
    "rules.status.all": ("全部", "All"),
    "rules.counts": ("本期风险提示：待复核 {open} 条，已确认 {confirmed} 条，已排除 {cleared} 条",
                     "Flags in the period: {open} open, {confirmed} confirmed, {cleared} cleared"),
    "rules.list_empty": ("这一状态下没有风险提示。", "No flags with this status."),
    "rules.list_top": ("显示前 {shown} 条（共 {total} 条），可缩小网点或期间。",
                       "Showing the first {shown} of {total}; narrow the branch or period."),
    "rules.col.event": ("推荐编号", "Referral no."),
    "rules.col.status": ("复核状态", "Review status"),
    "rules.col.decided_by": ("复核人", "Reviewer"),
    "rules.col.decided_on": ("复核日期", "Reviewed on"),
    "rules.col.reason": ("理由", "Reason"),
    "rules.pick_flag": ("选择一条风险提示", "Pick a flag"),
    "rules.flag_closed": ("这条推荐所在季度已结账（截至 {day}），不能再复核。", "This referral's quarter is closed (up to {day}): it cannot be reviewed."),
    "rules.decide_form": ("复核结论", "Decision"),
    "rules.decision": ("结论", "Decision"),
    "rules.decision.confirmed": ("确认违规（奖励不予发放）", "Confirm fraud (reward withheld)"),
    "rules.decision.cleared": ("排除（核实为正常，奖励计入）", "Clear (genuine, reward paid)"),
    "rules.reason": ("理由（排除时必填）", "Reason (required to clear)"),
    "rules.submit_decision": ("提交复核结论", "Submit decision"),
    "rules.decided": ("当前结论：{status}（{by}，{on}）理由：{reason}", "Current decision: {status} ({by}, {on}). Reason: {reason}"),
    "rules.reverse_form": ("改判（仅总行管理员）", "Reverse (head-office admins only)"),
    "rules.reverse_to": ("改判为：{status}", "Reverse to: {status}"),
    "rules.reverse_reason": ("改判理由（必填）", "Reason for the reversal (required)"),
    "rules.submit_reverse": ("提交改判", "Reverse decision"),
    "rules.admin_reverses": ("如需改判，请联系总行管理员。", "To reverse a decision, ask a head-office admin."),
    "rules.saved_decision": ("已保存：{status}。排行榜和奖励台账已随之更新。", "Saved: {status}. The leaderboard and the reward ledger follow."),
    "rules.kept_text": ("您填写的内容：{text}", "What you typed: {text}"),
    # reward rules
    "rules.rules_note": ("规则按“客户类型 + 活动”分别设定：某活动有自己的规则时，经该活动转化的客户按活动规则计酬，"
                         "否则按通用规则。新规则自生效日起适用，此前的日子仍按原规则；生效日不能落在已结账季度内。",
                         "Rules are set per customer kind and campaign: customers converted through a campaign with "
                         "its own rule are paid by it, all others by the general rule. A new rule applies from "
                         "its valid-from date on, earlier days keep their rule; the date cannot fall in a closed quarter."),
    "rules.closed_through": ("已结账至 {day}（{quarter}）。", "Closed up to {day} ({quarter})."),
    "rules.none_closed": ("尚无已结账季度。", "No quarter is closed yet."),
    "rules.col.rule_id": ("规则编号", "Rule no."),
    "rules.col.campaign": ("适用活动", "Campaign"),
    "rules.col.note": ("说明", "Note"),
    "rules.col.set_by": ("设定人", "Set by"),
    "rules.general": ("通用（各活动及通用码）", "General (every campaign and general codes)"),
    "rules.open_end": ("长期", "Open-ended"),
    "rules.edit_form": ("设定新费率", "Set a new rate"),
    "rules.current_rate": ("当前适用：{yuan} 元/户（{since} 起）", "In force now: {yuan} yuan per customer (since {since})"),
    "rules.no_current_rate": ("这一组合当前没有规则。", "No rule in force for this combination."),
    "rules.yuan": ("每户奖励（元）", "Yuan per customer"),
    "rules.valid_from": ("生效日", "Valid from"),
    "rules.note": ("说明（可选）", "Note (optional)"),
    "rules.submit_rule": ("保存规则", "Save rule"),
    "rules.saved_rule": ("已保存规则 #{rule}：自 {day} 起 {yuan} 元/户。", "Saved rule #{rule}: {yuan} yuan per customer from {day}."),
    "rules.admin_only_rules": ("只有总行管理员可以修改奖励规则。", "Only head-office admins change reward rules."),
    # quarters
    "rules.quarters_note": ("导出工资台账即为结账：台账按当时的规则和复核结果最终计算一次并锁定，此后重算、"
                            "改规则、复核都不会再改变该季度金额。季度须按顺序结账。",
                            "Exporting the payroll ledger closes the quarter: the ledger is computed one last time "
                            "with the rules and reviews of that moment and locked; recomputing, rule changes and "
                            "reviews never change its amounts again. Quarters close in order."),
    "rules.quarter": ("季度", "Quarter"),
    "rules.col.closed_at": ("结账时间", "Closed at"),
    "rules.col.closed_by": ("结账人", "Closed by"),
    "rules.col.staff_paid": ("获奖励人数", "Staff paid"),
    "rules.col.amount": ("奖励合计（元）", "Total (yuan)"),
    "rules.quarter_closed": ("{quarter} 已结账：{by}，{at}。", "{quarter} is closed: {by}, {at}."),
    "rules.quarter_open": ("{quarter} 未结账，金额仍会随规则和复核变化。", "{quarter} is open: its amounts still follow rules and reviews."),
    "rules.quarter_locked": ("{quarter} 早于已结账季度（已结账至 {day}），已锁定。", "{quarter} lies before the closed quarters (closed up to {day}): locked."),
    "rules.quarter_running": ("{quarter} 尚未结束，结束后才能结账。", "{quarter} has not ended yet: it can be closed after it ends."),
    "rules.close_form": ("导出工资台账并结账", "Export for payroll and close"),
    "rules.close_confirm": ("我确认导出 {quarter} 工资台账，结账后该季度金额不再变化", "I export the {quarter} payroll ledger; its amounts will not change after closing"),
    "rules.submit_close": ("结账并生成工资台账", "Close and build the payroll ledger"),
    "rules.close_needs_confirm": ("请先勾选确认。", "Tick the confirmation first."),
    "rules.closed_now": ("{quarter} 已结账。请下载工资台账。", "{quarter} is closed. Download the payroll ledger."),
    "rules.download_closed": ("下载工资台账（已结账）", "Download payroll ledger (closed)"),
    "rules.ledger_lines": ("计酬依据中的“规则#编号”即支付该笔奖励的规则，见“奖励规则”页签。",
                           "“规则#n” in the basis names the rule that paid those yuan (see the Reward rules tab)."),
    "rules.only_admin_closes": ("只有总行管理员可以结账。", "Only head-office admins close quarters."),
    # outcomes
    "rules.refused": ("操作被拒绝：{message}", "Refused: {message}"),
    "rules.conflict": ("未保存：{message}", "Not saved: {message}"),
}
