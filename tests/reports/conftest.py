"""A workspace filled through the real inbox pipeline with a known month of repairs, callbacks and surveys.

Record PDFs are switched off (as in tests/workflows): the reports under test render their own PDFs.

October 2026 (reported → dispatched → arrived → completed; callback):

=====  ==============================  ========  ===========  ======================================================
repair category (class), urgency        assignee  completed    callback
=====  ==============================  ========  ===========  ======================================================
0001   给排水 (其他), 一般                 张伟       10-05 10:00  HF-0001 10-06 10:00 满意 (due 10-07 10:00: on time)
0002   安全设施 (安全设施), 紧急             张伟       10-10 16:00  HF-0003 10-13 09:00 基本满意 (due 10-12 16:00: late)
0003   渗漏水 (渗漏水), 一般, leak 10-15     孙磊       10-15 11:00  HF-0004 10-16 10:00 不满意, sent back for rework
                                                                  (rework completed 11-03 → HF-YG-202611-0001)
0004   电气照明 (其他), 一般                孙磊       10-20 15:00  HF-0005 10-21 09:00 满意
0005   公共设施, reported 10-25             张伟       —            — (its finish clock is overdue since 10-28 09:00)
0006   其他, reported 10-26                 —          voided       —
0007   门窗五金 (其他), 一般                张伟       10-31 15:00  HF-0006 not done (due 11-02 15:00)
=====  ==============================  ========  ===========  ======================================================

Plus a complaint callback (source 投诉) done 10-09 满意, with no deadline.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import pytest

from formflow.app import App

from ..conftest import without_pdfs

OCT_REPORT = "2026-11-01T09:00:00+08:00"   # the report of October, run on the morning of 1 November


def csv_rows(path) -> list[list[str]]:
    """The rows of a report's CSV, written for Excel/WPS: UTF-8 with a BOM, CRLF line ends."""
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def workspace(workspace):
    without_pdfs(workspace.root)
    return workspace


class Office:
    """Drops files into the inbox and runs ``formflow process`` at the given time."""

    def __init__(self, workspace):
        self.ws = workspace
        self.files = 0

    def drop(self, *docs: dict, now: str) -> str:
        for doc in docs:
            self.files += 1
            self.ws.write(f"inbox/{self.files:04d}.json", json.dumps(doc, ensure_ascii=False))
        result = self.ws.cli("process", "--now", now)
        assert result.code == 0, result.out + result.err
        return result.out

    def repair(self, category: str, reported: str, urgency: str = "一般") -> None:
        self.drop({"form": "repair", "by": "李娜", "at": f"{reported}:00+08:00", "data": {
            "reported_at": reported.replace("T", " "), "channel": "电话", "area": "户内", "reporter": "何丽萍",
            "unit": "6-2-0901", "phone": "13711458096", "location": "厨房", "category": category,
            "description": "报修", "urgency": urgency, "clerk": "李娜"}}, now=f"{reported}:00+08:00")

    @staticmethod
    def act(record: str, action: str, by: str, at: str, **data) -> dict:
        return {"record": record, "action": action, "by": by, "at": f"{at}:00+08:00", "data": data}

    def work(self, record: str, assignee: str, dispatched: str, arrived: str, completed: str, **done) -> None:
        """Dispatch, arrival, start, completion (as a repairer does them)."""
        self.drop(self.act(record, "dispatch", "李娜", dispatched, assignee=assignee, team="工程维修部"),
                  self.act(record, "arrive", assignee, arrived),
                  self.act(record, "start_work", assignee, arrived),
                  self.act(record, "complete", assignee, completed, work_done="已修复", **done),
                  now=f"{completed}:00+08:00")

    def survey(self, at: str, unit: str, overall: str, *, year: int = 2026, comments: str = "", **ratings) -> None:
        data = {"survey_year": year, "unit": unit, "overall": overall, "filled_on": at[:10], "collection": "上门",
                "collector": "李娜", **ratings}
        if comments:
            data["comments"] = comments
        self.drop({"form": "survey", "by": "李娜", "at": f"{at}:00+08:00", "data": data}, now=f"{at}:00+08:00")

    def movein(self, at: str, unit: str) -> None:
        data = {"registered_at": at.replace("T", " "), "unit": unit, "owner_name": "陈志强", "gender": "男",
                "id_type": "身份证", "id_number": "440305198703152315", "phone": "13926817452",
                "emergency_contact": "林晓燕（配偶）", "emergency_phone": "13760239185", "occupant_type": "业主",
                "deed_number": "深房买字（2025）第 NS0317762 号", "clerk": "王芳"}
        self.drop({"form": "movein", "by": "王芳", "at": f"{at}:00+08:00", "data": data}, now=f"{at}:00+08:00")


