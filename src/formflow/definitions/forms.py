"""Form definitions (forms/*.yaml) as frozen objects, with every semantic check.

``check_schema`` has already vouched for the structure; here we check meaning: names
unique in the form, choice lists that exist, expressions that compile and only name
fields of the form, keys that fit the field's type, a number pattern with a serial.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from formflow.definitions.checking import check_schema, suggest, untouched
from formflow.definitions.choices import (
    ChoiceList,
    duplicate_values,
    parse_options,
    unknown_options,
)
from formflow.definitions.schema import FORM_SCHEMA, PAPER_ONLY
from formflow.definitions.yamlsource import Document, format_keys
from formflow.engine.expressions import Expression, ExpressionError, compile_expression
from formflow.errors import Problem

_NUMBER_TYPES = {"integer", "decimal", "money"}
#: Keys that only make sense for some types; anything else with them is a mistake worth telling.
_TYPE_KEYS = {
    "choices": {"choice", "multichoice", "unit"},
    "min": _NUMBER_TYPES, "max": _NUMBER_TYPES, "unit_label": _NUMBER_TYPES, "decimals": {"decimal"},
    "max_length": {"text", "textarea"},
    "min_choices": {"multichoice"}, "max_choices": {"multichoice"},
    "columns": {"table"}, "min_rows": {"table"}, "max_rows": {"table"},
    "seal": {"signature"}, "with_date": {"signature"}, "text": {"note"}, "roles": {"staff"}, "department": {"staff"},
}
#: Most characters of a text field without its own ``max_length`` (documented in the schema): a line
#: of text holds a name, an address, a short phrase; a long text a letter of a few pages. An unbounded text
#: once made a 200-page record PDF from one pasted file.
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 5000}
_PLACEHOLDER = re.compile(r"\{([a-z]+)(?::0?(\d+))?\}")
_RESET_NEEDS = {"never": set(), "yearly": {"year"}, "monthly": {"year", "mm"}, "daily": {"year", "mm", "dd"}}


@dataclass(frozen=True)
class PrintHints:
    """Paper-only hints; see the ``print`` key in the schema reference."""

    width: str = ""
    page_break_before: bool = False
    guidance: str = ""
    lines: int = 0
    rows: int = 0
    hidden: bool = False
    total: bool = False


@dataclass(frozen=True)
class Field:
    """One field of a form (or a column of a table field)."""

    name: str
    label: str
    type: str
    label_en: str = ""
    required: bool | Expression = False
    show_if: Expression | None = None
    constraint: Expression | None = None
    constraint_message: str = ""
    default: Any = None
    hint: str = ""
    choices: ChoiceList | None = None
    min: float | None = None
    max: float | None = None
    decimals: int = 2
    unit_label: str = ""
    max_length: int | None = None
    min_choices: int | None = None
    max_choices: int | None = None
    columns: tuple[Field, ...] = ()
    min_rows: int = 0
    max_rows: int | None = None
    seal: bool = False
    with_date: bool = True
    text: str = ""
    print: PrintHints = PrintHints()
    #: ``name`` / ``phone``: the field holds the resident's name or phone (see the schema).
    resident: str = ""
    #: ``calculate``: the expression the value is computed from (number fields).
    calculate: Expression | None = None
    #: A ``staff`` field: the roles and the department of the people it takes (empty: anyone on the roster).
    roles: tuple[str, ...] = ()
    department: str = ""

    @property
    def holds_data(self) -> bool:
        """False for paper-only fields (signature boxes, notes)."""
        return self.type not in PAPER_ONLY

    @property
    def length_limit(self) -> int | None:
        """Most characters the field takes: its ``max_length``, else the default of its type (None: no text)."""
        return self.max_length or DEFAULT_MAX_LENGTH.get(self.type)

    @property
    def display(self) -> str:
        """The field as a clerk's message names it: ``「联系电话」``."""
        return f"「{self.label}」"


@dataclass(frozen=True)
class Section:
    """A titled group of fields, printed as a block."""

    title: str
    fields: tuple[Field, ...]
    title_en: str = ""
    show_if: Expression | None = None
    print: PrintHints = PrintHints()


@dataclass(frozen=True)
class NumberPattern:
    """How record numbers are made: ``pattern`` with ``{seq}``, serial restarting per ``reset`` period."""

    pattern: str
    reset: str = "yearly"


