"""Head office's referral writes from the app: reward rules (forward only), closing a quarter for payroll
and the fraud review (confirm, clear, an admin's reversal). Each is one service function that checks the
caller's role and scope on the server, writes, brings the stored ledger along, audits with before and
after, bumps the data version and commits, all in one transaction; a refusal writes only its audit entry."""

from models.referral_review.common import ReviewConflict, ReviewRefused
from models.referral_review.fraud import decide_flag, reverse_decision
from models.referral_review.rules import close_quarter, rule_series_stamp, set_reward_rule

__all__ = ["ReviewConflict", "ReviewRefused", "close_quarter", "decide_flag", "reverse_decision",
           "rule_series_stamp", "set_reward_rule"]
