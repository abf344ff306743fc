"""``formflow fees import`` and ``fees list``: the billing system's arrears list, previewed, kept as a dated
snapshot, and listed per unit for the collector."""

from __future__ import annotations

import json
from decimal import Decimal

from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from formflow.cli import cli

OWN_COLUMNS = """
fees:
  columns:
    unit: [房产名称]
    owner: [缴费人]
    owed: [本期欠费]
"""
#: The billing system's rows (row 3 onwards): 序号, 房产名称, 缴费人, 费项, 账期, 应收, 实收, 本期欠费.
ROWS = [
    [1, "3-2-1502", "黄秀英", "物业费", "2026-01至2026-06", 1200, 0, 1200],   # 3
    [2, "3栋2单元1502", None, "水费", "2026年10月", "¥35.50", 0, 35.5],        # 4: another spelling of 3-2-1502
    [3, "3-1-101", "蔡建华", "物业费", 202611, 200, 200, 0],                   # 5: paid up
    [4, "3-1-102", "罗志强", "车位费", "2026.11", 300, "三百", 300],            # 6: not a number
    [5, "3-1-201", "郝子豪", "物业费", "2026-11", 200, 0, -200],               # 7: negative
    [6, "3-1-201", "郝子豪", "电费", "2026-11", 200, 50, 100],                 # 8: 100 ≠ 200 − 50
    [7, "99-9-909", "钱某", "物业费", "2026-09", 500, 0, 500],                 # 9: not in the register
    [8, "3-1-402", "王明辉", "物业费", "2026-07至2026-11", "1,000.00", 0, "1,000.00"],  # 10: 未入住
    [9, None, None, None, None, None, None, None],                            # 11: only its 序号
    ["合计", None, None, None, None, 3835.5, 250, 2935.5],                     # 12
]


def billing_export(path):
    """An .xlsx as a billing system writes it: a title line, its own header names, a 合计 row at the end."""
    book = Workbook()
    sheet = book.active
    sheet.title = "欠费明细"
    sheet.append(["阳光花园管理处 欠费明细表 导出日期：2026-11-28"])
    sheet.append(["序号", "房产名称", "缴费人", "费项", "账期", "应收金额（元）", "实收金额（元）", "本期欠费"])
    for row in ROWS:
        sheet.append(row)
    book.save(path)
    return path


def _own_columns(workspace) -> None:
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + OWN_COLUMNS, encoding="utf-8")


PREVIEW = [
    "欠费清单 arrears list：欠费明细.xlsx（工作表 sheet：欠费明细）",
    ("列 columns：房号←“房产名称”，业主←“缴费人”，收费项目←“费项”，所属期间←“账期”，应收←“应收金额（元）”，"
     "已收←“实收金额（元）”，欠费金额←“本期欠费”"),
    "读取 rows read 9 行：采用 taken 5 行，未采用 refused 3 行，合计行 total rows 1 行已跳过 skipped",
    "欠费 owing 3 户 units，共 total 2,735.50 元（截至 as of 2026-11-28）；已缴清 paid up 1 行",
    "  按收费项目 by item：物业费 3 户 2,700.00 元；水费 1 户 35.50 元",
    "  按入住状态 by occupancy：已入住 1 户；未入住 1 户；不在房屋清单中 1 户",
    "  ! 第 9 行 row 9：99-9-909 不在房屋清单中（已采用，请核对房号）",
    "  ✗ 第 6 行 row 6：3-1-102：已收“三百”不是金额",
    "  ✗ 第 7 行 row 7：3-1-201：欠费 -200.00 元是负数（预收或退款不是欠费）",
    "  ✗ 第 8 行 row 8：3-1-201：欠费 100.00 元，但应收 200.00 元 − 已收 50.00 元 = 150.00 元，两者不一致",
    "  提示：第 12 行是合计行，已跳过 total row skipped",
]