def wx(n: int) -> str:
    return f"WX-YG-202610-{n:04d}"


def hf(n: int, month: str = "10") -> str:
    return f"HF-YG-2026{month}-{n:04d}"


def october(office: Office) -> None:
    """The month in the module docstring."""
    o = office
    o.repair("给排水", "2026-10-03T09:00")
    o.work(wx(1), "张伟", "2026-10-03T09:10", "2026-10-03T09:40", "2026-10-05T10:00")
    o.drop(o.act(hf(1), "visit", "赵敏", "2026-10-06T10:00", resolved="是", satisfaction="满意"), now="2026-10-06T10:00+08:00")

    o.drop({"form": "callback", "by": "赵敏", "at": "2026-10-08T15:00:00+08:00", "data": {
        "source_form": "投诉", "source_record": "TS-YG-202610-0007", "unit": "3-2-1502", "person": "张先生",
        "phone": "13812345678", "method": "电话", "visitor": "赵敏"}}, now="2026-10-08T15:00+08:00")   # HF-…-0002
    o.drop(o.act(hf(2), "visit", "赵敏", "2026-10-09T10:00", resolved="是", satisfaction="满意"), now="2026-10-09T10:00+08:00")

    o.repair("安全设施(消防/门禁/电梯)", "2026-10-10T08:00", urgency="紧急")
    o.work(wx(2), "张伟", "2026-10-10T08:05", "2026-10-10T08:20", "2026-10-10T16:00")     # HF-…-0003
    o.drop(o.act(hf(3), "visit", "李娜", "2026-10-13T09:00", resolved="是", satisfaction="基本满意"),
           now="2026-10-13T09:00+08:00")

    o.repair("渗漏水", "2026-10-12T09:00")
    o.work(wx(3), "孙磊", "2026-10-12T09:10", "2026-10-12T10:00", "2026-10-15T11:00", leak_test_date="2026-10-15")
    o.drop(o.act(hf(4), "send_back", "赵敏", "2026-10-16T10:00", resolved="否", rework="是", satisfaction="不满意",
                 problem_found="卫生间仍渗水，联系 13912345678"), now="2026-10-16T10:00+08:00")

    o.repair("电气照明", "2026-10-19T09:00")
    o.work(wx(4), "孙磊", "2026-10-19T09:10", "2026-10-19T09:50", "2026-10-20T15:00")      # HF-…-0005
    o.drop(o.act(hf(5), "visit", "李娜", "2026-10-21T09:00", resolved="是", satisfaction="满意"), now="2026-10-21T09:00+08:00")

    o.repair("公共设施", "2026-10-25T09:00")
    o.drop(o.act(wx(5), "dispatch", "李娜", "2026-10-25T09:30", assignee="张伟", team="工程维修部"),
           now="2026-10-25T09:30+08:00")
    o.repair("其他", "2026-10-26T09:00")
    o.drop(o.act(wx(6), "void", "赵敏", "2026-10-26T10:00"), now="2026-10-26T10:00+08:00")

    o.repair("门窗五金", "2026-10-29T09:00")
    o.work(wx(7), "张伟", "2026-10-29T09:10", "2026-10-29T09:40", "2026-10-31T15:00")      # HF-…-0006


def november(office: Office) -> None:
    """The rework of WX-…-0003 completed on 3 November and called back the next day."""
    o = office
    o.drop(o.act(wx(3), "complete", "孙磊", "2026-11-03T11:00", work_done="重做防水",
                 leak_test_date="2026-11-03"), now="2026-11-03T11:00+08:00")
    o.drop(o.act(hf(1, "11"), "visit", "赵敏", "2026-11-04T10:00", resolved="是", satisfaction="满意"),
           now="2026-11-04T10:00+08:00")


