#!/usr/bin/env python
"""formflow benchmark: PDFs, a burst, watcher latency, engine cost as records pile up, to-do list, start-up.

Run from a checkout (with the venv active)::

    python bench/bench.py            # the full run (1,000-file burst, 1k/10k/100k stored records): ~10 min
    python bench/bench.py --quick    # tiny sizes, well under a minute (what tests/test_bench.py runs)
    python bench/bench.py --only 4,5 # some items only

Everything happens in a temporary folder (``formflow.workspace.init_workspace``); nothing in the
repository is touched. The clock is fixed (``FORMFLOW_NOW``) so every run sees the same deadlines.
Each figure is the median of several runs, with min and max. See bench/README.md for what each
item measures and the targets.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import hashlib
import io
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote, unquote_to_bytes, urlsplit

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

NOW_TEXT = "2026-11-28T10:00:00+08:00"
os.environ["FORMFLOW_NOW"] = NOW_TEXT  # before formflow reads the clock (definitions check "today")

import yaml  # noqa: E402

from formflow.adapters.store import Store  # noqa: E402
from formflow.app import App  # noqa: E402
from formflow.engine.numbering import format_number, period_key  # noqa: E402
from formflow.engine.records import Event, Record  # noqa: E402
from formflow.workspace import init_workspace  # noqa: E402

NOW = dt.datetime.fromisoformat(NOW_TEXT)
FORMS = ("complaint", "repair", "callback", "fee_reminder", "movein", "renovation", "service", "survey")

#: Sizes and repetitions: the full run, and --quick (a smoke test well under a minute).
FULL = {"burst": 1000, "burst_runs": 3, "pdf_burst": 1000, "pdf_burst_runs": 2, "latency_runs": 7,
        "sizes": (1_000, 10_000, 100_000), "open": 300, "pass_runs": 15, "todo_runs": 5, "rss_files": 5,
        "settle": 3.0, "watch_pdfs": True, "help_runs": 7, "pdf_runs": 3, "pdf_forms": 8,
        "rebuild_sizes": (2_000, 10_000, 20_000), "flat_runs": 5,
        "fold": 10_000, "sync_runs": 5, "hq_records": 2_000, "hq_estates": (5, 10)}
QUICK = {"burst": 40, "burst_runs": 1, "pdf_burst": 4, "pdf_burst_runs": 1, "latency_runs": 2,
         "sizes": (1_000, 2_000), "open": 100, "pass_runs": 3, "todo_runs": 2, "rss_files": 1,
         "settle": 1.0, "watch_pdfs": False, "help_runs": 2, "pdf_runs": 1, "pdf_forms": 2,
         "rebuild_sizes": (100, 300, 500), "flat_runs": 2,
         "fold": 100, "sync_runs": 0, "hq_records": 40, "hq_estates": (2, 3)}

TABLE_HEADER = ("item", "measure", "median", "min", "max", "runs", "target")


# -- the table ------------------------------------------------------------------------------------


@dataclass
class Row:
    item: str
    measure: str
    values: list[float] = field(default_factory=list)
    unit: str = "s"
    target: str = ""
    text: str = ""  # next to the figures: page counts, a ratio...


ROWS: list[Row] = []


def add(item: str, measure: str, values, unit: str = "s", target: str = "", text: str = "") -> Row:
    row = Row(item, measure, [float(v) for v in values], unit, target, text)
    ROWS.append(row)
    shown = text or (f"median {_fmt(statistics.median(row.values), unit)}" if row.values else "-")
    log(f"  {item} {measure}: {shown}")
    return row


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        if value < 0.001:
            return f"{value * 1e6:.0f} µs"
        if value < 1:
            return f"{value * 1000:.1f} ms"
        return f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    if unit == "KB":
        return f"{value:.1f} KB"
    if unit == "x":
        return f"{value:.2f}×"
    return f"{value:g} {unit}".strip()


def print_table(title: str) -> None:
    lines = [f"## {title}", "", "| " + " | ".join(TABLE_HEADER) + " |",
             "|" + "|".join("---" for _ in TABLE_HEADER) + "|"]
    for r in ROWS:
        if r.values:
            cells = [_fmt(statistics.median(r.values), r.unit), _fmt(min(r.values), r.unit),
                     _fmt(max(r.values), r.unit), str(len(r.values))]
            if r.text:
                cells[0] = f"{cells[0]} ({r.text})"
        else:
            cells = [r.text or "-", "", "", ""]
        lines.append("| " + " | ".join([r.item, r.measure, *cells, r.target]) + " |")
    print("\n".join(lines), flush=True)


def log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.elapsed = time.perf_counter() - self.start


def new_workspace(ws: Path, *, pdfs: bool) -> Path:
    """A workspace from the shipped defaults; ``pdfs=False`` turns the outbox PDFs off (engine figures)."""
    init_workspace(ws)
    if not pdfs:
        with (ws / "formflow.yaml").open("a", encoding="utf-8") as out:
            out.write("\noutbox: {record_pdfs: false, todo_pdfs: []}   # bench: the engine alone\n")
    return ws


# -- realistic filled forms ----------------------------------------------------------------------------

SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高",
            "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "潘",
            "袁", "蔡", "蒋", "余", "于", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任", "沈", "姚", "卢", "欧阳")
GIVEN = ("伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "晓燕", "丽萍", "国平", "文华", "思远", "海燕", "子涵",
         "雨桐", "浩然", "俊杰", "婷婷", "建国", "卫东", "淑珍", "玉兰", "德胜")
MOBILE_PREFIXES = ("133", "135", "136", "137", "138", "139", "150", "151", "152", "158", "159", "177", "180", "181",
                   "186", "187", "188", "189", "199")
ID_AREAS = ("440305", "440306", "320102", "110101", "310104", "510107", "420106", "330106", "370102", "610113")
#: Text fields that hold a resident's (not a staff member's) name: varied per generated file.
PERSON_FIELDS = {"complainant", "reporter", "person", "owner", "owner_name", "customer", "applicant",
                 "member_name", "emergency_contact"}
REMARKS = ("住户希望尽快处理，并留了家中座机以便联系。", "住户表示白天上班，傍晚六点后方便上门。",
           "已向住户说明处理流程和时限，住户表示理解。", "住户补充：此前已在业主群里反映过一次。",
           "现场照片已由住户通过微信发给客服。", "住户要求处理结果以短信告知。")


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"


def unit(rng: random.Random) -> str:
    return f"{rng.randint(1, 28)}-{rng.randint(1, 4)}-{rng.randint(1, 32)}{rng.randint(1, 4):02d}"


def id_number(rng: random.Random) -> str:
    from formflow.engine.fieldtypes import id_check_digit

    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(365 * 50))
    first17 = f"{rng.choice(ID_AREAS)}{born:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + id_check_digit(first17)


def examples() -> dict[str, dict]:
    """The valid example of every form (the realistic starting point)."""
    return {form: yaml.safe_load((REPO / "examples" / form / "valid.yaml").read_text("utf-8")) for form in FORMS}


def vary(defs, form_id: str, data: dict, rng: random.Random, serial: int) -> dict:
    """``data`` with new residents, units, phones, ID numbers and a varied description (still valid)."""
    fields = defs.forms[form_id].fields
    out = copy.deepcopy(data)
    people: dict[str, str] = {}

    def one(f, value):
        if f is None:
            return value
        if f.type == "mobile":
            return mobile(rng)
        if f.type == "unit":
            return unit(rng)
        if f.type == "id_number":
            return id_number(rng)
        if f.type == "text" and f.name in PERSON_FIELDS and isinstance(value, str):
            name = people.setdefault(value, person(rng))
            return name + value[len(value.split("（")[0]):] if "（" in value else name
        if f.type == "textarea" and isinstance(value, str):
            return value.rstrip("\n") + f"\n{rng.choice(REMARKS)}（登记序号 {serial}）\n"
        if f.type == "table" and isinstance(value, list):
            columns = {c.name: c for c in f.columns}
            return [{k: one(columns.get(k), v) for k, v in row.items()} for row in value]
        return value

    for key, value in list(out.items()):
        out[key] = one(fields.get(key), value)
    for key in ("key_receiver",):  # must match the owner it hands the keys to
        if key in out and "owner_name" in out:
            out[key] = out["owner_name"]
    return out


def filled_form(defs, ex: dict, form_id: str, rng: random.Random, serial: int) -> str:
    doc = dict(ex[form_id])
    doc["data"] = vary(defs, form_id, doc["data"], rng, serial)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def drop(inbox: Path, name: str, text: str) -> Path:
    """Drop a file the way a copy tool should: hidden temp name, then a rename (the watcher ignores the temp)."""
    tmp = inbox / f".{name}.part"
    tmp.write_text(text, encoding="utf-8")
    target = inbox / name
    os.replace(tmp, target)
    return target


# -- template records: each form driven through its workflow by the real engine -------------------------

INSPECTIONS = [
    {"inspected_on": "2026-12-02", "inspector": "张伟", "findings": "卫生间防水层已涂刷，闭水试验进行中", "violation": "否"},
    {"inspected_on": "2026-12-09", "inspector": "刘强", "findings": "水电管线沿原线管敷设，隐蔽前查验合格", "violation": "否"},
]
#: How each form is taken to a closed (final) state: (action, by, data, hours after creation).
CLOSE = {
    "complaint": [("assign", "李娜", {"routed_to": "秩序维护部"}, 0.2), ("start", "周涛", {"actions": "上门协调"}, 1),
                  ("resolve", "周涛", {"result": "已上门提醒楼上住户，对方表示配合"}, 20),
                  ("notify_result", "李娜", {"reply_method": "电话"}, 21), ("close", "李娜", {"satisfaction": "满意"}, 48)],
    "repair": [("dispatch", "李娜", {}, 0.1), ("arrive", "张伟", {}, 0.4), ("start_work", "张伟", {}, 0.5),
               ("complete", "张伟", {}, 2), ("confirm", "李娜", {}, 3), ("close", "赵敏", {}, 30)],
    "callback": [("visit", "赵敏", {}, 1)],
    "fee_reminder": [("confirm_paid", "郑丽", {}, 100)],
    "movein": [("confirm", "王芳", {}, 0.1), ("inspect", "王芳", {}, 0.2), ("sign_documents", "王芳", {}, 0.3),
               ("pay_fees", "郑丽", {}, 0.4), ("receive_documents", "王芳", {}, 0.5), ("hand_over_keys", "王芳", {}, 0.6),
               ("archive", "赵敏", {}, 24)],
    "renovation": [("approve", "赵敏", {"reviewer": "赵敏"}, 24),
                   ("pay", "郑丽", {"deposit": 2000, "receipt_no": "SJ0018"}, 25),
                   ("issue_permit", "李娜", {"permit_no": "ZXXK-2026-118"}, 26),
                   ("inspect", "张伟", {"site_inspections": [INSPECTIONS[0]]}, 24 * 9),
                   ("inspect", "刘强", {"site_inspections": INSPECTIONS}, 24 * 16),
                   ("request_acceptance", "李娜", {}, 24 * 50),
                   ("pass_acceptance", "刘强", {"acceptance": "合格", "accepted_on": "{day}", "acceptor": "刘强"}, 24 * 51),
                   ("refund_deposit", "郑丽", {"refund": 2000}, 24 * 52), ("archive", "赵敏", {}, 24 * 53)],
    "service": [("sign", "王芳", {}, 0.1), ("notify", "王芳", {}, 0.2), ("start", "吴静", {}, 0.3), ("finish", "吴静", {}, 0.4),
                ("accept", "王芳", {}, 0.5), ("collect_fee", "王芳", {}, 0.6), ("callback", "王芳", {}, 24),
                ("archive", "赵敏", {}, 48)],
    "survey": [("analyse", "李娜", {}, 24), ("archive", "赵敏", {}, 48)],
}
#: Open records: how far along each form is (number of CLOSE steps done).
OPEN_STEPS = {"complaint": (0, 1, 2), "repair": (0, 1, 3), "callback": (0,), "fee_reminder": (0,), "movein": (0, 2),
              "renovation": (0, 1, 4), "service": (0, 3), "survey": (0,)}


def template_records(work: Path) -> tuple[dict[str, Record], list[tuple[Record, str]]]:
    """Closed (one per form) and open records (several stages per form), made by the real pipeline."""
    ws = new_workspace(work / "templates", pdfs=False)
    app = App.open(ws)
    ex, rng = examples(), random.Random(1)
    numbers: dict[tuple[str, int], str] = {}
    steps = {form: sorted({*OPEN_STEPS[form], len(CLOSE[form])}) for form in FORMS}
    for form in FORMS:
        for stage in steps[form]:
            text = filled_form(app.defs, ex, form, rng, stage)
            (ws / "inbox" / f"{form}-{stage}.yaml").write_text(text, encoding="utf-8")
            report = app.process(NOW)
            result = report.results[-1]
            if result.status != "stored":
                raise SystemExit(f"example {form} refused: {result.problems}")
            numbers[(form, stage)] = result.records[0]
    closed, open_ = {}, []
    for form in FORMS:
        for stage in steps[form]:
            number = numbers[(form, stage)]
            created = app.store.get(number).created_at
            for action, by, data, hours in CLOSE[form][:stage]:
                at = created + dt.timedelta(hours=hours)
                data = {k: (v.format(day=at.date().isoformat()) if isinstance(v, str) else v) for k, v in data.items()}
                doc = {"record": number, "action": action, "by": by, "at": at.isoformat(), "data": data}
                (ws / "inbox" / f"{number}-{action}.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True),
                                                                     encoding="utf-8")
                result = app.process(max(NOW, at + dt.timedelta(minutes=5))).results[-1]
                if result.status != "stored":
                    raise SystemExit(f"{form} {action} refused: {result.problems}")
            record = app.store.get(number)
            workflow = app.defs.workflows[form]
            from formflow.engine.records import replay

            state = replay(record, workflow).state
            if stage == len(CLOSE[form]):
                assert workflow.states[state].final, (form, state)
                closed[form] = record
            else:
                assert not workflow.states[state].final, (form, state)
                open_.append((record, state))
    return closed, open_


_STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})([ T]\d{2}:\d{2}(?::\d{2})?(?:[+-]\d{2}:\d{2})?)?$")


def _shift(value, delta: dt.timedelta):
    """Dates and times inside stored plain values moved by ``delta`` (so a cloned record stays coherent)."""
    if isinstance(value, str):
        m = _STAMP.match(value)
        if not m:
            return value
        if m.group(2):
            sep = m.group(2)[0]
            moment = dt.datetime.fromisoformat(value.replace(" ", "T")) + delta
            text = moment.isoformat(sep=sep)
            return text[:16] if len(value) == 16 else text
        return (dt.date.fromisoformat(value) + dt.timedelta(days=delta.days)).isoformat()
    if isinstance(value, list):
        return [_shift(v, delta) for v in value]
    if isinstance(value, dict):
        return {k: _shift(v, delta) for k, v in value.items()}
    return value


def clone(defs, record: Record, number: str, delta: dt.timedelta, rng: random.Random, serial: int) -> Record:
    first = record.events[0]
    data = vary(defs, record.form, dict(first.data), rng, serial)
    events = [Event(first.action, first.by, first.at + delta, _shift(data, delta), first.note)]
    events += [Event(e.action, e.by, e.at + delta, _shift(dict(e.data), delta), e.note) for e in record.events[1:]]
    return Record(number, record.form, tuple(events), record.form_version, record.workflow_version, "")


def seed(ws: Path, defs, closed: dict[str, Record], open_: list[tuple[Record, str]], total: int, open_count: int,
         rng: random.Random) -> list[tuple[str, str, str]]:
    """Store ``total`` records (``open_count`` of them open, the rest closed history) through the Store API.

    Closed records are spread over 2025-01 .. 2026-11; open ones over the last ten days. One submission
    per event is noted too (as the real desk would have), so the dedupe index is full size.
    Returns (number, form, state) of the open records.
    """
    store = Store(ws / "data" / "db")
    tz = defs.settings.timezone
    start, span = dt.datetime(2025, 1, 2, 9, 0, tzinfo=tz), (NOW - dt.datetime(2025, 1, 2, tzinfo=tz)).days - 45
    store.note_since(start.date())  # as the first pass of a real office noted it
    plan = [("closed", closed[FORMS[i % len(FORMS)]], "") for i in range(total - open_count)]
    plan += [("open", *open_[i % len(open_)]) for i in range(open_count)]
    moments = []
    for kind, record, _ in plan:
        if kind == "closed":
            target = start + dt.timedelta(days=rng.randrange(span), minutes=rng.randrange(600))
        else:
            target = NOW - dt.timedelta(days=rng.uniform(0.1, 10))
            target -= record.events[-1].at - record.created_at  # the last event still before now
        moments.append(target)
    order = sorted(range(len(plan)), key=lambda i: moments[i])  # numbers follow creation time, as in real life
    opened = []
    for serial, i in enumerate(order):
        kind, template, state = plan[i]
        delta = moments[i] - template.created_at
        form = defs.forms[template.form]
        day = moments[i].astimezone(tz).date()
        number = format_number(form.number, defs.settings.station, day,
                               store.next_serial(f"{template.form}:{period_key(form.number, day)}"))
        record = clone(defs, template, number, delta, rng, serial)
        if kind == "closed":
            state = replay_state(defs, record)
        else:
            opened.append((number, record.form, state))
        store.put(record, state)
        for n, event in enumerate(record.events):
            digest = hashlib.sha256(f"{number}/{n}/{rng.random()}".encode()).hexdigest()
            store.next_serial("archive")
            store.note_submission(digest, {"name": f"{number}-{event.action}.yaml", "received": event.at.isoformat(),
                                           "records": [number], "archive": f"{event.at:%Y/%m}/{digest[:12]}.yaml"})
    store.commit()
    return opened


_FINAL_STATE: dict[str, str] = {}


def replay_state(defs, record: Record) -> str:
    if record.form not in _FINAL_STATE:
        from formflow.engine.records import replay

        _FINAL_STATE[record.form] = replay(record, defs.workflows[record.form]).state
    return _FINAL_STATE[record.form]


# -- helpers ----------------------------------------------------------------------------------------


def formflow_cmd() -> list[str]:
    script = Path(sys.executable).parent / "formflow"
    return [str(script)] if script.exists() else [sys.executable, "-m", "formflow"]


def subprocess_env() -> dict:
    env = dict(os.environ, FORMFLOW_NOW=NOW_TEXT, PYTHONUNBUFFERED="1")
    # An office's Python keeps compiled bytecode (__pycache__); some sandboxes and CI images switch that off,
    # which adds ~0.2 s of compiling formflow's modules to every command measured.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH", "")]))
    return env


def pdf_pages(data: bytes) -> int:
    """Pages of a PDF (its page objects sit in compressed streams: ask the renderer's own counter)."""
    from formflow.render.pdf import page_count

    return page_count(data)


def outbox_pdfs(ws: Path) -> list[Path]:
    return [p for p in (ws / "outbox").rglob("*.pdf") if "todo" not in p.parts]


def rss_peak_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# -- 1. record PDFs ------------------------------------------------------------------------------------


#: The Latin-only page's render time measured by item 1 (seconds): item 2 prices its burst's pages with it.
LATIN_PAGE: list[float] = []


def bench_pdf(cfg, work: Path, closed: dict[str, Record]) -> None:
    from formflow.render import pdf

    log("1. record PDF render")
    ws = new_workspace(work / "pdf", pdfs=False)
    defs = App.open(ws).defs
    records = [closed[f] for f in FORMS][: cfg["pdf_forms"]]
    with Timer() as cold:
        pdf.render_record(defs, records[0], NOW)
    add("1 PDF", "first record PDF in a process (fonts, CSS loaded)", [cold.elapsed])
    per_page, sizes, pages = _rendered(lambda record: pdf.render_record(defs, record, NOW), records, cfg["pdf_runs"])
    add("1 PDF", f"record PDF render, per page (steady state, {len(records)} forms)", per_page)
    add("1 PDF", f"record PDF size ({len(records)} forms)", sizes, unit="KB", text=f"{min(pages)}-{max(pages)} pages")
    one_page = [size for size, n in zip(sizes, pages) if n == 1]
    if one_page:
        add("1 PDF", "one-page record PDF size", one_page, unit="KB", target="≤ 50 KB")
    # The same template with a Latin-only font (the floor of this stack), and the naive setup: a fresh
    # renderer (fonts, stylesheets, templates loaded again) for every document.
    latin = _rendered(lambda record: pdf.render_record_latin_baseline(defs, record, NOW), records, cfg["pdf_runs"])
    add("1 PDF", "vs Latin-only font (per page)", latin[0])
    LATIN_PAGE.append(statistics.median(latin[0]))
    add("1 PDF", "ratio Chinese / Latin-only font (per page, medians)",
        [statistics.median(per_page) / statistics.median(latin[0])], unit="x", target="≤ 1.2×")
    naive = _rendered(lambda record: pdf.Renderer(None).render_record(defs, record, NOW), records, cfg["pdf_runs"])
    add("1 PDF", "vs a fresh renderer per document (per page)", naive[0])


def _rendered(render, records, runs) -> tuple[list[float], list[float], list[int]]:
    """``render`` each record ``runs`` times: seconds per page, KB, and pages of each PDF."""
    per_page, sizes, pages = [], [], []
    for _ in range(runs):
        for record in records:
            with Timer() as t:
                data = render(record)
            pages.append(pdf_pages(data))
            per_page.append(t.elapsed / pages[-1])
            sizes.append(len(data) / 1024)
    return per_page, sizes, pages


# -- 2. a burst ---------------------------------------------------------------------------------------


def fill_inbox(ws: Path, n: int, seed: int) -> None:
    """Drop ``n`` filled forms of all eight kinds into the inbox of ``ws``."""
    defs = App.open(ws).defs
    ex, rng = examples(), random.Random(seed)
    for i in range(n):
        form = FORMS[i % len(FORMS)]
        (ws / "inbox" / f"{i:06d}-{form}.yaml").write_text(filled_form(defs, ex, form, rng, i), encoding="utf-8")


def _burst(work: Path, n: int, run: int, *, pdfs: bool) -> tuple[float, int, int]:
    """``n`` filled forms dropped at once, one ``formflow process``: seconds until it exits, record PDFs written,
    pages of every PDF written (records and to-do lists)."""
    ws = new_workspace(work / f"burst-{'pdf' if pdfs else 'engine'}{run}", pdfs=pdfs)
    fill_inbox(ws, n, run)
    with Timer() as t:
        proc = subprocess.run([*formflow_cmd(), "process", "--root", str(ws)], env=subprocess_env(),
                              capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"burst: formflow process exited {proc.returncode}\n"
                         f"{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    assert not list((ws / "inbox").iterdir()), "burst: files left in the inbox"
    assert (ws / "outbox" / "todo" / "todo.json").exists()
    written = len(outbox_pdfs(ws))
    pages = sum(pdf_pages(p.read_bytes()) for p in (ws / "outbox").rglob("*.pdf")) if pdfs else 0
    shutil.rmtree(ws)
    return t.elapsed, written, pages


def bench_burst(cfg, work: Path) -> None:
    n = cfg["burst"]
    log(f"2. burst of {n} files")
    times = [_burst(work, n, run, pdfs=False)[0] for run in range(cfg["burst_runs"])]
    add("2 burst", f"{n} files → stored + to-do refreshed (formflow process, PDFs off)", times)
    add("2 burst", "per file (PDFs off)", [t / n for t in times])
    n = cfg["pdf_burst"]
    runs = [_burst(work, n, run, pdfs=True) for run in range(cfg["pdf_burst_runs"])]
    if any(count != n for _, count, _ in runs):
        raise SystemExit(f"burst: {[count for _, count, _ in runs]} record PDFs written for {n} files")
    pages = runs[0][2]
    add("2 burst", f"{n} files → stored + {runs[0][1]} record PDFs + to-do PDFs (formflow process)",
        [t for t, _, _ in runs], target="≤ 60 s" if n >= 1000 else "", text=f"{pages:,} pages")
    add("2 burst", "per file (PDFs on)", [t / n for t, _, _ in runs])
    if LATIN_PAGE:  # what these pages cost at the stack's floor, on this machine today (it is noisy)
        floor = pages * LATIN_PAGE[0] / 2
        add("2 burst", f"the floor for these {pages:,} pages: Latin-only page (item 1) × pages / 2 workers", [floor])
        add("2 burst", "burst / its floor (medians)", [statistics.median(t for t, _, _ in runs) / floor], unit="x")


# -- 3. watcher latency ----------------------------------------------------------------------------------


def start_watcher(ws: Path) -> tuple[subprocess.Popen, float]:
    """``formflow watch`` as a subprocess; returns it and the seconds until it said it is watching."""
    started = time.perf_counter()
    proc = subprocess.Popen([*formflow_cmd(), "watch", "--root", str(ws)], env=subprocess_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "watching" not in line:
        proc.kill()
        raise SystemExit(f"watcher did not start: {line!r}")
    ready = time.perf_counter() - started
    # keep draining its output so it never blocks on a full pipe
    import threading

    threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()
    return proc, ready


def stop_watcher(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until(predicate, timeout: float, step: float = 0.002) -> float | None:
    """Seconds until ``predicate()`` holds (polled), or None after ``timeout``."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if predicate():
            return time.perf_counter() - start
        time.sleep(step)
    return None


def bench_latency(cfg, work: Path) -> None:
    log("3. watcher latency")
    ws = new_workspace(work / "latency", pdfs=True)
    defs = App.open(ws).defs
    ex, rng = examples(), random.Random(3)
    proc, _ = start_watcher(ws)
    stored, with_pdf = [], []
    try:
        time.sleep(1.5)  # let its first rescan and to-do refresh pass
        for i in range(cfg["latency_runs"]):
            form = FORMS[i % len(FORMS)]
            before = set(outbox_pdfs(ws))
            path = drop(ws / "inbox", f"lat{i:03d}-{form}.yaml", filled_form(defs, ex, form, rng, i))
            start = time.perf_counter()
            took = wait_until(lambda: not path.exists(), 30)
            if took is None:
                raise SystemExit("latency: the watcher did not take the file within 30 s")
            stored.append(took)
            if wait_until(lambda: set(outbox_pdfs(ws)) - before, 30, 0.005) is None:
                raise SystemExit("latency: the watcher printed no PDF within 30 s")
            with_pdf.append(time.perf_counter() - start)
            time.sleep(0.3)
    finally:
        stop_watcher(proc)
    add("3 latency", "file dropped → stored (formflow watch; includes the 0.4 s settle check)", stored)
    add("3 latency", "file dropped → record PDF in outbox", with_pdf, target="≤ 2 s")


# -- 4./5. engine cost with records piling up; to-do; watcher memory -------------------------------------------


def open_workspace(work: Path, size: int, cfg, templates) -> tuple[Path, list]:
    ws = new_workspace(work / f"store{size}", pdfs=False)
    defs = App.open(ws).defs
    with Timer() as t:
        opened = seed(ws, defs, *templates, size, min(cfg["open"], size // 2), random.Random(size))
    db_mb = sum(p.stat().st_size for p in (ws / "data" / "db").rglob("*") if p.is_file()) / 2**20
    log(f"  seeded {size} records in {t.elapsed:.1f} s ({db_mb:.0f} MB on disk)")
    return ws, opened


def bench_engine(cfg, work: Path, templates) -> dict[int, Path]:
    log("4. engine cost per submission as records pile up")
    per_size: dict[int, list[float]] = {}
    workspaces = {}
    for size in cfg["sizes"]:
        ws, opened = open_workspace(work, size, cfg, templates)
        workspaces[size] = (ws, opened)
        gc.collect()
        with Timer() as t:
            app = App.open(ws)
        add("4 engine", f"{size:>7,} records: open workspace (load definitions, store, indexes)", [t.elapsed])
        defs, ex, rng = app.defs, examples(), random.Random(size + 1)
        complaints = [n for n, form, state in opened if form == "complaint" and state == "registered"]
        new_pass, new_todo, act_pass = [], [], []
        for i in range(cfg["pass_runs"] + 1):
            form = FORMS[i % len(FORMS)]
            drop(ws / "inbox", f"new{i:03d}-{form}.yaml", filled_form(defs, ex, form, rng, 10**6 + i))
            with Timer() as p:
                report = app.engine.run_pass(lambda: NOW)
            with Timer() as q:
                app.write_outputs(NOW)  # what App.process does after the pass (PDFs are off here)
            assert [r.status for r in report.results] == ["stored"], report.results[0].problems
            if i:  # the first pass warms caches (imports, definitions): not counted
                new_pass.append(p.elapsed)
                new_todo.append(p.elapsed + q.elapsed)
            if i < len(complaints):
                doc = {"record": complaints[i], "action": "assign", "by": "李娜", "data": {"routed_to": "工程维修部"}}
                drop(ws / "inbox", f"act{i:03d}.yaml", yaml.safe_dump(doc, allow_unicode=True))
                with Timer() as a:
                    report = app.process(NOW)
                assert [r.status for r in report.results] == ["stored"], report.results[0].problems
                if i:
                    act_pass.append(a.elapsed)
        per_size[size] = new_todo
        add("4 engine", f"{size:>7,} records: new form, pass only", new_pass)
        add("4 engine", f"{size:>7,} records: new form, pass + to-do refresh (= App.process)", new_todo)
        if act_pass:
            add("4 engine", f"{size:>7,} records: action on a stored record (App.process)", act_pass)
        del app
        gc.collect()
    small, big = cfg["sizes"][0], cfg["sizes"][-1]
    ratio = statistics.median(per_size[big]) / statistics.median(per_size[small])
    add("4 engine", f"ratio {big // 1000}k / {small // 1000}k (pass + to-do, medians)", [ratio], unit="x",
        target="≤ 1.3×")
    return workspaces


def bench_todo_and_rss(cfg, work: Path, workspaces) -> None:
    size = max(workspaces)
    ws, _ = workspaces[size]
    log(f"5. to-do list and watcher memory with {size:,} records")
    app = App.open(ws)
    times, tasks = [], []
    for run in range(cfg["todo_runs"]):
        with Timer() as t:
            tasks = app.todo(NOW + dt.timedelta(seconds=run))  # a new "now" each time, as at each watcher tick
        times.append(t.elapsed)
    add("5 todo", f"{size // 1000}k records: to-do list computed ({len(tasks)} tasks)", times, target="≤ 1 s")
    writes = []
    for run in range(cfg["todo_runs"]):
        with Timer() as t:
            app.write_todo(NOW + dt.timedelta(minutes=1, seconds=run))
        writes.append(t.elapsed)
    add("5 todo", f"{size // 1000}k records: to-do computed + written (txt, json, ics)", writes)
    from formflow.render import pdf

    renders = []
    for _ in range(max(1, cfg["todo_runs"] - 1)):
        with Timer() as t:
            pdf.render_todo(app.defs, tasks, NOW, "待办事项")
        renders.append(t.elapsed)
    add("5 todo", f"{size // 1000}k records: office to-do PDF rendered ({len(tasks)} tasks)", renders)
    defs = app.defs
    del app
    gc.collect()

    settings = ws / "formflow.yaml"  # the watcher runs as an office would: PDFs on (not in --quick)
    pdfs = cfg["watch_pdfs"]
    if pdfs:
        settings.write_text("".join(line for line in settings.read_text("utf-8").splitlines(keepends=True)
                                    if "# bench: the engine alone" not in line), encoding="utf-8")
    proc, ready = start_watcher(ws)
    try:
        ex, rng = examples(), random.Random(5)
        for i in range(cfg["rss_files"]):
            form = FORMS[i % len(FORMS)]
            path = drop(ws / "inbox", f"rss{i:03d}-{form}.yaml", filled_form(defs, ex, form, rng, 2 * 10**6 + i))
            if wait_until(lambda: not path.exists(), 120, 0.01) is None:
                raise SystemExit("rss: the watcher did not take the file")
        time.sleep(cfg["settle"])  # its PDFs and to-do lists
        peak = rss_peak_mb(proc.pid)
    finally:
        stop_watcher(proc)
    add("5 watcher", f"{size // 1000}k records: watcher start-up until watching", [ready])
    if peak is None:
        add("5 watcher", f"{size // 1000}k records: watcher peak RSS", [], text="not measurable here (no /proc)")
    else:
        add("5 watcher", f"{size // 1000}k records: watcher peak RSS (PDFs {'on' if pdfs else 'off'})", [peak],
            unit="MB", target="≤ 300 MB")


# -- 6. start-up ------------------------------------------------------------------------------------


def bench_help(cfg) -> None:
    log("6. formflow --help")
    cmd = [*formflow_cmd(), "--help"]
    subprocess.run(cmd, env=subprocess_env(), capture_output=True, check=True)  # warm the OS file cache
    times = []
    for _ in range(cfg["help_runs"]):
        with Timer() as t:
            subprocess.run(cmd, env=subprocess_env(), capture_output=True, check=True)
        times.append(t.elapsed)
    add("6 start-up", "formflow --help", times, target="≤ 0.3 s")


# -- 7. rebuild -----------------------------------------------------------------------------------------


#: Files stored per `formflow process` while an archive for item 7 is made.
REBUILD_BATCH = 20_000


def _rebuild(work: Path, n: int, keep: bool = False) -> tuple[float, float | None]:
    """``n`` filled forms stored by passes of :data:`REBUILD_BATCH`, then ``formflow rebuild``: its seconds and
    peak RSS (MB). ``keep``: leave the workspace (its archive) for a closer look, such as tracemalloc."""
    ws = new_workspace(work / f"rebuild{n}", pdfs=False)
    for start in range(0, n, REBUILD_BATCH):  # (an office's history comes in passes, not one of 100k files)
        count = min(REBUILD_BATCH, n - start)
        fill_inbox(ws, count, n + start)
        stored = subprocess.run([*formflow_cmd(), "process", "--root", str(ws)], env=subprocess_env(),
                                capture_output=True, text=True)
        if stored.returncode != 0:
            raise SystemExit(f"rebuild: formflow process exited {stored.returncode}\n{stored.stderr[-2000:]}")
    peak = None
    with Timer() as t:
        proc = subprocess.Popen([*formflow_cmd(), "rebuild", "--root", str(ws)], env=subprocess_env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        while proc.poll() is None:
            peak = max(peak or 0.0, rss_peak_mb(proc.pid) or 0.0) or None
            time.sleep(0.05)
    out, err = proc.communicate()
    if proc.returncode != 0 or f"{n} 条记录" not in out:
        raise SystemExit(f"rebuild: exited {proc.returncode}: {out[-500:]}{err[-2000:]}")
    if not keep:
        shutil.rmtree(ws)
    return t.elapsed, peak


def bench_rebuild(cfg, work: Path) -> None:
    sizes = cfg["rebuild_sizes"]
    log(f"7. rebuild of {', '.join(f'{n:,}' for n in sizes)} archived files")
    found = {n: _rebuild(work, n, cfg.get("keep", False)) for n in sizes}
    for n, (seconds, peak) in found.items():
        add("7 rebuild", f"{n:>7,} archived files: formflow rebuild", [seconds])
        add("7 rebuild", f"{n:>7,} archived files: per file (start-up included)", [seconds / n])
        if peak is not None:
            add("7 rebuild", f"{n:>7,} archived files: peak RSS", [peak], unit="MB")
    (small, (t1, _)), (big, (t2, _)) = list(found.items())[0], list(found.items())[-1]
    if big > small:
        add("7 rebuild", f"per file, start-up left out ({small:,} → {big:,} files)", [(t2 - t1) / (big - small)],
            target="≤ 1 ms")
    # Memory: the last two sizes, where the bounded caches (parsed partitions, recent records) are full
    # at both ends and what is left to grow is the per-record index; then extrapolated to 500,000 files.
    (mid, (_, m_mid)), (big, (_, m_big)) = list(found.items())[-2], list(found.items())[-1]
    if big > mid and m_mid and m_big:
        slope = (m_big - m_mid) / (big - mid)
        add("7 rebuild", f"memory per 1,000 more files ({mid:,} → {big:,})", [slope * 1000], unit="MB")
        add("7 rebuild", f"peak RSS at 500,000 files (extrapolated from {big:,})", [m_big + slope * (500_000 - big)],
            unit="MB", target="≤ 300 MB")

# -- 8. commands and desk pages as records pile up ----------------------------------------------------


class _Desk:
    """The desk's WSGI app over a workspace, called in-process as a signed-in browser on 127.0.0.1 would."""

    def __init__(self, ws: Path):
        from formflow.web.app import DeskApp
        from formflow.web.desk import Desk
        from formflow.web.security import SESSION_COOKIE, WHO_COOKIE, Guard
        from formflow.web.submit import Processor

        desk = Desk(ws)
        self.app = DeskApp(desk, Guard(8765), Processor(desk))
        self.cookie = f"{SESSION_COOKIE}={self.app.guard.session}; {WHO_COOKIE}={quote('李娜')}"

    def get(self, path: str) -> bytes:
        target = urlsplit(path)
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": unquote_to_bytes(target.path).decode("latin-1"),
                   "QUERY_STRING": target.query, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8765",
                   "HTTP_HOST": "127.0.0.1:8765", "CONTENT_LENGTH": "0", "wsgi.input": io.BytesIO(b""),
                   "wsgi.url_scheme": "http", "HTTP_COOKIE": self.cookie}
        status = []
        body = b"".join(self.app(environ, lambda s, h: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"desk: GET {path} answered {status[0]}")
        return body


def _timed_cli(ws: Path, args: list[str], runs: int) -> tuple[float, list[float]]:
    """The first run (warms the OS file cache; the first after the engine wrote the store also saves the
    index snapshots) and ``runs`` more."""
    cmd = [*formflow_cmd(), *args, "--root", str(ws)]
    with Timer() as first:
        subprocess.run(cmd, env=subprocess_env(), capture_output=True, check=True)
    times = []
    for _ in range(runs):
        with Timer() as t:
            subprocess.run(cmd, env=subprocess_env(), capture_output=True, check=True)
        times.append(t.elapsed)
    return first.elapsed, times


def bench_flat(cfg, workspaces) -> None:
    """Commands and desk pages on the workspaces of item 4: how each grows from the smallest to the largest."""
    sizes = sorted(workspaces)
    log(f"8. commands and desk pages at {', '.join(f'{s:,}' for s in sizes)} records")
    medians: dict[str, dict[int, float]] = {}
    hits: dict[str, dict[int, int]] = {}  # what a search page says it found
    largest_page: dict[int, tuple[int, str]] = {}
    runs = cfg["flat_runs"]
    for size in sizes:
        ws, opened = workspaces[size]
        number, form, state = next(o for o in opened if o[1] == "complaint")
        commands = {"formflow list --state (open records)": ["list", "--form", form, "--state", state],
                    "formflow show (a record)": ["show", number],
                    "formflow todo --format json": ["todo", "--format", "json"]}
        for i, (label, args) in enumerate(commands.items()):
            first, times = _timed_cli(ws, args, runs)
            if i == 0:
                add("8 flat", f"{size:>7,} records: first command after the engine wrote the store "
                    "(builds and saves the record index snapshot)", [first])
            medians.setdefault(label, {})[size] = statistics.median(times)
            add("8 flat", f"{size:>7,} records: {label}", times)
        gc.collect()
        with Timer() as t:
            desk = _Desk(ws)
            desk.get("/")
        add("8 flat", f"{size:>7,} records: desk first request (opens the store)", [t.elapsed])
        medians.setdefault("desk first request (opens the store)", {})[size] = t.elapsed
        with Timer() as t:
            desk.get(f"/records?q={quote('1502')}")
        add("8 flat", f"{size:>7,} records: desk first search after the engine wrote the store "
            "(makes the trigram index, index/search.sqlite)", [t.elapsed])
        pages = {"desk start page": "/", "desk 全部记录 page 1": "/records",
                 "desk 全部记录, one form, page 2": f"/records?form={form}&page=2",
                 "desk search (a unit)": f"/records?q={quote('3-2-1502')}",
                 "desk record page": f"/records/{number}",
                 # issue 14: a resident's search from the top box, and the unit's file (一户一档)
                 "desk 查找 a 房号 in another spelling": f"/search?list=1&q={quote('3栋2单元1502室')}",
                 "desk 查找 a phone's last four digits": f"/search?q={quote('7094')}",
                 "desk 查找 a surname": f"/search?q={quote('黄秀')}",
                 "desk unit page (一户一档)": "/units/3-2-1502",
                 # the same searches where the hits do not grow with the store: one record's number
                 "desk search (a record's number)": f"/records?q={quote(number)}",
                 "desk 查找 a record's number": f"/search?q={quote(number)}"}
        for label, path in pages.items():
            times, body = [], b""
            for _ in range(runs):
                with Timer() as t:
                    body = desk.get(path)
                times.append(t.elapsed)
            medians.setdefault(label, {})[size] = statistics.median(times)
            found = re.search(r"共 (\d+) 条".encode(), body)
            if found:
                hits.setdefault(label, {})[size] = int(found.group(1))
            add("8 flat", f"{size:>7,} records: {label}", times,
                text=f"{len(body) / 1024:.0f} KB" + (f", {int(found.group(1)):,} hit{'s' if found.group(1) != b'1' else ''}" if found else ""))
            size_bytes = len(body)
            largest_page[size] = max(largest_page.get(size, (0, "")), (size_bytes, label))
        del desk
        gc.collect()
    small, big = sizes[0], sizes[-1]
    for label in [k for k in medians if "查找" in k or "一户一档" in k]:
        add("8 flat", f"{big // 1000}k records: {label}", [medians[label][big]], target="≤ 0.3 s")
    for label, by_size in medians.items():
        grown = hits.get(label, {}) if ("search" in label or "查找" in label or "一户一档" in label) else {}
        if grown.get(big, 0) > grown.get(small, 0):  # more records found: the target is the absolute one above
            add("8 flat", f"ratio {big // 1000}k / {small // 1000}k: {label}", [by_size[big] / by_size[small]],
                unit="x", target=f"(hits {grown[small]:,} → {grown[big]:,})")
            continue
        add("8 flat", f"ratio {big // 1000}k / {small // 1000}k: {label}", [by_size[big] / by_size[small]], unit="x",
            target="≤ 1.3×")
    page_bytes, page = largest_page[big]
    add("8 flat", f"{big // 1000}k records: largest desk page ({page})", [page_bytes / 2**20], unit="MB",
        target="≤ 1 MB")


# -- main -------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, well under a minute (a smoke test)")
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9", help="comma-separated items to run (default: all)")
    parser.add_argument("--sizes", help="stored-record counts for item 4, e.g. 1000,10000,100000")
    parser.add_argument("--rebuild-sizes", help="archived-file counts for item 7, e.g. 2000,20000,100000 "
                        "(100,000 real files take about 15 minutes to make and rebuild)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temp folder, removed)")
    args = parser.parse_args(argv)
    cfg = dict(QUICK if args.quick else FULL, keep=args.keep is not None)
    if args.sizes:
        cfg["sizes"] = tuple(int(s) for s in args.sizes.split(","))
    if args.rebuild_sizes:
        cfg["rebuild_sizes"] = tuple(int(s) for s in args.rebuild_sizes.split(","))
    only = {s.strip() for s in args.only.split(",")}
    work = args.keep or Path(tempfile.mkdtemp(prefix="formflow-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    log(f"formflow benchmark ({'quick' if args.quick else 'full'}), now = {NOW_TEXT}, work folder {work}")
    try:
        templates = None
        if only & {"1", "4", "5", "8"}:
            with Timer() as t:
                templates = template_records(work)
            log(f"template records made by the pipeline in {t.elapsed:.1f} s")
        if "1" in only:
            bench_pdf(cfg, work, templates[0])
        if "2" in only:
            bench_burst(cfg, work)
        if "3" in only:
            bench_latency(cfg, work)
        workspaces = None
        if only & {"4", "5", "8"}:
            if "4" in only:
                workspaces = bench_engine(cfg, work, templates)
            elif "8" in only:
                workspaces = {size: open_workspace(work, size, cfg, templates) for size in cfg["sizes"]}
            else:
                size = cfg["sizes"][-1]
                workspaces = {size: open_workspace(work, size, cfg, templates)}
        if "5" in only:
            bench_todo_and_rss(cfg, work, workspaces)
        if "6" in only:
            bench_help(cfg)
        if "7" in only:
            bench_rebuild(cfg, work)
        if "8" in only:
            bench_flat(cfg, workspaces)
        if "9" in only:
            import stations

            stations.run(SimpleNamespace(add=add, log=log, fill_inbox=fill_inbox, new_workspace=new_workspace,
                                         formflow_cmd=formflow_cmd, env=subprocess_env, rss_peak_mb=rss_peak_mb,
                                         batch=REBUILD_BATCH), cfg, work)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print_table(f"formflow benchmark ({'quick' if args.quick else 'full'}; {os.cpu_count()} CPUs; "
                f"{time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
