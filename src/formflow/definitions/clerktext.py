"""Warn when text a clerk reads carries an internal key: ``请用「返工」(rework) 退回``.

Labels, hints and refusal messages written in forms/ and workflows/ appear on the desk, on paper and in
rejection notes, where only Chinese belongs. A supervisor who names an action or a field by its key
there (a habit from reading the YAML) is told by ``check``, at the line, before a clerk sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from formflow.definitions.yamlsource import Document
from formflow.errors import Problem

#: The keys whose values clerks read, per kind of definition file.
CLERK_KEYS = {
    "form": frozenset({"title", "description", "label", "hint", "text", "constraint_message", "unit_label"}),
    "workflow": frozenset({"label", "task", "guard_message", "note"}),
}

# A lower-case identifier in brackets: (send_back), （rework）. Upper-case words (APP) and numbers are not keys.
_CODE = re.compile(r"[（(]\s*([a-z][a-z0-9_]{2,})\s*[)）]")


def _texts(data: object, keys: tuple, wanted: frozenset[str]) -> Iterator[tuple[tuple, str]]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in wanted and isinstance(value, str):
                yield (*keys, key), value
            else:
                yield from _texts(value, (*keys, key), wanted)
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _texts(value, (*keys, i), wanted)


def key_warnings(docs: Iterable[tuple[str, Document]]) -> list[Problem]:
    """A warning for each key in brackets in the clerk-facing text of ``docs`` ((kind, document) pairs,
    kind ``form`` or ``workflow``)."""
    found = []
    for kind, doc in docs:
        for keys, text in _texts(doc.data, (), CLERK_KEYS[kind]):
            for match in _CODE.finditer(text):
                found.append(doc.problem(
                    keys, f"服务台和纸质表上会显示代码“{match.group(0)}”，办事人员只看中文 clerks would read the key "
                    f"{match.group(1)!r} here", "删除括号中的代码，用中文名称说明 remove it; name it by its Chinese "
                    "label", warning=True))
    return found
