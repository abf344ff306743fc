"""``formflow units import``: the office's Excel or GBK CSV list, previewed, then written into units.yaml."""

from __future__ import annotations

from openpyxl import Workbook

from formflow.unitsimport import find_columns


def billing_export(path):
    """An .xlsx as a billing system writes it: a title line, 楼栋/单元/房号 apart, phones as numbers, two phone columns."""
    book = Workbook()
    sheet = book.active
    sheet.append(["阳光花园 房屋资料 2026-12"])
    sheet.append(["楼栋", "单元", "房号", "建筑面积（㎡）", "业主", "手机", "电话2", "状态", "备注"])
    sheet.append([3, 2, 1502, 89.5, "黄秀英", 13826517094, "020-88886666", "自住", None])   # row 3: changed
    sheet.append([9, 1, 101, 90, "郑重", 13911112222, None, "已交房", "新交房"])            # row 4: added
    sheet.append([9, 1, "1o2", 90, "坏行", None, None, None, None])                           # row 5: bad unit
    sheet.append(["9", "1", "101", 90, "重复", None, None, None, None])                       # row 6: duplicate
    sheet.append([6, 2, 901, 118.2, "何丽萍", 1371145809, None, "已入住", None])             # row 7: bad phone
    sheet.append([3, 1, 101, 118.2, "蔡建华", 15838304780, None, "已入住", None])            # row 8: unchanged
    book.save(path)
    return path


def test_headers_are_found_by_the_names_offices_use():
    assert find_columns(("房号", "业主姓名", "联系电话", "入住状态")) == {
        "unit": "房号", "owner": "业主姓名", "phones": "联系电话", "status": "入住状态"}
    found = find_columns(("楼栋", "单元", "房号", "建筑面积(㎡)", "客户名称", "手机", "电话2"))
    assert (found["building"], found["entrance"], found["unit"], found["area"], found["owner"], found["phones"],
            found["phones_extra"]) == ("楼栋", "单元", "房号", "建筑面积(㎡)", "客户名称", "手机", "电话2")


def test_an_xlsx_import_previews_then_applies(workspace):
    path = billing_export(workspace.root / "房屋资料.xlsx")
    before = (workspace.root / "units.yaml").read_text(encoding="utf-8")
    preview = workspace.cli("units", "import", str(path))  # no answer: nothing written
    assert preview.code != 0 or "未写入" in preview.out
    lines = preview.out.splitlines()
    assert "新增 added 1 户，变更 changed 1 户，不变 unchanged 1 户，未导入的行 refused 3 行；清单中文件未提到的 218 户保持不变" \
        in preview.out
    assert "  + 9-1-101  郑重  13911112222  未入住" in lines
    assert any(line.startswith("  ~ 3-2-1502  电话、建筑面积：13826517094 → 13826517094、020-88886666；76.8 → 89.5")
               for line in lines), preview.out
    assert "  ✗ 第 5 行 row 5：房号“9-1-1o2”读不出来，应写成 3-2-1502 或 3栋2单元1502 这样" in lines
    assert "  ✗ 第 6 行 row 6：9-1-101 与第 4 行是同一户（房号重复）" in lines
    assert "  ✗ 第 7 行 row 7：6-2-901：电话“1371145809”不是有效的电话号码（手机 11 位，固定电话带区号）" in lines
    assert (workspace.root / "units.yaml").read_text(encoding="utf-8") == before

    applied = workspace.cli("units", "import", str(path), "--yes")
    assert applied.code == 0, applied.err
    text = (workspace.root / "units.yaml").read_text(encoding="utf-8")
    assert text.startswith(before.split("units:")[0])  # the file's own comments kept
    register = workspace.load().settings.register
    assert len(register) == 221
    flat = register["3-2-1502"]
    assert (flat.owner, flat.phones, str(flat.area), flat.status) == (
        "黄秀英", ("13826517094", "020-88886666"), "89.5", "已入住")
    assert (register["9-1-101"].status, register["9-1-101"].note) == ("未入住", "新交房")
    assert register["6-2-901"].phones == ("13711458096",)  # the refused row changed nothing
    again = workspace.cli("units", "import", str(path), "--yes")
    assert "新增 added 0 户，变更 changed 0 户，不变 unchanged 3 户" in again.out
    assert "房屋清单无需改动 nothing to change" in again.out


