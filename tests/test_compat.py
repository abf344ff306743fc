"""`check` against stored records: a workflow edit may not strand records or lower a version."""

from __future__ import annotations

from .test_pipeline import complaint


def test_removed_state_needs_a_mapping(workspace):
    workspace.write("inbox/a.yaml", complaint())
    workspace.cli("process", "--now", "2025-09-30T17:55+08:00")
    workflow = workspace.root / "workflows" / "complaint.yaml"
    text = workflow.read_text("utf-8")
    # Rename the initial state 'registered' to 'logged' everywhere: the stored record is in 'registered'.
    edited = text.replace("registered", "logged").replace("version: 1", "version: 2")
    workflow.write_text(edited, encoding="utf-8")
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines()[2:4] == [  # after the calendar warning
        "workflows/complaint.yaml:9:1: states: 有 1 条记录处于状态 'registered'，但流程中已没有这个状态 "
        "1 stored record(s) are in state 'registered', which the workflow no longer has",
        "    修改建议 fix: 添加 add `renamed_states: {registered: <新状态 new state>}`",
    ]
    workflow.write_text(edited + "\nrenamed_states: {registered: logged}\n", encoding="utf-8")
    assert workspace.cli("check").code == 0
    # The mapping is what the engine uses too: the record is now 'logged' and its actions apply.
    listing = workspace.cli("list", "--state", "logged").out
    assert listing.splitlines()[0] == "TS-YG-202509-0001  投诉处理记录  已登记"


def test_version_may_not_go_down(workspace):
    workflow = workspace.root / "workflows" / "complaint.yaml"
    workflow.write_text(workflow.read_text("utf-8").replace("version: 1", "version: 3"), encoding="utf-8")
    workspace.write("inbox/a.yaml", complaint())
    workspace.cli("process", "--now", "2025-09-30T17:55+08:00")
    workflow.write_text(workflow.read_text("utf-8").replace("version: 3", "version: 2"), encoding="utf-8")
    err = workspace.cli("check").err
    assert ("workflows/complaint.yaml:6:1: version: 版本号只能增加 the version may only go up (records use version 3, "
            "got 2)\n    修改建议 fix: 改为 set it to 4 或更大 or more\n") in err