def _kept(workspace):
    folder = workspace.root / "data" / "archive" / "fees"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def test_the_preview_then_nothing_written_without_yes(workspace):
    _own_columns(workspace)
    path = billing_export(workspace.root / "欠费明细.xlsx")
    result = CliRunner().invoke(cli, ["fees", "import", str(path)], input="n\n")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [*PREVIEW, "保存这份欠费快照？ keep this snapshot? [y/N]: n", "未保存 nothing written"]
    assert _kept(workspace) == []


def test_kept_with_yes_once_per_day_with_the_original_file(workspace):
    _own_columns(workspace)
    path = billing_export(workspace.root / "欠费明细.xlsx")
    first = workspace.cli("fees", "import", str(path), "--yes")
    assert first.code == 0, first.err
    assert first.out.splitlines()[:-1] == PREVIEW
    [json_name] = [n for n in _kept(workspace) if n.endswith(".json")]
    assert json_name.startswith("2026-11-28-")
    assert first.out.splitlines()[-1] == f"已保存 kept: data/archive/fees/{json_name}（5 行 rows，3 户 units，2,735.50 元）"
    snapshot = json.loads((workspace.root / "data/archive/fees" / json_name).read_text(encoding="utf-8"))
    assert snapshot["date"] == "2026-11-28" and snapshot["total"] == "2735.50"
    assert [(i["row"], i["unit"], i["period"], i["from"], i["to"], i["owed"], i["registered"])
            for i in snapshot["items"]] == [
        (3, "3-2-1502", "2026-01至2026-06", "2026-01", "2026-06", "1200.00", True),
        (4, "3-2-1502", "2026年10月", "2026-10", "2026-10", "35.50", True),
        (5, "3-1-101", "202611", "2026-11", "2026-11", "0.00", True),
        (9, "99-9-909", "2026-09", "2026-09", "2026-09", "500.00", False),
        (10, "3-1-402", "2026-07至2026-11", "2026-07", "2026-11", "1000.00", True)]
    original = workspace.root / "data/archive/fees" / snapshot["source"]["kept"]
    assert original.read_bytes() == path.read_bytes() and original.name == json_name[:-5] + "-欠费明细.xlsx"

    billing_export(path)  # the same list saved again: other bytes, the same arrears
    again = workspace.cli("fees", "import", str(path), "--yes")
    assert again.out.splitlines()[-1] == (f"这份欠费清单 2026-11-28 已经导入过，不再重复保存 already kept: "
                                          f"data/archive/fees/{json_name}")
    assert len(_kept(workspace)) == 2

    later = workspace.cli("fees", "import", str(path), "--yes", "--date", "2026-11-01")  # back-filling
    assert later.code == 0 and "（截至 as of 2026-11-01）" in later.out
    assert len(_kept(workspace)) == 4


