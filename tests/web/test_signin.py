"""Who is working: sign-in with a PIN, the name a submission is signed with, switching, idle end, lock-out."""

from __future__ import annotations

import subprocess
import sys

import pytest

from formflow.adapters.pins import PinStore, weak
from formflow.web.security import SESSION_COOKIE, WHO_COOKIE

from .conftest import Client, make_desk

COMPLAINT = {"_by": "李娜", "channel": "来电", "complainant": "张先生", "unit": "3-2-1502", "phone": "13812345678",
             "details": "楼上漏水", "category": "工程维修", "severity": "轻微", "receiver": "李娜"}


@pytest.fixture
def pin_desk(workspace, shipped):
    PinStore(workspace.root).set("李娜", "2468")
    PinStore(workspace.root).set("赵敏", "8642")
    return make_desk(workspace, shipped, pdfs=False, sign_in="pin")


def desk_client(app) -> Client:
    client = Client(app)
    client.cookie = f"{SESSION_COOKIE}={app.guard.session}"
    return client


def sign_in(client: Client, name: str, pin: str):
    answer = client.post("/who", {"person": name, "pin": pin, "next": "/"})
    token = next((c.split(";")[0].split("=", 1)[1] for c in answer.cookies if c.startswith(WHO_COOKIE)), "")
    if token:
        client.cookie = f"{SESSION_COOKIE}={client.app.guard.session}; {WHO_COOKIE}={token}"
    return answer


def test_the_pin_is_kept_only_as_a_salted_scrypt_hash(workspace):
    store = PinStore(workspace.root)
    store.set("李娜", "2468")
    store.set("王芳", "2468")
    text = store.path.read_text(encoding="utf-8")
    assert "2468" not in text and '"scrypt"' in text and '"salt"' in text
    data = __import__("json").loads(text)
    assert data["李娜"]["scrypt"] != data["王芳"]["scrypt"]  # salted: the same PIN, two hashes
    assert store.check("李娜", "2468") and not store.check("李娜", "2469") and not store.check("陈建国", "2468")
    assert weak("123") and weak("1111") and weak("1234") and not weak("2468")


def test_a_name_in_a_cookie_is_not_a_person_and_forms_are_signed_by_who_signed_in(pin_desk):
    client = desk_client(pin_desk)
    client.cookie += f"; {WHO_COOKIE}=%E9%99%88%E5%BB%BA%E5%9B%BD"  # "陈建国" written by hand: no session
    assert "登录" in client.get("/").body and "已登录" not in client.get("/").body
    refused = client.post("/forms/complaint", {**{k: v for k, v in COMPLAINT.items()}, "_by": "李娜"})
    assert refused.status == 403 and "请在页面右上角重新登录" in refused.body
    assert not list((pin_desk.desk.root / "inbox").glob("*.yaml"))
    action = client.post("/records/TS-YG-202611-0001/actions/assign", {"_by": "李娜"})
    assert action.status == 403 and "请先在页面右上角登录" in action.body
    assert sign_in(client, "李娜", "2468").status == 303
    page = client.get("/").body
    assert '已登录：<strong id="who-signed">李娜</strong>' in page and "我的待办" in page
    submitted = client.post("/forms/complaint", {**COMPLAINT, "_by": "陈建国"})  # the page says 陈建国: ignored
    assert submitted.status == 303
    inbox = list((pin_desk.desk.root / "inbox").glob("*.yaml"))
    assert len(inbox) == 1 and "by: 李娜" in inbox[0].read_text(encoding="utf-8")


def test_wrong_pins_lock_the_person_out_and_switching_asks_the_others_pin(pin_desk):
    client = desk_client(pin_desk)
    assert sign_in(client, "李娜", "2468").status == 303
    wrong = sign_in(client, "赵敏", "1357")  # switching to the supervisor without her PIN
    assert wrong.status == 403 and "密码不对，还可以再试 4 次" in wrong.body
    assert '已登录：<strong id="who-signed">李娜</strong>' in client.get("/").body  # still 李娜
    for left in (3, 2, 1):
        assert f"还可以再试 {left} 次" in sign_in(client, "赵敏", "0000").body
    assert "已连续输错 5 次，锁定 15 分钟" in sign_in(client, "赵敏", "0000").body
    locked = sign_in(client, "赵敏", "8642")  # even the right PIN, while locked
    assert locked.status == 403 and "已锁定" in locked.body
    assert "还没有登录密码" in sign_in(desk_client(pin_desk), "王芳", "2468").body
    PinStore(pin_desk.desk.root).set("赵敏", "97531")  # the supervisor sets a new PIN: the lock-out is over
    assert sign_in(client, "赵敏", "97531").status == 303
    assert '已登录：<strong id="who-signed">赵敏</strong>' in client.get("/").body


