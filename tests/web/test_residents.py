"""The desk's resident pages: search from every page, a unit's file, unit completion, Excel downloads."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook

from .conftest import store_complaint

#: A major complaint registered at 09:00 on Saturday 2026-11-28: to the director the same day, a reply within 2 days,
#: resolved within 10 (the manual's rule, on the shipped calendar).
DEADLINES = [("upcoming", "呈送管理处主任 2026-11-28 23:59（未到期）"), ("upcoming", "给住户明确答复 2026-11-30 09:00（未到期）"),
             ("upcoming", "投诉处理完毕 2026-12-08 09:00（未到期）")]


def test_every_page_has_the_search_box_and_a_search_finds_name_phone_and_unit(client, desk_app):
    number = store_complaint(desk_app, complainant="张先生")
    start = client.get("/")
    assert 'action="/search"' in start.body and 'placeholder="房号、姓名、电话或编号"' in start.body
    by_name = client.get("/search?q=%E5%BC%A0%E5%85%88%E7%94%9F")  # 张先生
    assert by_name.status == 200
    assert f'<a href="/records/{number}">{number}</a>' in by_name.body
    assert '<a href="/units/3-2-1502">3-2-1502</a>' in by_name.body
    assert "“张先生”：共 1 条记录" in by_name.body and 'href="/search.xlsx?q=' in by_name.body
    assert number in client.get("/search?q=5678").body  # the phone's last four digits
    typed = client.get("/search?q=3%E6%A0%8B2%E5%8D%95%E5%85%831502%E5%AE%A4")  # 3栋2单元1502室
    assert typed.status == 303 and typed.location == "/units/3-2-1502"
    nothing = client.get("/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert nothing.status == 200 and "<script>alert" not in nothing.body and "&lt;script&gt;" in nothing.body
    assert "没有找到" in nothing.body


def test_the_unit_page_shows_the_register_records_and_deadlines(client, desk_app):
    number = store_complaint(desk_app, severity="重大")
    page = client.get("/units/3-2-1502")
    assert page.status == 200
    text = re.sub(r"<[^>]+>", " ", page.body)
    assert "3-2-1502" in text and "一户一档" in text and "黄秀英" in text and "13826517094" in text and "已入住" in text
    assert f'<a href="/records/{number}">{number}</a>' in page.body
    assert re.findall(r"badge (\w+)\">([^<]+)<", page.body) == DEADLINES
    assert "共 1 条，未办结 1 条" in text
    record = client.get(f"/records/{number}")
    assert '房号 <a href="/units/3-2-1502"' in record.body
    assert client.get("/units/03-02-1502").location == "/units/3-2-1502"
    missing = client.get("/units/3-2-1509")
    assert missing.status == 404 and "相近的房号：3-2-1502、3-2-1501" in missing.body


def test_unit_completion_answers_with_owner_and_phone(client):
    import json

    answer = json.loads(client.get("/units.json?q=3%E6%A0%8B2%E5%8D%95%E5%85%8315").body)  # 3栋2单元15
    assert [u["unit"] for u in answer["units"]] == ["3-2-1501", "3-2-1502"]
    exact = json.loads(client.get("/units.json?q=3-2-1502%E5%AE%A4").body)  # 3-2-1502室
    assert exact["unit"] == "3-2-1502" and exact["known"] is True
    assert exact["units"][0] == {"unit": "3-2-1502", "owner": "黄秀英", "phone": "13826517094", "status": "已入住"}
    assert json.loads(client.get("/units.json?q=99-9-999").body)["known"] is False


def test_excel_downloads_of_the_list_a_search_and_a_unit(client, desk_app):
    numbers = [store_complaint(desk_app, complainant=name) for name in ("张先生", "李女士")]
    for path, title in (("/records.xlsx?form=complaint", "阳光花园管理处 投诉处理记录"),
                        ("/search.xlsx?q=3-2-1502", "查找“3-2-1502”：共 2 条记录"),
                        ("/units/3-2-1502.xlsx", "房号 3-2-1502　业主 黄秀英")):
        answer = client.get(path)
        assert answer.status == 200, answer.body
        assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        assert answer.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
        rows = list(load_workbook(io.BytesIO(answer.raw), read_only=True).active.iter_rows(values_only=True))
        assert rows[0][0].startswith(title)
        assert sorted(r[2] for r in rows[2:]) == sorted(numbers)
