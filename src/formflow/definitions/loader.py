"""Load and check every definition of a workspace at once.

Every file is read, every problem collected (errors and warnings), and only then do we
stop: a supervisor fixes all mistakes in one round instead of one per run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from formflow.definitions.choices import ChoiceList, load_choice_file
from formflow.definitions.forms import Field, Form, load_form
from formflow.definitions.settings import Settings, load_settings
from formflow.definitions.yamlsource import Document, YamlSyntaxError, load_file
from formflow.errors import DefinitionError, Problem

SETTINGS_FILE = "formflow.yaml"


@dataclass(frozen=True)
class Definitions:
    """Everything a workspace defines, validated: settings, choice lists and forms."""

    root: Path
    settings: Settings
    choices: Mapping[str, ChoiceList]
    forms: Mapping[str, Form]
    warnings: tuple[Problem, ...] = ()


def display_path(path: Path) -> str:
    """``path`` as error messages show it: relative to the current folder when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith(".." + os.sep + "..") else str(path)


def _read(path: Path, problems: list[Problem]) -> Document | None:
    try:
        return load_file(path, display_path(path))
    except YamlSyntaxError as exc:
        problems.append(exc.problem)
        return None


def _check_defaults(doc: Document, form: Form, settings: Settings, problems: list[Problem]) -> None:
    # Import here: the engine's readers depend on definitions, not the other way round at import time.
    from formflow.engine.fieldtypes import BadValue
    from formflow.engine.validate import read_value

    now = dt.datetime(2000, 1, 1, tzinfo=settings.timezone)

    def check(field: Field, keys: tuple) -> None:
        if field.default is not None:
            try:
                read_value(field, field.default, settings, now)
            except BadValue as exc:
                problems.append(doc.problem((*keys, "default"), f"默认值不符合字段类型 default does not fit the field: {exc}"))

    for s, section in enumerate(form.sections):
        for i, field in enumerate(section.fields):
            keys = ("sections", s, "fields", i)
            check(field, keys)
            for j, column in enumerate(field.columns):
                check(column, (*keys, "columns", j))


def load_definitions(root: Path) -> Definitions:
    """Load ``root``'s settings, choices and forms; raise :class:`DefinitionError` listing every problem."""
    problems: list[Problem] = []
    settings_path = root / SETTINGS_FILE
    settings = None
    if not settings_path.is_file():
        problems.append(Problem(display_path(settings_path), 1, 1, "", "找不到设置文件 settings file not found",
                                f"用 formflow init {display_path(root)} 建立工作区 create a workspace with formflow init"))
    elif (doc := _read(settings_path, problems)) is not None:
        settings, found = load_settings(doc)
        problems += found

    lists: dict[str, ChoiceList] = {}
    origin: dict[str, str] = {}
    for path in sorted((root / "choices").glob("*.yaml")):
        doc = _read(path, problems)
        if doc is None:
            continue
        found_lists, found = load_choice_file(doc, path.parent)
        problems += found
        for name, choice_list in found_lists.items():
            if name in lists:
                problems.append(doc.problem(("lists", name), f"选项列表重名 choice list {name!r} is also defined in {origin[name]}",
                                            "改名或删除其中一个 rename or remove one"))
            lists[name] = choice_list
            origin[name] = doc.path

    forms: dict[str, Form] = {}
    form_paths = sorted((root / "forms").glob("*.yaml"))
    if not form_paths:
        problems.append(Problem(display_path(root / "forms"), 1, 1, "", "没有任何表单定义 no form definitions found",
                                "在 forms/ 中放入 *.yaml 表单定义 add forms/*.yaml"))
    for path in form_paths:
        doc = _read(path, problems)
        if doc is None:
            continue
        form, found = load_form(doc, lists, path.stem)
        problems += found
        if form is not None:
            if settings is not None:
                _check_defaults(doc, form, settings, problems)
            forms[form.id] = form

    # Report file by file, top to bottom, the way a person fixes them.
    order = {}
    problems.sort(key=lambda p: (order.setdefault(p.path, len(order)), p.line, p.column))
    if any(not p.warning for p in problems) or settings is None:
        raise DefinitionError(problems)
    return Definitions(root, settings, lists, forms, tuple(problems))
