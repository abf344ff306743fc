"""``formflow fees round``: a collection round made from an arrears snapshot, one 催缴档案 per unit owing, and
the calls logged on it (workflows/fee_collection.yaml) through the inbox like every action."""

from __future__ import annotations

import json
import re

import yaml
from click.testing import CliRunner

from formflow.cli import cli

from ..conftest import without_pdfs
from .test_import import _own_columns, billing_export

ROUND = "2026年12月催费"


class Desk:
    """Action files dropped into inbox/ and processed at their own time, as the desk's clerk would."""

    def __init__(self, workspace):
        self.ws = workspace
        self.dropped = 0

    def act(self, number: str, action: str, at: str, *, by: str = "王芳", ok: bool = True, **data):
        self.dropped += 1
        doc = {"record": number, "action": action, "by": by, "at": at, "data": data}
        self.ws.write(f"inbox/call-{self.dropped:03d}.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        result = self.ws.cli("process", "--now", at)
        assert ("0 个未登记 set aside" in result.out) == ok, result.out + result.err
        return result

    def tasks(self, number: str, now: str) -> dict[str, tuple]:
        result = self.ws.cli("todo", "--format", "json", "--now", now)
        assert result.code == 0, result.err
        return {t["clock"]: (t["due"], t["status"]) for t in json.loads(result.out) if t["record"] == number}

    def record(self, number: str) -> dict:
        from formflow.app import App
        from formflow.engine.records import replay

        app = App.open(self.ws.root)
        view = replay(app.store.get(number), app.defs.workflows["fee_collection"])
        return {"state": view.state, **view.values}


def _round_ready(workspace):
    without_pdfs(workspace.root)
    _own_columns(workspace)
    path = billing_export(workspace.root / "欠费明细.xlsx")
    assert workspace.cli("fees", "import", str(path), "--yes").code == 0


def made_round(workspace) -> tuple[Desk, dict[str, str]]:
    """The 28 November list imported and the round of :data:`ROUND` made and processed (by 王芳): the desk
    helper and 房号 → record number."""
    _round_ready(workspace)
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    return Desk(workspace), _made(workspace)


def _made(workspace) -> dict[str, str]:
    """房号 → record number of the round's records, after a ``process``."""
    done = workspace.cli("process")
    assert done.code == 0, done.err
    desk = Desk(workspace)
    numbers = re.findall(r"→ (CJ-YG-\d{6}-\d{4})", done.out)
    return {desk.record(n)["unit"]: n for n in numbers}


PREVIEW = [
    "催费批次 round：2026年12月催费（欠费清单 2026-11-28 导入，欠费明细.xlsx）",
    "新建催缴档案 to create：3 户 units，共 2,735.50 元",
    "  按入住状态 by occupancy：已入住 1 户；未入住 1 户；不在房屋清单中 1 户",
]


def test_a_preview_then_nothing_written_without_yes(workspace):
    _round_ready(workspace)
    result = CliRunner().invoke(cli, ["fees", "round", "--name", ROUND, "--by", "王芳"], input="n\n")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:3] == PREVIEW
    assert lines[-1] == "未写入 nothing written"
    assert not list((workspace.root / "inbox").iterdir())


def test_one_record_per_owing_unit_and_a_second_run_skips_them(workspace):
    _round_ready(workspace)
    register = workspace.load().settings.register
    first = workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes")
    assert first.code == 0, first.err
    assert first.out.splitlines()[:3] == PREVIEW
    assert first.out.splitlines()[-1] == "已放入收件箱 written: 3 个文件 files（formflow process 或 watch 处理）"
    # not yet processed: a second run skips the submissions waiting in inbox/
    waiting = workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes")
    assert "跳过 skipped 3 户" in waiting.out and "没有要新建的催缴档案 nothing to create" in waiting.out
    made = _made(workspace)
    assert sorted(made) == ["3-1-402", "3-2-1502", "99-9-909"]
    desk = Desk(workspace)
    huang = desk.record(made["3-2-1502"])
    assert huang["state"] == "pending" and huang["round"] == ROUND and huang["collector"] == "王芳"
    assert (huang["owner"], huang["phone"], huang["occupancy"]) == (
        "黄秀英", "、".join(register["3-2-1502"].phones), "已入住")
    assert huang["amount"] == "1235.50" and huang["snapshot_date"] == "2026-11-28"
    assert [(r["item"], r.get("period"), r["owed"]) for r in huang["items"]] == [
        ("物业费", "2026-01至2026-06", "1200.00"), ("水费", "2026年10月", "35.50")]
    wang = desk.record(made["3-1-402"])   # 未入住: collected alike
    assert (wang["occupancy"], wang["amount"], wang["phone"]) == (
        "未入住", "1000.00", "、".join(register["3-1-402"].phones))
    qian = desk.record(made["99-9-909"])  # not in the register: no phone, no 入住状态
    assert (qian["owner"], qian["amount"], qian.get("phone"), qian.get("occupancy")) == ("钱某", "500.00", None, None)

    again = workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes")
    assert again.code == 0, again.err
    assert again.out.splitlines()[1:] == [
        "新建催缴档案 to create：0 户 units；已有本批次档案，跳过 skipped 3 户",
        "  跳过 skipped：3-2-1502、3-1-402、99-9-909",
        "没有要新建的催缴档案 nothing to create"]
    assert not list((workspace.root / "inbox").glob("*.yaml"))
    other = workspace.cli("fees", "round", "--name", "2027年1月催费", "--by", "王芳", "--yes")
    assert "新建催缴档案 to create：3 户 units" in other.out   # another round: a record each again


