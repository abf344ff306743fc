"""``fees.collectors`` of formflow.yaml: who calls the owners of which building (楼栋 → 催费人).

A building is the first part of a 房号 in the office's spelling (``3`` of ``3-2-1502``: :func:`building_of`).
``formflow fees round`` gives each new collection record the collector of its building; a unit of a building
nobody is assigned keeps the round's own collector. The names are checked once definitions load, against the
roster and against the roles the collection workflow lets make calls (:func:`collector_problems`).
"""

from __future__ import annotations

from collections.abc import Mapping

from formflow.definitions.checking import suggest
from formflow.definitions.yamlsource import Document
from formflow.engine.unitspelling import parts
from formflow.errors import Problem

#: The form (and workflow) of a collection record.
COLLECTION_FORM = "fee_collection"
#: The actions that log a call: a collector must be allowed all of them.
CALL_ACTIONS = ("call_promise", "call_no_answer", "call_refused", "call_reminded", "call_paid")

COLLECTORS_SCHEMA: dict = {
    "type": "object",
    "description": "Who collects in which building: `楼栋: 姓名`, e.g. `{\"3\": 王芳, \"6\": 李娜}`. The building is the "
                   "first part of a 房号 (`3` of `3-2-1502`; leading zeros dropped). `formflow fees round` assigns each "
                   "new 催缴档案 to its building's collector; units of a building not listed go to `--collector` "
                   "(or the person running it). Each name must be on the roster with a role that may log calls "
                   "in workflows/fee_collection.yaml. The supervisor moves records later with `formflow fees assign`.",
    "propertyNames": {"pattern": "^[0-9A-Za-z]{1,6}$"},
    "additionalProperties": {"type": "string", "minLength": 1,
                             "description": "The collector's name, exactly as on the roster (`staff`)."},
}


def building_of(unit: str) -> str:
    """The building of a 房号: its first part without leading zeros (``03-02-1502`` → ``3``); "" if unreadable."""
    found = parts(unit)
    if not found:
        return ""
    first = found[0]
    return (first.lstrip("0") or "0") if first.isdigit() else first


def read_collectors(raw: Mapping) -> dict[str, str]:
    """``fees.collectors`` as ``{building: name}`` (the schema has checked its shape)."""
    return {building_of(str(key)) or str(key): str(name).strip() for key, name in (raw or {}).items()}


def collector_for(unit: str, collectors: Mapping[str, str], fallback: str) -> str:
    """The collector of ``unit``'s building, or ``fallback`` when the building has none."""
    return collectors.get(building_of(unit), fallback)


def call_roles(forms, workflows) -> set[str] | None:
    """The roles that may both be a record's 催费人 and log every call, or ``None`` without the workflow."""
    workflow = workflows.get(COLLECTION_FORM)
    if workflow is None:
        return None
    roles: set[str] | None = None
    for key in CALL_ACTIONS:
        action = workflow.actions.get(key)
        if action is not None and action.roles:
            roles = set(action.roles) if roles is None else roles & set(action.roles)
    form = forms.get(COLLECTION_FORM)
    field = form.fields.get("collector") if form is not None else None
    if field is not None and field.roles:
        roles = set(field.roles) if roles is None else roles & set(field.roles)
    return roles


def collector_problems(doc: Document, settings, forms, workflows) -> list[Problem]:
    """Each ``fees.collectors`` name on the roster, allowed to log calls; each building known to the register."""
    raw = doc.data.get("fees", {}).get("collectors") if isinstance(doc.data.get("fees"), dict) else None
    if not isinstance(raw, dict):
        return []
    roles = call_roles(forms, workflows)
    register = settings.register
    buildings = {building_of(u) for u in register} if register is not None else set()
    names = [p.name for p in settings.staff if p.active]
    problems = []
    for key, name in raw.items():
        keys = ("fees", "collectors", key)
        person = settings.person(str(name).strip())
        if person is None:
            problems.append(doc.problem(keys, f"催费人“{name}”不在人员名册中 collector {name!r} is not on the roster",
                                        suggest(str(name), names) or "先在 staff 中添加 add them to staff"))
        elif roles is not None and not roles & set(person.roles):
            need = "、".join(settings.roles.get(r, r) for r in sorted(roles))
            problems.append(doc.problem(keys, f"“{name}”不能记录催费通话 {name!r} may not log collection calls "
                                        f"(needs a role of {', '.join(sorted(roles))})",
                                        f"给 {name} 加角色（{need}）或换一位催费人 give them one of these roles, "
                                        "or name another collector"))
        if buildings and building_of(str(key)) not in buildings:
            problems.append(doc.problem(keys, f"房屋清单中没有 {key} 栋 no unit of building {key!r} in units.yaml",
                                        suggest(str(key), sorted(buildings)) or "核对楼栋号 check the building",
                                        warning=True))
    return problems
