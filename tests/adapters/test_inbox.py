"""Files we write into ``inbox/`` ourselves (the desk, ``formflow act``, rounds, corrections, reconciliation)."""

from __future__ import annotations

import yaml

from formflow.adapters.inbox import put


def test_a_name_from_input_never_leaves_the_inbox(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    path = put(inbox, "CJ-1-../../escaped.yaml", {"record": "CJ-1", "action": "paid", "data": {"note": "已缴"}})
    assert path.parent == inbox and list(inbox.iterdir()) == [path]
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {"record": "CJ-1", "action": "paid",
                                                                "data": {"note": "已缴"}}
    assert not (tmp_path / "escaped.yaml").exists()


def test_formflow_act_keeps_an_odd_action_name_inside_the_inbox(workspace):
    result = workspace.cli("act", "TS-YG-202611-0001", "x/../../../outside", "--by", "赵敏")
    assert result.code == 0, result.err
    written = [p for p in (workspace.root / "inbox").iterdir() if p.suffix == ".yaml"]
    assert len(written) == 1 and yaml.safe_load(written[0].read_text(encoding="utf-8"))["action"] == \
        "x/../../../outside"
    assert not list(workspace.root.parent.glob("outside*"))
