"""The 催缴通知书: printed beside the record's PDF once 发出催缴通知书 is done, again by ``formflow fees notice`` and
from the desk; its words are the office's (fees/notice.yaml), checked by ``formflow check``."""

from __future__ import annotations

import re
import subprocess

from formflow.fees.placeholders import NAMES

from ..conftest import CALENDAR_WARNING
from ..render.test_pdf import fonts, pdftotext
from ..web.conftest import PORT, Client, without_sign_in
from .test_round import ROUND, Desk, _made, _round_ready


def _noticed(workspace) -> tuple[Desk, str]:
    """A round made without PDFs; then PDFs on, and 3-2-1502 given its notice (that pass prints the letter)."""
    _round_ready(workspace)
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    desk, made = Desk(workspace), _made(workspace)
    number = made["3-2-1502"]
    settings = workspace.root / "formflow.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("record_pdfs: false", "record_pdfs: true"),
                        encoding="utf-8")
    desk.act(number, "call_no_answer", "2026-11-30T09:05+08:00", outcome="无人接听")
    assert not (workspace.root / "outbox" / "records" / "fee_collection" / f"{number}-催缴通知书.pdf").exists()
    desk.act(number, "notice", "2026-12-02T10:00+08:00", pay_by="2026-12-15")
    return desk, number


def test_the_letter_is_printed_beside_the_record_with_the_figures_and_the_office(workspace, tmp_path):
    _, number = _noticed(workspace)
    folder = workspace.root / "outbox" / "records" / "fee_collection"
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(number)) == [
        f"{number}-催缴通知书.pdf", f"{number}.pdf"]
    data = (folder / f"{number}-催缴通知书.pdf").read_bytes()
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout
    flat = re.sub(r"\s+", "", text.decode())
    for words in ("催缴通知书", "尊敬的黄秀英业主：", "阳光花园管理处", "3-2-1502",
                  "最早欠费期间为2026年1月，共计人民币1,235.50元（大写：壹仟贰佰叁拾伍元伍角）",
                  "收费项目所属期间欠费金额（元）", "物业费2026-01至2026-061,200.00", "水费2026-1035.50",
                  "合计人民币（大写）壹仟贰佰叁拾伍元伍角1,235.50", "限期缴费日期：2026年12月15日",
                  "请您于2026年12月15日前到管理处客服中心缴清上述费用", "联系人：王芳", "特此通知。",
                  "（盖章）", "2026年12月2日"):
        assert words in flat, words
    assert not re.search(r"\d{3}\d{4}\d{4}", flat)       # no phone number on paper
    assert set(re.findall(r"[A-Za-z]+", flat)) == {"CJ", "YG"}   # Chinese only, but for the record's number
    embedded = fonts(data, tmp_path)
    assert embedded and all(emb == "yes" for _, emb in embedded)
    assert [name.split("+")[-1] for name, _ in embedded] == ["Formflow-Sans-SC"]   # the package's font only


def test_printed_again_by_the_cli_and_from_the_desk(workspace, tmp_path):
    desk, number = _noticed(workspace)
    again = workspace.cli("fees", "notice", number, "-o", str(tmp_path / "again.pdf"))
    assert again.code == 0, again.err
    assert again.out == f"已打印催缴通知书 written: {tmp_path / 'again.pdf'}\n"
    assert "限期缴费日期：2026年12月15日" in pdftotext((tmp_path / "again.pdf").read_bytes(), tmp_path)
    other = next(n for u, n in _made_numbers(desk).items() if u != "3-2-1502")
    refused = workspace.cli("fees", "notice", other)
    assert refused.code == 1 and "还没有发出催缴通知书" in refused.err

    from formflow.web.app import DeskApp
    from formflow.web.desk import Desk as WebDesk
    from formflow.web.security import Guard
    from formflow.web.submit import Processor

    without_sign_in(workspace.root)
    web = WebDesk(workspace.root)
    client = Client(DeskApp(web, Guard(PORT), Processor(web))).sign_in("王芳")
    page = client.get(f"/records/{number}")
    assert f'<a class="button" href="/records/{number}/notice.pdf" target="_blank" rel="noopener">打印催缴通知书</a>' \
        in page.body
    letter = client.get(f"/records/{number}/notice.pdf")
    assert letter.status == 200 and letter.headers["Content-Type"] == "application/pdf"
    assert "尊敬的黄秀英业主：" in pdftotext(letter.raw, tmp_path)
    assert "打印催缴通知书" not in client.get(f"/records/{other}").body
    assert client.get(f"/records/{other}/notice.pdf").status == 404


