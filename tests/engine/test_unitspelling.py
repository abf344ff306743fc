"""One spelling of a 房号: the variants clerks type, what the office's pattern makes of them, what is refused."""

from __future__ import annotations

import dataclasses
import re

import pytest

from formflow.definitions.settings import DEFAULT_UNIT_PATTERN, Settings
from formflow.definitions.units import Unit, UnitRegister
from formflow.definitions.forms import Field
from formflow.engine import fieldtypes as ft
from formflow.engine.unitspelling import canonical, closest, parts, spellings

from ..conftest import SHANGHAI

OFFICE = re.compile(DEFAULT_UNIT_PATTERN)  # 楼栋-单元-房号, e.g. 3-2-1502


@pytest.mark.parametrize("typed", [
    "3-2-1502", "03-02-1502", "3栋2单元1502", "3幢2单元1502室", "3-2-1502室", "3号楼2单元1502", "3#2-1502",
    "３－２－１５０２", "3—2—1502", "3–2–1502", "3－2－1502室", " 3 - 2 - 1502 ", "3/2/1502", "3.2.1502",
    "三栋二单元1502", "3座2单元1502号", "003-2-1502", "3栋2单元1502房", "3－２单元１５０２室",
])
def test_every_spelling_of_one_flat_is_read_into_one(typed):
    assert canonical(typed, OFFICE) == "3-2-1502"


@pytest.mark.parametrize("typed", [
    "", "   ", "3栋", "3-2", "3栋1502", "abc", "3栋2单元1502旁边", "3-2-1502-1", "三栋二单元一五零二",
    "3栋2单元", "3-2-15020", "3-2-1502？", "3楼2单元1502室?",
])
def test_what_is_not_a_flat_of_this_office_is_refused(typed):
    assert canonical(typed, OFFICE) is None


def test_an_office_that_pads_rooms_keeps_its_zeros():
    padded = re.compile(r"^\d{1,2}-\d-\d{4}$")  # 3-2-0502
    assert canonical("3栋2单元0502室", padded) == "3-2-0502"
    assert canonical("3-2-0502", padded) == "3-2-0502"
    assert canonical("3栋2单元502", padded) is None  # a zero is never invented


def test_letters_and_chinese_numbers():
    assert spellings("a座1502") == ["A-1502"]
    assert canonical("十二栋1单元301", OFFICE) == "12-1-301"
    assert canonical("二十三幢1单元301", OFFICE) == "23-1-301"
    assert parts("B区3栋2单元1502室") == ["B", "3", "2", "1502"]  # a zone, with building and entrance
    assert parts("3栋 2单元\u30001502") == ["3", "2", "1502"]


def test_closest_prefers_the_same_entrance():
    known = ["3-2-1501", "3-2-1502", "3-2-1503", "5-2-1502", "13-2-1502", "3-1-1502"]
    near = closest("3-2-1509", known)
    assert near[:3] == ["3-2-1503", "3-2-1502", "3-2-1501"]  # the nearest room first
    assert closest("3栋2单元1052", known)[0] == "3-2-1502"  # swapped digits
    assert closest("附近", known) == []


def _settings(**changes) -> Settings:
    base = Settings(office="测试", station="YG", timezone=SHANGHAI, roles={"clerk": "客服"}, staff=())
    return dataclasses.replace(base, **changes)


UNIT_FIELD = Field(name="unit", label="房号", type="unit")
REGISTER = UnitRegister({u: Unit(u) for u in ("3-2-1501", "3-2-1502", "3-2-1503")}, OFFICE)


def test_reading_a_unit_unifies_and_checks_the_register():
    on = _settings(unify_units=True, register=REGISTER)
    assert ft.read_unit(UNIT_FIELD, "3栋2单元1502室", on) == "3-2-1502"
    with pytest.raises(ft.BadValue) as bad:
        ft.read_unit(UNIT_FIELD, "3栋2单元1509", on)
    assert str(bad.value).startswith("房号 3-2-1509 不在房屋清单中；相近的房号：3-2-1503、3-2-1502、3-2-1501")
    with pytest.raises(ft.BadValue, match="应写成 3-2-1502（也可写成 3栋2单元1502 这样），填写的是 “3栋1502”"):
        ft.read_unit(UNIT_FIELD, "3栋1502", on)
    # the office may only be warned; a replay never refuses what it accepted once
    assert ft.read_unit(UNIT_FIELD, "3-2-1509", dataclasses.replace(on, unknown_unit="warn")) == "3-2-1509"
    assert ft.read_unit(UNIT_FIELD, "3-2-1509", dataclasses.replace(on, plausibility=False)) == "3-2-1509"


def test_a_workspace_without_unified_spelling_stores_what_was_typed():
    off = _settings()
    assert ft.read_unit(UNIT_FIELD, "03-02-1502", off) == "03-02-1502"
    with pytest.raises(ft.BadValue):
        ft.read_unit(UNIT_FIELD, "3栋2单元1502", off)


@pytest.mark.parametrize("typed", [
    "3区2栋1502", "二期3栋1502", "2单元3栋1502", "3单元2栋1502", "3-2-1502号楼", "3-2-1502期", "3栋3栋1502",
    "3栋2单元", "3楼2单元1502",
])
def test_words_out_of_place_are_never_read_as_another_flat(typed):
    """A word says which part a number is: in the wrong order, or with no place in the office's pattern, the text
    is refused — "3区2栋1502" must never become building 3, entrance 2."""
    assert canonical(typed, OFFICE) is None


def test_spaces_between_the_parts_and_a_zone_with_every_part():
    assert canonical("3 2 1502", OFFICE) == "3-2-1502"
    assert parts("A区3栋2单元1502室") == ["A", "3", "2", "1502"]
    assert canonical("A区3栋2单元1502室", re.compile(r"^[A-Z]-\d+-\d+-\d{3,4}$")) == "A-3-2-1502"


def test_without_unified_spelling_the_register_still_knows_another_spelling_of_its_flat():
    off = _settings(register=REGISTER)  # unify_spelling off: stored as typed, checked as the flat it names
    assert ft.read_unit(UNIT_FIELD, "03-02-1502", off) == "03-02-1502"
    with pytest.raises(ft.BadValue, match="房号 3-2-1509 不在房屋清单中"):
        ft.read_unit(UNIT_FIELD, "3-2-1509", off)