def test_the_list_per_unit_largest_first(workspace):
    _own_columns(workspace)
    path = billing_export(workspace.root / "欠费明细.xlsx")
    assert workspace.cli("fees", "import", str(path), "--yes").code == 0
    register = workspace.load().settings.register
    # What each unit owes, summed here from the rows the file should take (3, 4, 9, 10; row 5 owes nothing).
    owed: dict[str, Decimal] = {}
    for number in (3, 4, 9, 10):
        row = ROWS[number - 3]
        unit = "3-2-1502" if row[1] == "3栋2单元1502" else row[1]
        owed[unit] = owed.get(unit, Decimal(0)) + Decimal(str(row[7]).replace(",", ""))
    expected = sorted(owed, key=lambda u: -owed[u])
    assert expected == ["3-2-1502", "3-1-402", "99-9-909"]

    data = json.loads(workspace.cli("fees", "list", "--format", "json").out)
    assert data["total"] == f"{sum(owed.values()):.2f}" == "2735.50"
    assert [(u["unit"], Decimal(u["owed"])) for u in data["units"]] == [(u, owed[u]) for u in expected]
    first, second, third = data["units"]
    assert (first["owner"], first["phones"], first["status"], first["months"], first["oldest"], first["items"]) == (
        "黄秀英", list(register["3-2-1502"].phones), "已入住", 6 + 1, "2026-01",
        [{"item": "物业费", "owed": "1200.00"}, {"item": "水费", "owed": "35.50"}])
    assert (second["owner"], second["phones"], second["status"], second["months"]) == (
        "王明辉", list(register["3-1-402"].phones), "未入住", 5)
    assert (third["status"], third["registered"], third["phones"]) == ("不在房屋清单中", False, [])

    text = workspace.cli("fees", "list").out.splitlines()
    assert text == [
        "欠费户清单（2026-11-28 导入，欠费明细.xlsx）：3 户，共 2,735.50 元",
        (f"  3-2-1502  黄秀英  {'、'.join(register['3-2-1502'].phones)}  已入住  1,235.50 元  7 个月  自 2026-01  "
         "物业费 1200.00；水费 35.50"),
        f"  3-1-402  王明辉  {'、'.join(register['3-1-402'].phones)}  未入住  1,000.00 元  5 个月  自 2026-07  物业费 1000.00",
        "  99-9-909  钱某  （无电话）  不在房屋清单中  500.00 元  1 个月  自 2026-09  物业费 500.00"]

    out = workspace.root / "欠费户清单.xlsx"
    assert workspace.cli("fees", "list", "--format", "xlsx", "-o", str(out)).code == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[1] == ("房号", "业主", "联系电话", "入住状态", "欠费金额（元）", "欠费月数", "最早欠费期间", "收费项目")
    assert [(r[0], r[4]) for r in rows[2:]] == [("3-2-1502", 1235.5), ("3-1-402", 1000), ("99-9-909", 500)]


def test_a_gbk_csv_without_an_owed_column(workspace):
    path = workspace.root / "欠费.csv"
    path.write_bytes("房号,业主姓名,收费项目,所属期间,应收,已收\r\n"
                     "3-1-101,蔡建华,物业费,2026年11月,200,50\r\n"
                     "６－２－９０１,何丽萍,停车费,2026-10至2026-11,\"1,200.00\",\r\n"
                     "3-1-102,罗志强,物业费,2026-11,100,150\r\n"
                     ",,物业费,2026-11,100,0\r\n".encode("gbk"))
    result = workspace.cli("fees", "import", str(path), "--yes", "--date", "2026-11-20")
    assert result.code == 0, result.err
    assert result.out.splitlines()[:5] == [
        "欠费清单 arrears list：欠费.csv（GBK）",
        "列 columns：房号←“房号”，业主←“业主姓名”，收费项目←“收费项目”，所属期间←“所属期间”，应收←“应收”，已收←“已收”",
        "读取 rows read 4 行：采用 taken 2 行，未采用 refused 2 行",
        "欠费 owing 2 户 units，共 total 1,350.00 元（截至 as of 2026-11-20）",
        "  按收费项目 by item：停车费 1 户 1,200.00 元；物业费 1 户 150.00 元"]
    assert "  ✗ 第 4 行 row 4：3-1-102：已收 150.00 元多于应收 100.00 元" in result.out.splitlines()
    assert "  ✗ 第 5 行 row 5：没有房号" in result.out.splitlines()
    listed = json.loads(workspace.cli("fees", "list", "--date", "2026-11-20", "--format", "json").out)
    assert [(u["unit"], u["owed"], u["months"]) for u in listed["units"]] == [("6-2-901", "1200.00", 2),
                                                                            ("3-1-101", "150.00", 1)]


def test_a_file_it_cannot_read_as_arrears_says_why(workspace):
    path = workspace.root / "名单.csv"
    path.write_text("房号,业主\n3-1-101,蔡建华\n", encoding="utf-8")
    result = workspace.cli("fees", "import", str(path), "--yes")
    assert result.code == 1
    assert result.err.splitlines()[0] == ("✗ 名单.csv：找不到欠费金额列（或应收、已收两列）no owed column (nor due and "
                                          "paid). 表头是 headers: 房号、业主")
    assert _kept(workspace) == []
    nothing = workspace.cli("fees", "list")
    assert (nothing.code, nothing.err.splitlines()[0]) == (1, "✗ 还没有导入过欠费清单 no arrears list imported yet")

