"""Strings for the morning brief pushed to a branch's WeCom group (components/push.py)."""

STRINGS: dict[str, tuple[str, str]] = {}
