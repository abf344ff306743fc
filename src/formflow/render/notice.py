"""The 催缴通知书 as an A4 PDF (WeasyPrint, the package's font), from a collection record.

    from formflow.render.notice import render_notice
    data = render_notice(defs, record)      # bytes; the record must have had 发出催缴通知书

Rendered with the same renderer, stylesheet and font as the record PDFs (:mod:`formflow.render.pdf`);
the letter's own layout is in ``templates/notice.html``.
"""

from __future__ import annotations

from formflow.definitions.loader import Definitions
from formflow.engine.records import Record, replay
from formflow.errors import WorkspaceError
from formflow.fees.letter import notice_context, notice_event
from formflow.render.pdf import renderer_for


def render_notice(defs: Definitions, record: Record) -> bytes:
    """The letter of ``record`` (dated the day of its latest 发出催缴通知书); :class:`WorkspaceError` when it has none
    or the workspace has no wording for it."""
    if notice_event(record) is None or record.form not in defs.workflows:
        raise WorkspaceError(f"记录 {record.number} 还没有发出催缴通知书 has had no 发出催缴通知书 (notice) yet")
    if defs.notice is None:
        raise WorkspaceError("没有催缴通知书的文字 no fees/notice.yaml in the workspace or the package")
    view = replay(record, defs.workflows[record.form])
    settings = defs.settings
    renderer = renderer_for(defs)
    context = notice_context(defs.notice, view, settings.office, settings.company, settings.timezone)
    return renderer.pdf("notice.html", context, variant=renderer.variant)
