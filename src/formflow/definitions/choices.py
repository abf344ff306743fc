"""Choice lists: options shared across forms (choices/*.yaml, optionally a CSV master list)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from formflow.definitions.checking import check_schema, suggest
from formflow.definitions.schema import CHOICES_SCHEMA
from formflow.definitions.yamlsource import Document
from formflow.engine.expressions import Expression, compared_texts
from formflow.errors import Problem


@dataclass(frozen=True)
class Option:
    """One option: ``value`` is stored, ``label`` shown."""

    value: str
    label: str
    label_en: str = ""


@dataclass(frozen=True)
class ChoiceList:
    """A named list of options, from a ``choices/`` file or inline in a field."""

    name: str
    label: str
    options: tuple[Option, ...]

    @property
    def values(self) -> tuple[str, ...]:
        """The stored values, in order."""
        return tuple(o.value for o in self.options)


def parse_options(raw: list) -> tuple[Option, ...]:
    """Options from schema-valid YAML items (plain strings or ``{value, label}`` mappings)."""
    out = []
    for item in raw:
        if isinstance(item, dict):
            value = str(item["value"])
            out.append(Option(value, item.get("label", value), item.get("label_en", "")))
        else:
            out.append(Option(item, item))
    return tuple(out)


def duplicate_values(doc: Document, keys: tuple, options: tuple[Option, ...]) -> list[Problem]:
    """Problems for options whose value repeats within one list."""
    seen: set[str] = set()
    problems = []
    for i, option in enumerate(options):
        if option.value in seen:
            problems.append(doc.problem((*keys, i), f"选项重复 duplicate option '{option.value}'", "删除重复的选项 remove the repeat"))
        seen.add(option.value)
    return problems


def _read_csv(doc: Document, keys: tuple, path: Path,
              read: Callable[[Path], bytes]) -> tuple[tuple[Option, ...], list[Problem]]:
    try:
        rows = list(csv.DictReader(io.StringIO(read(path).decode("utf-8-sig"), newline="")))
    except FileNotFoundError:
        return (), [doc.problem(keys, f"找不到 CSV 文件 CSV file not found: {path.name}",
                                f"把 {path.name} 放在 {path.parent.name}/ 目录中 put it beside this file")]
    except (UnicodeDecodeError, csv.Error) as exc:
        return (), [doc.problem(keys, f"无法读取 CSV 文件 cannot read {path.name}: {exc}", "用 UTF-8 编码另存 save it as UTF-8")]
    if not rows or "value" not in rows[0]:
        return (), [doc.problem(keys, f"{path.name} 需要表头 'value'（可选 'label'） needs a header row with 'value'")]
    options = tuple(Option(r["value"].strip(), (r.get("label") or r["value"]).strip()) for r in rows if r["value"].strip())
    return options, []


def load_choice_file(doc: Document, folder: Path, read: Callable[[Path], bytes] = Path.read_bytes,
                     ) -> tuple[dict[str, ChoiceList], list[Problem]]:
    """All lists of one ``choices/*.yaml`` document, with its problems (``read`` reads a CSV it names)."""
    problems = check_schema(doc, CHOICES_SCHEMA)
    if problems:
        return {}, problems
    lists: dict[str, ChoiceList] = {}
    for name, spec in doc.data["lists"].items():
        keys = ("lists", name)
        if ("options" in spec) == ("csv" in spec):
            problems.append(doc.problem(keys, "需要 'options' 或 'csv' 二者之一 give exactly one of 'options' or 'csv'"))
            continue
        if "csv" in spec:
            options, csv_problems = _read_csv(doc, (*keys, "csv"), folder / spec["csv"], read)
            problems += csv_problems
        else:
            options = parse_options(spec["options"])
        problems += duplicate_values(doc, (*keys, "options"), options)
        lists[name] = ChoiceList(name, spec.get("label", name), options)
    return lists, problems


def unknown_options(expr: Expression, choices_of: Callable[[str], ChoiceList | None]) -> list[tuple[str, str, str]]:
    """(field, text, fix) for each text ``expr`` compares a choice field with that is none of its options
    (``choices_of(name)`` gives a field's options, ``None`` when it has none): such a condition is never
    true, or always, whatever the clerk picks."""
    found = []
    for name, text, whole in compared_texts(expr):
        options = choices_of(name)
        if options is None:
            continue
        values = options.values
        if text in values or (not whole and any(text in v for v in values)):
            continue
        found.append((name, text, suggest(text, values) or f"可选 options: {'、'.join(values)}"))
    return found
