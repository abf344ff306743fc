"""Tables read from real .xlsx/CSV files as clerks have them, and lists written back as .xlsx."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from formflow.adapters.spreadsheet import Sheet, SheetError, read_table, write_xlsx
from formflow.errors import FormflowError


def _patch_sheet(path, *replacements):
    """Rewrite the first sheet's XML the way other writers spell things (openpyxl writes 1502.0 as 1502)."""
    with zipfile.ZipFile(path) as src:
        parts = {name: src.read(name) for name in src.namelist()}
    for old, new in replacements:
        assert old in parts["xl/worksheets/sheet1.xml"]
        parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(old, new)
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in parts.items():
            dst.writestr(name, data)


def _register(path, **extra_sheets):
    """A unit register as a billing system exports it: a title line, then the header, then data."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "房屋"
    ws.append(["阳光花园房屋清单"])                                           # row 1: title
    ws.append(["房号", "业主姓名", "电话", None, "面积", "交房日期", "电话"])    # row 2: header
    ws.append(["3-2-1502", "王建华\u3000", 13800138000.0, "备注A", 89.5, dt.datetime(2026, 11, 28), "010-1"])
    ws.append([])                                                              # row 4: empty
    ws.append([1502.0, " 李\xa0 ", None, None, 120.0, dt.datetime(2026, 1, 2, 9, 30), None, None, "多出来"])
    for name, rows in extra_sheets.items():
        other = book.create_sheet(name)
        for row in rows:
            other.append(row)
    book.save(path)
    # As Excel or a billing system may store them: a phone number in E notation, a room number as a float.
    _patch_sheet(path, (b"<v>13800138000</v>", b"<v>1.3800138E+10</v>"), (b"<v>1502</v>", b"<v>1502.0</v>"))
    return path


def test_xlsx_register_with_title_line_empty_row_and_odd_headers(tmp_path):
    sheet = read_table(_register(tmp_path / "清单.XLSX"))

    assert isinstance(sheet, Sheet) and sheet.path == tmp_path / "清单.XLSX" and sheet.encoding == ""
    assert sheet.headers == ("房号", "业主姓名", "电话", "列4", "面积", "交房日期", "电话（2）")
    assert [number for number, _ in sheet.rows] == [3, 5]  # as Excel shows them: the empty row 4 is skipped
    assert sheet.rows[0][1] == {"房号": "3-2-1502", "业主姓名": "王建华", "电话": "13800138000", "列4": "备注A",
                                "面积": "89.5", "交房日期": "2026-11-28", "电话（2）": "010-1"}
    assert sheet.rows[1][1] == {"房号": "1502", "业主姓名": "李", "电话": "", "列4": "", "面积": "120",
                                "交房日期": "2026-01-02 09:30", "电话（2）": "", "列9": "多出来"}


def test_sheet_chosen_by_name_and_missing_sheet_lists_names(tmp_path):
    path = _register(tmp_path / "book.xlsx", 欠费=[["房号", "欠费金额"], ["1-1-101", 300]])

    assert read_table(path, sheet="欠费").rows == ((2, {"房号": "1-1-101", "欠费金额": "300"}),)
    assert read_table(path).headers[0] == "房号"  # default: the sheet shown on opening
    with pytest.raises(SheetError) as info:
        read_table(path, sheet="二月")
    assert "二月" in str(info.value) and "房屋" in str(info.value) and "欠费" in str(info.value)
    assert "book.xlsx" in str(info.value)


def test_wrong_dimension_in_xlsx_does_not_drop_rows(tmp_path):
    path = tmp_path / "export.xlsx"
    book = openpyxl.Workbook()
    for row in (["房号", "姓名"], ["1", "甲"], ["2", "乙"]):
        book.active.append(row)
    book.save(path)
    _patch_sheet(path, (b'ref="A1:B3"', b'ref="A1"'))  # a wrong <dimension>, as some exporters write

    assert read_table(path).rows == ((2, {"房号": "1", "姓名": "甲"}), (3, {"房号": "2", "姓名": "乙"}))


@pytest.mark.parametrize(("data", "encoding"), [
    ("房号,业主姓名\n3-2-1502,王建华\n".encode("gbk"), "gbk"),
    ("\ufeff房号,业主姓名\r\n3-2-1502,王建华\r\n".encode("utf-8"), "utf-8"),
    ("房号,业主姓名\n3-2-1502,王建华\n".encode("utf-8"), "utf-8"),
    ("房号\t业主姓名\n3-2-1502\t王建华\n".encode("gbk"), "gbk"),
    ("房号;业主姓名\n3-2-1502;王建华\n".encode("utf-8"), "utf-8"),
    ("房号\t业主姓名\r\n3-2-1502\t王建华\r\n".encode("utf-16"), "utf-16"),
])
def test_csv_encodings_and_delimiters(tmp_path, data, encoding):
    path = tmp_path / "units.csv"
    path.write_bytes(data)

    sheet = read_table(path)

    assert (sheet.encoding, sheet.headers) == (encoding, ("房号", "业主姓名"))
    assert sheet.rows == ((2, {"房号": "3-2-1502", "业主姓名": "王建华"}),)


def test_csv_quoted_newline_title_line_and_short_rows(tmp_path):
    path = tmp_path / "arrears.TXT"
    path.write_bytes('欠费清单\n\n房号,备注,金额\n1-1-101,"一楼\n漏水",300\n1-1-102\n,,\n1-1-103,,5,x\n'.encode())

    sheet = read_table(path)

    assert sheet.headers == ("房号", "备注", "金额")
    assert sheet.rows == ((4, {"房号": "1-1-101", "备注": "一楼\n漏水", "金额": "300"}),
                          (5, {"房号": "1-1-102", "备注": "", "金额": ""}),
                          (7, {"房号": "1-1-103", "备注": "", "金额": "5", "列4": "x"}))


def test_one_column_list_takes_its_first_line_as_header(tmp_path):
    path = tmp_path / "rooms.csv"
    path.write_bytes("房号\n101\n\n102\n".encode())

    assert read_table(path).rows == ((2, {"房号": "101"}), (4, {"房号": "102"}))


def test_csv_in_neither_encoding_is_refused(tmp_path):
    path = tmp_path / "乱码.csv"
    data = "房号,姓名\n".encode("gbk") + b"\x81\x20\xff\xfe\x80"
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb18030")  # the premise: even GB18030, which decodes almost anything, fails here
    path.write_bytes(data)

    with pytest.raises(SheetError, match="乱码.csv") as info:
        read_table(path)
    assert "UTF-8" in str(info.value) and "GBK" in str(info.value)


@pytest.mark.parametrize(("name", "data", "words"), [
    ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "另存为 .xlsx"),
    ("broken.xlsx", b"PK\x03\x04 this is not really a zip file", "损坏"),
    ("empty.xlsm", b"", "损坏"),
    ("blank.csv", b"\n,,\n", "没有表头"),
])
def test_unreadable_files_raise_sheet_error_naming_the_file(tmp_path, name, data, words):
    (tmp_path / name).write_bytes(data)

    with pytest.raises(SheetError) as info:
        read_table(tmp_path / name)
    assert name in str(info.value) and words in str(info.value)
    assert isinstance(info.value, FormflowError)


@pytest.mark.parametrize("name", ["gone.xlsx", "gone.csv"])
def test_missing_file_is_a_sheet_error(tmp_path, name):
    with pytest.raises(SheetError, match=name):
        read_table(tmp_path / name)


def test_zip_without_workbook_parts_is_a_sheet_error(tmp_path):
    path = tmp_path / "other.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")

    with pytest.raises(SheetError, match="other.xlsx"):
        read_table(path)


def test_too_many_rows_says_how_many(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(("房号,姓名\n" + "".join(f"{i},x\n" for i in range(12))).encode())

    assert len(read_table(path, max_rows=12).rows) == 12
    with pytest.raises(SheetError, match="12") as info:
        read_table(path, max_rows=10)
    assert "有 12 行" in str(info.value) and "10" in str(info.value)


def test_write_xlsx_round_trip(tmp_path):
    path = tmp_path / "out" / "欠费清单.xlsx"
    rows = [["3-2-1502", "王建华", 1502, 89.5, Decimal("300.25"), True, None, dt.date(2026, 11, 28)],
            ["=1+1", "+86 138", "-5 元", "@sum", 0, False, "长" * 40, dt.datetime(2026, 1, 2, 9, 30)],
            ["bad\x01char", float("nan"), "", "", "", "", "", ""]]

    write_xlsx(path, ["房号", "姓名", "号", "面积", "欠费", "已交", "备注", "日期"], rows,
               title="阳光花园欠费清单", sheet_name="2026/11 [欠费]")

    book = openpyxl.load_workbook(path)
    ws = book.active
    assert ws.title == "2026_11 _欠费_"
    values = [list(row) for row in ws.iter_rows(values_only=True)]
    assert values[0][0] == "阳光花园欠费清单"
    assert values[1] == ["房号", "姓名", "号", "面积", "欠费", "已交", "备注", "日期"]
    assert values[2] == ["3-2-1502", "王建华", 1502, 89.5, 300.25, "是", None, "2026-11-28"]
    assert values[3] == ["=1+1", "+86 138", "-5 元", "@sum", 0, "否", "长" * 40, "2026-01-02 09:30"]
    assert values[4][:2] == ["badchar", "nan"]
    assert ws["A4"].data_type == "s" and ws["C3"].data_type == "n"  # text stays text, numbers stay numbers
    assert ws["A2"].font.b and not ws["A3"].font.b
    assert ws.freeze_panes == "A3"
    assert ws.column_dimensions["G"].width == 50 and ws.column_dimensions["B"].width == 9  # "+86 138" + 2
    assert sorted(p.name for p in path.parent.iterdir()) == ["欠费清单.xlsx"]  # no temp file left
    # What we write, we read back the same way.
    again = read_table(path)
    assert again.headers[0] == "房号" and again.rows[1] == (
        4, {"房号": "=1+1", "姓名": "+86 138", "号": "-5 元", "面积": "@sum", "欠费": "0", "已交": "否",
            "备注": "长" * 40, "日期": "2026-01-02 09:30"})


def test_write_xlsx_without_title_and_failure_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "list.xlsx"
    write_xlsx(path, ["房号"], [["101"]])
    ws = openpyxl.load_workbook(path).active
    assert [list(r) for r in ws.iter_rows(values_only=True)] == [["房号"], ["101"]]
    assert ws.freeze_panes == "A2" and ws.title == "Sheet1"

    def broken_rows():
        yield ["102"]
        raise RuntimeError("source failed")

    with pytest.raises(RuntimeError):
        write_xlsx(path, ["房号"], broken_rows())
    assert [list(r) for r in openpyxl.load_workbook(path).active.iter_rows(values_only=True)] == [["房号"], ["101"]]
    assert [p.name for p in tmp_path.iterdir()] == ["list.xlsx"]


def test_write_failure_during_save_removes_temp(tmp_path, monkeypatch):
    import openpyxl.workbook.workbook as wbmod

    real_save = wbmod.Workbook.save

    def failing_save(self, filename):
        real_save(self, filename)  # the temp file is written, then the disk fills up
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(wbmod.Workbook, "save", failing_save)
    with pytest.raises(OSError):
        write_xlsx(tmp_path / "x.xlsx", ["a"], [[1]])
    assert list(tmp_path.iterdir()) == []


def test_long_sheet_name_is_cut_to_31(tmp_path):
    write_xlsx(tmp_path / "a.xlsx", ["a"], [], sheet_name="'" + "名" * 40)
    assert openpyxl.load_workbook(tmp_path / "a.xlsx").active.title == "名" * 31


def test_formulas_give_their_saved_result_links_are_not_followed_and_the_file_is_closed(tmp_path, monkeypatch):
    path = tmp_path / "sums.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["房号", "合计"])
    book.active.append(["101", "=SUM(1,2)"])
    book.save(path)
    _patch_sheet(path, (b"<f>SUM(1,2)</f><v />", b"<f>SUM(1,2)</f><v>3</v>"))  # the result Excel saved with it
    calls = []
    real_load = openpyxl.load_workbook

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(openpyxl, "load_workbook", spy)

    assert read_table(path).rows == ((2, {"房号": "101", "合计": "3"}),)
    assert calls == [{"read_only": True, "data_only": True, "keep_links": False}]
    open_files = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")}
    assert str(path.resolve()) not in open_files