def test_a_gbk_csv_from_excel_on_chinese_windows(workspace):
    path = workspace.root / "清单.csv"
    path.write_bytes("房号,业主姓名,联系电话,入住状态\r\n3栋2单元1502室,黄秀英,13826517094,已入住\r\n"
                     "１２－１－３０１,钱多多,\"139 1111 2222；021-66667777\",空置\r\n".encode("gbk"))
    result = workspace.cli("units", "import", str(path), "--yes")
    assert result.code == 0, result.err
    assert "新增 added 1 户，变更 changed 0 户，不变 unchanged 1 户" in result.out
    added = workspace.load().settings.register["12-1-301"]
    assert (added.owner, added.phones, added.status) == ("钱多多", ("13911112222", "021-66667777"), "空置")


def test_a_file_without_a_unit_column_is_refused_with_its_headers(workspace):
    path = workspace.root / "名单.csv"
    path.write_text("姓名,电话\n王五,13800000000\n", encoding="utf-8")
    result = workspace.cli("units", "import", str(path), "--yes")
    assert result.code == 1
    assert "找不到房号列 no unit column. 表头是 headers: 姓名、电话" in result.err
    old_xls = workspace.root / "清单.xls"
    old_xls.write_bytes(b"\xd0\xcf\x11\xe0 old binary excel")
    result = workspace.cli("units", "import", str(old_xls))
    assert result.code == 1 and "清单.xls" in result.err and "Traceback" not in result.err


def test_a_developers_handover_list(workspace):
    """What the review found in real lists: a title line with a date beside it, merged 楼栋/单元 cells, a 房屋面积
    column that is not a 房号, phones written with dashes, +86, an extension or a name, wordings of 入住状态."""
    book = Workbook()
    sheet = book.active
    sheet.append(["阳光花园二期交房清单", None, None, "导出日期：2026-12-01"])
    sheet.append(["楼栋", "单元", "房间", "房屋面积", "业主", "联系方式", "状态", "备用电话"])
    sheet.append([15, 1, 101, "120平米", "甲", "138-0013-8002", "入伙", "021-66667777-801"])
    sheet.append([None, None, 102, 95.5, "乙", "+86 139 0013 8004 (王先生)", "空关", None])
    sheet.append([None, 2, 101, "88m2", "丙", "1390013800", "已收房", None])
    path = workspace.root / "交房清单.xlsx"
    book.save(path)
    result = workspace.cli("units", "import", str(path), "--yes")
    assert result.code == 0, result.err
    assert "房号←" not in result.out and "楼栋←“楼栋”" in result.out and "建筑面积←“房屋面积”" in result.out
    assert "新增 added 2 户" in result.out
    assert "  ✗ 第 5 行 row 5：15-2-101：电话“1390013800”不是有效的电话号码（手机 11 位，固定电话带区号）" in result.out
    assert "提示：第 4、5 行的楼栋/单元是空的（合并单元格），按上一行填写" in result.out
    register = workspace.load().settings.register
    first, second = register["15-1-101"], register["15-1-102"]
    assert (first.phones, str(first.area), first.status) == (("13800138002", "021-66667777-801"), "120", "已入住")
    assert (second.phones, str(second.area), second.status) == (("13900138004",), "95.5", "空置")
    assert "15-1-120" not in register  # the area was never read as a room
    shown = workspace.cli("unit", "15-1-101").out
    assert "建筑面积：120 平方米" in shown
