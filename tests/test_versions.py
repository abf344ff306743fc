"""Versions kept and shown: a record prints under the form version it was made under, ``rebuild`` keeps
every record's versions, and ``check`` warns of a form or workflow changed without its version raised."""

from __future__ import annotations

import json
import subprocess

from formflow.adapters import keptforms
from formflow.adapters.store import Store
from formflow.app import App, dump
from formflow.render.context import record_context

from .conftest import CALENDAR_WARNING, NOW, without_pdfs
from .test_pipeline import complaint, stored
from .test_rebuild import edit

AT = "2026-11-27T09:00:00+08:00"
#: Version 2 of the complaint form: the phone field and the first section renamed, an option renamed.
PHONE_V1 = "{name: phone, label: 联系电话,"
PHONE_V2 = "{name: phone, label: 住户手机,"


def pdf_lines(ws, number: str) -> list[str]:
    pdf = ws.root / "outbox" / "records" / "complaint" / f"{number}.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(line.split()) for line in text.splitlines()]


def form_v2(ws) -> None:
    edit(ws, "forms/complaint.yaml", "version: 1\n", "version: 2\n")
    edit(ws, "forms/complaint.yaml", PHONE_V1, PHONE_V2)
    edit(ws, "forms/complaint.yaml", "  - title: 投诉登记\n", "  - title: 来电来访登记\n")
    edit(ws, "forms/complaint.yaml", "label: 重要投诉（管理、服务工作失误）}", "label: 二级投诉（管理、服务工作失误）}")


def process(ws, *files: tuple[str, str]) -> list[str]:
    """Drop ``files`` (name, text) into the inbox, run one pass; the numbers given."""
    for name, text in files:
        ws.write(f"inbox/{name}", text)
    result = ws.cli("process", "--now", NOW.isoformat())
    assert result.code == 0, result.out
    return [line.split("→ ")[1] for line in result.out.splitlines() if "→ " in line]


def assign(number: str) -> tuple[str, str]:
    return f"act-{number}.yaml", f"record: {number}\naction: assign\nby: 李娜\ndata: {{routed_to: 环境部}}\n"


def test_a_record_prints_with_the_labels_options_and_sections_of_the_form_version_it_was_made_under(workspace):
    [old] = process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    form_v2(workspace)
    [new] = process(workspace, ("b.yaml", complaint("李女士", at=AT)))
    process(workspace, assign(old))  # printed again, under today's version 2
    lines = pdf_lines(workspace, old)
    assert "表单 投诉处理记录 · 第 1 版" in lines  # no note: printed as it was made
    assert "投诉登记" in lines and "来电来访登记" not in lines
    assert "联系电话 13812345678 发生地点" in lines
    assert "投诉类别 工程维修 投诉级别 重要投诉（管理、服务工作失误）" in lines
    assert not any("住户手机" in line or "二级投诉" in line for line in lines)
    lines = pdf_lines(workspace, new)
    assert "表单 投诉处理记录 · 第 2 版" in lines
    assert "来电来访登记" in lines and "住户手机 13812345678 发生地点" in lines
    assert "投诉类别 工程维修 投诉级别 二级投诉（管理、服务工作失误）" in lines


def test_a_record_whose_form_version_is_no_longer_kept_prints_with_todays_form_and_says_so(workspace):
    without_pdfs(workspace.root)
    [old] = process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    form_v2(workspace)
    app = App.open(workspace.root)
    record = app.record(old)
    made = keptforms.form_made_under(app.defs, record, NOW)
    assert (made.version, made.fields["phone"].label) == (1, "联系电话")
    assert keptforms.form_made_under(app.defs, record, NOW) is made  # loaded once
    context = record_context(app.defs, record, NOW, made=made)
    assert (context["form"]["version"], context["form"]["version_note"]) == (1, "")
    assert [s["title"] for s in context["sections"]][:1] == ["投诉登记"]
    # Every kept copy gone (a workspace from before versions were kept): today's form, with the note.
    for kept in (workspace.root / "data").glob("**/definitions/*.json"):
        kept.unlink()
    keptforms._made_under.clear()
    assert keptforms.form_made_under(app.defs, record, NOW) is None
    context = record_context(app.defs, record, NOW, made=None)
    assert (context["form"]["version"], context["form"]["version_note"]) == (1, "（按现行第 2 版表单打印）")
    assert [s["title"] for s in context["sections"]][:1] == ["来电来访登记"]


