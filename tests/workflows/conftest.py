"""Workflow rules are about dates, states and who may act: these tests skip the PDFs.

The PDFs the same passes would print are covered by tests/render and tests/test_pipeline.py;
rendering a dozen of them per ``process`` here would only make the suite slow.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def workspace(workspace):
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8") + "\noutbox: {record_pdfs: false, todo_pdfs: []}\n",
                        encoding="utf-8")
    return workspace
