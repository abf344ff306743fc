#!/usr/bin/env python3
"""Screenshots of the web desk (``formflow serve``) for docs/web/ and docs/使用指南.md.

A fresh workspace is made from the shipped defaults in a temporary folder, every form's
``examples/<form>/valid.yaml`` is put through the engine (so the start page has records and
a to-do list), the desk is started on it, and headless Chromium (Debian's ``chromium``
package, driven by Playwright; no browser is downloaded) takes each picture at 1366×768:

    docs/web/form-<form>.png    each form page, as a clerk first sees it
    docs/web/start.png          the start page: forms, to-do list, recent records
    docs/web/problem.png        a form with the engine's Chinese messages beside the fields
    docs/web/submitted.png      the page after submitting: the record number
    docs/web/record.png         a record page: fields, deadlines, an action opened
    docs/web/unit.png           a unit's file (一户一档), reached by typing its 房号 into the search box
    docs/web/search.png         a search by name: the register's units and the records
    docs/web/unit-filled.png    a form after choosing a 房号: the owner's name and phone filled in
    docs/web/reports.png        the 报表 page: the monthly reports and the year's survey, with a month picker
    docs/web/broken.png         a supervisor's slip in forms/: one line for clerks, the details opened
    docs/web/paper-repair.png   page 1 of a completed repair's PDF: 关联记录 (its callback), materials with 合计
    docs/web/paper-service.png  the service agreement's PDF: terms, the fee in capitals, both parties' signatures
    docs/web/fees.png           a collector's call list (催费): calls due first, phones whole on her own screen
    docs/web/fee-call.png       the call page of a collection record: what is owed, the script, the call form
    docs/web/paper-notice.png   the 催缴通知书 of the example collection record: amount in capitals, seal area

The clock is fixed (FORMFLOW_NOW) so the pictures only change when the pages do.

    .venv/bin/python scripts/screenshots.py                 # writes docs/web/
    .venv/bin/python scripts/screenshots.py --out /tmp/shots --chromium /usr/bin/chromium
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOW = "2026-11-28T10:00:00+08:00"
PIN = "2468"
VIEWPORT = {"width": 1366, "height": 768}


def prepare(root: Path) -> None:
    """A workspace from the shipped defaults with every valid example stored."""
    from formflow.adapters.lock import WorkspaceLock
    from formflow.app import App
    from formflow.workspace import init_workspace

    init_workspace(root)
    from formflow.adapters.pins import PinStore

    PinStore(root).set("李娜", PIN)  # the desk asks each person's PIN (desk.sign_in: pin)
    PinStore(root).set("王芳", PIN)  # the example collection record's collector
    for example in sorted((REPO / "examples").glob("*/valid.yaml")):
        shutil.copy(example, root / "inbox" / f"示例-{example.parent.name}.yaml")
    with WorkspaceLock(root):
        report = App.open(root).process()
    if report.rejected:
        raise SystemExit(f"examples set aside: {[r.line() for r in report.results if r.status != 'stored']}")
    # The example repair taken to 完工, so its paper shows the callback it made (关联记录).
    number = next(r.records[0] for r in report.results if r.records and r.records[0].startswith("WX-"))
    # (entered from the paper order at 17:30: its steps are booked after that, their times are in its fields)
    steps = [("dispatch", "李娜", "2026-11-18T17:35:00+08:00"), ("arrive", "张伟", "2026-11-18T17:36:00+08:00"),
             ("start_work", "张伟", "2026-11-18T17:37:00+08:00"), ("complete", "张伟", "2026-11-18T17:38:00+08:00")]
    # The example collection record: a written notice given, so its 催缴通知书 is printed.
    collection = next(r.records[0] for r in report.results if r.records and r.records[0].startswith("CJ-"))
    steps = [(number, *step, "") for step in steps]
    steps.append((collection, "notice", "王芳", "2026-11-28T10:05:00+08:00", "data: {pay_by: 2026-12-12}\n"))
    for i, (record, action, by, at, data) in enumerate(steps):
        (root / "inbox" / f"{i}-{action}.yaml").write_text(
            f"record: {record}\naction: {action}\nby: {by}\nat: {at}\n{data}", encoding="utf-8")
        with WorkspaceLock(root):
            done = App.open(root).process()
        if done.rejected:
            raise SystemExit(f"{action} set aside: {[r.line() for r in done.results]}")


def shoot(root: Path, out: Path, chromium: str) -> list[Path]:
    """Take every screenshot; returns the files written."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    from formflow.web.server import start

    running = start(root)
    written: list[Path] = []
    try:
        with sync_playwright() as p:
            # --lang: date and time inputs follow the browser's own language, as on a clerk's Chinese Windows.
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--lang=zh-CN"],
                                        env={**os.environ, "LANGUAGE": "zh_CN", "LANG": "zh_CN.UTF-8"})
            page = browser.new_page(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")

            def save(name: str) -> None:
                path = out / name
                page.screenshot(path=str(path))
                written.append(path)

            page.goto(running.url)
            page.select_option("#who-person", "李娜")
            page.fill("#who-pin", PIN)
            page.click("header form.who button:has-text('登录')")
            page.locator("#who-signed").wait_for()
            save("start.png")
            for form_id in running.app.desk.defs().forms:
                page.goto(f"{running.base}/forms/{form_id}")
                save(f"form-{form_id}.png")

            page.goto(f"{running.base}/forms/complaint")
            page.select_option("#f-channel", "来电")
            page.fill("#f-complainant", "张先生")
            page.fill("#f-unit", "3-2-1502")
            page.fill("#f-phone", "1381234567")
            page.fill("#f-details", "楼上卫生间漏水，天花板滴水已两天。")
            page.select_option("#f-category", "工程维修")
            page.select_option("#f-severity", "轻微")
            page.fill("#f-resident_deadline", "2026-11-30")
            page.select_option("#f-receiver", "李娜")
            page.locator("#f-phone-p li").wait_for()
            page.locator("#f-phone").scroll_into_view_if_needed()
            save("problem.png")

            page.fill("#f-phone", "13812345678")
            page.locator(".live.ok").wait_for()
            page.click("button[type=submit].primary")
            page.locator(".result.stored .number").wait_for(timeout=20000)
            try:  # the engine's pass renders the record's PDF right after storing it
                page.locator("a:has-text('打印 PDF')").wait_for(timeout=30000)
            except PlaywrightTimeout:
                print("note: no record PDF yet; the picture shows the page without its print link", file=sys.stderr)
            save("submitted.png")
            number = page.inner_text(".result.stored .number")
            page.goto(f"{running.base}/records/{number}")
            page.click("details.action summary")
            save("record.png")

            page.fill("#top-search", "6栋2单元901")  # a resident on the phone: the 房号 as they say it
            page.press("#top-search", "Enter")
            page.locator("h1:has-text('一户一档')").wait_for()
            save("unit.png")
            page.fill("#top-search", "何丽萍")
            page.press("#top-search", "Enter")
            page.locator("h1:has-text('查找')").wait_for()
            save("search.png")
            page.goto(f"{running.base}/forms/repair")
            page.fill("#f-unit", "3栋2单元150")
            page.locator("#f-unit-list option[value='3-2-1502']").wait_for(state="attached")
            page.fill("#f-unit", "3栋2单元1502")
            page.press("#f-unit", "Tab")
            page.locator("#f-unit-unit:has-text('黄秀英')").wait_for()
            save("unit-filled.png")
            page.goto(f"{running.base}/reports")
            save("reports.png")
            settings = root / "forms" / "callback.yaml"
            good = settings.read_text(encoding="utf-8")
            settings.write_text(good.replace("\ntitle: ", "\ntitle：", 1), encoding="utf-8")
            page.goto(running.base + "/")
            page.click(".banner details summary")
            save("broken.png")
            settings.write_text(good, encoding="utf-8")
            page.goto(running.base + "/")
            page.click("form.who button:has-text('退出')")
            page.select_option("#who-person", "王芳")
            page.fill("#who-pin", PIN)
            page.click("header form.who button:has-text('登录')")
            page.locator("#who-signed").wait_for()
            page.goto(running.base + "/fees")
            save("fees.png")
            page.click("td a:has-text('记录通话')")
            page.locator("h1").wait_for()
            save("fee-call.png")
            browser.close()
    finally:
        running.stop()
    for form, name in (("repair", "paper-repair.png"), ("service", "paper-service.png"),
                       ("fee_collection", "paper-notice.png")):
        pattern = "*-催缴通知书.pdf" if name == "paper-notice.png" else "*[0-9].pdf"
        [record_pdf] = sorted((root / "outbox" / "records" / form).glob(pattern))[:1]
        target = out / name
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(record_pdf),
                        str(target.with_suffix(""))], check=True)
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "web", help="folder for the PNG files")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium to drive")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        print(f"没有找到 Chromium not found: {args.chromium} (apt-get install chromium)", file=sys.stderr)
        return 1
    os.environ["FORMFLOW_NOW"] = NOW
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "阳光花园"
        prepare(root)
        for path in shoot(root, args.out, args.chromium):
            print(f"written: {path.relative_to(REPO) if REPO in path.parents else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
