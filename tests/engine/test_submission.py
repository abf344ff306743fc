"""The envelope and the text of a submission, read through the shared front door (intake.read_content).

What the inbox, `formflow validate` and the web desk all say about: text that cannot be stored
(half an emoji, invisible control characters), `at:` outside the plausible window, an over-long note.
"""

from __future__ import annotations

import datetime as dt
import json

from formflow.intake import read_content

from ..conftest import NOW

DATA = {"channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678", "details": "楼上漏水",
        "category": "工程维修", "severity": "重要", "receiver": "李娜"}
BROKEN = "有一个残缺的字符（复制粘贴时表情符号或生僻字只复制了一半），无法保存；请删除这个字符，或删掉此项后重新输入"


def read(defs, document: dict, name: str = "x.json"):
    return read_content(json.dumps(document, ensure_ascii=True).encode(), name, defs, NOW)


def problems(defs, document: dict) -> list[str]:
    return read(defs, document)[1]


def new(**envelope) -> dict:
    return {"form": "complaint", "by": "李娜", "data": dict(DATA), **envelope}


def test_a_whole_emoji_written_as_two_escapes_is_kept(defs):
    """YAML reads "\\ud83d\\ude00" as two halves; together they are one character, nothing is broken."""
    text = 'form: complaint\nby: 李娜\ndata: {complainant: "张先生\\ud83d\\ude00", channel: 来电}\n'
    checked, found = read_content(text.encode(), "x.yaml", defs, NOW)
    assert not any("残缺" in p for p in found)
    assert checked[0].validated.values["complainant"] == "张先生😀"


def test_every_place_a_broken_character_can_hide(defs):
    data = {**DATA, "details": "漏水\ud83d", "channel": "\ud83d", "demand": "尽快\x1b处理"}
    assert problems(defs, new(by="李\udc00娜", data=data, **{"v\ud83dersion": 1})) == [
        "「经办人」：第 2 个字处" + BROKEN,
        # the value's other problems (not on the roster, not an option) are not said again, nor quoted broken
        "「投诉方式」：第 1 个字处" + BROKEN,
        "「投诉内容（发生经过）」：第 3 个字处" + BROKEN,
        "「住户要求」：第 3 个字处有一个看不见的控制字符（U+001B，多半是从其他软件复制时带进来的），无法保存和打印；"
        "请删除这个字符，或删掉此项后重新输入",
        "键名：第 2 个字处" + BROKEN,  # not also 未知的键: it is the same key
    ]


def test_a_broken_character_in_an_action_is_named_by_the_field_label(defs):
    document = {"record": "TS-YG-202611-0001", "action": "resolve", "by": "张伟", "note": "修好了\ud83d",
                "data": {"result": "已修复\x00"}}
    assert problems(defs, document) == [
        "「备注」：第 4 个字处" + BROKEN,
        "「处理结果」：第 4 个字处有一个看不见的控制字符（U+0000，多半是从其他软件复制时带进来的），无法保存和打印；"
        "请删除这个字符，或删掉此项后重新输入",
    ]


def test_tabs_and_line_ends_are_fine(defs):
    assert problems(defs, new(data={**DATA, "details": "第一行\r\n第二行\t完"})) == []


def test_at_may_lie_two_years_back_and_a_quarter_hour_ahead(defs):
    def at(moment: dt.datetime) -> list[str]:
        return problems(defs, new(at=moment.isoformat()))

    assert at(NOW - dt.timedelta(days=731)) == []
    assert at(NOW + dt.timedelta(minutes=15)) == []
    assert at(NOW - dt.timedelta(days=731, minutes=1)) == [
        "「办理时间」：“2024-11-27 09:59”比收到文件的时间（2026-11-28 10:00）早了 731 天以上，请核对年份和日期"
        "（补录纸质表最多可早 731 天；确需补录更早的表，请主管放宽补录期限）"]
    assert at(NOW + dt.timedelta(minutes=16)) == [
        "「办理时间」：“2026-11-28 10:16”晚于收到文件的时间（2026-11-28 10:00），不能填写将来的时间，请核对日期和年份"]


def test_a_refused_at_leaves_the_data_judged_at_receipt(defs):
    """Not at year 9999: its `now` default would be 9999 and its dates judged against it."""
    checked, found = read(defs, new(at="9999-12-31T10:00+08:00"))
    assert found == ["「办理时间」：“9999-12-31 10:00”晚于收到文件的时间（2026-11-28 10:00），不能填写将来的时间，请核对日期和年份"]
    assert checked[0].submission.at is None
    assert checked[0].validated.values["received_at"] == NOW


def test_a_note_has_a_limit_too(defs):
    document = {"record": "TS-YG-202611-0001", "action": "resolve", "by": "张伟", "note": "修" * 2001}
    assert problems(defs, document) == ["「备注」：最多 2000 个字，填写了 2001 个字，请删减"]


def test_only_files_with_an_escape_or_a_raw_control_character_need_the_walk(defs):
    """The intake skips check_text for text without a backslash or a raw control character: no document parsed
    from such text can hold a string check_text refuses or joins (random strings, dumped as YAML and JSON)."""
    import random

    import yaml

    from formflow.definitions.yamlsource import parse_documents
    from formflow.engine.submission import check_text, may_hold_flaws

    rng = random.Random(12)
    alphabet = ["a", "住", "户", " ", "\t", "\n", "\x01", "\x1f", "\x7f", "\u2028", "\ud83d", "\ude00", "\udc00", "😀", "\\"]
    found = 0
    for _ in range(400):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 8)))
        doc = {"form": "complaint", "by": "李娜", "data": {"details": value, "items": [value[::-1]]}}
        for text in (yaml.safe_dump(doc, allow_unicode=True), json.dumps(doc, ensure_ascii=rng.random() < 0.5)):
            try:
                parsed = parse_documents(text, "x.yaml")[0].data if text[0] != "{" else json.loads(text)
            except Exception:  # noqa: BLE001 - a dump the reader refuses is the parser's problem, not this one's
                continue
            original = json.dumps(parsed, ensure_ascii=True)
            problems = check_text(parsed, defs)
            if problems or json.dumps(parsed, ensure_ascii=True) != original:  # refused, or a pair joined
                found += 1
                assert may_hold_flaws(text), (value, text)
    assert found > 50  # the property was put to the test
    assert not may_hold_flaws("form: complaint\ndata: {details: 住户反映楼上漏水}\n")
