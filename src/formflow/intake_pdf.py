"""Reading a filled PDF form (the blank of ``formflow blank FORM --fillable``) into a checked submission.

A clerk fills the fillable blank in a PDF reader, saves it and drops it into ``inbox/``; the
engine reads it here and from then on treats it like a YAML submission: the same envelope
(``form``, ``version``, ``by``, ``data``), the same validation, the same Chinese messages, the
same archive (the PDF itself is archived, and ``formflow rebuild`` reads it again through here).

What the renderer (render/pdf.py, WeasyPrint) puts in a fillable blank, and how it is read back:

* document information ``formflowform`` / ``formflowformversion``: which form, which version
  (keys compared without regard to case; WeasyPrint writes them in lower case);
* a text field per field, named by the field key (``complainant``); dates, times, numbers and
  choices printed as a line are typed as text and read like the text of a YAML file;
* a radio group per choice or yes/no with tick boxes: the group's ``/Opt`` holds the option
  *labels* in order and each button's "on" appearance is named by its index (``/0``, ``/1``…);
  the ticked button is found from the buttons' ``/AS`` (what the reader shows), else from
  ``/V``; the label is mapped back to the option's value;
* a check box field per option of a multi-choice, named ``<field>.<n>`` for the n-th option
  (from 0; in a table ``<table>.<row>.<column>.<n>``), so readers tick each on its own. Blanks
  printed before this had all boxes under the field's own name (on state ``/on``, WeasyPrint
  drops the HTML ``value``): the n-th box of that name is the n-th option — still read;
* table cells ``<table>.<row>.<column>`` (rows from 1); rows left empty are skipped;
* ``_record`` (the 记录编号 box, for the number the engine gives: must stay empty here) and
  ``_by`` (经办人, see :data:`BY_FIELD`; not yet emitted by the renderer).

The envelope's ``at`` is left out: a PDF record is made at the time the engine receives the
file (the form's own 接待时间-style fields default to that moment too), and ``rebuild`` passes
the archived receipt time, so it reproduces the record.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

from formflow.definitions.forms import Field, Form
from formflow.definitions.loader import Definitions
from formflow.pdf_fields import NotAForm, PdfField, document_info, open_pdf, read_fields

#: Larger PDFs are refused unread (YAML's limit, :data:`formflow.intake.MAX_BYTES`, is 2 MB).
#: The fillable blanks of the shipped forms are 53–92 KB, a filled one a few KB more; the
#: headroom is for a reader that embeds a whole Chinese font when it saves (a CJK font is
#: 10–17 MB). Only the cross-reference table, the form fields and the document information are
#: parsed (pypdf reads lazily; page content is never decoded), so size costs little time; the
#: limit keeps stray scans and brochures out of the archive, which keeps every accepted file.
MAX_PDF_BYTES = 20 * 1024 * 1024

#: The field a clerk types their own name into (经办人 of the envelope). The renderer does not
#: emit it yet; until it does, :data:`SIGNER_FIELDS` stands in.
BY_FIELD = "_by"
#: The record-number box of the blank (for paper use: the number is written after registration).
RECORD_FIELD = "_record"
#: Without a ``_by`` box, the form's own "who at the office took this" field signs the
#: submission — 经办人/接待人 (``clerk``, ``receiver``), 回访人 (``visitor``), 回收人/催费人
#: (``collector``): every shipped form has one, required. Its value must be an active name
#: on the staff roster, exactly as ``by`` of a YAML file must.
SIGNER_FIELDS = ("clerk", "receiver", "visitor", "collector")

_CELL = re.compile(r"^([a-z][a-z0-9_]*)\.(\d{1,4})\.([a-z][a-z0-9_]*)$")
_OPTION = re.compile(r"^(.+)\.(\d{1,3})$")  # the check box of option n: ``<field>.<n>``
_SPLIT = re.compile(r"\s*[、,，;；/\n]\s*")

HOW_TO_GET_A_BLANK = "可填写的空白表可在服务台“空白表”处下载，或请主管生成"


# ── the form's data ────────────────────────────────────────────────────────────────────────

def _choice_value(field: Field, label: str) -> str:
    """The option value of a ticked label (an unknown text is left for validation to name)."""
    if field.choices is not None:
        for option in field.choices.options:
            if label in (option.label, option.value):
                return option.value
    return label


def _value(field: Field, entries: list[PdfField], where: str, problems: list[str]) -> Any:
    """The raw data value of ``field`` from its PDF field(s); ``None`` when nothing was filled."""
    checks = [e for e in entries if e.kind == "check"]
    if checks:
        ticked = [i for i, e in enumerate(checks) if e.on]
        if not ticked:
            return None
        options = list(field.choices.options) if field.choices is not None else []
        chosen = []
        for i in ticked:
            state, option = checks[i].text, checks[i].option
            if option >= 0:  # its name says which option it is
                named = options[option].value if option < len(options) else None
            else:
                named = next((o.value for o in options if state in (o.value, o.label)), None)
                if named is None and state.isdigit() and int(state) < len(options):
                    named = options[int(state)].value
            if named is not None:
                chosen.append(named)  # a box whose name or "on" state says which option it is
            elif option < 0 and len(checks) == len(options):
                chosen.append(options[i].value)  # old blanks' boxes of one name: the n-th box is the n-th option
            else:
                problems.append(f"{where}：无法识别勾选的选项（PDF 中有 {len(checks)} 个勾选框，表单有 "
                                f"{len(options)} 个选项），请用本机生成的空白表重新填写；{HOW_TO_GET_A_BLANK}")
                return None
        chosen = list(dict.fromkeys(chosen))  # two boxes of one option (a doctored file): once
        return chosen if field.type == "multichoice" else chosen[0]
    entry = entries[0]
    if entry.kind == "radio":
        if entry.unreadable:
            problems.append(f"{where}：无法识别所勾选的项，请在 PDF 阅读器中重新勾选后保存")
            return None
        if entry.conflict:
            problems.append(f"{where}：同时勾选了 {'、'.join(entry.conflict)}，只能选一项")
            return None
        if not entry.text:
            return None
        return [_choice_value(field, entry.text)] if field.type == "multichoice" else _choice_value(field, entry.text)
    text = entry.text.strip() if field.type != "textarea" else entry.text.strip("\n")
    if not text.strip():
        return None
    if field.type == "multichoice":  # printed as a line: the labels typed, 、 or , between them
        return [_choice_value(field, t) for t in _SPLIT.split(text.strip()) if t]
    if field.type == "choice":
        return _choice_value(field, text.strip())
    return text


def form_data(form: Form, fields: list[PdfField]) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """``data`` of the envelope from the PDF's fields; also the ``_``-fields (``_by``…) and problems."""
    top = form.fields
    by_name: dict[str, list[PdfField]] = defaultdict(list)
    for f in fields:
        by_name[f.name].append(f)
    for name in [n for n in by_name if _OPTION.match(n)]:  # the boxes of one multi-choice, back together
        base, option = _OPTION.match(name).groups()
        checks = [e for e in by_name[name] if e.kind == "check"]
        if checks and (base in top or _CELL.match(base)):
            by_name[base].extend(PdfField(base, "check", e.text, e.on, option=int(option)) for e in checks)
            by_name[name] = [e for e in by_name[name] if e.kind != "check"]
            if not by_name[name]:
                del by_name[name]
    data: dict[str, Any] = {}
    special: dict[str, str] = {}
    rows: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    problems: list[str] = []
    for name, entries in by_name.items():
        if name.startswith("_"):
            special[name] = entries[0].text.strip() if entries[0].kind == "text" else ""
            continue
        cell = _CELL.match(name)
        field = top.get(name)
        if field is not None and field.holds_data and field.type != "table":
            value = _value(field, entries, field.display, problems)
            if value is not None:
                data[name] = value
            continue
        table = top.get(cell.group(1)) if cell else None
        column = next((c for c in table.columns if c.name == cell.group(3)), None) if table is not None and \
            table.type == "table" else None
        if column is not None:
            row = int(cell.group(2))
            value = _value(column, entries, f"「{table.label}」第{row}行「{column.label}」", problems)
            if value is not None:
                rows[table.name].setdefault(row, {})[column.name] = value
            continue
        if any(e.on or e.text.strip() for e in entries):
            problems.append(f"PDF 中的栏目“{name[:40]}”在当前第{form.version}版「{form.title}」中没有，"
                            f"可能是旧版的空白表；请用新的空白表重新填写（{HOW_TO_GET_A_BLANK}）")
    for table_name, numbered in rows.items():
        data[table_name] = [numbered[i] for i in sorted(numbered)]  # rows left empty are not there at all
    return data, special, problems


