"""The desk's gate, tested on the WSGI app itself: loopback Host/Origin, the one-time link, the form token,
escaping, and URLs that try to be paths."""

from __future__ import annotations

import pytest

from .conftest import Client, store_complaint

EVIL = '<script>alert("x")</script>'
EVIL_DETAILS = '"><img src=x onerror=alert(1)> 楼上漏水'


def test_the_printed_link_signs_in_once_and_nothing_opens_without_it(desk_app):
    browser = Client(desk_app)
    assert browser.get("/").status == 403
    token = desk_app.guard.launch_url().split("token=")[1]
    first = browser.get(f"/forms/complaint?token={token}")
    assert first.status == 303 and first.location == "/forms/complaint"  # the token leaves the address bar
    cookie = first.cookies[0]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    browser.cookie = cookie.split(";")[0]
    assert browser.get("/").status == 200
    stranger = Client(desk_app)
    spent = stranger.get(f"/?token={token}")
    assert spent.status == 403 and "已经用过" in spent.body
    assert stranger.get("/?token=guess").status == 403
    assert stranger.get("/records").status == 403


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "192.168.1.20:8765", "localhost.evil:8765", ""])
def test_a_request_for_another_host_is_refused(client, host):
    client.host = host
    answer = client.get("/")
    assert answer.status == 403 and "只接受本机" in answer.body


@pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:9999", "https://127.0.0.1:8765"])
def test_a_post_from_another_origin_is_refused(client, workspace, origin):
    answer = client.post("/forms/complaint", {"_by": "李娜"}, headers={"Origin": origin})
    assert answer.status == 403
    assert not list((workspace.root / "inbox").iterdir())


def test_localhost_is_the_same_desk(client):
    client.host = "localhost:8765"
    assert client.get("/", headers={"Origin": "http://localhost:8765"}).status == 200


def test_a_post_without_the_form_token_is_refused(client, workspace):
    values = {"_by": "李娜", "channel": "来电", "complainant": "张先生"}
    assert client.post("/forms/complaint", values, csrf=False).status == 403
    assert client.post("/forms/complaint", {**values, "_csrf": "forged"}, csrf=False).status == 403
    assert client.post("/forms/complaint/check", values, csrf=False).status == 403
    assert client.post("/who", {"person": "赵敏"}, csrf=False).status == 403
    # the token is right, but the browser says another site sent the request
    assert client.post("/forms/complaint", values, headers={"Sec-Fetch-Site": "cross-site"}).status == 403
    assert not list((workspace.root / "inbox").iterdir())
    # the header a page's script sends works like the form field
    assert client.post("/forms/complaint/check", values, csrf=False,
                       headers={"X-CSRF-Token": client.app.guard.csrf}).status == 200


def test_a_post_without_the_session_cookie_is_refused_even_with_the_token(desk_app):
    answer = Client(desk_app).post("/forms/complaint", {"_by": "李娜"})
    assert answer.status == 403


def test_stored_values_are_escaped_on_every_page(client, workspace):
    number = store_complaint(client.app, complainant=EVIL, details=EVIL_DETAILS)
    for path in (f"/records/{number}", "/", "/records"):
        body = client.get(path).body
        assert "<script>alert" not in body and "<img src=x" not in body
    body = client.get(f"/records/{number}").body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt; 楼上漏水" in body


def test_posted_values_are_escaped_when_the_form_comes_back(client):
    answer = client.post("/forms/complaint", {"_by": "李娜", "complainant": EVIL, "place": '" autofocus onfocus="x'})
    assert answer.status == 422
    assert "<script>alert" not in answer.body and '" autofocus' not in answer.body
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;"' in answer.body
    assert "Content-Security-Policy" in answer.headers and "script-src 'self'" in answer.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", [
    "/records/..%2F..%2Fformflow.yaml", "/records/../formflow.yaml", "/records/..", "/records/.hidden",
    "/records/%2e%2e/pdf", "/records/..%2Fformflow.yaml/pdf", "/records/TS-YG-202611-9999",
    "/records/TS-YG-202611-9999/pdf", "/records/a%00b", "/records/" + "A" * 200,
    "/forms/..%2Fforms%2Fcomplaint", "/forms/Complaint", "/forms/nosuchform",
    "/static/../app.py", "/static/..%2Fapp.py", "/static/fonts/../../app.py", "/static/desk.py",
    "/todo/..%2F..%2Fformflow.yaml", "/todo/..", "/submitted/..%2F..", "/submitted/nosuchticket",
])
def test_path_like_names_in_urls_are_not_found(client, workspace, path):
    answer = client.get(path)
    assert answer.status == 404, answer.body
    assert "formflow.yaml" not in answer.body or "没有" in answer.body


def test_a_path_like_record_number_is_refused_before_any_file_is_touched(client, workspace):
    (workspace.root / "outbox" / "records").mkdir(parents=True)
    (workspace.root / "secret.pdf").write_bytes(b"%PDF-secret")
    for path in ("/records/..%2F..%2Fsecret/pdf", "/records/../../secret/pdf"):
        answer = client.get(path)
        assert answer.status == 404 and "PDF-secret" not in answer.body
    number = store_complaint(client.app)
    assert client.post(f"/records/..%2F{number}/actions/assign", {"_by": "李娜"}).status == 404
    assert client.post(f"/records/{number}/actions/..%2Fassign", {"_by": "李娜"}).status == 404


def test_a_body_over_the_limit_is_refused(client):
    answer = client.post("/forms/complaint/check", {"details": "漏" * 800_000})
    assert answer.status == 413


def test_every_page_forbids_framing_and_foreign_scripts(client):
    headers = client.get("/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
