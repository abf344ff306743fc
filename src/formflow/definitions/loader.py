"""Load and check every definition of a workspace at once.

Every file is read, every problem collected (errors and warnings), and only then do we
stop: a supervisor fixes all mistakes in one round instead of one per run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from formflow.definitions.calendar_schema import CALENDAR_SCHEMA
from formflow.definitions.checking import check_schema, suggest
from formflow.definitions.clerktext import key_warnings
from formflow.definitions.choices import ChoiceList, load_choice_file
from formflow.definitions.duties import Duty, load_duties
from formflow.definitions.duetext import expand as expand_due
from formflow.definitions.feecollectors import collector_problems
from formflow.definitions.forms import Field, Form, load_form
from formflow.definitions.notice import NoticeText, load_notice
from formflow.definitions.schema import STATION_SCHEMA
from formflow.definitions.scripts import Scripts, read_scripts
from formflow.definitions.settings import MANUAL_FORM_ORDER, Settings, load_settings
from formflow.definitions.sources import Sources, version_id
from formflow.definitions.units import UNITS_FILE, UnitRegister, cached_register, keep_register, load_units
from formflow.definitions.workflows import Workflow, check_parent_effects, load_workflow
from formflow.definitions.yamlsource import Document, YamlSyntaxError, load_bytes
from formflow.engine.calendar import BusinessCalendar
from formflow.errors import DefinitionError, Problem

SETTINGS_FILE = "formflow.yaml"
#: This station's own settings: never part of the definitions the office shares (``formflow sync init`` writes it).
STATION_FILE = "station.yaml"
DUTIES_FILE = "duties.yaml"


@dataclass(frozen=True)
class Definitions:
    """Everything a workspace defines, validated: settings, calendar, choice lists, forms, workflows, duties."""

    root: Path
    settings: Settings
    choices: Mapping[str, ChoiceList]
    forms: Mapping[str, Form]
    workflows: Mapping[str, Workflow]
    duties: Mapping[str, Duty]
    calendar: BusinessCalendar
    warnings: tuple[Problem, ...] = ()
    #: The files these definitions were read from (relative path → bytes): the version records are made under.
    sources: Mapping[str, bytes] = dataclasses.field(default_factory=dict, compare=False, repr=False)
    #: The wording of the 催缴通知书 (``fees/notice.yaml``; read for the workspace on disk only).
    notice: NoticeText | None = dataclasses.field(default=None, compare=False, repr=False)
    #: The collection scripts (``fees/scripts.yaml``, or the built-in ones).
    scripts: Scripts = dataclasses.field(default_factory=Scripts, compare=False, repr=False)

    @functools.cached_property
    def version_id(self) -> str:
        """The content hash of :attr:`sources` (what an archived submission names to be replayed under);
        worked out once: every accepted file names it."""
        return version_id(self.sources)


def display_path(path: Path) -> str:
    """``path`` as error messages show it: relative to the current folder when that is shorter."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return rel if not rel.startswith(".." + os.sep + "..") else str(path)


def _read(path: Path, problems: list[Problem], sources: Sources) -> Document | None:
    try:
        return load_bytes(sources.read_bytes(path), display_path(path))
    except OSError as exc:  # a link to a file that is gone, a folder named like a definition, no permission
        problems.append(Problem(display_path(path), 1, 1, "", f"无法读取 cannot read: {exc.strerror or exc}",
                                "放入文件本身，或删除它 put the file itself here, or remove it"))
        return None
    except YamlSyntaxError as exc:
        problems.append(exc.problem)
        return None


def _local_station(path: Path, settings: Settings, problems: list[Problem]) -> Settings:
    """``settings`` with this station's code from ``station.yaml`` (the office's shared formflow.yaml names
    the publishing station's; each laptop numbers its records with its own)."""
    try:
        doc = load_bytes(path.read_bytes(), display_path(path))
    except OSError as exc:
        problems.append(Problem(display_path(path), 1, 1, "", f"无法读取 cannot read: {exc.strerror or exc}"))
        return settings
    except YamlSyntaxError as exc:
        problems.append(exc.problem)
        return settings
    found = check_schema(doc, STATION_SCHEMA)
    if found:
        problems += found
        return settings
    code = doc.data["station"]
    return dataclasses.replace(settings, station=code)


