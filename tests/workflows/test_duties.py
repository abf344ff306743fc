"""Recurring duties of the work manual (duties.yaml) on a fixed clock, through the real pipeline.

    回访记录每月末汇总、统计、分析，报管理处主任      monthly, by month end (23:59 of the last day)
    宣传栏每两周更换                                every two weeks, periods from Monday 2025-01-06
    每年发放《业主意见征询表》……报管理处主任        yearly, by 12-31

A duty is done by dropping ``{duty: <key>, by: <name>}`` into inbox/. An undone duty of the
previous period stays on the list as overdue next to the new period's one.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml

from ..conftest import REPO

SUMMARY_TASK = "汇总本月回访记录，统计分析，经主管审核后报管理处主任"


class Office:
    def __init__(self, workspace):
        self.ws = workspace
        self.dropped = 0

    def done(self, duty: str, by: str, at: str | None = None, *, now: str, ok: bool = True) -> str:
        self.dropped += 1
        doc = {"duty": duty, "by": by, **({"at": at} if at else {})}
        self.ws.write(f"inbox/duty-{self.dropped:03d}.yaml", yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        result = self.ws.cli("process", "--now", now)
        assert (result.code == 0) == ok, result.out
        return result.out

    def duties(self, now: str, key: str) -> list[tuple[str, str, str]]:
        """(record, status, due) of the to-do tasks of duty ``key`` at ``now``, in list order."""
        result = self.ws.cli("todo", "--format", "json", "--now", now)
        assert result.code == 0, result.err
        return [(t["record"], t["status"], t["due"]) for t in json.loads(result.out) if t["clock"] == key]

    def task(self, now: str, record: str) -> dict:
        tasks = json.loads(self.ws.cli("todo", "--format", "json", "--now", now).out)
        return next(t for t in tasks if t["record"] == record)


@pytest.fixture
def office(workspace) -> Office:
    assert (workspace.root / "duties.yaml").read_bytes() == (REPO / "duties.yaml").read_bytes()  # init copied it
    assert workspace.cli("check").code == 0
    return Office(workspace)


def test_init_copies_the_duties(workspace):
    assert (workspace.root / "duties.yaml").is_file()
    assert set(workspace.load().duties) == {"bulletin_board", "callback_summary", "opinion_survey"}


def test_shipped_duties(defs):
    assert {k: (d.every, d.due, d.who) for k, d in defs.duties.items()} == {
        "bulletin_board": ("2weeks", "end", ("clerk",)),
        "callback_summary": ("month", "end", ("supervisor",)),
        "opinion_survey": ("year", "end", ("supervisor",)),
    }


# ---- monthly callback summary, by month end -----------------------------------------------------


def test_monthly_summary_rolls_over_month_end(office):
    out = office.done("callback_summary", "赵敏", "2026-10-31T16:00:00+08:00", now="2026-10-31T16:00+08:00")
    assert out.splitlines()[0] == "✓ duty-001.yaml → callback_summary@2026-10-01（2026年10月，2026-10-31 完成）"

    november = ("callback_summary@2026-11-01",)
    assert office.duties("2026-11-28T10:00+08:00", "callback_summary") == [
        (*november, "upcoming", "2026-11-30T23:59:00+08:00")]
    assert office.duties("2026-11-28T23:59+08:00", "callback_summary") == [  # two days before: due soon
        (*november, "due_soon", "2026-11-30T23:59:00+08:00")]
    task = office.task("2026-11-30T23:00+08:00", "callback_summary@2026-11-01")
    assert (task["status"], task["due"], task["who"], task["task"]) == (
        "due_soon", "2026-11-30T23:59:00+08:00", ["supervisor"], SUMMARY_TASK)
    assert task["explanation"] == ["周期 2026-11-01 至 2026-11-30", "期限：2026-11-30 23:59 (+08:00)"]

    # Past midnight: November's summary is overdue and December's appears.
    assert office.duties("2026-12-01T00:30+08:00", "callback_summary") == [
        ("callback_summary@2026-11-01", "overdue", "2026-11-30T23:59:00+08:00"),
        ("callback_summary@2026-12-01", "upcoming", "2026-12-31T23:59:00+08:00")]
    text = office.ws.cli("todo", "--now", "2026-12-01T00:30+08:00").out.splitlines()
    assert text[0].startswith("【逾期】")
    assert f"  2026-11-30 23:59  月度回访汇总分析（2026-11-01 起）  {SUMMARY_TASK}  〔客服中心主管〕" in text

    # Done late, on 12-01 (no `at`: when the file is processed): that is November's summary, and says so.
    assert office.done("callback_summary", "赵敏", now="2026-12-01T09:00+08:00").splitlines()[0] == \
        "✓ duty-002.yaml → callback_summary@2026-11-01（2026年11月，2026-12-01 完成）"
    assert office.duties("2026-12-01T10:00+08:00", "callback_summary") == [
        ("callback_summary@2026-12-01", "upcoming", "2026-12-31T23:59:00+08:00")]
    # ... and December's still has to be done by 12-31.
    assert office.duties("2026-12-31T20:00+08:00", "callback_summary") == [
        ("callback_summary@2026-12-01", "due_soon", "2026-12-31T23:59:00+08:00")]
    assert office.duties("2027-01-01T00:00+08:00", "callback_summary")[0] == (
        "callback_summary@2026-12-01", "overdue", "2026-12-31T23:59:00+08:00")


def test_monthly_summary_done_in_time(office):
    office.done("callback_summary", "赵敏", "2026-10-30T10:00:00+08:00", now="2026-10-30T10:00+08:00")
    office.done("callback_summary", "赵敏", "2026-11-30T20:00:00+08:00", now="2026-11-30T20:00+08:00")
    assert office.duties("2026-11-30T23:00+08:00", "callback_summary") == []
    assert office.duties("2026-12-01T00:30+08:00", "callback_summary") == [
        ("callback_summary@2026-12-01", "upcoming", "2026-12-31T23:59:00+08:00")]


def test_february_ends_on_the_28th_or_29th(office):
    office.done("callback_summary", "赵敏", "2027-01-31T10:00:00+08:00", now="2027-01-31T10:00+08:00")
    assert office.duties("2027-02-10T10:00+08:00", "callback_summary") == [
        ("callback_summary@2027-02-01", "upcoming", "2027-02-28T23:59:00+08:00")]


# ---- bulletin board every two weeks -------------------------------------------------------------


def test_bulletin_board_every_two_weeks(office):
    anchor, period = dt.date(2025, 1, 6), dt.date(2026, 11, 23)
    assert anchor.isoweekday() == 1 and (period - anchor).days % 14 == 0 and period <= dt.date(2026, 11, 28)
    assert period + dt.timedelta(days=14) > dt.date(2026, 11, 28)

    # In use since 11-01, nothing done yet: the previous fortnight (11-09 .. 11-22) is overdue, this one
    # (11-23 .. 12-06) open.
    assert office.ws.cli("process", "--now", "2026-11-01T09:00+08:00").code == 0
    assert office.duties("2026-11-28T10:00+08:00", "bulletin_board") == [
        ("bulletin_board@2026-11-09", "overdue", "2026-11-22T23:59:00+08:00"),
        ("bulletin_board@2026-11-23", "upcoming", "2026-12-06T23:59:00+08:00")]
    task = office.task("2026-11-28T10:00+08:00", "bulletin_board@2026-11-23")
    assert (task["who"], task["task"], task["explanation"]) == (
        ["clerk"], "更换宣传栏内容（每两周）", ["周期 2026-11-23 至 2026-12-06", "期限：2026-12-06 23:59 (+08:00)"])

    office.done("bulletin_board", "李娜", "2026-11-28T10:30:00+08:00", now="2026-11-28T10:30+08:00")  # late
    assert office.duties("2026-11-28T11:00+08:00", "bulletin_board") == [
        ("bulletin_board@2026-11-23", "upcoming", "2026-12-06T23:59:00+08:00")]
    office.done("bulletin_board", "王芳", "2026-12-05T09:00:00+08:00", now="2026-12-05T09:00+08:00")
    assert office.duties("2026-12-05T10:00+08:00", "bulletin_board") == []
    assert office.duties("2026-12-07T00:30+08:00", "bulletin_board") == [
        ("bulletin_board@2026-12-07", "upcoming", "2026-12-20T23:59:00+08:00")]
    assert office.duties("2026-12-19T08:00+08:00", "bulletin_board") == [
        ("bulletin_board@2026-12-07", "due_soon", "2026-12-20T23:59:00+08:00")]


# ---- yearly opinion survey ----------------------------------------------------------------------


def test_yearly_opinion_survey(office):
    office.done("opinion_survey", "赵敏", "2025-12-20T10:00:00+08:00", now="2025-12-20T10:00+08:00")
    assert office.duties("2026-11-28T10:00+08:00", "opinion_survey") == [
        ("opinion_survey@2026-01-01", "upcoming", "2026-12-31T23:59:00+08:00")]
    assert office.duties("2026-12-30T10:00+08:00", "opinion_survey") == [
        ("opinion_survey@2026-01-01", "due_soon", "2026-12-31T23:59:00+08:00")]
    assert office.duties("2027-01-01T08:00+08:00", "opinion_survey") == [
        ("opinion_survey@2026-01-01", "overdue", "2026-12-31T23:59:00+08:00"),
        ("opinion_survey@2027-01-01", "upcoming", "2027-12-31T23:59:00+08:00")]
    office.done("opinion_survey", "赵敏", "2026-12-15T10:00:00+08:00", now="2027-01-01T09:00+08:00")
    assert office.duties("2027-01-01T10:00+08:00", "opinion_survey") == [
        ("opinion_survey@2027-01-01", "upcoming", "2027-12-31T23:59:00+08:00")]


# ---- what a done duty is reported as -------------------------------------------------------------


def test_a_done_duty_names_the_period_it_closed(office):
    """The line of a done duty names the period it counts for (the to-do task it removes), then the day."""
    assert office.ws.cli("process", "--now", "2026-11-01T09:00+08:00").code == 0
    # Late for the fortnight 11-09 .. 11-22 (the overdue one), then in time for 11-23 .. 12-06.
    out = office.done("bulletin_board", "李娜", "2026-11-28T10:30:00+08:00", now="2026-11-28T10:30+08:00")
    assert out.splitlines()[0] == "✓ duty-001.yaml → bulletin_board@2026-11-09（2026-11-09 至 2026-11-22，2026-11-28 完成）"
    out = office.done("bulletin_board", "王芳", "2026-12-05T09:00:00+08:00", now="2026-12-05T09:00+08:00")
    assert out.splitlines()[0] == "✓ duty-002.yaml → bulletin_board@2026-11-23（2026-11-23 至 2026-12-06，2026-12-05 完成）"
    # The 2026 survey handed in on 2 January: the overdue 2026 one, not 2027's.
    out = office.done("opinion_survey", "赵敏", "2027-01-02T10:00:00+08:00", now="2027-01-02T10:00+08:00")
    assert out.splitlines()[0] == "✓ duty-003.yaml → opinion_survey@2026-01-01（2026年度，2027-01-02 完成）"
    assert office.duties("2027-01-02T11:00+08:00", "opinion_survey") == [
        ("opinion_survey@2027-01-01", "upcoming", "2027-12-31T23:59:00+08:00")]
    # Done in the office's time zone: 18:00 UTC on 30 November is 02:00 on 1 December in Shanghai.
    out = office.done("callback_summary", "赵敏", "2026-11-30T18:00:00+00:00", now="2026-12-01T09:00+08:00")
    assert out.splitlines()[0] == "✓ duty-004.yaml → callback_summary@2026-11-01（2026年11月，2026-12-01 完成）"


# ---- bad duty files -----------------------------------------------------------------------------


def test_unknown_duty_or_person_is_set_aside(office):
    out = office.done("bulletin", "李娜", now="2026-11-28T10:00+08:00", ok=False)
    assert "    - 「周期性工作」（第 1 行）：没有周期性工作“bulletin”，可用：bulletin_board, callback_summary, opinion_survey" \
        in out.splitlines()
    out = office.done("bulletin_board", "路人甲", now="2026-11-28T10:01+08:00", ok=False)
    assert any(line.startswith("    - 「经办人」（第 2 行）：“路人甲”不在人员名册中（名册：李娜、") for line in out.splitlines())
    # Neither counted: the fortnight is still open.
    assert ("bulletin_board@2026-11-23", "upcoming", "2026-12-06T23:59:00+08:00") in \
        office.duties("2026-11-28T11:00+08:00", "bulletin_board")


# ---- a new workspace does not start with old periods overdue ---------------------------------------


def test_a_new_workspace_is_not_asked_for_periods_before_its_first_day(office):
    """First pass on 2026-11-28: last year's survey and last fortnight's bulletin board are not overdue."""
    assert office.ws.cli("process", "--now", "2026-11-28T10:00+08:00").code == 0
    now = "2026-11-28T10:00+08:00"
    assert office.duties(now, "opinion_survey") == [
        ("opinion_survey@2026-01-01", "upcoming", "2026-12-31T23:59:00+08:00")]
    assert [status for _, status, _ in office.duties(now, "bulletin_board")] == ["upcoming"]
    # Later, the periods that ran while the office used formflow are asked for as usual.
    assert office.duties("2027-01-02T10:00+08:00", "opinion_survey") == [
        ("opinion_survey@2026-01-01", "overdue", "2026-12-31T23:59:00+08:00"),
        ("opinion_survey@2027-01-01", "upcoming", "2027-12-31T23:59:00+08:00")]


def test_a_workspace_in_use_since_last_year_is_asked_for_last_year_s_survey(office):
    office.done("callback_summary", "赵敏", "2025-06-30T16:00:00+08:00", now="2025-06-30T16:00+08:00")
    assert office.duties("2026-11-28T10:00+08:00", "opinion_survey") == [
        ("opinion_survey@2025-01-01", "overdue", "2025-12-31T23:59:00+08:00"),
        ("opinion_survey@2026-01-01", "upcoming", "2026-12-31T23:59:00+08:00")]
    # Rebuilt from the archive, the workspace keeps its first day.
    assert office.ws.cli("rebuild").code == 0
    assert [t[0] for t in office.duties("2026-11-28T10:00+08:00", "opinion_survey")] == [
        "opinion_survey@2025-01-01", "opinion_survey@2026-01-01"]


def test_only_the_duty_s_roles_can_mark_it_done(office):
    """The monthly summary is the supervisor's (客服中心主管): a clerk's file is set aside, as for actions."""
    out = office.done("callback_summary", "李娜", "2026-11-30T16:00:00+08:00", now="2026-11-30T16:00+08:00", ok=False)
    assert "“李娜”没有权限完成「月度回访汇总分析」，需要角色：客服中心主管" in out, out
    assert [s for _, s, _ in office.duties("2026-11-30T17:00+08:00", "callback_summary")] == ["due_soon"]


def test_a_store_from_before_the_first_day_was_noted_uses_its_first_submission(office):
    office.done("callback_summary", "赵敏", "2025-06-30T16:00:00+08:00", now="2025-06-30T16:00+08:00")
    meta = office.ws.root / "data" / "db" / "meta.json"
    doc = json.loads(meta.read_text("utf-8"))
    assert doc["_default"]["1"].pop("since") == "2025-06-30"
    meta.write_text(json.dumps(doc, ensure_ascii=False), "utf-8")  # as an earlier version left it
    assert [t[:2] for t in office.duties("2026-11-28T10:00+08:00", "opinion_survey")] == [
        ("opinion_survey@2025-01-01", "overdue"), ("opinion_survey@2026-01-01", "upcoming")]