def test_a_field_added_since_and_filled_in_later_prints_after_the_older_versions_sections(workspace):
    without_pdfs(workspace.root)
    [old] = process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    form_v2(workspace)
    edit(workspace, "forms/complaint.yaml", "      - {name: unit, label: 房号,",
         "      - {name: id_last4, label: 证件后四位, type: text}\n      - {name: unit, label: 房号,")
    assert workspace.cli("act", old, "correct", "--by", "赵敏", "--set", "id_last4=1234", "--note", "补记证件号后四位",
                         "--at", "2026-11-27T10:00:00+08:00").code == 0
    process(workspace)
    app = App.open(workspace.root)
    record = app.record(old)
    context = record_context(app.defs, record, NOW, made=keptforms.form_made_under(app.defs, record, NOW))
    titles = [s["title"] for s in context["sections"]]
    assert titles[0] == "投诉登记" and titles[-1] == "来电来访登记"
    cells = [c for block in context["sections"][-1]["blocks"] for row in block.get("rows", []) for c in row]
    assert [(c["label"], c["value"]) for c in cells] == [("证件后四位", "1234")]
    assert context["history"][-1]["change"] == "证件后四位：（空） → 1234"


def test_the_kept_version_a_record_was_created_under_wins_over_others_of_the_same_form_version(workspace):
    without_pdfs(workspace.root)
    [first] = process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    # Changed without the version raised (check warns of it): two kept versions say "version 1".
    edit(workspace, "forms/complaint.yaml", PHONE_V1, "{name: phone, label: 电话号码,")
    [second] = process(workspace, ("b.yaml", complaint("李女士", at=AT)))
    edit(workspace, "forms/complaint.yaml", "version: 1\n", "version: 2\n")
    app = App.open(workspace.root)
    labels = [keptforms.form_made_under(app.defs, app.record(n), NOW).fields["phone"].label for n in (first, second)]
    assert labels == ["联系电话", "电话号码"]


def test_rebuild_keeps_every_records_form_and_workflow_version(workspace):
    without_pdfs(workspace.root)
    old = process(workspace, ("a.yaml", complaint("张先生", at=AT)), ("b.yaml", complaint("王先生", at=AT)))
    process(workspace, assign(old[0]))
    form_v2(workspace)
    edit(workspace, "workflows/complaint.yaml", "version: 1\n", "version: 2\n")
    edit(workspace, "workflows/complaint.yaml", "registered: {label: 已登记, initial: true}",
         "registered: {label: 已受理, initial: true}")
    new = process(workspace, ("c.yaml", complaint("李女士", at=AT)))
    process(workspace, assign(old[1]), assign(new[0]))  # actions under version 2 on records of both versions
    before = dump(Store(workspace.root / "data" / "db"))
    versions = {n: (r.form_version, r.workflow_version) for n, r in stored(workspace).items()}
    assert versions == {old[0]: (1, 1), old[1]: (1, 1), new[0]: (2, 2)}
    result = workspace.cli("rebuild")
    assert result.code == 0, result.err
    assert "按 2 个定义版本重放" in result.out
    assert {n: (r.form_version, r.workflow_version) for n, r in stored(workspace).items()} == versions
    assert dump(Store(workspace.root / "data" / "db")) == before


def test_records_of_files_archived_without_their_definitions_keep_their_versions_through_a_rebuild(workspace):
    without_pdfs(workspace.root)
    old = process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    # Archived by a formflow that kept no definitions: replayed under today's, version 2.
    for meta_path in (workspace.root / "data/archive").glob("*/*/*.meta.json"):
        meta = json.loads(meta_path.read_text("utf-8"))
        del meta["definitions"]
        meta_path.write_text(json.dumps(meta, ensure_ascii=False), "utf-8")
    form_v2(workspace)
    new = process(workspace, ("b.yaml", complaint("李女士", at=AT)))
    process(workspace, assign(old[0]))
    before = dump(Store(workspace.root / "data" / "db"))
    result = workspace.cli("rebuild")
    assert result.code == 0, result.err
    assert {n: r.form_version for n, r in stored(workspace).items()} == {old[0]: 1, new[0]: 2}
    assert dump(Store(workspace.root / "data" / "db")) == before


def unraised(kind: str, line: int, count: int, what: str = "form", words: str = "表单") -> list[str]:
    return [f"{kind}/complaint.yaml:{line}:1: 警告 warning: version: {words}已修改但版本号仍为 1，已有 {count} 条记录按第 1 版登记 "
            f"the {what} changed since records were made under version 1 but its version was not raised",
            "    修改建议 fix: 把 version 改为 2，并在 change_note 写明改了什么 raise version to 2 and say what changed "
            "in change_note"]