def _load_register(root: Path, settings: Settings, problems: list[Problem], sources: Sources) -> UnitRegister | None:
    """The unit register, from the kept copy of these very bytes when there is one (see :mod:`units`)."""
    path = root / UNITS_FILE
    try:
        raw = sources.read_bytes(path)
    except OSError:
        _read(path, problems, sources)  # says why it cannot be read
        return None
    kept = cached_register(root, raw, settings.unit_pattern)
    if kept is not None:
        return kept
    doc = _read(path, problems, sources)
    if doc is None:
        return None
    register, found = load_units(doc, settings.unit_pattern, settings.unit_example)
    problems += found
    if register is not None and not found and sources.live:
        keep_register(root, raw, register)
    return register


def _check_defaults(doc: Document, form: Form, settings: Settings, problems: list[Problem]) -> None:
    # Import here: the engine's readers depend on definitions, not the other way round at import time.
    from formflow.engine.fieldtypes import BadValue
    from formflow.engine.validate import read_value

    now = dt.datetime(2000, 1, 1, tzinfo=settings.timezone)

    def check(field: Field, keys: tuple) -> None:
        if field.type == "staff":
            for i, role in enumerate(field.roles):
                if role not in settings.roles:
                    problems.append(doc.problem((*keys, "roles", i), f"未知的角色 unknown role {role!r}",
                                                suggest(role, settings.roles)))
            if field.department and settings.departments and field.department not in settings.departments:
                problems.append(doc.problem((*keys, "department"), f"未知的部门 unknown department "
                                            f"{field.department!r}", suggest(field.department, settings.departments)))
            if field.default == "me":
                return  # whoever signs: known only when a form is filled
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


def _check_form_order(doc: Document, settings: Settings, forms: set[str]) -> list[Problem]:
    """``desk.form_order`` names forms that exist."""
    return [doc.problem(("desk", "form_order", i), f"没有这个表单 no form {form_id!r} in forms/",
                        suggest(form_id, forms) or f"可用 available: {', '.join(sorted(forms))}")
            for i, form_id in enumerate(settings.form_order) if form_id not in forms]


def ordered_forms(defs: Definitions) -> list[Form]:
    """The forms in the office's order: ``desk.form_order``, then the rest in the work manual's order
    (:data:`~formflow.definitions.settings.MANUAL_FORM_ORDER`), then any others by title."""
    first = [f for f in defs.settings.form_order if f in defs.forms]
    manual = [f for f in MANUAL_FORM_ORDER if f in defs.forms and f not in first]
    rest = sorted((f for f in defs.forms.values() if f.id not in first and f.id not in manual),
                  key=lambda f: (f.title, f.id))
    return [defs.forms[f] for f in (*first, *manual)] + rest


def _load_calendar(path: Path, today: dt.date, problems: list[Problem], sources: Sources) -> BusinessCalendar | None:
    if not sources.is_file(path):
        problems.append(Problem(display_path(path), 1, 1, "", "找不到工作日历 business calendar not found",
                                "从 formflow init 生成的工作区复制 calendar.yaml copy calendar.yaml from a new workspace"))
        return None
    doc = _read(path, problems, sources)
    if doc is None:
        return None
    found = check_schema(doc, CALENDAR_SCHEMA)
    problems += found
    if found:
        return None
    try:
        calendar = BusinessCalendar.from_data(doc.data)
    except ValueError as exc:
        problems.append(doc.problem((), f"工作日历有误 calendar error: {exc}"))
        return None
    for text in calendar.missing_years(today):
        problems.append(doc.problem(("years",), text, "按国务院办公厅当年的放假通知补充 add the official arrangement "
                                    "from the State Council notice", warning=True))
    return calendar


