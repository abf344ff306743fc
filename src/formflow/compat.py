"""Definitions against the records already stored: edits must not strand or rewind them.

`check` runs this when the workspace has a database: a state that records are in but the
edited workflow no longer has must be mapped in ``renamed_states``; a version must never go
below the one stored records were made with.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from formflow.definitions.loader import Definitions, display_path
from formflow.definitions.yamlsource import YamlSyntaxError, load_file
from formflow.engine.records import current_state
from formflow.errors import Problem


def _where(path: Path, keys: tuple) -> tuple[int, int]:
    try:
        return load_file(path).where(keys)
    except (YamlSyntaxError, OSError):
        return 1, 1


def stored_record_problems(defs: Definitions, rows) -> list[Problem]:
    """Problems of ``defs`` given the stored records ``rows`` (see :meth:`Store.states`)."""
    stranded: Counter = Counter()
    newest_wf: dict[str, int] = {}
    newest_form: dict[str, int] = {}
    for row in rows:
        form = row["form"]
        newest_wf[form] = max(newest_wf.get(form, 0), row.get("workflow_version") or 0)
        newest_form[form] = max(newest_form.get(form, 0), row.get("form_version") or 0)
        workflow = defs.workflows.get(form)
        state = row.get("state") or ""
        if workflow and state and current_state(workflow, state) not in workflow.states:
            stranded[(form, state)] += 1
    problems = []
    for (form, state), count in sorted(stranded.items()):
        path = defs.root / "workflows" / f"{form}.yaml"
        line, column = _where(path, ("states",))
        problems.append(Problem(display_path(path), line, column, "states",
                                f"有 {count} 条记录处于状态 '{state}'，但流程中已没有这个状态 "
                                f"{count} stored record(s) are in state {state!r}, which the workflow no longer has",
                                f"添加 add `renamed_states: {{{state}: <新状态 new state>}}`"))
    for form, stored in sorted(newest_wf.items()):
        workflow = defs.workflows.get(form)
        if workflow and workflow.version < stored:
            path = defs.root / "workflows" / f"{form}.yaml"
            line, column = _where(path, ("version",))
            problems.append(Problem(display_path(path), line, column, "version",
                                    f"版本号只能增加 the version may only go up (records use version {stored}, "
                                    f"got {workflow.version})", f"改为 set it to {stored + 1} 或更大 or more"))
    for form, stored in sorted(newest_form.items()):
        definition = defs.forms.get(form)
        if definition and definition.version < stored:
            path = defs.root / "forms" / f"{form}.yaml"
            line, column = _where(path, ("version",))
            problems.append(Problem(display_path(path), line, column, "version",
                                    f"版本号只能增加 the version may only go up (records use version {stored}, "
                                    f"got {definition.version})", f"改为 set it to {stored + 1} 或更大 or more"))
    return problems
