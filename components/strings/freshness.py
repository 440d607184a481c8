"""Strings for the freshness line every data page shows under its title (components/freshness.py)."""

STRINGS: dict[str, tuple[str, str]] = {
    "freshness.line": ("数据截至 {day} · {at} {via}", "Data up to {day} · {via} {at}"),
    "freshness.line_day_only": ("数据截至 {day}", "Data up to {day}"),
    "freshness.none": ("当前范围内还没有数据。", "No data in this scope yet."),
    "freshness.via.sync": ("同步", "synced"),
    "freshness.via.import": ("导入", "imported"),
    "freshness.via.seed": ("生成（演示数据）", "seeded (demo data)"),
    "freshness.behind": ("{sources}数据停在 {day}，已落后 {days} 天", "{sources}: last day {day}, {days} days behind"),
    "freshness.source.followers": ("粉丝", "Followers"),
    "freshness.source.groups": ("社群", "Groups"),
    "freshness.source.referrals": ("推荐", "Referrals"),
    "freshness.source.campaign": ("返乡营销", "Campaign"),
    "freshness.help": ("“数据截至”是所选范围内最新有数据的一天；时间为中国时间的最近一次同步或导入。"
                       "每天 08:15 自动同步，前一天的数据在 09:00 前到齐；晚于此仍未到的数据源会标出。",
                       "“Data up to” is the latest day with data in the chosen scope; the time is the last sync or "
                       "import, China time. The sync runs daily at 08:15 and yesterday's figures are due by 09:00; "
                       "a source that is later than that is flagged."),
}