def load_definitions(root: Path, today: dt.date | None = None, sources: Sources | None = None) -> Definitions:
    """Load everything ``root`` defines; raise :class:`DefinitionError` listing every problem.

    ``today`` decides which calendar years must be present (default: the real today); ``sources``
    reads a kept version instead of the files on disk (see :mod:`formflow.definitions.sources`).
    """
    sources = sources or Sources(root)
    problems: list[Problem] = []
    settings_path = root / SETTINGS_FILE
    settings = None
    settings_doc = None
    if not sources.is_file(settings_path):
        problems.append(Problem(display_path(settings_path), 1, 1, "", "找不到设置文件 settings file not found",
                                f"用 formflow init {display_path(root)} 建立工作区 create a workspace with formflow init"))
    elif (settings_doc := _read(settings_path, problems, sources)) is not None:
        settings, found = load_settings(settings_doc)
        problems += found
        if settings is not None and sources.live and (root / STATION_FILE).exists():
            settings = _local_station(root / STATION_FILE, settings, problems)

    lists: dict[str, ChoiceList] = {}
    origin: dict[str, str] = {}
    for path in sources.glob(root / "choices", ".yaml"):
        doc = _read(path, problems, sources)
        if doc is None:
            continue
        found_lists, found = load_choice_file(doc, path.parent, sources.read_bytes)
        problems += found
        for name, choice_list in found_lists.items():
            if name in lists:
                problems.append(doc.problem(("lists", name), f"选项列表重名 choice list {name!r} is also defined in {origin[name]}",
                                            "改名或删除其中一个 rename or remove one"))
            lists[name] = choice_list
            origin[name] = doc.path

    forms: dict[str, Form] = {}
    broken: set[str] = set()  # forms whose file did not load: what names them is not checked against them
    clerk_texts: list[tuple[str, Document]] = []
    form_docs: dict[str, Document] = {}
    form_paths = sources.glob(root / "forms", ".yaml")
    if not form_paths:
        problems.append(Problem(display_path(root / "forms"), 1, 1, "", "没有任何表单定义 no form definitions found",
                                "在 forms/ 中放入 *.yaml 表单定义 add forms/*.yaml"))
    for path in form_paths:
        doc = _read(path, problems, sources)
        if doc is None:
            broken.add(path.stem)
            continue
        form, found = load_form(doc, lists, path.stem)
        problems += found
        clerk_texts.append(("form", doc))
        if form is None:
            broken.add(doc.data["id"] if isinstance(doc.data, dict) and isinstance(doc.data.get("id"), str)
                       else path.stem)
        if form is not None:
            if settings is not None:
                _check_defaults(doc, form, settings, problems)
            forms[form.id] = form
            form_docs[form.id] = doc

    if settings is not None and settings_doc is not None and form_paths:
        # (a form file with mistakes of its own is reported there, not again here)
        problems += _check_form_order(settings_doc, settings, {*forms, *(p.stem for p in form_paths)})

    workflows: dict[str, Workflow] = {}
    workflow_docs: dict[str, Document] = {}
    failed_workflows: set[str] = set()
    for path in sources.glob(root / "workflows", ".yaml"):
        doc = _read(path, problems, sources)
        workflow, found = load_workflow(doc, forms, settings, path.stem, frozenset(broken)) if doc else (None, [])
        problems += found
        if workflow is not None:
            workflows[workflow.form] = workflow
            workflow_docs[workflow.form] = doc
            clerk_texts.append(("workflow", doc))
        if workflow is None:
            failed_workflows.add(path.stem)
    if not failed_workflows:  # (an action a parent effect names may be in the workflow that did not load)
        problems += check_parent_effects(workflow_docs, workflows)

    problems += key_warnings(clerk_texts)
    forms, workflows, found = expand_due(forms, form_docs, workflows, workflow_docs, frozenset(failed_workflows))
    problems += found

    duties: dict[str, Duty] = {}
    if sources.is_file(root / DUTIES_FILE) and (doc := _read(root / DUTIES_FILE, problems, sources)) is not None:
        duties, found = load_duties(doc, settings)
        problems += found

    scripts, found = read_scripts(root, sources, lambda path: _read(path, problems, sources))
    problems += found

    if settings is not None and settings.unit_pattern is not None and sources.is_file(root / UNITS_FILE):
        register = _load_register(root, settings, problems, sources)
        if register is not None:
            settings = dataclasses.replace(settings, register=register)

    if settings is not None and settings_doc is not None and not failed_workflows:
        problems += collector_problems(settings_doc, settings, forms, workflows)

    zone = settings.timezone if settings else None
    today = today or dt.datetime.now(zone).date()
    calendar = _load_calendar(root / (settings.calendar if settings else "calendar.yaml"), today, problems, sources)

    notice = None
    if sources.live:  # (the letter's words are no rule a record was accepted under: see definitions.notice)
        notice, found = load_notice(root, display_path)
        problems += found

    # Report file by file, top to bottom, the way a person fixes them.
    order: dict[str, int] = {}
    problems.sort(key=lambda p: (order.setdefault(p.path, len(order)), p.line, p.column))
    if any(not p.warning for p in problems) or settings is None or calendar is None:
        raise DefinitionError(problems)
    return Definitions(root, settings, lists, forms, workflows, duties, calendar, tuple(problems), dict(sources.read),
                       notice=notice, scripts=scripts)