def test_switching_ends_the_previous_session_and_next_stays_on_this_desk(pin_desk):
    first = desk_client(pin_desk)
    sign_in(first, "李娜", "2468")
    old = first.cookie
    assert sign_in(first, "赵敏", "8642").status == 303
    stale = desk_client(pin_desk)
    stale.cookie = old  # 李娜's token, kept by someone
    assert "已登录" not in stale.get("/").body
    evil = first.post("/who", {"person": "赵敏", "pin": "8642", "next": "/\\evil.example"})
    assert evil.location == "/"


def test_a_session_ends_after_the_idle_minutes(pin_desk):
    clock = [1000.0]
    pin_desk.signin.clock = lambda: clock[0]
    client = desk_client(pin_desk)
    sign_in(client, "李娜", "2468")
    clock[0] += 29 * 60
    assert "已登录" in client.get("/").body  # a page within 30 minutes keeps it alive
    clock[0] += 31 * 60
    assert "已登录" not in client.get("/").body


def test_sign_out_and_check_says_who_has_no_pin(pin_desk, workspace):
    client = desk_client(pin_desk)
    sign_in(client, "李娜", "2468")
    client.post("/who/out", {})
    assert "已登录" not in client.get("/").body
    result = workspace.cli("check")
    assert "人还没有服务台登录密码" in result.out and "王芳" in result.out and "李娜、" not in result.out
    formflow = [sys.executable, "-m", "formflow", "staff", "passwd", "王芳", "--pin-stdin", "--root", str(workspace.root)]
    weak_pin = subprocess.run(formflow, input="1111\n", capture_output=True, text=True)
    assert weak_pin.returncode == 2 and "太容易猜" in weak_pin.stderr
    done = subprocess.run(formflow, input="1357\n", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert PinStore(workspace.root).check("王芳", "1357")
    assert "王芳  客服专员、收费员  客服中心  有密码 PIN set" in workspace.cli("staff", "list").out



def test_the_audit_log_says_who_did_what_and_from_where(pin_desk, workspace):
    client = desk_client(pin_desk)
    sign_in(client, "赵敏", "0000")
    sign_in(client, "李娜", "2468")
    assert client.post("/forms/complaint", COMPLAINT).status == 303
    assert pin_desk.processor.run_pass()
    client.post("/who/out", {})
    assert workspace.cli("act", "TS-YG-202611-0001", "correct", "--by", "赵敏", "--set", "phone=13900001111",
                         "--note", "电话录错").code == 0
    assert workspace.cli("process").code == 0
    result = workspace.cli("audit")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    events = [line.split("  ")[2:5] for line in lines[:-1]]
    assert events[0] == ["登录失败", "赵敏", "服务台"]
    assert events[1] == ["登录", "李娜", "服务台"]
    assert events[2] == ["写入收件箱", "李娜", "服务台"] and ["登记/办理", "李娜", "服务台"] in events
    assert ["退出", "李娜", "服务台"] in events and ["写入收件箱", "赵敏", "命令行"] in events
    correction = next(line for line in lines if "TS-YG-202611-0001 更正" in line)  # labels, not keys
    assert "登记/办理  赵敏  命令行" in correction and "电话录错" in correction
    # the log travels with the station's own log folder and is never rewritten
    assert list((workspace.root / "data" / "archive" / "audit").glob("*.jsonl"))
    assert workspace.cli("audit", "--person", "赵敏").out.count("赵敏") >= 3


def test_a_form_posted_after_the_session_ended_comes_back_with_what_was_typed(pin_desk):
    clock = [1000.0]
    pin_desk.signin.clock = lambda: clock[0]
    client = desk_client(pin_desk)
    sign_in(client, "李娜", "2468")
    clock[0] += 31 * 60  # a long phone call
    answer = client.post("/forms/complaint", {**COMPLAINT, "details": "楼上卫生间漏水三天了"})
    assert answer.status == 403
    assert "登录已过期" in answer.body and "楼上卫生间漏水三天了" in answer.body  # nothing typed is lost
    assert not list((pin_desk.desk.root / "inbox").glob("*.yaml"))
