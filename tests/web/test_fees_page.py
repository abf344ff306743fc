"""The desk's 催费 page (/fees): the signed-in collector's own call list with whole phone numbers (tel: links),
nobody else's rows; a supervisor chooses any collector's list, masked; the printable list masked."""

from __future__ import annotations

import subprocess

from ..fees.test_calllist import NOW, WANG_FANG, calls_made, collection_records
from .conftest import Client, make_desk


def _desk(workspace, shipped, monkeypatch):
    made, desk = collection_records(workspace)
    calls_made(made, desk)
    monkeypatch.setenv("FORMFLOW_NOW", NOW)
    return made, make_desk(workspace, shipped, pdfs=True)


def test_the_collector_sees_her_own_rows_with_whole_phones(workspace, shipped, monkeypatch):
    made, app = _desk(workspace, shipped, monkeypatch)
    register = workspace.load().settings.register
    page = Client(app).sign_in("王芳").get("/fees")
    assert page.status == 200, page.body
    assert '<a href="/fees">催费</a>' in page.body
    for unit in WANG_FANG:
        phone = register[unit].phones[0]
        assert f'href="tel:{phone}">{phone}</a>' in page.body
        assert f'href="/fees/calls/{made[unit]}"' in page.body
    assert [page.body.index(f'href="/fees/calls/{made[u]}"') for u in WANG_FANG] == sorted(
        page.body.index(f'href="/fees/calls/{made[u]}"') for u in WANG_FANG)
    assert "6-1-301" not in page.body and register["6-1-301"].phones[0] not in page.body   # 李娜's
    assert 'href="/fees.pdf?collector=' in page.body
    # not another collector's list
    assert Client(app).sign_in("王芳").get("/fees?collector=李娜").status == 403


def test_a_supervisor_chooses_a_collector_and_sees_masked_phones(workspace, shipped, monkeypatch):
    made, app = _desk(workspace, shipped, monkeypatch)
    register = workspace.load().settings.register
    page = Client(app).sign_in("赵敏").get("/fees?collector=李娜")
    assert page.status == 200, page.body
    phone = register["6-1-301"].phones[0]
    assert phone not in page.body and f"{phone[:3]}****{phone[-4:]}" in page.body and "tel:" not in page.body
    assert f'href="/fees/calls/{made["6-1-301"]}"' in page.body
    assert "3-2-1502" not in page.body
    assert '<option value="王芳"' in page.body and '<option value="李娜" selected>' in page.body


def test_the_menu_is_for_those_who_collect_and_the_pdf_is_masked(workspace, shipped, monkeypatch):
    _, app = _desk(workspace, shipped, monkeypatch)
    assert '<a href="/fees">催费</a>' not in Client(app).sign_in("张伟").get("/").body   # 维修人员
    assert Client(app).sign_in("张伟").get("/fees").status == 403
    pdf = Client(app).sign_in("王芳").get("/fees.pdf?collector=王芳")
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    path = workspace.root / "list.pdf"
    path.write_bytes(pdf.raw)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "催费电话清单：王芳" in text and "13826517094" not in text and "138****7094" in text
