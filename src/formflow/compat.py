"""Definitions against the records already stored: edits must not strand or rewind them.

`check` runs this when the workspace has a database: a state that records are in but the
edited workflow no longer has must be mapped in ``renamed_states``; a version must never go
below the one stored records were made with; and a form or workflow that says something else than
what records were made under at its version ought to have had its version raised (a warning: the
kept definitions versions in the archive hold what each version said).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from formflow.definitions.loader import Definitions, display_path
from formflow.definitions.yamlsource import YamlSyntaxError, load_bytes, load_file
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


def _meaning(raw: bytes) -> object:
    """What a definition file says, for telling a change from a reformatting (comments, spacing, quoting
    and the change note are no change); ``None`` when it does not parse."""
    try:
        data = load_bytes(raw, "").data
    except YamlSyntaxError:
        return None
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k != "change_note"}
    return data


def unraised_versions(defs: Definitions, rows, data: Path) -> list[Problem]:
    """Warnings for each form or workflow that changed since stored records ``rows`` were made under its
    version, its version not raised: the kept definitions versions in ``data`` hold what that version said."""
    made: Counter = Counter()
    for row in rows:
        made[("forms", row["form"], row.get("form_version") or 0)] += 1
        made[("workflows", row["form"], row.get("workflow_version") or 0)] += 1
    definitions = [("forms", d.id, d.version) for d in defs.forms.values()]
    definitions += [("workflows", w.form, w.version) for w in defs.workflows.values()]
    definitions = [d for d in definitions if made[d]]
    if not definitions:
        return []
    from formflow.adapters.keptforms import KeptIndex

    index = KeptIndex(data).refresh()
    if not len(index):
        return []
    kept = _Kept(index)
    problems = []
    for kind, name, version in definitions:
        key = f"{kind}/{name}.yaml"
        now = defs.sources.get(key)
        if now is None or not (_changed(kept, key, version, now)
                               or kind == "forms" and _lists_changed(kept, key, version, defs.sources)):
            continue
        path = defs.root / kind / f"{name}.yaml"
        line, column = _where(path, ("version",))
        what = ("表单", "form") if kind == "forms" else ("流程", "workflow")
        count = made[(kind, name, version)]
        problems.append(Problem(
            display_path(path), line, column, "version",
            f"{what[0]}已修改但版本号仍为 {version}，已有 {count} 条记录按第 {version} 版登记 the {what[1]} changed "
            f"since records were made under version {version} but its version was not raised",
            f"把 version 改为 {version + 1}，并在 change_note 写明改了什么 raise version to {version + 1} and say "
            f"what changed in change_note", warning=True))
    return problems


def _used_lists(raw: bytes) -> set[str]:
    """The shared choice lists (``choices: departments``) a form file names, in its fields and table columns."""
    data = _meaning(raw)
    found: set[str] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("choices"), str):
                found.add(node["choices"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _all_lists(files: Mapping[str, bytes]) -> dict[str, object]:
    """What every choice list is in the definition files ``files`` (a CSV master list with its bytes)."""
    found: dict[str, object] = {}
    for key, raw in sorted(files.items()):
        if not (key.startswith("choices/") and key.endswith(".yaml")):
            continue
        data = _meaning(raw)
        lists = data.get("lists") if isinstance(data, dict) else None
        for name, entry in lists.items() if isinstance(lists, dict) else ():
            csv = entry.get("csv") if isinstance(entry, dict) else None
            found[name] = (entry, files.get(f"choices/{csv}")) if isinstance(csv, str) else entry
    return found


class _Kept:
    """The kept versions of one `check`, each read and its choice lists parsed once, however many forms and
    workflows ask (``KeptIndex.files`` reads a version's file again at every call)."""

    def __init__(self, index):
        self.index = index
        self._files: dict[str, dict[str, bytes] | None] = {}
        self._lists: dict[str, dict[str, object]] = {}

    def declaring(self, key: str, version: int) -> list[str]:
        return self.index.declaring(key, version)

    def files(self, vid: str) -> dict[str, bytes] | None:
        """The files of kept version ``vid``; ``None`` when it cannot be read."""
        if vid not in self._files:
            try:
                self._files[vid] = self.index.files(vid)
            except (OSError, ValueError, UnicodeDecodeError):
                self._files[vid] = None
        return self._files[vid]

    def lists(self, vid: str) -> dict[str, object]:
        if vid not in self._lists:
            self._lists[vid] = _all_lists(self.files(vid) or {})
        return self._lists[vid]


def _lists_changed(kept: _Kept, key: str, version: int, now: Mapping[str, bytes]) -> bool:
    """Whether a shared choice list the form ``key`` uses offers other options than when records were made under
    ``version`` (renaming 基本满意 in choices/common.yaml changes the survey's options as surely as its own file)."""
    names = _used_lists(now[key])
    if not names:
        return False
    current = {n: e for n, e in _all_lists(now).items() if n in names}
    for vid in kept.declaring(key, version):
        if key in (kept.files(vid) or {}) and {n: e for n, e in kept.lists(vid).items() if n in names} != current:
            return True
    return False


def _changed(kept: _Kept, key: str, version: int, now: bytes) -> bool:
    """Whether a kept version whose ``key`` declares ``version`` says something else than ``now`` does."""
    meaning = None
    seen = {now}
    for vid in kept.declaring(key, version):
        then = (kept.files(vid) or {}).get(key)
        if then is None or then in seen:
            continue
        seen.add(then)
        if meaning is None:
            meaning = _meaning(now)
        if _meaning(then) != meaning:
            return True
    return False
