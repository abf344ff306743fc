"""``fees/notice.yaml``: the office's wording of the 催缴通知书 (the written fee notice), checked once at load.

The letter's table of items and periods, the amount in figures and in capitals and the pay-by date come
from the record; the words around them are the office's, with ``{业主}``-style placeholders
(:mod:`formflow.fees.placeholders`, shared with the call scripts). A workspace without the file prints the shipped wording.

The file is read from disk, not as one of the definitions a record is accepted under: changing the
letter's words changes no rule, so it does not make a new definitions version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from formflow.definitions.checking import check_schema
from formflow.definitions.scripts import placeholder_problems
from formflow.definitions.yamlsource import Document, YamlSyntaxError, load_bytes
from formflow.errors import Problem
from formflow.fees.placeholders import NAMES as PLACEHOLDERS

NOTICE_FILE = "fees/notice.yaml"

_TEXT = {"type": "string", "minLength": 1}
_NAMES = "、".join(f"{{{name}}}" for name in PLACEHOLDERS)

NOTICE_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "The 催缴通知书 (fees/notice.yaml)",
    "description": "The words of the written fee notice the collector prints for a 催缴档案 after `发出催缴通知书`. "
                   "Every text may hold placeholders filled from the record: " + _NAMES + ". The table of items "
                   "and periods, the total in figures and capitals, the 房号 and the pay-by date are printed "
                   "between `body` and `after_table`.",
    "type": "object",
    "additionalProperties": False,
    "required": ["title", "salutation", "body"],
    "properties": {
        "title": {**_TEXT, "description": "The letter's title, e.g. `催缴通知书`."},
        "salutation": {**_TEXT, "description": "The first line, e.g. `尊敬的{业主}业主：`."},
        "body": {"type": "array", "minItems": 1, "items": _TEXT,
                 "description": "Paragraphs before the table: what is owed and why it matters, politely but "
                                "firmly (the manual's tone)."},
        "after_table": {"type": "array", "items": _TEXT,
                        "description": "Paragraphs after the table: the pay-by date, how to pay, whom to call."},
        "closing": {**_TEXT, "description": "The closing line, e.g. `特此通知。`."},
        "signature": {**_TEXT, "description": "Who signs, at the bottom right, e.g. `{管理处}` (the date follows)."},
        "seal": {**_TEXT, "description": "The words in the seal box, e.g. `（盖章）`."},
        "footnote": {**_TEXT, "description": "Small print at the foot, e.g. how a paid notice is to be ignored."},
    },
}


@dataclass(frozen=True)
class NoticeText:
    """The office's wording of the 催缴通知书 (placeholders not filled yet)."""

    title: str
    salutation: str
    body: tuple[str, ...]
    after_table: tuple[str, ...] = ()
    closing: str = ""
    signature: str = "{管理处}"
    seal: str = "（盖章）"
    footnote: str = ""
    path: str = ""


def read_notice(doc: Document, text: str) -> tuple[NoticeText | None, list[Problem]]:
    """The wording in ``doc`` (whose file reads ``text``), with every problem: the schema's, and each placeholder
    that is not a known name (file, line and column, key path, and the closest name as the fix)."""
    problems = check_schema(doc, NOTICE_SCHEMA)
    if problems:
        return None, problems
    data, lines = doc.data, text.splitlines()
    for key, value in data.items():
        texts = [((key, i), item) for i, item in enumerate(value)] if isinstance(value, list) else [((key,), value)]
        for keys, item in texts:
            problems += placeholder_problems(doc, keys, item, lines)
    if problems:
        return None, problems
    return NoticeText(data["title"], data["salutation"], tuple(data["body"]), tuple(data.get("after_table", ())),
                      data.get("closing", ""), data.get("signature", "{管理处}"), data.get("seal", "（盖章）"),
                      data.get("footnote", ""), doc.path), []


def load_notice(root: Path, display) -> tuple[NoticeText | None, list[Problem]]:
    """``root``'s ``fees/notice.yaml`` (``display`` shows its path in messages), else the shipped one."""
    path = root / NOTICE_FILE
    if not path.is_file():
        # (imported here: the workspace module loads definitions)
        from formflow.workspace import defaults_dir

        path = defaults_dir() / NOTICE_FILE
        if not path.is_file():
            return None, []
    try:
        raw = path.read_bytes()
        doc = load_bytes(raw, display(path))
    except OSError as exc:
        return None, [Problem(display(path), 1, 1, "", f"无法读取 cannot read: {exc.strerror or exc}")]
    except YamlSyntaxError as exc:
        return None, [exc.problem]
    return read_notice(doc, raw.decode("utf-8", "replace"))
