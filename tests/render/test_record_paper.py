"""Records on paper complete and right (issue 17): the records a record came from and made, the callback's due
date, who made a follow-up record, no doubled marks, the director's box of a major complaint, the service
agreement's terms, fee and both parties' boxes, the materials' total — each through the real pipeline (inbox,
`process`, outbox PDFs) and read back with pdftotext."""

from __future__ import annotations

import json

from ..conftest import REPO, without_pdfs
from .test_pdf import pdftotext

REPAIR, CALLBACK = "WX-YG-202611-0001", "HF-YG-202611-0001"
NEW_REPAIR = """
form: repair
by: 李娜
at: 2026-11-20T09:00:00+08:00
data:
  reported_at: "2026-11-20 09:00"
  channel: 电话
  area: 户内
  reporter: 何丽萍
  unit: 6-2-0901
  phone: "13711458096"
  location: 主卫洗手盆下方
  category: 给排水
  description: 洗手盆下方漏水。
  urgency: 一般
  clerk: 李娜
"""
MATERIALS = [{"mat_name": "角阀", "mat_unit": "个", "mat_price": "35", "mat_qty": "2"},
             {"mat_name": "生料带", "mat_unit": "卷", "mat_price": "2.5", "mat_qty": "1"}]


def action(record: str, name: str, by: str, at: str, note: str = "", **data) -> str:
    return json.dumps({"record": record, "action": name, "by": by, "at": at, "note": note, "data": data},
                      ensure_ascii=False)


class Office:
    """Files dropped in the inbox, a pass, the PDFs the pass printed."""

    def __init__(self, workspace):
        self.ws = workspace
        self.files = 0

    def submit(self, *texts: str, now: str) -> None:
        for text in texts:
            self.files += 1
            self.ws.write(f"inbox/{self.files:03d}.{'json' if text.startswith('{') else 'yaml'}", text)
        result = self.ws.cli("process", "--now", now)
        assert result.code == 0, result.out

    def pdf(self, form: str, number: str, tmp_path) -> str:
        text = pdftotext((self.ws.root / "outbox" / "records" / form / f"{number}.pdf").read_bytes(), tmp_path)
        return "".join(text.split())  # pdftotext breaks lines where table cells wrap: compared without spaces

    def completed_repair(self, by: str = "刘强", **data) -> None:
        """A repair order dispatched to 张伟, worked on, and completed by ``by``: its callback is made."""
        self.submit(NEW_REPAIR, now="2026-11-20T09:00+08:00")
        self.submit(action(REPAIR, "dispatch", "李娜", "2026-11-20T09:10:00+08:00", assignee="张伟", team="工程维修部"),
                    action(REPAIR, "arrive", "张伟", "2026-11-20T09:40:00+08:00"),
                    action(REPAIR, "start_work", "张伟", "2026-11-20T09:40:00+08:00"), now="2026-11-20T09:40+08:00")
        self.submit(action(REPAIR, "complete", by, "2026-11-20T16:30:00+08:00", note="已完工。",
                           **{"work_done": "更换角阀。", "completed_at": "2026-11-20 16:00", **data}),
                    now="2026-11-20T16:30+08:00")


def office(workspace) -> Office:
    without_pdfs(workspace.root, todo_pdfs="[]")
    settings = workspace.root / "formflow.yaml"  # record PDFs on, to-do PDFs off: only the records are read here
    settings.write_text(settings.read_text("utf-8").replace("record_pdfs: false", "record_pdfs: true"), "utf-8")
    return Office(workspace)


def test_a_repair_and_its_callback_name_each_other_and_the_repair_is_printed_again_when_the_callback_moves(
        workspace, tmp_path):
    desk = office(workspace)
    desk.completed_repair()
    repair = desk.pdf("repair", REPAIR, tmp_path)
    assert f"关联记录生成：{CALLBACK}回访记录（待回访）" in repair
    callback = desk.pdf("callback", CALLBACK, tmp_path)
    assert f"关联记录来源：{REPAIR}维修派工单（待确认）" in callback
    # The callback alone changes state (voided by the supervisor): the repair order is printed again.
    desk.submit(action(CALLBACK, "void", "赵敏", "2026-11-21T09:00:00+08:00", note="重复登记"),
                now="2026-11-21T09:00+08:00")
    assert f"关联记录生成：{CALLBACK}回访记录（作废）" in desk.pdf("repair", REPAIR, tmp_path)


