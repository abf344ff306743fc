"""``fees/scripts.yaml``: the office's collection scripts (催费话术), one per situation, with placeholders.

The call page (``/fees/calls/<record>``) shows the script that fits the record first
(:func:`formflow.fees.situations.choose`), filled with the unit's figures
(:mod:`formflow.fees.placeholders`), and lets the collector switch to the others. Every situation of
:data:`~formflow.fees.situations.SITUATIONS` must have its script, and a script may use only the known
placeholders: ``check`` names a missing one or an unknown name with its line and the closest known name.

A workspace without the file (made before scripts existed) uses the shipped one, built into formflow
(:data:`BUILT_IN`); ``check`` says so.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from formflow.definitions.checking import check_schema, closest
from formflow.definitions.yamlsource import Document, KeyPath, format_keys, load_bytes
from formflow.errors import Problem
from formflow.fees.placeholders import NAMES, unknown
from formflow.fees.situations import MEANINGS, SITUATIONS

SCRIPTS_FILE = "fees/scripts.yaml"

_SCRIPT_KEYS = {
    "title": {"type": "string", "minLength": 1, "maxLength": 30,
              "description": "The script's Chinese title, on the button the collector switches scripts with "
                             "(e.g. 首次催缴)."},
    "text": {"type": "string", "minLength": 1,
             "description": "What the collector says, in Chinese; a line break starts a new paragraph. Placeholders in "
                            "braces (`{业主}`, `{欠费合计}` …, listed under `scripts`) are replaced by the unit's figures."},
}

SCRIPTS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Collection scripts (fees/scripts.yaml)",
    "description": "The office's scripts for phone fee collection (催费话术), shown on the desk's call page "
                   "with the unit's figures filled in; the script for the record's situation comes first. "
                   "Without this file the shipped scripts are used.",
    "type": "object",
    "additionalProperties": False,
    "required": ["scripts"],
    "properties": {
        "scripts": {
            "type": "object",
            "additionalProperties": False,
            "description": "One script per situation; every situation must have one. The placeholders a text may use: "
                           + "; ".join(f"`{{{name}}}` {meaning}" for name, meaning in NAMES.items()) + ".",
            "properties": {
                key: {"type": "object", "additionalProperties": False, "required": ["title", "text"],
                      "description": f"{SITUATIONS[key]}: {MEANINGS[key]}.", "properties": _SCRIPT_KEYS}
                for key in SITUATIONS
            },
        },
    },
}


@dataclass(frozen=True)
class Script:
    """One situation's script: its key, Chinese title, and text with placeholders."""

    key: str
    title: str
    text: str


@dataclass(frozen=True)
class Scripts:
    """The office's scripts by situation (in :data:`SITUATIONS` order), and where they came from."""

    by_situation: Mapping[str, Script] = field(default_factory=dict)
    built_in: bool = False

    def get(self, key: str) -> Script | None:
        """The script of situation ``key``."""
        return self.by_situation.get(key)

    def __iter__(self):
        return iter(self.by_situation.values())


def _placeholder_at(doc: Document, keys: KeyPath, lines: list[str], token: str) -> tuple[int, int]:
    """Line and column of ``token`` in the text at ``keys`` (the key's own when it cannot be found)."""
    start = doc.where(keys)
    line = next((n for n in range(start[0], len(lines) + 1) if token in lines[n - 1]), None)
    return (line, lines[line - 1].index(token) + 1) if line is not None else start


def placeholder_problems(doc: Document, keys: KeyPath, text: str, lines: list[str]) -> list[Problem]:
    """A problem for each placeholder in ``text`` (the value at ``keys`` of ``doc``, whose file reads ``lines``)
    that is not a known name, at its own line and column, with the closest name as the fix. The call scripts
    and the 催缴通知书 (:mod:`formflow.definitions.notice`) are checked alike."""
    problems = []
    for name in unknown(text):
        line, column = _placeholder_at(doc, keys, lines, f"{{{name}}}")
        near = closest(name, NAMES)
        problems.append(Problem(doc.path, line, column, format_keys(keys), f"未知的占位符 unknown placeholder {{{name}}}",
                                (f"是否应为 did you mean {{{near}}}? " if near else "")
                                + "可用 available: " + "、".join(f"{{{n}}}" for n in NAMES)))
    return problems


def load_scripts(doc: Document, text: str) -> tuple[Scripts | None, list[Problem]]:
    """The scripts of ``doc`` (whose file reads ``text``), or ``None`` with every problem."""
    problems = check_schema(doc, SCRIPTS_SCHEMA)
    if problems:
        return None, problems
    lines = text.splitlines()
    raw = doc.data["scripts"]
    for key in SITUATIONS:
        if key not in raw:
            problems.append(doc.problem(
                ("scripts",), f"缺少「{SITUATIONS[key]}」的话术 no script for situation {key!r}",
                f"添加 add `{key}: {{title: {SITUATIONS[key]}, text: ...}}`；内置的写法见 formflow init 新建的"
                f"工作区中的 {SCRIPTS_FILE} see the shipped file"))
    for key, script in raw.items():
        problems += placeholder_problems(doc, ("scripts", key, "text"), script["text"], lines)
    if problems:
        return None, problems
    return Scripts({key: Script(key, raw[key]["title"].strip(), raw[key]["text"].strip())
                    for key in SITUATIONS}), []


@functools.lru_cache(maxsize=1)
def built_in_scripts() -> Scripts:
    """The shipped scripts (the file of the default workspace); empty if that cannot be read."""
    # (the workspace module loads definitions: imported late)
    from formflow.workspace import defaults_dir

    try:
        path = defaults_dir() / SCRIPTS_FILE
        raw = path.read_bytes()
        scripts, _ = load_scripts(load_bytes(raw, str(path)), raw.decode("utf-8"))
    except Exception:  # noqa: BLE001 - the shipped file is tested; a broken installation only loses the scripts
        return Scripts(built_in=True)
    return Scripts(scripts.by_situation, True) if scripts is not None else Scripts(built_in=True)


def read_scripts(root: Path, sources, read) -> tuple[Scripts, list[Problem]]:
    """The scripts of the workspace at ``root`` through ``sources`` (a
    :class:`~formflow.definitions.sources.Sources`); ``read(path)`` gives the file's :class:`Document`, or
    ``None`` with its problem noted by the caller. A workspace without the file gets the built-in scripts."""
    path = root / SCRIPTS_FILE
    if not sources.is_file(path):
        return built_in_scripts(), []
    doc = read(path)
    if doc is None:
        return Scripts(), []
    scripts, problems = load_scripts(doc, sources.read_bytes(path).decode("utf-8", "replace"))
    return (scripts or Scripts()), problems
