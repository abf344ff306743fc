"""Reading a submitted file (YAML or JSON, one or more documents; or a filled PDF form) into checked submissions.

This is the shared front door: ``formflow validate``, the inbox engine and the web desk all
read files through :func:`read_file`, so a clerk sees the same Chinese messages everywhere.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from formflow.definitions.loader import Definitions
from formflow.definitions.yamlsource import Document, YamlSyntaxError, parse_documents
from formflow.engine.submission import Submission, check_text, may_hold_flaws, printable, read_submission
from formflow.engine.validate import DataProblem, Validated, signed, validate_data
from formflow.intake_pdf import MAX_PDF_BYTES, read_pdf

#: Larger files are refused unread: no form is this big, and a huge file would stall the desk.
MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Checked:
    """One document of a file: its envelope and, for a new record, its validated data."""

    index: int
    submission: Submission
    validated: Validated | None
    #: The time ``validated`` was judged at: the record is created from it, unchecked again, if created at that time.
    validated_at: dt.datetime | None = None


def _doc_label(index: int, count: int) -> str:
    return f"第{index + 1}份文档 document {index + 1}：" if count > 1 else ""


def read_file(path: Path, defs: Definitions, now: dt.datetime) -> tuple[list[Checked], list[str]]:
    """Every document of ``path`` checked; the second list holds the problems in Chinese (empty if all good)."""
    if not path.is_file():  # a pipe or device: reading it would wait for ever for a writer
        return [], ["这不是普通文件（可能是文件夹、命名管道或设备），无法检查：请指定填好的表单文件本身"]
    try:
        size = path.stat().st_size
        limit = MAX_PDF_BYTES if path.suffix.lower() == ".pdf" else MAX_BYTES
        if size > limit:
            return [], [too_big(size, limit)]
        raw = path.read_bytes()
    except OSError as exc:
        return [], [f"无法读取文件：{exc.strerror}"]
    return read_content(raw, path.name, defs, now)


def too_big(size: int, limit: int = MAX_BYTES) -> str:
    """The Chinese explanation for a file over :data:`MAX_BYTES` (or ``limit``)."""
    return f"文件太大（{size / 1048576:.1f} MB，上限 {limit // 1048576} MB），不是一份表单"


def read_content(raw: bytes, name: str, defs: Definitions, now: dt.datetime,
                 *, lines: bool = True) -> tuple[list[Checked], list[str]]:
    """Like :func:`read_file`, for content already read (the inbox reads each file once).

    ``now`` is when the file was received: ``at`` and the dates of the data must be plausible
    around it (the settings' ``dates``).
    """
    checked, problems = _read_content(raw, name, defs, now, lines)
    # A message may quote what was written; a broken character in it would break the rejection note too.
    return checked, [printable(p) for p in problems]


def _read_content(raw: bytes, name: str, defs: Definitions, now: dt.datetime,
                  lines: bool) -> tuple[list[Checked], list[str]]:
    suffix = Path(name).suffix.lower()
    if suffix == ".pdf":  # a fillable blank filled in a PDF reader (intake_pdf.py; its own size limit)
        return read_pdf(raw, name, defs, now)
    if len(raw) > MAX_BYTES:
        return [], [too_big(len(raw))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return [], ["文件不是 UTF-8 编码（是 UTF-16，即记事本的“Unicode”编码），"
                        "请在“另存为”时把编码选为 UTF-8 后重新放入"]
        return [], ["文件不是 UTF-8 编码的文字（可能是 GBK 编码或二进制文件），请用 UTF-8 编码另存后重新放入"]
    if "\x00" in text:
        return [], ["文件含有二进制内容，不是 YAML/JSON 表单"]
    # Each document with what it was parsed from: a YAML document knows the line of every key, JSON's do not.
    documents: list[tuple[Any, Document | None]] = []
    if suffix == ".json":
        try:
            documents = [(json.loads(text), None)]
        except json.JSONDecodeError as exc:
            return [], [f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"]
        except RecursionError:
            return [], ["JSON 嵌套过深，不是一份表单"]
        except ValueError:
            # json raises a bare ValueError for integers over sys.int_max_str_digits.
            return [], ["JSON 中有过长的数字（超过 4300 位），不是一份表单；如果本来就是文字，请加引号"]
    else:
        try:
            documents = [(d.data, d) for d in parse_documents(text, name)]
        except YamlSyntaxError as exc:
            p = exc.problem
            what = exc.chinese or "请检查缩进、冒号后的空格和引号是否成对"
            return [], [f"格式错误：第 {p.line} 行第 {p.column} 列，{what}"]
        except RecursionError:
            return [], ["YAML 嵌套过深，不是一份表单"]
    documents = [(data, source) for data, source in documents if data is not None]
    if not documents:
        return [], ["文件是空的，没有任何内容"]
    checked: list[Checked] = []
    problems: list[str] = []
    flawed = may_hold_flaws(text)
    for index, (document, source) in enumerate(documents):
        prefix = _doc_label(index, len(documents))

        def say(p: DataProblem, source: Document | None = source, prefix: str = prefix) -> str:
            return prefix + p.text(_line(p.key, source) if lines else None)

        broken = check_text(document, defs) if flawed else []
        # Other problems of a value with a broken character would only say the same less clearly.
        said = {p.key for p in broken}
        problems += [say(p) for p in broken]
        submission, found = read_submission(document, defs, now)
        problems += [say(p) for p in found if p.key not in said]
        if submission is None:
            continue
        validated = validated_at = None
        if submission.is_new_record:
            form = defs.forms[submission.form]
            if submission.version is not None and submission.version > form.version:
                problems.append(prefix + f"此表按第{submission.version}版填写，但当前表单只有第{form.version}版，请核对")
            validated_at = submission.at or now
            validated = validate_data(form, signed(form, submission.data, submission.by), defs.settings, validated_at)
            problems += [say(p) for p in validated.problems if p.key not in said]
        checked.append(Checked(index, submission, validated, validated_at))
    return checked, problems


_ROW = re.compile(r"^(\w+)\[(\d+)\]\.(\w+)$")


def _line(key: str, source: Document | None) -> int | None:
    """The line of the file where the value a problem's ``key`` names was written, if it was."""
    if source is None or not key:
        return None
    row = _ROW.match(key)
    paths = [("data", row[1], int(row[2]) - 1, row[3])] if row else [("data", key), (key,)]
    for path in paths:
        if path in source.marks:
            return source.marks[path][0]
    return None


def check_file(path: Path, defs: Definitions, now: dt.datetime) -> list[str]:
    """Only the problems of :func:`read_file` (``formflow validate``)."""
    return read_file(path, defs, now)[1]


__all__ = ["Checked", "DataProblem", "MAX_BYTES", "check_file", "read_content", "read_file"]