def test_the_callback_prints_its_computed_due_date_and_who_made_it(workspace, tmp_path):
    desk = office(workspace)
    desk.completed_repair(by="刘强")  # the department head clicks 完工; 张伟 is the repairer, 李娜 took the call
    callback = desk.pdf("callback", CALLBACK, tmp_path)
    assert "应回访日期2026-11-22" in callback  # completed 11-20 16:00, 其他维修 2 天 (workflows/callback.yaml)
    assert "登记人刘强（部门主管）" in callback
    assert f"2026-11-2016:30刘强（部门主管）登记待回访备注：由{REPAIR}生成" in callback
    assert "张伟" not in callback
    assert "回访人李娜" in callback  # the repair's 接待人 calls back (copied, as the workflow says)


def test_a_due_date_someone_wrote_is_kept(workspace, tmp_path):
    desk = office(workspace)
    desk.completed_repair()
    desk.submit(action(CALLBACK, "correct", "赵敏", "2026-11-20T17:00:00+08:00", note="住户要求周一回访",
                       due_date="2026-11-23"), now="2026-11-20T17:00+08:00")
    assert "应回访日期2026-11-23" in desk.pdf("callback", CALLBACK, tmp_path)


def test_no_doubled_marks_in_the_history(workspace, tmp_path):
    desk = office(workspace)
    desk.completed_repair()
    repair = desk.pdf("repair", REPAIR, tmp_path)
    assert "维修内容：更换角阀；完工时间：2026-11-2016:00备注：已完工。" in repair
    for doubled in ("。；", "；；", "。。"):
        assert doubled not in repair


def test_the_materials_table_prints_line_totals_and_a_total_row(workspace, tmp_path):
    desk = office(workspace)
    desk.completed_repair(materials=MATERIALS)
    repair = desk.pdf("repair", REPAIR, tmp_path)
    assert "1角阀个35.00元2.0070.00元2生料带卷2.50元1.002.50元合计72.50元" in repair
    assert "合计（人民币大写）：柒拾贰元伍角" in repair


def complaint(severity: str) -> str:
    text = (REPO / "examples" / "complaint" / "valid.yaml").read_text("utf-8")
    return text.replace("severity: 轻微", f"severity: {severity}").replace("resident_deadline:", "# resident_deadline:")


def test_a_major_complaint_prints_the_directors_box(workspace, tmp_path):
    desk = office(workspace)
    desk.submit(complaint("重大"), complaint("重要"), now="2026-11-28T10:00+08:00")
    major, other = (desk.pdf("complaint", f"TS-YG-202611-000{n}", tmp_path) for n in (1, 2))
    assert "管理处主任批示签名：日期：年月日" in major
    assert "仅当" not in major  # on a record the box is there because it applies
    assert "主任批示" not in other
    blank = workspace.cli("blank", "complaint")
    assert blank.code == 0, blank.err
    text = "".join(pdftotext((workspace.root / "outbox/blank/complaint.pdf").read_bytes(), tmp_path).split())
    assert "管理处主任批示※仅当「投诉级别」为“重大”时填写签名：" in text


def test_the_service_agreement_prints_its_terms_the_fee_in_capitals_and_both_parties_boxes(workspace, tmp_path):
    desk = office(workspace)
    desk.submit((REPO / "examples" / "service" / "valid.yaml").read_text("utf-8"), now="2026-11-28T10:00+08:00")
    agreement = desk.pdf("service", "FW-YG-202611-0001", tmp_path)
    assert "约定费用770.90元（柒佰柒拾元玖角）" in agreement
    assert "协议条款约定事项甲方为本管理处（服务方），乙方为委托人（业主或住户）。" in agreement
    assert "三、服务完毕，由乙方按「约定效果」当场验收；" in agreement
    assert "八、本协议一式两份，甲、乙双方各执一份，自双方签字（盖章）之日起生效。" in agreement
    # Both parties sign, date and seal, right under the terms (before the service is dispatched).
    terms_end = agreement.index("之日起生效。")
    for party in ("甲方（管理处）经办人签字（盖章）", "乙方（委托人）签字（盖章）"):
        assert terms_end < agreement.index(party) < agreement.index("派工与服务")
    assert agreement[terms_end:agreement.index("派工与服务")].count("日期：") == 2
    assert "关联记录—" in agreement
