"""Strings for the morning brief pushed to a branch's WeCom group (components/push.py); the sentences and most
alerts reuse the overview's own wording (brief.*, followers.overview.drop_alert, overview.*)."""

STRINGS: dict[str, tuple[str, str]] = {
    "push.title": ("{branch} · 晨报 {day}", "{branch} · morning brief {day}"),
    "push.no_data": ("当前还没有这个网点的粉丝数据，暂无晨报。", "No follower figures for this branch yet: no brief."),
    "push.more": ("… 另有 {n} 条", "… {n} more"),
    "push.open": ("打开驾驶舱查看详情", "Open the cockpit for the details"),
    "push.dormant": ("沉默群：{name}（{days} 天没有客户发言）", "Silent group: {name} (no customer message for {days} days)"),
    "push.lagging": ("返乡营销落后村 {n} / {total}：{names}", "Campaign: {n} of {total} villages lagging: {names}"),
}