@dataclass(frozen=True)
class Form:
    """A validated form definition."""

    id: str
    title: str
    version: int
    number: NumberPattern
    sections: tuple[Section, ...]
    title_en: str = ""
    change_note: str = ""
    description: str = ""
    source: str = field(default="", compare=False)
    #: Fields a unit's file shows for each record of this form (``unit_file``).
    unit_file: tuple[str, ...] = ()

    def iter_fields(self) -> Iterator[Field]:
        """Top-level fields of every section, in order (table columns not included)."""
        for section in self.sections:
            yield from section.fields

    @functools.cached_property
    def fields(self) -> Mapping[str, Field]:
        """Top-level fields by name (worked out once: validation and replay ask for it per value; not to be changed)."""
        return {f.name: f for f in self.iter_fields()}

    def resident_field(self, kind: str) -> str | None:
        """The key of the field holding the resident's ``name`` or ``phone`` (``resident:``), if the form has one."""
        return self._resident_fields.get(kind)

    @functools.cached_property
    def _resident_fields(self) -> dict[str, str]:
        # Asked for every open record at every to-do refresh: looked up once per form (it is frozen).
        found: dict[str, str] = {}
        for f in self.iter_fields():
            if f.resident:
                found.setdefault(f.resident, f.name)
        return found

    @functools.cached_property
    def unit_field(self) -> str | None:
        """The key of the form's first 房号 field, if any (what ties a record to a unit's file)."""
        return next((f.name for f in self.iter_fields() if f.type == "unit"), None)

    def section_of(self, name: str) -> Section:
        """The section holding top-level field ``name``."""
        return next(s for s in self.sections if any(f.name == name for f in s.fields))


def form_labels(form: Form) -> dict[str, str]:
    """Chinese label of every field name in ``form``, table columns included (for describing conditions)."""
    labels = form.__dict__.get("_labels")  # worked out once per form (it is frozen); each caller gets its own copy
    if labels is None:
        labels = {}
        for f in form.iter_fields():
            labels[f.name] = f.label
            labels.update({c.name: c.label for c in f.columns})
        form.__dict__["_labels"] = labels
    return dict(labels)


def _hints(raw: dict | None) -> PrintHints:
    return PrintHints(**raw) if raw else PrintHints()