@pytest.fixture
def office(workspace) -> Office:
    return Office(workspace)


_BUILT: dict[str, object] = {}


def _filled(office: Office, name: str, build, tmp_path_factory) -> Office:
    """``office`` with the records ``build`` makes, built once per session and copied after that."""
    root = office.ws.root
    if name not in _BUILT:
        build(office)
        cache = tmp_path_factory.mktemp(name) / "ws"
        shutil.copytree(root, cache)
        _BUILT[name] = (cache, office.files)
    else:
        cache, files = _BUILT[name]
        for child in root.iterdir():  # root itself is the current folder: keep it
            shutil.rmtree(child) if child.is_dir() else child.unlink()
        shutil.copytree(cache, root, dirs_exist_ok=True)
        office.files = files
    return office


@pytest.fixture
def october_office(office, tmp_path_factory) -> Office:
    """The October of the module docstring, as of the end of October (the November rework not yet done)."""
    return _filled(office, "october", october, tmp_path_factory)


def survey_year(office: Office) -> None:
    """Five units moved in (a sixth cancelled); four questionnaires of 2026, a duplicate declared invalid, one of 2025.

    ======  ========  ======================================================================================
    unit    overall   ratings (items not listed: blank)
    ======  ========  ======================================================================================
    0101    满意       every item 满意 except 停车管理 不满意; comment 停车位太少
    0102    基本满意    供电 满意, 供水 基本满意, 绿化 满意, 停车管理 不满意
    0201    不满意     供电 满意, 绿化 满意, 停车管理 基本满意, 保洁卫生 不满意; comment with a phone number
    0202    满意       绿化 不满意
    0101    满意       (a second form from 0101: invalidated)
    ======  ========  ======================================================================================
    """
    o = office
    o.survey("2025-12-01T10:00", "5-1-0101", "不满意", year=2025)
    for i, unit in enumerate(("5-1-0101", "5-1-0102", "5-1-0201", "5-1-0202", "5-1-0302", "5-1-0301")):
        o.movein(f"2026-03-0{i + 1}T09:00", unit)
    o.drop(o.act("RZ-YG-202603-0006", "cancel", "赵敏", "2026-03-07T09:00"), now="2026-03-07T09:00+08:00")
    items = ["rate_power", "rate_water", "rate_security", "rate_cleaning", "rate_greening", "rate_facilities",
             "rate_repair", "rate_attitude", "rate_reception", "rate_renovation", "rate_parking", "rate_fees"]
    o.survey("2026-11-20T10:00", "5-1-0101", "满意", comments="停车位太少",
             **{**dict.fromkeys(items, "满意"), "rate_parking": "不满意"})
    o.survey("2026-11-20T11:00", "5-1-0102", "基本满意", rate_power="满意", rate_water="基本满意", rate_greening="满意",
             rate_parking="不满意")
    o.survey("2026-11-21T10:00", "5-1-0201", "不满意", comments="楼道保洁不及时，电话 13812345678",
             rate_power="满意", rate_greening="满意", rate_parking="基本满意", rate_cleaning="不满意")
    o.survey("2026-11-22T10:00", "5-1-0202", "满意", rate_greening="不满意")
    o.survey("2026-11-23T10:00", "5-1-0101", "满意", rate_power="不满意")
    o.drop(o.act("YJ-YG-2026-0005", "invalidate", "赵敏", "2026-11-23T11:00"), now="2026-11-23T11:00+08:00")


@pytest.fixture
def survey_office(office, tmp_path_factory) -> Office:
    return _filled(office, "survey", survey_year, tmp_path_factory)


def stored(office: Office):
    """(definitions, every record) of the office's workspace, as the report commands read them."""
    app = App.open(office.ws.root)
    return app.defs, list(app.store.records())


def pdftext(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def pdffonts(path) -> list[list[str]]:
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    return [line.split() for line in out.splitlines()[2:]]
