"""Turn JSON Schema errors into located, bilingual problems with a fix.

jsonschema does the structural checks; the messages are ours, because a supervisor
editing YAML needs the line, the key, what was expected, what came, and a fix.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from formflow.definitions.yamlsource import Document
from formflow.errors import Problem

_TYPE_NAMES = {
    "string": "文字 text",
    "integer": "整数 integer",
    "number": "数字 number",
    "boolean": "true/false",
    "array": "列表 list",
    "object": "映射 mapping (key: value)",
    "null": "空 empty",
}

_validators: dict[int, Draft202012Validator] = {}


def _validator(schema: dict) -> Draft202012Validator:
    # Building a validator resolves $refs; do it once per schema per process. The schemas are ours and
    # fixed: that they are valid JSON Schema is checked by the tests (tests/definitions/test_reference.py),
    # not at every start, where it was a third of a second of every command.
    key = id(schema)
    if key not in _validators:
        _validators[key] = Draft202012Validator(schema)
    return _validators[key]


def _got(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "空 empty"
    if isinstance(value, dict):
        return "映射 mapping"
    if isinstance(value, list):
        return "列表 list"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _expected_types(types: str | list[str]) -> str:
    if isinstance(types, str):
        types = [types]
    return " 或 or ".join(_TYPE_NAMES.get(t, t) for t in types)


def _chinese(word: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in word)


def closest(word: str, options: Iterable[str]) -> str | None:
    """The option ``word`` was most likely meant to be, or ``None``.

    Chinese names are short and each character carries meaning: 客服部 for 客服中心 shares two of
    three characters, under difflib's usual cutoff for Latin spellings (0.6), so Chinese words are
    matched at 0.5, and failing that by a shared first two characters (客服… → 客服中心).
    """
    options = [o for o in options if isinstance(o, str)]
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if match:
        return match[0]
    if not _chinese(word):
        return None
    scored = sorted(((difflib.SequenceMatcher(None, word, o).ratio(), o) for o in options), reverse=True)
    if scored and scored[0][0] >= 0.5:
        # 重太 is as near to 重大 as to 重要: naming one would be a guess, the caller lists the options instead.
        return scored[0][1] if len(scored) == 1 or scored[1][0] < scored[0][0] else None
    prefixed = [o for o in options if len(word) >= 2 and o.startswith(word[:2])]
    return prefixed[0] if len(prefixed) == 1 else None


def suggest(word: str, options: Iterable[str]) -> str:
    """A 'did you mean' fix for ``word`` among ``options``, or ``""``."""
    match = closest(word, options)
    return f"是否应为 did you mean '{match}'?" if match else ""


def _problems(doc: Document, error: ValidationError) -> list[Problem]:
    keys = tuple(error.absolute_path)
    kind = error.validator
    if kind == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        found = []
        for k in extra:
            key = k.split("：", 1)[0].strip()
            if "：" in k and key in allowed:  # {label： 报修人} in a flow mapping: one key with the colon inside
                found.append(doc.problem((*keys, k), f"“{key}”后面的冒号是全角“：”，键后面要用半角冒号和空格“: ” "
                                         "a full-width colon '：' after a key: YAML needs ': '",
                                         "把“：”改为英文冒号加一个空格 replace '：' with ': '"))
            else:
                found.append(doc.problem((*keys, k), f"未知的键 unknown key '{k}'",
                                         suggest(k, allowed) or f"可用的键 allowed keys: {', '.join(allowed)}"))
        return found
    if kind == "required":
        missing = error.message.split("'")[1]
        return [doc.problem(keys, f"缺少必填键 missing required key '{missing}'", f"添加 add '{missing}: ...'")]
    if kind == "type":
        return [doc.problem(keys, f"类型不对 wrong type (expected {_expected_types(error.validator_value)}, "
                                  f"got {_got(error.instance)})")]
    if kind == "enum":
        options = [str(o) for o in error.validator_value]
        return [doc.problem(keys, f"不是允许的值 not an allowed value (expected one of {', '.join(options)}, "
                                  f"got {_got(error.instance)})", suggest(str(error.instance), options))]
    if kind == "pattern" and keys and keys[-1] == "name" or kind == "pattern" and error.validator_value.startswith("^[a-z]"):
        return [doc.problem(keys, f"名称格式不对 bad name (expected lower-case letters, digits and _, starting "
                                  f"with a letter, got {_got(error.instance)})", "例如 e.g. 'unit_no'")]
    if kind == "pattern" and error.validator_value.startswith("^(eod|"):  # a due rule (workflow_schema.DURATION)
        return [doc.problem(keys, f"期限写法不对 bad duration (got {_got(error.instance)})",
                            "写成数字加单位：30m 分钟、2h 小时、3d 日历日、4wh 工作小时、3wd 工作日，或 eod 当天 "
                            "a number and a unit: 30m, 2h, 3d, 4wh, 3wd, or eod")]
    if kind == "pattern":
        return [doc.problem(keys, f"格式不对 bad format (expected to match {error.validator_value}, "
                                  f"got {_got(error.instance)})")]
    if kind == "propertyNames":
        name = error.instance if isinstance(error.instance, str) else ""
        return [doc.problem(keys, f"名称格式不对 bad name (expected lower-case letters, digits and _, got {name!r})")]
    if kind in ("minimum", "maximum"):
        word = "至少 at least" if kind == "minimum" else "至多 at most"
        return [doc.problem(keys, f"数值超出范围 out of range (expected {word} {error.validator_value}, "
                                  f"got {_got(error.instance)})")]
    if kind in ("minItems", "minLength"):
        return [doc.problem(keys, f"不能为空 must not be empty (expected at least {error.validator_value}, "
                                  f"got {_got(error.instance)})")]
    if kind == "uniqueItems":
        return [doc.problem(keys, "列表中有重复项 the list has duplicates")]
    if kind == "anyOf":
        # Report the branch that got furthest, in our words, instead of "is not valid under any".
        best = max(error.context or [], key=lambda e: len(e.absolute_path), default=None)
        if best is not None and len(best.absolute_path) > len(error.absolute_path):
            return _problems(doc, best)
        return [doc.problem(keys, f"值不对 invalid value (got {_got(error.instance)}): {error.schema.get('description', '')}")]
    return [doc.problem(keys, f"值不对 invalid value: {error.message}")]


def untouched(found: Iterable[Problem]) -> Callable[[str], bool]:
    """Whether the schema ``found`` nothing wrong at or under a key path (``staff[3]``): the part of a file that
    can still be checked for meaning, so one mistake does not hide the others until the next run."""
    flawed = [p.keys for p in found]
    return lambda keys: not any(k == keys or k.startswith((keys + ".", keys + "[")) for k in flawed)


def check_schema(doc: Document, schema: dict) -> list[Problem]:
    """Every structural problem of ``doc`` against ``schema``, in file order."""
    if doc.data is None:
        return [doc.problem((), "文件为空 the file is empty", "参考 formflow init 生成的示例 see the files `formflow init` writes")]
    errors = list(_validator(schema).iter_errors(doc.data))
    # A misspelt required key is one mistake, not two ("unknown key 'offic'" and "missing key 'office'"):
    # the missing key is not reported where an unknown key beside it is its near spelling.
    misspelt = set()
    for error in errors:
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = list(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed and (near := closest(key, allowed)) is not None:
                    misspelt.add((tuple(error.absolute_path), near))
    found: list[Problem] = []
    for error in errors:
        if error.validator == "required" and (tuple(error.absolute_path), error.message.split("'")[1]) in misspelt:
            continue
        found.extend(_problems(doc, error))
    unique = {(p.line, p.column, p.keys, p.message): p for p in found}
    return sorted(unique.values(), key=lambda p: (p.line, p.column))
