"""The unit register (units.yaml): loaded into one spelling per flat, its mistakes reported with file and line."""

from __future__ import annotations

from ..conftest import CALENDAR_WARNING


def test_the_shipped_register_loads_in_one_spelling(workspace):
    register = workspace.load().settings.register
    assert len(register) == 220
    flat = register["3-2-1502"]
    assert (flat.owner, flat.phones, flat.status, str(flat.area)) == ("黄秀英", ("13826517094",), "已入住", "76.8")
    assert register.find("3栋2单元1502室") is flat and register.find("03-02-1502") is flat
    assert register.find("3-2-1509") is None
    assert [u.unit for u in register.starting("3栋2单元15")] == ["3-2-1501", "3-2-1502"]


def test_every_mistake_of_the_register_is_named_with_its_line(workspace):
    workspace.write("units.yaml", """
        # 房屋清单
        units:
          - {unit: 3-2-1502, owner: 王建华, phones: ['13800138000'], status: 已入住}
          - {unit: 3-2-1601, status: 住着}
          - {unit: 3-2-1603, phones: ['电话']}
        """)
    result = workspace.cli("check")
    assert result.code == 1
    lines = result.err.splitlines()
    assert lines[0].startswith("units.yaml:4:") and "units[1].status" in lines[0] and "住着" in lines[0]
    assert lines[1].startswith("units.yaml:5:") and "units[2].phones[0]" in lines[1]
    # the structure right, the meaning wrong: every flat's problem, each on its own line
    workspace.write("units.yaml", """
        units:
          - {unit: 3-2-1502, owner: 王建华}
          - {unit: 3栋2单元1502室, owner: 李梅}
          - {unit: 3栋1502, area: 80}
          - {unit: 3-2-1602, area: 八十}
        """)
    result = workspace.cli("check")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.startswith("units.yaml")]
    assert lines[0].startswith("units.yaml:3:") and "房重复" not in lines[0]
    assert "房号重复 unit 3-2-1502 is listed twice (also line 2)" in lines[0]
    assert lines[1].startswith("units.yaml:4:") and "units[2].unit" in lines[1] and "房号写法不对" in lines[1]
    assert lines[2].startswith("units.yaml:5:") and "units[3].area" in lines[2] and "建筑面积不是数字" in lines[2]
    assert "Traceback" not in result.err


def test_check_counts_the_register(workspace):
    result = workspace.cli("check")
    assert result.code == 0, result.err
    assert "220 户房屋 units" in result.out
    assert result.err.splitlines() == CALENDAR_WARNING


def test_a_forms_unit_file_and_resident_fields_are_checked(workspace):
    path = workspace.root / "forms" / "repair.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("unit_file: [location, category]", "unit_file: [location, catgory]")
    text = text.replace("type: mobile, resident: phone,", "type: mobile, resident: name,")
    path.write_text(text, encoding="utf-8")
    result = workspace.cli("check")
    assert result.code == 1
    lines = [line for line in result.err.splitlines() if line.startswith("forms/repair.yaml")]
    assert lines[0].startswith("forms/repair.yaml:11:") and "unit_file[1]: 表单中没有字段 no field 'catgory'" in lines[0]
    assert any("resident" in line and "one field per kind" in line for line in lines), lines
    assert any("resident: name 需要 text 类型的字段" in line for line in lines), lines


def test_a_register_that_loaded_is_kept_by_content_and_a_damaged_copy_is_parsed_again(workspace):
    first = workspace.load().settings.register
    [kept] = (workspace.root / "data" / "cache").glob("units-*.marshal")
    again = workspace.load().settings.register
    assert dict(again.items()) == dict(first.items())  # read from the kept copy: the same flats, lines included
    assert again["3-2-1502"].line == first["3-2-1502"].line > 9
    kept.write_bytes(b"\x00garbage")
    assert dict(workspace.load().settings.register.items()) == dict(first.items())
    path = workspace.root / "units.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("owner: 黄秀英", "owner: 黄秀英、张三"), encoding="utf-8")
    edited = workspace.load().settings.register
    assert edited["3-2-1502"].owner == "黄秀英、张三"  # an edit is never hidden by a kept copy
    assert len(list((workspace.root / "data" / "cache").glob("units-*.marshal"))) == 1
