"""Workflow rules are about dates, states and who may act: these tests skip the PDFs.

The PDFs the same passes would print are covered by tests/render and tests/test_pipeline.py;
rendering a dozen of them per ``process`` here would only make the suite slow.
"""

from __future__ import annotations

import pytest

from ..conftest import without_pdfs


@pytest.fixture
def workspace(workspace):
    without_pdfs(workspace.root)
    return workspace