def test_check_warns_of_a_form_or_workflow_changed_without_its_version_raised(workspace):
    without_pdfs(workspace.root)
    process(workspace, ("a.yaml", complaint("张先生", at=AT)), ("b.yaml", complaint("王先生", at=AT)))
    # Comments, spacing, quoting and the change note are no change.
    edit(workspace, "forms/complaint.yaml", "version: 1\n", "version: 1   # 第一版\n\n")
    edit(workspace, "forms/complaint.yaml", "type: text, resident: name,", "type: 'text',   resident: name,")
    edit(workspace, "forms/complaint.yaml", "change_note: 首版", "change_note: 首版（补充说明）")
    result = workspace.cli("check")
    assert (result.code, result.err.splitlines()) == (0, CALENDAR_WARNING)
    edit(workspace, "forms/complaint.yaml", PHONE_V1, PHONE_V2)
    edit(workspace, "workflows/complaint.yaml", "registered: {label: 已登记, initial: true}",
         "registered: {label: 已受理, initial: true}")
    result = workspace.cli("check")
    assert result.code == 0
    assert result.err.splitlines() == [*CALENDAR_WARNING, *unraised("forms", 7, 2),
                                       *unraised("workflows", 6, 2, "workflow", "流程")]
    assert "3 条警告 warnings" in result.out
    # Raised, as the fix says: nothing to warn of.
    edit(workspace, "forms/complaint.yaml", "version: 1 ", "version: 2 ")
    edit(workspace, "workflows/complaint.yaml", "version: 1\n", "version: 2\n")
    result = workspace.cli("check")
    assert (result.code, result.err.splitlines()) == (0, CALENDAR_WARNING)


def test_the_warning_comes_with_the_errors_of_stored_records(workspace):
    without_pdfs(workspace.root)
    process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    edit(workspace, "forms/complaint.yaml", PHONE_V1, PHONE_V2)
    edit(workspace, "workflows/complaint.yaml", "registered", "logged")
    edit(workspace, "workflows/complaint.yaml", "version: 1\n", "version: 2\n")
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines()[2:] == [
        "workflows/complaint.yaml:9:1: states: 有 1 条记录处于状态 'registered'，但流程中已没有这个状态 "
        "1 stored record(s) are in state 'registered', which the workflow no longer has",
        "    修改建议 fix: 添加 add `renamed_states: {registered: <新状态 new state>}`",
        *unraised("forms", 7, 1), "共 1 处错误，请修改后重新运行 formflow check。"]


def test_the_desks_record_page_shows_the_fields_as_the_form_version_the_record_was_made_under(workspace):
    from formflow.web.app import DeskApp
    from formflow.web.desk import Desk
    from formflow.web.security import Guard
    from formflow.web.submit import Processor

    from .web.conftest import PORT, Client, without_sign_in

    without_pdfs(workspace.root)
    without_sign_in(workspace.root)
    [old] = process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    form_v2(workspace)
    [new] = process(workspace, ("b.yaml", complaint("李女士", at=AT)))
    desk = Desk(workspace.root, defs=workspace.load())
    client = Client(DeskApp(desk, Guard(PORT), Processor(desk))).sign_in()
    page = client.get(f"/records/{old}").body
    shown = page[page.index("<h2>记录内容</h2>"):page.index("<h2>办理经过</h2>")]  # (actions are today's)
    assert "<h3>投诉登记</h3>" in shown and "<dt>联系电话</dt>" in shown
    assert "来电来访登记" not in shown and "住户手机" not in shown
    page = client.get(f"/records/{new}").body
    assert "<h3>来电来访登记</h3>" in page and "<dt>住户手机</dt>" in page


def test_a_shared_choice_list_changed_under_stored_records_is_a_change_of_the_forms_that_use_it(workspace):
    """Renaming an option of choices/common.yaml changes every form that names the list, as surely as its own file."""
    without_pdfs(workspace.root)
    process(workspace, ("a.yaml", complaint("张先生", at=AT)))
    edit(workspace, "choices/common.yaml", "options: [客服中心, 工程维修部, 秩序维护部, 环境部,",
         "options: [客服中心, 工程维修部, 秩序维护部, 环境卫生部,")
    result = workspace.cli("check")
    assert result.err.splitlines() == [*CALENDAR_WARNING, *unraised("forms", 7, 1)]
    edit(workspace, "forms/complaint.yaml", "version: 1\n", "version: 2\n")
    assert workspace.cli("check").err.splitlines() == CALENDAR_WARNING
