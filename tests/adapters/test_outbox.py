"""The outbox's printing: many record PDFs in a pool of forked workers, and what a dying worker costs."""

from __future__ import annotations

import datetime as dt
import os

from formflow.adapters import outbox as outbox_module
from formflow.app import App

from ..test_pipeline import complaint

NOW = dt.datetime.fromisoformat("2025-10-02T10:00+08:00")


def test_a_worker_that_dies_costs_only_its_own_pdf(workspace, monkeypatch):
    for i in range(8):
        workspace.write(f"inbox/{i}.yaml", complaint(f"住户{i}"))
    app = App.open(workspace.root)
    report = app.engine.run_pass(lambda: NOW)
    numbers = sorted(n for r in report.results for n in r.records)
    assert len(numbers) == 8 and sorted(app.outbox.pending()) == numbers
    poison = numbers[3]
    real = outbox_module._render

    def render(defs, kind, args):  # in the forked worker: this record's PDF kills its process
        if kind == "record" and args[0]["number"] == poison:
            os._exit(3)
        return real(defs, kind, args)

    monkeypatch.setattr(outbox_module, "_render", render)
    written = app.write_outputs(NOW, todo=True)
    records = sorted(p.stem for p in written if p.parent.name == "complaint")
    assert records == [n for n in numbers if n != poison]  # the seven others, though a worker died mid-pool
    assert (workspace.root / "outbox" / "todo" / "待办-全部.pdf") in written  # the lists too
    log = (workspace.root / "data" / "errors.log").read_text("utf-8")
    assert f"PDF of {poison}" in log and "the render worker died" in log
    assert app.outbox.pending() == []  # not retried forever at every start