class _FormBuilder:
    def __init__(self, doc: Document, lists: Mapping[str, ChoiceList]):
        self.doc = doc
        self.lists = lists
        self.problems: list[Problem] = []
        self.names: dict[str, tuple] = {}
        # (keys, expression, names visible there) to resolve once every name is known
        self.pending: list[tuple[tuple, Expression, frozenset[str]]] = []

    def error(self, keys: tuple, message: str, fix: str = "") -> None:
        self.problems.append(self.doc.problem(keys, message, fix))

    def expression(self, keys: tuple, source: str, row_names: frozenset[str] = frozenset(),
                   *, allow_this: bool = False) -> Expression | None:
        try:
            expr = compile_expression(source)
        except ExpressionError as exc:
            self.error(keys, str(exc), "见 docs/reference.md 的表达式说明 see the expression section of docs/reference.md")
            return None
        if expr.uses_this and not allow_this:
            self.error(keys, "${.} 只能用在 constraint 中 ${.} only works in a constraint", "写出字段名 name the field, e.g. ${phone}")
        self.pending.append((keys, expr, row_names))
        return expr

    def choices(self, keys: tuple, raw: Any) -> ChoiceList | None:
        if isinstance(raw, str):
            if raw not in self.lists:
                self.error(keys, f"选项列表不存在 choice list {raw!r} does not exist",
                           suggest(raw, self.lists) or "在 choices/*.yaml 中定义它，或直接列出选项 define it in choices/*.yaml or list the options inline")
                return None
            return self.lists[raw]
        options = parse_options(raw)
        self.problems += duplicate_values(self.doc, keys, options)
        return ChoiceList(keys[-2] if len(keys) > 1 else "", "", options)

    def field(self, keys: tuple, raw: dict, row_names: frozenset[str] = frozenset()) -> Field:
        name, ftype = raw["name"], raw["type"]
        if name in self.names:
            first = self.doc.where(self.names[name])[0]
            self.error((*keys, "name"), f"字段名重复 duplicate field name {name!r} (first at line {first})",
                       "每个字段需要唯一的 name give each field its own name")
        else:
            self.names[name] = (*keys, "name")
        for key, types in _TYPE_KEYS.items():
            if key in raw and ftype not in types:
                self.error((*keys, key), f"'{key}' 不适用于类型 {ftype} does not apply to type {ftype!r} "
                           f"(only {', '.join(sorted(types))})", f"删除 '{key}' 或改变类型 remove it or change the type")
        if ftype in ("choice", "multichoice") and "choices" not in raw:
            self.error(keys, f"类型 {ftype} 需要 'choices' needs 'choices'", "列出选项或引用 choices/ 中的列表 list the options or name a list")
        if ftype == "table" and "columns" not in raw:
            self.error(keys, "表格需要 'columns' a table needs 'columns'")
        if ftype == "note" and "text" not in raw:
            self.error(keys, "说明需要 'text' a note needs 'text'")
        if ftype in PAPER_ONLY and raw.get("required") not in (None, False):
            self.error((*keys, "required"), f"{ftype} 只用于纸质表，不能必填 is paper-only and cannot be required", "删除 required remove it")
        if "calculate" in raw and ftype not in _NUMBER_TYPES:
            self.error((*keys, "calculate"), f"calculate 只用于数字字段 is for number fields (integer, decimal, "
                       f"money), not {ftype}")
        if "constraint_message" in raw and "constraint" not in raw:
            self.error((*keys, "constraint_message"), "有 constraint_message 但没有 constraint has no constraint", "添加 constraint 或删除此键")
        for low, high in (("min", "max"), ("min_rows", "max_rows"), ("min_choices", "max_choices")):
            if low in raw and high in raw and raw[low] > raw[high]:
                self.error((*keys, low), f"{low} 大于 {high} is greater than {high} ({raw[low]} > {raw[high]})")
        required = raw.get("required", False)
        if isinstance(required, str):
            required = self.expression((*keys, "required"), required, row_names)
        columns: tuple[Field, ...] = ()
        if ftype == "table" and "columns" in raw:
            col_names = frozenset(c["name"] for c in raw["columns"])
            columns = tuple(self.field((*keys, "columns", i), c, col_names) for i, c in enumerate(raw["columns"]))
        return Field(
            name=name, label=raw["label"], type=ftype, label_en=raw.get("label_en", ""),
            required=required if required is not None else False,
            show_if=self.expression((*keys, "show_if"), raw["show_if"], row_names) if "show_if" in raw else None,
            constraint=self.expression((*keys, "constraint"), raw["constraint"], row_names, allow_this=True)
            if "constraint" in raw else None,
            constraint_message=raw.get("constraint_message", ""),
            default=raw.get("default"), hint=raw.get("hint", ""),
            choices=self.choices((*keys, "choices"), raw["choices"]) if "choices" in raw else None,
            min=raw.get("min"), max=raw.get("max"), decimals=raw.get("decimals", 2),
            unit_label=raw.get("unit_label", ""), max_length=raw.get("max_length"),
            min_choices=raw.get("min_choices"), max_choices=raw.get("max_choices"),
            columns=columns, min_rows=raw.get("min_rows", 0), max_rows=raw.get("max_rows"),
            seal=raw.get("seal", False), with_date=raw.get("with_date", True), text=raw.get("text", ""),
            print=_hints(raw.get("print")), resident=raw.get("resident", ""),
            calculate=self.expression((*keys, "calculate"), raw["calculate"], row_names) if "calculate" in raw
            else None,
            roles=tuple(raw.get("roles", ())), department=raw.get("department", ""),
        )

    def number(self, raw: dict) -> NumberPattern:
        pattern, reset = raw["pattern"], raw.get("reset", "yearly")
        keys = ("number", "pattern")
        found = {m.group(1) for m in _PLACEHOLDER.finditer(pattern)}
        unknown = found - {"station", "yyyy", "yy", "mm", "dd", "seq"}
        for name in sorted(unknown):
            self.error(keys, f"未知的占位符 unknown placeholder {{{name}}} (expected {{station}} {{yyyy}} {{yy}} {{mm}} {{dd}} {{seq:04}})",
                       suggest(name, ["station", "yyyy", "yy", "mm", "dd", "seq"]))
        if "seq" not in found:
            self.error(keys, f"编号规则缺少流水号 the pattern has no serial {{seq}} (got {pattern!r})",
                       f"加上流水号 add one, e.g. '{pattern}-{{seq:04}}'")
        parts = {"year" if p in ("yyyy", "yy") else p for p in found}
        missing = _RESET_NEEDS[reset] - parts
        if missing:
            self.error(("number", "reset"), f"按 {reset} 重新编号，但规则中没有 {', '.join(sorted(missing))}，编号会重复 "
                       f"the serial restarts {reset} but the pattern lacks {', '.join(sorted(missing))}: numbers would repeat",
                       "在 pattern 中加入相应日期部分，或改为 reset: never add the date part or use reset: never")
        return NumberPattern(pattern, reset)

    def resolve_names(self, fields: Mapping[str, Field]) -> None:
        form_names = set(fields)
        for keys, expr, row_names in self.pending:
            visible = form_names | row_names
            for name in sorted(expr.names - visible):
                self.error(keys, f"表达式引用了不存在的字段 expression names an unknown field {name!r}",
                           suggest(name, visible) or "检查字段名拼写 check the field name")
            for name, text, fix in unknown_options(expr, lambda n: fields[n].choices if n in fields else None):
                self.error(keys, f"「{fields[name].label}」没有选项“{text}” field {name!r} has no option {text!r}", fix)


