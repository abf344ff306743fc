"""A file still being written is never taken, and a file that changed after it was read is never deleted."""

from __future__ import annotations

from formflow.app import App

from .conftest import NOW, without_pdfs
from .test_pipeline import complaint, stored

REST = "  routed_to: 工程维修部\n"


def test_a_file_written_to_while_it_is_checked_stays_in_the_inbox_until_complete(workspace, monkeypatch):
    import formflow.pipeline as pipeline

    without_pdfs(workspace.root)
    path = workspace.write("inbox/slow.yaml", complaint("张先生", at="2026-11-28T09:00:00+08:00"))
    real = pipeline.read_content

    def writer_goes_on(raw, name, defs, now):
        # The copy resumes while the engine checks what it read (a USB stick after a pause).
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(REST)
        return real(raw, name, defs, now)

    monkeypatch.setattr(pipeline, "read_content", writer_goes_on)
    app = App.open(workspace.root)
    report = app.process(NOW)
    assert [(r.name, r.status) for r in report.results] == [("slow.yaml", "held")]
    assert report.results[0].line() == "… slow.yaml：读取时仍在写入，留在 inbox 中，写完后再处理"
    assert path.exists() and stored(workspace) == {}
    assert not list((workspace.root / "data/archive").rglob("*.yaml"))

    monkeypatch.setattr(pipeline, "read_content", real)
    report = app.process(NOW)
    assert [(r.name, r.status) for r in report.results] == [("slow.yaml", "stored")]
    (record,) = stored(workspace).values()
    assert record.events[0].data["routed_to"] == "工程维修部"  # the whole file, not its first half
    assert not path.exists()


def test_a_file_changed_after_it_was_read_is_set_aside_not_deleted(workspace):
    without_pdfs(workspace.root)
    path = workspace.write("inbox/late.yaml", complaint("张先生", at="2026-11-28T09:00:00+08:00"))
    app = App.open(workspace.root)
    queue = app.engine.on_commit

    def writer_goes_on(changed):
        # The rest arrives between the check and the clean-up (after a pause longer than any wait).
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(REST)
        queue(changed)

    app.engine.on_commit = writer_goes_on
    report = app.process(NOW)
    assert [(r.name, r.status, r.records) for r in report.results] == [("late.yaml", "stored", ["TS-YG-202611-0001"])]
    assert not path.exists()
    (kept,) = (workspace.root / "outbox/rejected").glob("*-late.yaml")
    assert kept.read_text("utf-8").endswith(REST)  # nothing the writer wrote is lost
    note = kept.with_name(kept.name + ".说明.txt").read_text("utf-8")
    assert ("结果：此文件在读取之后又被改动（可能是复制或保存时停顿了一下）。读取时的内容已登记为 TS-YG-202611-0001；"
            "改动后的文件未登记，原样放在此处（退回文件夹）。") in note


def test_a_changed_file_that_cannot_be_set_aside_is_renamed_never_stored_twice(workspace, monkeypatch):
    import errno

    from formflow.adapters import inbox

    without_pdfs(workspace.root)
    path = workspace.write("inbox/late.yaml", complaint("张先生", at="2026-11-28T09:00:00+08:00"))
    app = App.open(workspace.root)

    def writer_goes_on(changed):
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(REST)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(workspace.root / "outbox" / "rejected" / "late.yaml"))

    app.engine.on_commit = writer_goes_on
    monkeypatch.setattr(inbox, "set_aside", read_only)
    report = app.process(NOW)
    assert [r.status for r in report.results] == ["stored"]
    assert report.faults == ["late.yaml 登记后又被改动，无法移到 outbox/rejected（outbox/rejected 文件夹所在的磁盘是只读的，"
                             "无法写入：请检查 U 盘或网络盘是否写保护、是否已断开），已改名为 late.yaml.登记后又改动.bak "
                             "留在 inbox 中，请核对"]
    monkeypatch.undo()
    result = workspace.cli("process")
    assert "late.yaml" not in result.out  # the renamed file is not read again: one complaint, one record
    assert sorted(stored(workspace)) == ["TS-YG-202611-0001"]
    assert (workspace.root / "inbox" / "late.yaml.登记后又改动.bak").read_text("utf-8").endswith(REST)


def test_after_a_crash_a_file_its_writer_went_on_with_is_set_aside_and_a_new_one_stored(workspace):
    import hashlib
    import json

    without_pdfs(workspace.root)
    digests = {}
    for name, who in (("cont.yaml", "张先生"), ("new.yaml", "李女士")):
        digests[name] = hashlib.sha256(workspace.write(f"inbox/{name}", complaint(who, at="2026-11-28T09:00:00+08:00"))
                                       .read_bytes()).hexdigest()
    assert workspace.cli("process").code == 0
    (first,) = [p.read_text("utf-8") for p in (workspace.root / "data/archive/2026/11").glob("*-cont.yaml")]
    # As a kill between the commit and the clean-up leaves it, with a file under each journalled name:
    # cont.yaml its stored content and more (the writer went on), new.yaml a different file altogether.
    (workspace.root / "data" / "journal.json").write_text(
        json.dumps([{"name": n, "hash": h} for n, h in digests.items()]), "utf-8")
    workspace.write("inbox/cont.yaml", first + REST)
    workspace.write("inbox/new.yaml", complaint("王先生", at="2026-11-28T09:20:00+08:00"))
    result = workspace.cli("process")
    assert result.code == 0, result.out
    assert "✓ new.yaml → TS-YG-202611-0003" in result.out
    (kept,) = (workspace.root / "outbox/rejected").glob("*-cont.yaml")
    assert kept.read_text("utf-8") == first + REST
    assert "读取时的内容已登记为 TS-YG-202611-0001" in kept.with_name(kept.name + ".说明.txt").read_text("utf-8")
    assert sorted(stored(workspace)) == ["TS-YG-202611-0001", "TS-YG-202611-0002", "TS-YG-202611-0003"]