def _signer(form: Form, data: dict[str, Any], special: dict[str, str], defs: Definitions,
            fields: list[PdfField]) -> tuple[str, list[str]]:
    """The envelope's ``by`` and any problem with it (see :data:`BY_FIELD`, :data:`SIGNER_FIELDS`)."""
    roster = "、".join(s.name for s in defs.settings.staff if s.active)
    if any(f.name == BY_FIELD for f in fields):
        by = special.get(BY_FIELD, "")
        if not by:
            return "", [f"「经办人」({BY_FIELD})：未填写，请填写人员名册中的姓名（名册：{roster}）"]
        if defs.settings.person(by) is None:
            return "", [f"「经办人」({BY_FIELD})：“{by[:30]}”不在人员名册中（名册：{roster}）"]
        return by, []
    signer = next((form.fields[n] for n in SIGNER_FIELDS if n in form.fields), None)
    if signer is None:
        return "", [f"此 PDF 表单没有「经办人」栏，「{form.title}」也没有接待人/经办人字段，无法确定经办人："
                    "请改用 YAML 文件或前台网页提交"]
    value = data.get(signer.name)
    by = value.strip() if isinstance(value, str) else ""
    if not by:
        # A required signer field is reported by validation as 必填项未填写; say why it matters here.
        return "", [] if signer.required is True else [
            f"{signer.display}：未填写。此 PDF 表单没有单独的「经办人」栏，以{signer.display}为经办人，"
            f"请填写人员名册中的姓名（名册：{roster}）"]
    if defs.settings.person(by) is None:
        return "", [f"{signer.display}：“{by[:30]}”不在人员名册中。此 PDF 表单没有单独的「经办人」栏，"
                    f"以「{signer.label}」为经办人，须填写名册中的姓名（名册：{roster}）"]
    return by, []


