"""`rebuild`: every archived file replayed under the definitions it was accepted with, built aside,
switched only when complete, numbers never given twice."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from formflow.adapters.lock import WorkspaceLock
from formflow.adapters.store import Store
from formflow.app import App, dump

from .conftest import without_pdfs
from .test_pipeline import complaint, stored

NOW_2025 = dt.datetime.fromisoformat("2025-09-30T17:55+08:00")
#: An ordinary supervisor's edit: a new required field, the version raised (as `check` asks).
NEW_REQUIRED_FIELD = ("      - {name: complainant, label: 投诉人, label_en: Complainant, type: text, resident: name, required: true, max_length: 30}\n",
                      "      - {name: complainant, label: 投诉人, label_en: Complainant, type: text, resident: name, required: true, max_length: 30}\n"
                      "      - {name: id_last4, label: 证件后四位, type: text, required: true}\n")


def edit(ws, relative: str, old: str, new: str) -> None:
    path = ws.root / relative
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def raise_form_version(ws) -> None:
    edit(ws, "forms/complaint.yaml", "version: 1\n", "version: 2\n")
    edit(ws, "forms/complaint.yaml", *NEW_REQUIRED_FIELD)


def office_with_history(ws, count: int = 3) -> dict:
    for i in range(count):
        ws.write(f"inbox/{i}.yaml", complaint(f"住户{i}"))
    assert ws.cli("process", "--now", "2025-09-30T17:55+08:00").code == 0
    ws.write("inbox/act.yaml", "record: TS-YG-202509-0002\naction: assign\nby: 李娜\ndata: {routed_to: 环境部}\n")
    assert ws.cli("process", "--now", "2025-09-30T18:30+08:00").code == 0
    return dump(Store(ws.root / "data" / "db"))


def test_rebuild_after_a_form_edit_replays_under_the_version_files_were_accepted_with(workspace):
    without_pdfs(workspace.root)
    before = office_with_history(workspace)
    raise_form_version(workspace)
    assert workspace.cli("check").code == 0
    result = workspace.cli("rebuild")
    assert (result.code, result.out) == (0, "已重建 rebuilt: 3 条记录 records，4 个存档文件 archived files，"
                                            "按 1 个定义版本重放 replayed under 1 definitions version(s)\n")
    assert dump(Store(workspace.root / "data" / "db")) == before
    assert {r.form_version for r in stored(workspace).values()} == {1}  # made under version 1, still says so
    # Today's version is the one new files meet: the new field is required now.
    workspace.write("inbox/new.yaml", complaint("新住户"))
    assert workspace.cli("process", "--now", "2025-10-01T09:00+08:00").code == 1
    note = next((workspace.root / "outbox/rejected").glob("*new.yaml.说明.txt")).read_text("utf-8")
    assert "「证件后四位」：必填项未填写" in note
    # ...and files accepted under version 2 replay under it, beside the older ones.
    workspace.write("inbox/new2.yaml", complaint("新住户") + "  id_last4: '1234'\n")
    assert workspace.cli("process", "--now", "2025-10-01T09:05+08:00").code == 0
    before = dump(Store(workspace.root / "data" / "db"))
    result = workspace.cli("rebuild")
    assert result.code == 0
    assert "5 个存档文件 archived files，按 2 个定义版本重放" in result.out
    assert dump(Store(workspace.root / "data" / "db")) == before
    assert stored(workspace)["TS-YG-202509-0004"].form_version == 2


def test_a_file_that_no_longer_replays_leaves_the_store_in_use_as_it_was(workspace):
    without_pdfs(workspace.root)
    before = office_with_history(workspace)
    # An archive from a formflow that kept no definitions: only today's can be used, and they refuse it.
    for meta_path in (workspace.root / "data/archive").glob("*/*/*.meta.json"):
        meta = json.loads(meta_path.read_text("utf-8"))
        del meta["definitions"]
        meta_path.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    raise_form_version(workspace)
    result = workspace.cli("rebuild")
    assert result.code == 1
    assert result.err.startswith("重建未完成，仍使用原数据库 rebuild stopped; the database in use is unchanged. "
                                 "4 个存档文件无法重放 archived file(s) did not replay:\n  - 000000001-")
    assert "不再通过检查：「证件后四位」：必填项未填写" in result.err
    assert "请把 forms/、workflows/ 恢复为当时的内容后再运行 formflow rebuild" in result.err
    assert dump(Store(workspace.root / "data" / "db")) == before
    assert sorted(p.name for p in (workspace.root / "data").iterdir() if p.name.startswith("db")) == ["db"]


def test_numbers_keep_their_station_and_counters_never_go_backwards(workspace):
    without_pdfs(workspace.root)
    before = office_with_history(workspace)
    # The newest archived file is lost (a disk sector, a careless hand): its record cannot come back,
    # but its number must never be given to another complaint.
    newest = sorted((workspace.root / "data/archive").glob("*/*/000000003-*"))
    assert len(newest) == 2
    for path in newest:
        path.unlink()
    edit(workspace, "formflow.yaml", "station: YG ", "station: XB ")  # even a renamed station
    assert workspace.cli("rebuild").code == 0
    after = dump(Store(workspace.root / "data" / "db"))
    assert [r["number"] for r in after["records"]] == ["TS-YG-202509-0001", "TS-YG-202509-0002"]
    assert after["records"] == [r for r in before["records"] if r["number"] != "TS-YG-202509-0003"]
    workspace.write("inbox/next.yaml", complaint("下一位"))
    assert workspace.cli("process", "--now", "2025-09-30T19:00+08:00").code == 0
    assert sorted(stored(workspace)) == ["TS-XB-202509-0004", "TS-YG-202509-0001", "TS-YG-202509-0002"]


def test_a_rebuild_killed_at_any_moment_leaves_a_whole_store_and_no_number_twice(workspace):
    without_pdfs(workspace.root)
    for i in range(60):
        workspace.write(f"inbox/{i:03d}.yaml", complaint(f"住户{i}"))
    assert workspace.cli("process", "--now", "2025-09-30T17:55+08:00").code == 0
    before = dump(Store(workspace.root / "data" / "db"))["records"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "formflow", "rebuild", "--root", str(workspace.root)]
    start = time.monotonic()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    full = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    outcomes = set()
    for i in range(12):  # kill points spread over the whole run, start-up to switch
        proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(full * (0.3 + 0.7 * i / 11))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        outcomes.add(proc.returncode)
        data = workspace.root / "data"
        left = sorted(p.name for p in data.iterdir() if p.name.startswith("db") and "before" not in p.name)
        # Whatever was left, the next holder of the lock ends with one whole store.
        workspace.write(f"inbox/after-{i}.yaml", complaint(f"后来{i}"))
        assert workspace.cli("process", "--now", "2025-09-30T18:00+08:00").code == 0, left
        records = dump(Store(data / "db"))["records"]
        # Every complaint once, each under its own number: a number given twice would have overwritten one.
        who = sorted(r["events"][0]["data"]["complainant"] for r in records)
        assert who == sorted([f"住户{j}" for j in range(60)] + [f"后来{j}" for j in range(i + 1)])
        assert [r for r in records if r["number"] in {b["number"] for b in before}] == before
        assert sorted(p.name for p in data.iterdir() if p.name.startswith("db") and "before" not in p.name) == ["db"]
    assert -signal.SIGKILL in outcomes  # at least some runs were really killed, not finished


class Killed(BaseException):
    """Stands for SIGKILL at one exact step (the timed kills above rarely land between two renames)."""


def test_a_rebuild_stopped_between_its_renames_is_finished_by_the_next_pass(workspace, monkeypatch):
    import formflow.adapters.storeswitch as storeswitch
    import formflow.rebuild as rebuild_module

    without_pdfs(workspace.root)
    before = office_with_history(workspace)
    data = workspace.root / "data"
    real_replace = os.replace
    steps = []

    def replace_then_die(src, dst):
        real_replace(src, dst)
        if os.path.basename(src) == "db":  # the old store moved aside, the new one not yet in place
            steps.append(os.path.basename(dst))
            raise Killed

    monkeypatch.setattr(storeswitch.os, "replace", replace_then_die)
    try:
        rebuild_module.rebuild(workspace.root, workspace.load(), rebuild_module.dt.datetime.now().astimezone())
    except Killed:
        pass
    monkeypatch.setattr(storeswitch.os, "replace", real_replace)
    assert len(steps) == 1 and steps[0].startswith("db.before-rebuild-")
    assert not (data / "db").exists() and (data / "db.rebuilt").is_dir()
    workspace.write("inbox/next.yaml", complaint("下一位"))
    assert workspace.cli("process", "--now", "2025-09-30T19:00+08:00").code == 0
    after = dump(Store(data / "db"))
    assert after["records"][:3] == before["records"]
    assert after["records"][3]["number"] == "TS-YG-202509-0004"
    assert not (data / "db.rebuilt").exists()


def test_a_pass_that_never_committed_leaves_nothing_for_a_rebuild_to_replay(workspace, monkeypatch):
    without_pdfs(workspace.root)
    workspace.write("inbox/a.yaml", complaint("甲"))
    real_commit = Store.commit

    def die(self):
        raise Killed  # the laptop dies at the commit (or the disk is full)

    monkeypatch.setattr(Store, "commit", die)
    with WorkspaceLock(workspace.root):
        with pytest.raises(Killed):
            App.open(workspace.root).process(NOW_2025)
    monkeypatch.setattr(Store, "commit", real_commit)
    # The clerk takes a.yaml back; another complaint arrives and is given the number a.yaml never kept.
    (workspace.root / "inbox/a.yaml").unlink()
    workspace.write("inbox/b.yaml", complaint("乙"))
    assert workspace.cli("process", "--now", "2025-09-30T18:00+08:00").code == 0
    before = dump(Store(workspace.root / "data" / "db"))
    assert [r["events"][0]["data"]["complainant"] for r in before["records"]] == ["乙"]
    assert workspace.cli("rebuild").code == 0
    assert dump(Store(workspace.root / "data" / "db")) == before
    assert not list((workspace.root / "data/archive/.pending").iterdir())


def test_files_an_older_formflow_accepted_replay_though_todays_checks_are_stricter(workspace):
    without_pdfs(workspace.root)
    workspace.write("inbox/a.yaml", complaint("甲"))
    assert workspace.cli("process", "--now", "2025-09-30T17:55+08:00").code == 0
    # As an older formflow archived it: no kept definitions, no numbers noted, and content today's intake
    # refuses (a 250-character 发生地点 past the new default length, an `at:` long before it was received).
    (meta_path,) = (workspace.root / "data/archive").glob("*/*/000000001-*.meta.json")
    meta = json.loads(meta_path.read_text("utf-8"))
    text = complaint("甲", at="2023-01-05T09:00:00+08:00") + "  place: " + "地" * 250 + "\n"
    data_path = meta_path.with_name(meta_path.name.removesuffix(".meta.json"))
    data_path.write_text(text, "utf-8")
    meta["hash"] = hashlib.sha256(text.encode("utf-8")).hexdigest()
    for key in ("definitions", "created"):
        del meta[key]
    meta_path.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    result = workspace.cli("rebuild")
    assert result.code == 0, result.err
    assert "其中 1 个文件由旧版本登记" in result.out
    first = stored(workspace)["TS-YG-202301-0001"]
    assert first.events[0].data["place"] == "地" * 250


def test_an_archived_file_named_like_a_meta_file_replays(workspace):
    without_pdfs(workspace.root)
    workspace.write("inbox/登记.meta.json", json.dumps(
        {"form": "complaint", "by": "李娜", "at": "2025-09-30T17:50:00+08:00",
         "data": {"channel": "来电", "complainant": "甲", "unit": "3-2-1502", "phone": "13812345678",
                  "details": "漏水", "category": "工程维修", "severity": "重要", "receiver": "李娜"}},
        ensure_ascii=False))
    assert workspace.cli("process", "--now", "2025-09-30T17:55+08:00").code == 0
    before = dump(Store(workspace.root / "data" / "db"))
    result = workspace.cli("rebuild")
    assert (result.code, result.err) == (0, "")
    assert dump(Store(workspace.root / "data" / "db")) == before


def test_a_rebuild_committed_in_chunks_equals_one_in_a_single_commit(workspace):
    from formflow import rebuild as rebuild_module

    without_pdfs(workspace.root)
    before = office_with_history(workspace, count=5)  # the action of the last file acts on a record of the first chunk
    with WorkspaceLock(workspace.root):
        report = rebuild_module.rebuild(workspace.root, workspace.load(), dt.datetime.now().astimezone(), chunk=2)
    assert (report.files, report.records) == (6, 5)
    assert dump(Store(workspace.root / "data" / "db")) == before


def test_two_archived_files_claiming_one_number_stop_the_rebuild_with_what_to_do(workspace):
    without_pdfs(workspace.root)
    office_with_history(workspace)
    # What an older formflow could leave: a file archived by a pass that never committed, whose number the
    # next pass gave to another file. Its copy here claims 0001 again, with other content.
    (meta_path,) = (workspace.root / "data/archive").glob("*/*/000000001-*.meta.json")
    meta = json.loads(meta_path.read_text("utf-8"))
    text = complaint("从未登记的")
    stray = meta_path.with_name(f"000000009-{hashlib.sha256(text.encode()).hexdigest()[:12]}-stray.yaml")
    stray.write_text(text, "utf-8")
    meta.update(seq=9, name="stray.yaml", hash=hashlib.sha256(text.encode()).hexdigest())
    stray.with_name(stray.name + ".meta.json").write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    before = dump(Store(workspace.root / "data" / "db"))
    result = workspace.cli("rebuild")
    assert result.code == 1
    assert f"  - {stray.name}: 记录编号 TS-YG-202509-0001 已被更早的存档文件使用" in result.err
    assert "用 formflow show 编号 核对数据库中的记录" in result.err
    assert "请把 forms/、workflows/ 恢复" not in result.err
    assert dump(Store(workspace.root / "data" / "db")) == before


def test_an_app_lets_go_of_its_store_for_a_rebuild_and_has_one_again_whatever_the_outcome(workspace):
    from formflow import rebuild as rebuild_module

    without_pdfs(workspace.root)
    before = office_with_history(workspace)
    with WorkspaceLock(workspace.root):
        app = App.open(workspace.root)
        assert app.rebuild().records == len(before["records"])
        assert dump(app.store) == before
        for meta_path in (workspace.root / "data/archive").glob("*/*/*.meta.json"):  # now refused: see above
            meta = json.loads(meta_path.read_text("utf-8"))
            del meta["definitions"]
            meta_path.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
        raise_form_version(workspace)
        app = App.open(workspace.root)
        with pytest.raises(rebuild_module.RebuildError):
            app.rebuild()
        assert dump(app.store) == before  # reopened on the database in use, unchanged
