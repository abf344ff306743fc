"""What can be done on a record now (engine/possible.py), as the desk offers it: state, roles, guards on the
stored values, actions that would change nothing, and ``once`` actions already done."""

from __future__ import annotations

import datetime as dt

from formflow.engine.actions import apply_action, create_record
from formflow.engine.possible import possible_now

from .test_actions import at, new, refused, run

REPAIR = {"channel": "电话", "area": "户内", "reporter": "黄先生", "unit": "5-1-0801", "phone": "13900001111",
          "location": "主卫", "category": "门窗五金", "description": "门锁坏了", "urgency": "一般", "clerk": "王芳"}


def keys(defs, record, name: str, when: str = "2026-11-23 12:00"):
    possible = possible_now(defs, record, at(when), defs.settings.person(name))
    return [a.key for a in possible.mine], [a.key for a in possible.others]


def closed_repair(defs):
    record, _ = create_record(defs, "BX-YG-202611-0001", "repair", "王芳", at("2026-11-23 09:00"), REPAIR)
    for i, (action, by, data) in enumerate([("dispatch", "王芳", {"assignee": "张伟"}), ("arrive", "张伟", {}),
                                            ("start_work", "张伟", {"work_done": "换锁"}),
                                            ("complete", "张伟", {"work_done": "换锁"}), ("close", "赵敏", {})]):
        record = record.with_event(apply_action(defs, record, action, by, at(f"2026-11-23 1{i}:00"), data).event)
    return record


def test_the_state_and_the_roles_decide_first(defs):
    record = new(defs, "重要")
    assert keys(defs, record, "李娜") == (["assign", "escalate", "correct"], ["mark_invalid"])
    assert keys(defs, record, "赵敏") == (["assign", "escalate", "mark_invalid", "correct"], [])
    nobody = possible_now(defs, record, at("2026-11-23 12:00"), None)
    assert nobody.mine == () and [a.key for a in nobody.others] == ["assign", "escalate", "mark_invalid", "correct"]


def test_a_guard_false_on_the_stored_values_hides_the_action(defs):
    assert keys(defs, new(defs, "轻微"), "李娜")[0] == ["assign", "correct"]  # 呈报上级: only 重大 and 重要


def test_a_guard_on_a_field_the_action_fills_is_left_to_the_clerk(defs):
    record, _ = create_record(defs, "BX-YG-202611-0001", "repair", "王芳", at("2026-11-23 09:00"),
                              {**REPAIR, "chargeable": True})
    for action, by, when, data in [("dispatch", "王芳", "2026-11-23 09:10", {"assignee": "张伟"}),
                                   ("arrive", "张伟", "2026-11-23 09:30", {})]:
        record = record.with_event(apply_action(defs, record, action, by, at(when), data).event)
    # chargeable and the price not confirmed yet: the guard is false now, but 开始维修 fills price_confirmed
    assert "start_work" in keys(defs, record, "张伟")[0]


def test_an_action_that_would_change_nothing_is_not_offered(defs):
    record = closed_repair(defs)
    # 回访后关闭 is allowed from 已关闭 only for the callback's effect: it would leave the record as it is
    assert keys(defs, record, "赵敏", "2026-11-24 09:00") == (["rework", "correct"], [])


def test_a_once_action_is_refused_a_second_time_and_no_longer_offered(defs):
    record, _ = run(defs, new(defs, "重要"), ("escalate", "李娜", "2026-11-23 09:20", {}))
    assert refused(defs, record, "escalate", "赵敏", "2026-11-23 10:05", {}) == [
        "「操作」：已于 11月23日 09:20 呈报上级，不能重复办理"]
    assert keys(defs, record, "李娜")[0] == ["assign", "correct"]
    # another year: the year is said too
    assert refused(defs, record, "escalate", "赵敏", "2027-01-04 10:05", {}) == [
        "「操作」：已于 2026年11月23日 09:20 呈报上级，不能重复办理"]


def test_when_it_was_done_is_said_in_the_offices_time(defs):
    record = new(defs, "重大")
    utc = dt.datetime(2026, 11, 23, 1, 20, tzinfo=dt.timezone.utc)  # 09:20 in Shanghai
    record = record.with_event(apply_action(defs, record, "escalate", "李娜", utc, {}).event)
    assert refused(defs, record, "escalate", "李娜", "2026-11-23 11:00", {}) == [
        "「操作」：已于 11月23日 09:20 呈报上级，不能重复办理"]
