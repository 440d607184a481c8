"""Build the import corpus: good files in every shape the bank's systems export, and broken ones.

Run `python -m tests.import_corpus.make_corpus` to rebuild the files next to this script. `CASES`
and `CHAIN` say what importing each file into the demo database (seed 1, ending 2026-11-22) must do;
`tests/db/test_import_corpus.py` checks exactly that on SQLite and PostgreSQL.

XLS (BIFF) files are not in the corpus: no installed package writes them (xlwt is not a dependency);
the reader opens them through python-calamine, the same code path as XLSX.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEADER_ZH = ["时间", "新关注人数", "取消关注人数", "净增关注人数", "累积关注人数"]


@dataclass(frozen=True)
class Case:
    """`refused`: a phrase of the English refusal; otherwise the counts and the (row, column) rejected."""

    file: str
    kind: str
    options: dict = field(default_factory=dict)
    refused: str | None = None
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    rejected: tuple[tuple[int, str], ...] = ()


def _follower_rows(start_cumulative: int, figures: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    rows, total = [], start_cumulative
    for new, lost in figures:
        total += new - lost
        rows.append((new, lost, new - lost, total))
    return rows


def _csv(lines: list[str]) -> str:
    return "\r\n".join(lines) + "\r\n"


def _xlsx(rows: list[list], path: Path, number_formats: dict[int, str] | None = None) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "用户增长"
    for row in rows:
        sheet.append(row)
    for column, fmt in (number_formats or {}).items():
        for cell in sheet.iter_cols(min_col=column, max_col=column):
            for c in cell:
                if isinstance(c.value, (int, float)) and not isinstance(c.value, bool):
                    c.number_format = fmt
    workbook.save(path)


CASES: list[Case] = []
CHAIN: list[Case] = []

CASES.extend([
    Case("followers_utf8.csv", "follower_daily", {"account": "gh_zj00101"}, new=7),
    Case("followers_utf8_bom.csv", "follower_daily", new=5),
    Case("followers_gbk.csv", "follower_daily", {"account": "gh_zj00103"}, new=5),
    Case("followers_title_total.xlsx", "follower_daily", {"account": "gh_zj00104"}, new=6),
    # The same workbook saved as legacy XLS by LibreOffice (see _legacy_xls): title rows, totals, real dates.
    Case("followers_title_total.xls", "follower_daily", {"account": "gh_zj00112"}, new=6),
    Case("followers_serial_english.xlsx", "follower_daily", new=4),
    Case("followers_english.csv", "follower_daily", new=3),
    Case("followers_corrections.csv", "follower_daily", {"account": "gh_zj00107"}, new=1, changed=3),
])

account = {"account": "gh_zj00108"}
CASES.extend([
    Case("bad_encoding.csv", "follower_daily", account, refused="neither UTF-8 nor GBK"),
    Case("bad_missing_column.csv", "follower_daily", account,
         refused="missing required column(s): 取消关注人数 (unfollows)"),
    Case("bad_date.csv", "follower_daily", account, new=2, rejected=((3, "时间"), (5, "时间"))),
    Case("bad_negative.csv", "follower_daily", account, rejected=((2, "新关注人数"), (3, "累积关注人数"))),
    Case("bad_duplicates.csv", "follower_daily", account, new=1, rejected=((2, "时间"), (4, "时间"))),
    Case("bad_net.csv", "follower_daily", account, new=1, rejected=((3, "净增关注人数"),)),
    Case("bad_unknown_account.csv", "follower_daily", new=1, rejected=((3, "公众号"),)),
    Case("bad_not_a_number.csv", "follower_daily", account, rejected=((2, "新关注人数"), (3, "净增关注人数"),
                                                                       (3, "新关注人数"))),
    Case("bad_unknown_branch_staff.csv", "staff", new=0, rejected=((2, "网点代码"), (3, "岗位"))),
    Case("bad_truncated.xlsx", "follower_daily", account, refused="is damaged or truncated"),
    Case("bad_image_renamed.xlsx", "follower_daily", account, refused="PNG image"),
    Case("bad_empty.csv", "follower_daily", account, refused="the file is empty"),
    Case("bad_header_only.csv", "follower_daily", account, refused="no data rows"),
    Case("bad_not_a_table.csv", "follower_daily", account, refused="no header row"),
    Case("bad_zip_bomb.xlsx", "follower_daily", account, refused="absurd size"),
    Case("bad_plain_zip.xlsx", "follower_daily", account, refused="not an Excel workbook"),
    Case("groups_daily_wecom_gbk.csv", "group_daily", new=3),
    Case("bad_groups_daily.csv", "group_daily", new=1, rejected=((3, "发过消息的群成员数"), (4, "群编号"))),
])

CHAIN.extend([
    Case("chain_01_branches.csv", "branch", new=2),
    Case("chain_02_staff.xlsx", "staff", new=3),
    Case("chain_03_villages.csv", "village", new=2),
    Case("chain_04_customers_gbk.csv", "customer", new=6),
    Case("chain_05_key_persons.csv", "key_person", new=2),
    Case("chain_06_events.xlsx", "marketing_event", new=2),
    Case("chain_07_name_list.xlsx", "name_list", new=4),
    Case("chain_08_sms_replies.csv", "sms_reply", new=4),
    Case("chain_09_visits.csv", "visit", new=3),
    Case("chain_10_deposits.csv", "campaign_deposit", new=2),
    Case("chain_bad_sms_unknown.csv", "sms_reply", rejected=((2, "客户号"), (3, "营销季"))),
    Case("chain_11_group_members.xlsx", "group_member", new=3),
    Case("chain_12_shares.csv", "share_event", new=2),
    Case("chain_13_relationships.csv", "relationship", new=1,
         rejected=((2, "客户号A"), (3, "关系类型"), (5, "客户号B"), (6, "客户号A"), (7, "关系类型"))),
    Case("chain_14_relationships_fixed.csv", "relationship", new=3),
])


def build() -> None:  # noqa: PLR0915 - one file after another, on purpose
    figures = _follower_rows(30_000, [(1204, 37), (866, 41), (90, 12), (75, 9), (1320, 15), (58, 61), (44, 3)])

    # 1. UTF-8, ISO dates, thousands separators in quotes, the account chosen on the page
    lines = [",".join(HEADER_ZH)]
    for offset, (new, lost, net, total) in enumerate(figures):
        lines.append(f'2026-11-{23 + offset:02d},"{new:,}",{lost},"{net:,}","{total:,}"')
    (HERE / "followers_utf8.csv").write_text(_csv(lines), encoding="utf-8")

    # 2. UTF-8 with BOM, 2026/11/3 dates, the account named in a 公众号 column
    lines = [",".join([*HEADER_ZH, "公众号"])]
    for offset, (new, lost, net, total) in enumerate(figures[:5]):
        lines.append(f"2026/11/{23 + offset},{new},{lost},{net},{total},南湖支行服务号")
    (HERE / "followers_utf8_bom.csv").write_bytes(_csv(lines).encode("utf-8-sig"))

    # 3. GBK as Excel on Chinese Windows saves it: a title row, 20261123 dates, a total row
    lines = ["公众号用户增长数据（2026年11月）,,,,", ",".join(HEADER_ZH)]
    for offset, (new, lost, net, total) in enumerate(figures[:5]):
        lines.append(f"2026{11:02d}{23 + offset:02d},{new},{lost},{net},{total}")
    lines.append(f"合计,{sum(f[0] for f in figures[:5])},{sum(f[1] for f in figures[:5])},"
                 f"{sum(f[2] for f in figures[:5])},")
    (HERE / "followers_gbk.csv").write_bytes(_csv(lines).encode("gbk"))

    # 4. XLSX with two title rows, a blank row, real date cells, text numbers "1,204", a total and a note
    rows = [["用户分析"], ["统计时间：2026-11-23 至 2026-11-28"], [], HEADER_ZH]
    for offset, (new, lost, net, total) in enumerate(figures[:6]):
        rows.append([datetime(2026, 11, 23 + offset), f"{new:,}", lost, net, total])
    rows.append(["合计", sum(f[0] for f in figures[:6]), sum(f[1] for f in figures[:6]), None, None])
    rows.append(["注：数据来源于微信公众平台"])
    _xlsx(rows, HERE / "followers_title_total.xlsx")

    # 5. XLSX with English headers (the API's names) and dates stored as Excel serial numbers
    rows = [["date", "new_user", "cancel_user", "net_user", "cumulate_user", "account"]]
    for offset, (new, lost, net, total) in enumerate(figures[:4]):
        serial = (date(2026, 11, 23 + offset) - date(1899, 12, 30)).days
        rows.append([serial, new, lost, net, total, "gh_zj00105"])
    _xlsx(rows, HERE / "followers_serial_english.xlsx")

    # 6. English headers in CSV, dates written 2026年11月23日 and 2026.11.24, with a time part
    lines = ["Date,New follows,Unfollows,Net follows,Cumulative,Account",
             "2026年11月23日,10,2,8,5008,gh_zj00106", "2026.11.24,12,2,10,5018,gh_zj00106",
             "2026-11-25 00:00:00,5,7,-2,5016,gh_zj00106"]
    (HERE / "followers_english.csv").write_text(_csv(lines), encoding="utf-8")

    # 7. Corrections of days already stored (changed) and one new day
    lines = [",".join(HEADER_ZH)] + [f"2026-11-{d},999,9,990,{90_000 + d}" for d in (20, 21, 22)] + \
        ["2026-11-23,5,0,5,90028"]
    (HERE / "followers_corrections.csv").write_text(_csv(lines), encoding="utf-8")


    # --- malformed -----------------------------------------------------------------------------------------
    (HERE / "bad_encoding.csv").write_bytes(",".join(HEADER_ZH).encode("gbk") + b"\r\n2026-11-23,\x80\xff,\x81\x20,3,4\r\n")
    (HERE / "bad_missing_column.csv").write_text(_csv(["时间,新关注人数,净增关注人数,累积关注人数",
                                                       "2026-11-23,10,8,100"]), encoding="utf-8")
    (HERE / "bad_date.csv").write_text(_csv([",".join(HEADER_ZH), "2026-11-23,10,2,8,100", "2026-13-45,10,2,8,108",
                                             "2026-11-25,10,2,8,116", "昨天,10,2,8,124"]), encoding="utf-8")
    (HERE / "bad_negative.csv").write_text(_csv([",".join(HEADER_ZH), "2026-11-23,-5,2,-7,100",
                                                 "2026-11-24,10,2,8,-1"]), encoding="utf-8")
    (HERE / "bad_duplicates.csv").write_text(_csv([",".join(HEADER_ZH), "2026-11-23,10,2,8,100",
                                                   "2026-11-24,10,2,8,108", "2026-11-23,10,2,8,100"]), encoding="utf-8")
    (HERE / "bad_net.csv").write_text(_csv([",".join(HEADER_ZH), "2026-11-23,10,2,8,100", "2026-11-24,10,2,9,108"]),
                                      encoding="utf-8")
    (HERE / "bad_unknown_account.csv").write_text(_csv([",".join([*HEADER_ZH, "公众号"]),
                                                        "2026-11-23,10,2,8,100,gh_zj00109",
                                                        "2026-11-24,10,2,8,108,gh_nobody"]), encoding="utf-8")
    (HERE / "bad_not_a_number.csv").write_text(_csv([",".join(HEADER_ZH), "2026-11-23,12a,2,10,100",
                                                     "2026-11-24,3.5,2,1.5,108"]), encoding="utf-8")
    (HERE / "bad_unknown_branch_staff.csv").write_text(_csv(["工号,姓名,网点代码,岗位", "E909001,李明,ZZ999,柜员",
                                                             "E909002,赵丽,ZJ001-01,厨师"]), encoding="utf-8")
    good = (HERE / "followers_title_total.xlsx").read_bytes()
    (HERE / "bad_truncated.xlsx").write_bytes(good[: len(good) // 2])
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(200)
    (HERE / "bad_image_renamed.xlsx").write_bytes(png)
    (HERE / "bad_empty.csv").write_bytes(b"")
    (HERE / "bad_header_only.csv").write_text(",".join(HEADER_ZH) + "\r\n", encoding="utf-8")
    (HERE / "bad_not_a_table.csv").write_text("hello, this is a letter\r\nnot a table at all\r\n", encoding="utf-8")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (64 * 1024 * 1024))
    (HERE / "bad_zip_bomb.xlsx").write_bytes(bomb.getvalue())
    (HERE / "bad_plain_zip.xlsx").write_bytes(_plain_zip())

    (HERE / "groups_daily_wecom_gbk.csv").write_bytes(_csv([
        "客户群统计（按群）,,,,,,", "群编号,日期,群成员总数,新增群成员数,退群人数,发过消息的群成员数,群聊消息总数",
        *[f"G0000001,2026/11/{d},{180 + d},{d % 3},1,{30 + d},\"1,{200 + d}\"" for d in (23, 24, 25)],
        "总计,,,3,3,,",
    ]).encode("gb18030"))
    (HERE / "bad_groups_daily.csv").write_text(_csv([
        "群编号,日期,群成员总数,发过消息的群成员数", "G0000002,2026-11-23,50,10", "G0000002,2026-11-24,50,51",
        "G9999999,2026-11-24,50,10",
    ]), encoding="utf-8")
    _chain()


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


def _chain() -> None:
    """A quarter's files for a new sub-branch, loaded in order: org, staff, villages, customers, key persons,
    events, then the migrant campaign's name list, SMS replies, visits and deposits."""
    (HERE / "chain_01_branches.csv").write_text(_csv([
        "网点代码,网点名称,层级,上级网点代码,片区代码,城市,类型,服务户数",
        "ZJ001-91,湘家荡七星网点,网点,ZJ001-90,R03,嘉兴,县域,",
        "ZJ001-90,湘家荡支行,支行,ZJ001,R03,嘉兴,县域,\"5,200\"",
    ]), encoding="utf-8")
    _xlsx([["员工名单（2026年11月）"], ["工号", "姓名", "网点代码", "岗位", "手机号", "邮箱"],
           ["E900001", "张晓燕", "ZJ001-90", "客户经理", "13800000001", "e900001@bank.example.cn"],
           ["E900002", "陈立", "ZJ001-90", "行长", "13800000002", ""],
           [900003, "吴敏", "ZJ001-91", "teller", "", ""]], HERE / "chain_02_staff.xlsx")
    (HERE / "chain_03_villages.csv").write_text(_csv([
        "village code,village,township,branch code,households",
        "V900001,南湖村,湘家荡镇,ZJ001-90,420", "V900002,七星村,湘家荡镇,ZJ001-90,\"1,050\"",
    ]), encoding="utf-8")
    lines = ["客户号,客户姓名,网点代码,管户员工工号,村代码,手机号,性别,出生年份,客户类型,职业,潜力客户,开通电子银行,存款余额,开户日期"]
    for i in range(1, 7):
        lines.append(f"C9000000{i},客户{i},ZJ001-90,E900001,V90000{1 + i % 2},1390000000{i},{'男' if i % 2 else '女'},"
                     f"{1975 + i},个人,外出务工,否,{'是' if i % 3 else '否'},\"{i * 12_500:,}.00\",2019/3/{i}")
    (HERE / "chain_04_customers_gbk.csv").write_bytes(_csv(lines).encode("gbk"))
    (HERE / "chain_05_key_persons.csv").write_text(_csv(["客户号,角色,村代码", "C90000001,包工头,",
                                                         "C90000002,村主任,V900001"]), encoding="utf-8-sig")
    _xlsx([["网点代码", "活动名称", "活动类型", "开始日期", "结束日期", "合作方", "费用（元）"],
           ["ZJ001-90", "开业扫码送好礼", "抽奖", date(2026, 11, 1), date(2026, 11, 3), "", 3500],
           ["ZJ001-90", "重阳敬老茶话会", "社区活动", "2026/10/29", "20261029", "湘家荡镇敬老院", "1,200"]],
          HERE / "chain_06_events.xlsx")
    _xlsx([["营销季", "客户号", "联系员工工号", "包工头客户号", "预计返乡日期", "实际返乡日期", "预计返岗日期", "上季存款（元）"],
           *[[2026, f"C9000000{i}", "E900001", "C90000001", date(2026, 2, 5), None, 20260301, 20_000 + i]
             for i in range(3, 7)]], HERE / "chain_07_name_list.xlsx")
    (HERE / "chain_08_sms_replies.csv").write_text(_csv(
        ["营销季,客户号,发送日期,送达,回复日期,回复编号"]
        + [f"2026,C9000000{i},2026-01-20,是,{'2026-01-21' if i % 2 else ''},{2 if i % 2 else ''}" for i in range(3, 7)]
    ), encoding="utf-8")
    (HERE / "chain_09_visits.csv").write_text(_csv([
        "营销季,客户号,走访轮次,走访日期,走访员工工号,走访结果,了解到的年收入（元）,吸存目标（元）",
        "2026,C90000003,1,2026-02-08,E900001,已定目标,\"80,000\",\"50,000\"",
        "2026,C90000003,2,2026-02-17,E900002,承诺存款,,",
        "2026,C90000004,1,2026-02-09,E900001,不在家,,",
    ]), encoding="utf-8")
    (HERE / "chain_10_deposits.csv").write_text(_csv([
        "营销季,客户号,存入日期,存款金额（元）,营销员工工号",
        "2026,C90000003,2026-02-10,\"50,000.00\",E900001", "2026,C90000004,2026-02-11,\"8,000\",",
    ]), encoding="utf-8")
    _xlsx([["群编号", "客户号", "入群日期", "退群日期", "成员身份", "经此群获客", "发言数"],
           ["G0000001", "C90000003", date(2026, 11, 2), None, "社区达人", "是", 12],
           ["G0000001", "C90000004", "2026/11/3", "2026/11/20", "成员", "否", 0],
           ["G0000002", "C90000003", "20261105", None, "", "", ""]], HERE / "chain_11_group_members.xlsx")
    (HERE / "chain_12_shares.csv").write_text(_csv([
        "工号,渠道,日期,分享次数,点击次数", "E900001,朋友圈,2026-11-20,3,41", "E900001,微信好友,2026-11-20,5,\"1,020\"",
    ]), encoding="utf-8")
    rel = "客户号A,客户号B,关系类型,关系强度,来源"
    (HERE / "chain_13_relationships.csv").write_text(_csv([
        rel, "C90000004,C90000003,亲属,,入户调查", "C90000001,C90000005,推荐,,", "C90000006,C90000005,同村,1.2,",
        "C90000002,C90000002,同事,,", "C90000003,C90000004,家人,,", "C90000001,C90000005,推荐,2.5,",
    ]), encoding="utf-8")
    (HERE / "chain_14_relationships_fixed.csv").write_text(_csv([
        rel, "C90000004,C90000003,亲属,,入户调查", "C90000001,C90000005,推荐,,", "C90000006,C90000005,同村,1.2,",
    ]), encoding="utf-8")
    (HERE / "chain_bad_sms_unknown.csv").write_text(_csv([
        "营销季,客户号,发送日期", "2026,C99999999,2026-01-20", "2030,C90000003,2026-01-20",
    ]), encoding="utf-8")


def _legacy_xls() -> None:
    """XLS (BIFF8) can only be written by a spreadsheet program here: the committed file is the XLSX above
    converted with LibreOffice. Rebuilt only where `soffice` exists; otherwise the committed file stays."""
    import shutil
    import subprocess
    import tempfile

    if shutil.which("soffice") is None:
        return
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["soffice", "--headless", "--convert-to", "xls", "--outdir", folder,
                        str(HERE / "followers_title_total.xlsx")], check=True, capture_output=True, timeout=120)
        shutil.copy(Path(folder) / "followers_title_total.xls", HERE / "followers_title_total.xls")


if __name__ == "__main__":
    build()
    _legacy_xls()
    print(f"corpus written to {HERE}: {len(CASES)} single files, {len(CHAIN)} chained files")
