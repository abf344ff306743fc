"""What clerks read is Chinese: every desk page, PDF (records, blanks, to-do lists, reports) and rejection note of
the shipped workspace holds no Latin word of ours.

Latin letters may come only from what people wrote (a plate 粤BD73521, 60cm, a deed number), from the office's own
definitions (an option "APP/微信", a hint quoting a record number), from record numbers, or be "PDF" and "Excel",
which Chinese offices call so. Keys, file names, codes such as （3wd）, offsets (+08:00) and English titles belong to
what supervisors read (`check`, the CLI, the reference).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import yaml

from formflow.app import App
from formflow.render import pdf

from .conftest import NOW, REPO
from .web.conftest import Client, make_desk

WORD = re.compile(r"[A-Za-z][A-Za-z_]+")
NUMBER = re.compile(r"[A-Z]{2}-[A-Z0-9]{2,6}-\d{4,6}-\d{4}")
ALLOWED = {"PDF", "Excel"}


def latin_words_of(value) -> set[str]:
    if isinstance(value, dict):
        return set().union(*(latin_words_of(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(latin_words_of(v) for v in value)) if value else set()
    return set(WORD.findall(str(value))) if isinstance(value, str) else set()


def written_by_people_or_the_office(defs) -> set[str]:
    """Latin words the examples' data and the office's definitions (hints, notes, options, as loaded: with their
    {due:…} written out) hold: what people wrote may come back."""
    words = set()
    for example in (REPO / "examples").glob("*/valid.yaml"):
        words |= latin_words_of(yaml.safe_load(example.read_text(encoding="utf-8")).get("data", {}))
    for form in defs.forms.values():
        for field in form.iter_fields():
            words |= latin_words_of([field.hint, field.text])
            if field.choices is not None:
                words |= latin_words_of([[o.value, o.label] for o in field.choices.options])
    return words


# Codes and stored forms of time that are not words: an offset, an ISO moment, a rule code.
CODES = re.compile(r"[+-]\d{2}:\d{2}\b|\d{4}-\d{2}-\d{2}T\d{2}|[（(]-?\d+(?:m|h|d|wh|wd)[）)]")


def ours(text: str, allowed: set[str]) -> set[str]:
    text = NUMBER.sub(" ", text)
    found = (set(WORD.findall(text)) - ALLOWED - allowed) | set(CODES.findall(text))
    # a record number cut by a line end in a PDF ("TS-YG-2026…" read as TSYG): still a record number
    return {w for w in found if not re.fullmatch(r"([A-Z]{2}){2}", w)}


def _records_moved_on(workspace) -> None:
    """The example repair taken to 完工 (a callback made, its deadline and 关联记录 on paper) and the example
    complaint assigned and escalated: pages and paper of records past their first state."""
    app = App.open(workspace.root)
    numbers = {form: number for number, form, *_ in app.indexed()}
    steps = [(numbers["repair"], "dispatch", "李娜"), (numbers["repair"], "arrive", "张伟"),
             (numbers["repair"], "start_work", "张伟"), (numbers["repair"], "complete", "张伟"),
             (numbers["complaint"], "assign", "李娜")]
    for i, (number, action, by) in enumerate(steps):
        workspace.write(f"inbox/step-{i}.yaml", f"record: {number}\naction: {action}\nby: {by}\n"
                        + ("data: {routed_to: 工程维修部}\n" if action == "assign" else ""))
        assert workspace.cli("process").code == 0, i


def test_desk_pages_and_paper_hold_no_latin_word_of_ours(workspace):
    for example in sorted((REPO / "examples").glob("*/valid.yaml")):
        shutil.copy(example, workspace.root / "inbox" / f"{example.parent.name}.yaml")
    assert workspace.cli("process").code == 0
    _records_moved_on(workspace)
    for report, period in (("callbacks", "--month"), ("deadlines", "--month"), ("survey", "--year"),
                           ("fees", "--month")):
        assert workspace.cli("report", report, period, "2026-11" if period == "--month" else "2026").code == 0
    allowed = written_by_people_or_the_office(workspace.load())
    found: dict[str, set[str]] = {}
    # Rejection notes: what the clerk wrote may come back quoted (a misspelt key), nothing else of ours.
    for example in sorted((REPO / "examples").glob("*/invalid.yaml")):
        shutil.copy(example, workspace.root / "inbox" / f"错误-{example.parent.name}.yaml")
        doc = yaml.safe_load(example.read_text(encoding="utf-8"))
        allowed |= latin_words_of(doc) | latin_words_of(list(doc.get("data", {})))
    assert workspace.cli("process").code == 1
    notes = sorted((workspace.root / "outbox" / "rejected").glob("*.说明.txt"))
    assert len(notes) == len(list((REPO / "examples").glob("*/invalid.yaml")))
    for note in notes:
        text = note.read_text(encoding="utf-8").split("\n", 1)[1]  # after 文件：<the name the clerk gave it>
        if ours(text, allowed):
            found[note.name] = ours(text, allowed)
    for path in sorted((workspace.root / "outbox").rglob("*.pdf")):
        text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
        if ours(text, allowed):
            found[path.name] = ours(text, allowed)
    for path in sorted((workspace.root / "outbox").rglob("*.txt")) + sorted((workspace.root / "outbox").rglob("*.csv")):
        if "rejected" not in path.parts and ours(path.read_text(encoding="utf-8-sig"), allowed):
            found[path.name] = ours(path.read_text(encoding="utf-8-sig"), allowed)
    for path in sorted((workspace.root / "outbox").rglob("*.ics")):  # what a phone's calendar shows of each event
        text = path.read_text(encoding="utf-8").replace("\n ", "")  # (read with universal newlines: unfolded)
        shown = "\n".join(line.split(":", 1)[1] for line in text.splitlines()
                          if line.startswith(("SUMMARY:", "DESCRIPTION:", "CATEGORIES:", "X-WR-CALNAME:")))
        if ours(shown.replace("\\n", "\n"), allowed):
            found[path.name] = ours(shown.replace("\\n", "\n"), allowed)
    app = App.open(workspace.root)
    for form in app.defs.forms:
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.render_blank(app.defs, form), capture_output=True,
                              check=True).stdout.decode()
        if ours(text, allowed):
            found[f"blank {form}"] = ours(text, allowed)
    from formflow.fees.calllist import call_list
    from formflow.render.calls import render_calls

    calls = render_calls(app.defs, [call_list(app.defs, app.store.records("fee_collection"), NOW, "王芳")], NOW)
    text = subprocess.run(["pdftotext", "-", "-"], input=calls, capture_output=True, check=True).stdout.decode()
    if ours(text, allowed):
        found["催费电话清单"] = ours(text, allowed)
    client = Client(make_desk(workspace, workspace.load(), pdfs=False)).sign_in()
    pages = ["/", "/?all=1", "/records", "/search?q=%E4%BD%95%E4%B8%BD%E8%90%8D", "/units/6-2-901", "/reports",
             "/fees"]
    pages += [f"/forms/{form}" for form in app.defs.forms] + [f"/records/{n}" for n, *_ in app.indexed()]
    pages += [f"/fees/calls/{n}" for n, form, *_ in app.indexed() if form == "fee_collection"]  # the call page
    collector = Client(client.app).sign_in("王芳")   # the example's collector: her call list has its row
    for page in pages:
        answer = (collector if page == "/fees" else client).get(page)
        assert answer.status == 200, page
        body = re.sub(r"<script.*?</script>|<style.*?</style>|<[^>]+>", " ", answer.body, flags=re.S)
        words = ours(html.unescape(body), allowed)
        if words:
            found[page] = words
    assert found == {}

