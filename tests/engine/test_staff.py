"""``staff`` fields: a person from the roster (active, of the field's roles and department), `default: me`."""

from __future__ import annotations

import dataclasses

import pytest

from formflow.definitions.forms import Field
from formflow.engine import fieldtypes as ft
from formflow.engine.validate import signed, validate_data

from ..conftest import NOW

REPAIRER = Field(name="assignee", label="维修人员", type="staff", roles=("repair",))


def test_a_name_from_the_roster_with_the_role(defs):
    assert ft.read_staff(REPAIRER, "张伟", defs.settings) == "张伟"
    with pytest.raises(ft.BadValue) as typo:
        ft.read_staff(REPAIRER, "张玮", defs.settings)
    assert str(typo.value) == "“张玮”不在人员名册中或已离职（是不是“张伟”？）；可选：张伟、孙磊"
    with pytest.raises(ft.BadValue, match="^李娜不是维修人员；可选：张伟、孙磊$"):
        ft.read_staff(REPAIRER, "李娜", defs.settings)
    head = Field(name="head", label="主管", type="staff", roles=("dept_head",), department="工程维修部")
    with pytest.raises(ft.BadValue, match="^周涛不是工程维修部的部门主管；可选：刘强$"):
        ft.read_staff(head, "周涛", defs.settings)


def test_who_left_is_refused_now_but_replays(defs):
    staff = tuple(dataclasses.replace(p, active=False) if p.name == "孙磊" else p for p in defs.settings.staff)
    now = dataclasses.replace(defs.settings, staff=staff)
    with pytest.raises(ft.BadValue, match="不在人员名册中或已离职"):
        ft.read_staff(REPAIRER, "孙磊", now)
    assert ft.read_staff(REPAIRER, "孙磊", dataclasses.replace(now, plausibility=False)) == "孙磊"


def test_default_me_is_who_signs(defs):
    form = defs.forms["complaint"]
    data = {"channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678",
            "details": "漏水", "category": "工程维修", "severity": "轻微"}
    assert validate_data(form, signed(form, data, "王芳"), defs.settings, NOW).values["receiver"] == "王芳"
    assert signed(form, {**data, "receiver": "李娜"}, "王芳")["receiver"] == "李娜"  # what was written stands
    problems = [str(p) for p in validate_data(form, data, defs.settings, NOW).problems]
    assert "「接待人」：必填项未填写" in problems  # nobody signed: nothing to default to
