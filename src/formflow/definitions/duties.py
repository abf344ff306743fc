"""Recurring duties (duties.yaml): work that comes round on a schedule, not tied to a record."""

from __future__ import annotations

from dataclasses import dataclass

from formflow.definitions.checking import check_schema, suggest
from formflow.definitions.settings import Settings
from formflow.definitions.workflow_schema import DUTIES_SCHEMA
from formflow.definitions.yamlsource import Document
from formflow.errors import Problem


@dataclass(frozen=True)
class Duty:
    """One recurring duty (see ``duties.yaml`` in the reference)."""

    key: str
    label: str
    every: str
    who: tuple[str, ...]
    task: str = ""
    anchor: str = "2025-01-06"
    due: str = "end"


def load_duties(doc: Document, settings: Settings | None) -> tuple[dict[str, Duty], list[Problem]]:
    """Recurring duties from ``duties.yaml``."""
    problems = check_schema(doc, DUTIES_SCHEMA)
    if problems:
        return {}, problems
    duties = {}
    for key, raw in doc.data["duties"].items():
        for i, role in enumerate(raw["who"]):
            if settings is not None and role not in settings.roles:
                problems.append(doc.problem(("duties", key, "who", i), f"未知的角色 unknown role {role!r}",
                                            suggest(role, settings.roles)))
        duties[key] = Duty(key, raw["label"], raw["every"], tuple(raw["who"]), raw.get("task", raw["label"]),
                           raw.get("anchor", "2025-01-06"), raw.get("due", "end"))
    return duties, problems