def pdf_envelope(raw: bytes, defs: Definitions) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """The envelope document of a filled PDF form, its problems, and the problems of ``by`` alone.

    Raises :class:`NotAForm` for a file that is not a readable formflow form (a scan, a record
    PDF, an unknown or newer form, an encrypted or broken file).
    """
    if len(raw) > MAX_PDF_BYTES:
        raise NotAForm(f"PDF 文件太大（{len(raw) / 1048576:.1f} MB，上限 {MAX_PDF_BYTES // 1048576} MB），"
                       "不是一份可填写表单（扫描件请按纸面内容录入）")
    reader = open_pdf(raw)
    try:
        info = document_info(reader)
        fields = read_fields(reader)
    except NotAForm:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken object deep in the file
        raise NotAForm(f"PDF 文件的表单部分已损坏，无法读取（{type(exc).__name__}）："
                       "请在 PDF 阅读器中重新“另存为”后放入") from None
    form_id = info.get("formflowform", "")
    if not fields:
        if info.get("formflowrecord"):
            raise NotAForm(f"这是记录 {info['formflowrecord'][:40]} 的打印件（本系统生成的记录 PDF），不是可填写表单，"
                           f"无需放入 inbox；要修改记录请办理相应操作。{HOW_TO_GET_A_BLANK}")
        if form_id:
            raise NotAForm("这是本系统表单的 PDF，但其中没有可填写的栏目：可能是不可填写的空白表，"
                           "或填写后用了“打印为 PDF”（填写内容被压平成了图文）。请在填写后用阅读器的“保存”，"
                           f"不要用“打印”；{HOW_TO_GET_A_BLANK}")
        raise NotAForm("这是扫描件/普通 PDF，不是本系统的可填写表单：文件中没有可填写的表单栏，无法读取内容。"
                       "纸质表请在服务台网页上按纸面内容录入；"
                       f"{HOW_TO_GET_A_BLANK}")
    if not form_id:
        raise NotAForm("这份 PDF 有可填写的栏目，但没有本系统的表单标识（不是本系统生成的空白表，"
                       "或保存时丢失了文档属性），无法确定是哪张表：请用本系统生成的空白表填写；"
                       f"{HOW_TO_GET_A_BLANK}")
    form = defs.forms.get(form_id)
    if form is None:
        raise NotAForm(f"PDF 标明的表单“{form_id[:40]}”在本工作区中没有（可用的表单：{'、'.join(defs.forms)}），"
                       "可能来自另一个管理处的空白表")
    version_text = info.get("formflowformversion", "")
    if not version_text.isdigit():
        raise NotAForm(f"PDF 的表单版本号“{version_text[:20]}”不对，无法核对表单版本；{HOW_TO_GET_A_BLANK}")
    version = int(version_text)
    if version > form.version:
        raise NotAForm(f"此 PDF 是「{form.title}」第{version}版的空白表，但本工作区的表单只有第{form.version}版"
                       "（可能来自已更新表单定义的另一台电脑）：请更新表单定义，或用本机生成的空白表重新填写；"
                       f"{HOW_TO_GET_A_BLANK}")
    data, special, problems = form_data(form, fields)
    if not data and not any(special.values()) and not problems:
        raise NotAForm(f"这是一份还没有填写的「{form.title}」空白表（所有栏目都是空的）：请在 PDF 阅读器中填写后"
                       "用“保存”存盘，再放入 inbox；若已填写，可能是所用软件没有把填写内容存进文件（有的看图软件只能看、"
                       "不能填），请换用能填写表单的 PDF 阅读器")
    if special.get(RECORD_FIELD):
        problems.insert(0, f"「记录编号」栏填了“{special[RECORD_FIELD][:40]}”：可填写 PDF 只用于登记新记录，编号由系统分配，"
                           "此栏请留空；对已有记录的办理请用 YAML 文件（record:、action:）或前台网页")
    by, by_problems = _signer(form, data, special, defs, fields)
    return {"form": form.id, "version": version, "by": by, "data": data}, problems, by_problems