def _fields_beside(doc: Document, lists: Mapping[str, ChoiceList], found: list[Problem]) -> list[Problem]:
    """The field checks of a form whose structure is wrong elsewhere: every field the schema found sound is
    checked as usual (duplicate names, options, expressions), so one misspelt key does not hide the rest of
    the file's mistakes until the next run. Names in expressions are not resolved: a field with a schema
    problem would be reported as unknown."""
    sections = doc.data.get("sections") if isinstance(doc.data, dict) else None
    if not isinstance(sections, list):
        return []
    sound = untouched(found)
    b = _FormBuilder(doc, lists)
    for s, section in enumerate(sections):
        fields = section.get("fields") if isinstance(section, dict) else None
        for i, raw in enumerate(fields if isinstance(fields, list) else ()):
            if not sound(format_keys(("sections", s, "fields", i))):
                continue
            b.field(("sections", s, "fields", i), raw)
    return b.problems


def load_form(doc: Document, lists: Mapping[str, ChoiceList], file_stem: str) -> tuple[Form | None, list[Problem]]:
    """A :class:`Form` from one ``forms/*.yaml`` document and its problems.

    The form is ``None`` when the structure is wrong; with only semantic problems it is
    returned for further checks, and the caller must not use it (the problems make the
    load fail).
    """
    problems = check_schema(doc, FORM_SCHEMA)
    if problems:
        return None, problems + _fields_beside(doc, lists, problems)
    data = doc.data
    b = _FormBuilder(doc, lists)
    if data["id"] != file_stem:
        b.error(("id",), f"id 与文件名不符 id {data['id']!r} does not match the file name {file_stem}.yaml",
                f"把文件改名为 rename the file to {data['id']}.yaml")
    number = b.number(data["number"])
    sections = []
    for s, raw in enumerate(data["sections"]):
        keys = ("sections", s)
        fields = tuple(b.field((*keys, "fields", i), f) for i, f in enumerate(raw["fields"]))
        show_if = b.expression((*keys, "show_if"), raw["show_if"]) if "show_if" in raw else None
        sections.append(Section(raw["title"], fields, raw.get("title_en", ""), show_if, _hints(raw.get("print"))))
    top_names = {f.name for section in sections for f in section.fields}
    seen: dict[str, str] = {}
    for s, section in enumerate(sections):
        for i, f in enumerate(section.fields):
            keys = ("sections", s, "fields", i, "resident")
            if f.resident and f.resident in seen:
                b.error(keys, f"已有字段 {seen[f.resident]} 标为 resident: {f.resident} (one field per kind)",
                        "只保留一个 keep one")
            elif f.resident:
                seen[f.resident] = f.name
            wanted = {"name": ("text",), "phone": ("mobile", "text")}.get(f.resident, ())
            if f.resident and f.type not in wanted:
                b.error(keys, f"resident: {f.resident} 需要 {'/'.join(wanted)} 类型的字段 needs a {'/'.join(wanted)} "
                        f"field, not {f.type}")
    b.resolve_names({f.name: f for section in sections for f in section.fields})
    # Built even with problems, so later checks (defaults) can still report theirs in the same run.
    for i, key in enumerate(data.get("unit_file", ())):
        if key not in top_names:
            b.error(("unit_file", i), f"表单中没有字段 no field {key!r}", suggest(key, sorted(top_names)))
    form = Form(id=data["id"], title=data["title"], version=data["version"], number=number, sections=tuple(sections),
                title_en=data.get("title_en", ""), change_note=data.get("change_note", ""),
                description=data.get("description", ""), source=doc.path,
                unit_file=tuple(data.get("unit_file", ())))
    return form, b.problems