def test_calls_counted_promise_reminded_the_day_before_retry_after_no_answer_paid_closes(workspace):
    _round_ready(workspace)
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    made = _made(workspace)
    desk = Desk(workspace)
    number = made["3-2-1502"]
    calls = 0
    assert set(desk.tasks(number, "2026-11-30T08:00+08:00")) == {"first_call"}

    # 催缴次数 is never typed
    desk.act(number, "call_no_answer", "2026-11-30T09:00+08:00", ok=False, outcome="无人接听", attempts=5)
    desk.act(number, "call_no_answer", "2026-11-30T09:05+08:00", outcome="无人接听")
    calls += 1
    rec = desk.record(number)
    assert (rec["state"], rec["attempts"], rec["outcome"]) == ("unreachable", calls, "无人接听")
    # retry two calendar days after the unanswered call
    assert desk.tasks(number, "2026-12-01T08:00+08:00") == {"retry": ("2026-12-02T09:05:00+08:00", "upcoming")}
    assert desk.tasks(number, "2026-12-01T10:00+08:00") == {"retry": ("2026-12-02T09:05:00+08:00", "due_soon")}

    # a wrong number again restarts the retry
    desk.act(number, "call_no_answer", "2026-12-02T09:00+08:00", outcome="号码错误")
    calls += 1
    assert desk.tasks(number, "2026-12-02T10:00+08:00") == {"retry": ("2026-12-04T09:00:00+08:00", "upcoming")}

    # reached: a promise; the reminder is due the day before the promised date (the end of its calling hours)
    desk.act(number, "call_promise", "2026-12-03T10:00+08:00", promised_date="2026-12-10", promised_amount="1235.50",
             reason="经济困难")
    calls += 1
    rec = desk.record(number)
    assert (rec["state"], rec["attempts"], rec["outcome"], rec["promised_date"]) == (
        "promised", calls, "承诺缴费", "2026-12-10")
    assert desk.tasks(number, "2026-12-05T10:00+08:00") == {
        "promise_reminder": ("2026-12-09T20:00:00+08:00", "upcoming")}
    assert desk.tasks(number, "2026-12-09T09:00+08:00")["promise_reminder"][1] == "due_soon"
    desk.act(number, "call_reminded", "2026-12-09T15:00+08:00")
    calls += 1
    assert desk.tasks(number, "2026-12-09T16:00+08:00") == {}
    assert desk.record(number)["attempts"] == calls == 4

    desk.act(number, "paid", "2026-12-10T16:00+08:00", by="郑丽")
    rec = desk.record(number)
    assert (rec["state"], rec["attempts"], rec["outcome"]) == ("paid", 4, "已缴费")
    assert desk.tasks(number, "2026-12-20T10:00+08:00") == {}
    shown = workspace.cli("unit", "3-2-1502", "--now", "2026-12-20T10:00+08:00").out
    assert ("      催费批次：2026年12月催费；欠费合计：1,235.50 元；催缴次数：4 次；最近一次结果：已缴费；"
            "承诺缴费日期：2026-12-10") in shown.splitlines()


def test_a_refusal_or_dispute_keeps_its_reason(workspace):
    _round_ready(workspace)
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    number = _made(workspace)["3-1-402"]
    desk = Desk(workspace)
    # the outcome must fit the action; 对服务不满 needs the words
    desk.act(number, "call_refused", "2026-11-30T09:00+08:00", ok=False, outcome="无人接听", reason="其他",
             reason_text="说过几天再说")
    desk.act(number, "call_refused", "2026-11-30T09:05+08:00", ok=False, outcome="有异议", reason="对服务不满")
    desk.act(number, "call_refused", "2026-11-30T09:10+08:00", outcome="有异议", reason="未入住不愿缴",
             reason_text="业主称房子一直没住，不愿交物业费")
    rec = desk.record(number)
    assert (rec["state"], rec["attempts"], rec["outcome"], rec["reason"]) == ("disputed", 1, "有异议", "未入住不愿缴")
    desk.act(number, "escalate", "2026-11-30T10:00+08:00")
    assert desk.record(number)["state"] == "escalated"
    assert set(desk.tasks(number, "2026-12-01T10:00+08:00")) == {"escalated"}