def read_pdf(raw: bytes, name: str, defs: Definitions, now: dt.datetime):
    """Like :func:`formflow.intake.read_content`, for a filled PDF form: ``(checked, problems)``."""
    from formflow.engine.submission import check_text, read_submission
    from formflow.engine.validate import signed, validate_data
    from formflow.intake import Checked

    try:
        document, problems, by_problems = pdf_envelope(raw, defs)
    except NotAForm as exc:
        return [], [str(exc)]
    broken = check_text(document, defs)  # a box typed into with a broken or invisible character
    said = {p.key for p in broken}
    if by_problems:  # the signer's box is explained above, in the PDF's own words: not twice
        said |= {name for name in SIGNER_FIELDS if name in defs.forms[document["form"]].fields}
    submission, found = read_submission(document, defs, now)
    # `by` was judged above in the PDF's own words (which box to fill in), or is left to validation
    # (a required signer box left empty): the YAML wording "缺少经办人（by）" would not help here.
    problems = [str(p) for p in broken] + by_problems + problems + [str(p) for p in found
                                                                   if p.key != "by" and p.key not in said]
    if submission is None:
        return [], problems
    form = defs.forms[submission.form]
    validated = validate_data(form, signed(form, submission.data, submission.by), defs.settings, now)
    problems += [str(p) for p in validated.problems if p.key not in said]
    return [Checked(0, submission, validated, now)], problems


__all__ = ["BY_FIELD", "MAX_PDF_BYTES", "NotAForm", "PdfField", "SIGNER_FIELDS", "pdf_envelope", "read_fields",
           "read_pdf"]