def _made_numbers(desk: Desk) -> dict[str, str]:
    from formflow.app import App

    app = App.open(desk.ws.root)
    return {desk.record(n)["unit"]: n for n, *_ in app.indexed("fee_collection")}


def test_the_office_words_its_own_letter(workspace, tmp_path):
    _, number = _noticed(workspace)
    workspace.write("fees/notice.yaml", """
        title: 缴费提示函
        salutation: "{业主}先生/女士："
        body: ["您的{房号}房屋欠费{欠费月数}个月，合计{欠费合计}。<b>请尽快缴纳</b>"]
        signature: "{管理处}客服中心"
        """)
    assert workspace.cli("fees", "notice", number, "-o", str(tmp_path / "own.pdf")).code == 0
    flat = re.sub(r"\s+", "", pdftotext((tmp_path / "own.pdf").read_bytes(), tmp_path))
    assert "缴费提示函" in flat and "黄秀英先生/女士：" in flat and "阳光花园管理处客服中心" in flat
    assert "您的3-2-1502房屋欠费7个月，合计1,235.50元。<b>请尽快缴纳</b>" in flat   # escaped, not markup
    assert "（盖章）" in flat                                                        # the default seal words


def test_check_names_a_wrong_placeholder_with_file_line_and_fix(workspace):
    workspace.write("fees/notice.yaml", """
        title: 催缴通知书
        salutation: 尊敬的{业主}业主：
        body:
          - 您名下{房间号}房屋尚欠费用。
          - 请于{限期日期}前缴清。
        seal: 3
        """)
    result = workspace.cli("check")
    assert result.code == 1
    lines = result.err.splitlines()
    assert "fees/notice.yaml:6:1: seal: 类型不对 wrong type (expected 文字 text, got 3)" in lines, result.err
    # (a schema problem stops the file there; the placeholders are checked once its shape is right)
    workspace.write("fees/notice.yaml", """
        title: 催缴通知书
        salutation: 尊敬的{业主}业主：
        body:
          - 您名下{房间号}房屋尚欠费用。
          - 请于{限期日期}前缴清。
        """)
    lines = workspace.cli("check").err.splitlines()
    available = "可用 available: " + "、".join(f"{{{name}}}" for name in NAMES)
    assert lines[len(CALENDAR_WARNING):] == [   # each at its placeholder's own line and column
        "fees/notice.yaml:4:8: body[0]: 未知的占位符 unknown placeholder {房间号}",
        f"    修改建议 fix: 是否应为 did you mean {{房号}}? {available}",
        "fees/notice.yaml:5:7: body[1]: 未知的占位符 unknown placeholder {限期日期}",
        f"    修改建议 fix: 是否应为 did you mean {{限期缴费日期}}? {available}",
        "共 2 处错误，请修改后重新运行 formflow check。",
    ]


def test_a_letter_after_a_part_payment_asks_for_what_is_still_owed(workspace, tmp_path):
    _round_ready(workspace)
    assert workspace.cli("fees", "round", "--name", ROUND, "--by", "王芳", "--yes").code == 0
    desk, made = Desk(workspace), _made(workspace)
    number = made["3-2-1502"]
    desk.act(number, "part_paid", "2026-12-01T10:00+08:00", paid_amount="400.00")
    desk.act(number, "notice", "2026-12-02T10:00+08:00", pay_by="2026-12-15")
    assert workspace.cli("fees", "notice", number, "-o", str(tmp_path / "letter.pdf")).code == 0
    flat = re.sub(r"\s+", "", subprocess.run(["pdftotext", "-layout", str(tmp_path / "letter.pdf"), "-"],
                                             capture_output=True, text=True, check=True).stdout)
    for words in ("共计人民币835.50元（大写：捌佰叁拾伍元伍角）", "物业费2026-01至2026-061,200.00", "已缴-400.00",
                  "尚欠合计人民币（大写）捌佰叁拾伍元伍角835.50"):
        assert words in flat, words
    assert "1,235.50" not in flat
