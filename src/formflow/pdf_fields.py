"""The form fields of a PDF, as a fillable blank of ``formflow blank FORM --fillable`` holds them.

Only the cross-reference table, the AcroForm and the document information are read (pypdf
reads lazily; page content is never decoded). What the fields mean for a form is
:mod:`formflow.intake_pdf`'s business.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

#: Limits against hostile or broken files: deeper field trees and more fields than any form has.
MAX_FIELD_DEPTH = 8
MAX_FIELDS = 5000

_RADIO = 1 << 15
_PUSHBUTTON = 1 << 16
_OFF = ("", "Off", "off")


@dataclass(frozen=True)
class PdfField:
    """One form field as the PDF holds it (several for the check boxes of one multi-choice)."""

    name: str
    kind: str  # text | radio | check
    text: str = ""  # text: what was typed; radio: the ticked option's label; check: the "on" state name
    on: bool = False  # check: ticked
    unreadable: str = ""  # radio: a state we could not map to an option (shown to the clerk)
    conflict: tuple[str, ...] = ()  # radio: more than one button ticked
    option: int = -1  # check: the option it stands for, from its name ``<field>.<n>``


class NotAForm(Exception):
    """The file is not a readable formflow PDF form; the message says why, in Chinese."""


# ── the PDF ────────────────────────────────────────────────────────────────────────────────

def _name(value: Any) -> str:
    """A PDF name or string as text, without the leading slash of a name."""
    text = str(value) if value is not None else ""
    return text[1:] if text.startswith("/") else text


def _option_text(state: str, options: list[str]) -> str | None:
    """The option label a radio state stands for: an index into ``/Opt``, or the label itself."""
    if state.isdigit() and int(state) < len(options):
        return options[int(state)]
    if state in options:
        return state
    return None


def _radio(name: str, group, kids: list) -> PdfField:
    options = [str(o[0] if isinstance(o, list) and o else o) for o in (group.get("/Opt") or [])]
    widgets = kids or [group]
    shown = [_name(w.get("/AS")) for w in widgets]
    states = [s for s in shown if s not in _OFF]
    if not states:  # no button shows as ticked: a filler that only set the value
        states = [s for s in [_name(group.get("/V"))] + [_name(w.get("/V")) for w in widgets] if s not in _OFF]
    if not states:
        return PdfField(name, "radio")
    chosen = list(dict.fromkeys(_option_text(s, options) for s in states))
    if None in chosen:
        return PdfField(name, "radio", unreadable=next(s for s in states if _option_text(s, options) is None))
    if len(chosen) > 1:
        return PdfField(name, "radio", conflict=tuple(chosen))
    return PdfField(name, "radio", chosen[0])


def _check(name: str, widget) -> PdfField:
    states = [_name(k) for k in ((widget.get("/AP") or {}).get("/N") or {})]
    on_state = next((s for s in states if s not in _OFF), "on")
    shown = widget.get("/AS") if "/AS" in widget else widget.get("/V")
    return PdfField(name, "check", on_state, on=_name(shown) not in _OFF)


def _text(name: str, field) -> PdfField:
    value = field.get("/V")
    if isinstance(value, list):  # a list box: several values
        value = "、".join(str(v) for v in value)
    text = str(value) if value is not None else ""
    return PdfField(name, "text", text.replace("\r\n", "\n").replace("\r", "\n"))  # readers end lines with CR


def read_fields(reader) -> list[PdfField]:
    """Every terminal field of the PDF's AcroForm, in the order of ``/Fields``."""
    root = reader.trailer["/Root"]
    form = root.get("/AcroForm")
    form = form.get_object() if form is not None else None
    found: list[PdfField] = []
    seen: set[int] = set()

    def walk(node, prefix: str, inherited: dict, depth: int) -> None:
        if depth > MAX_FIELD_DEPTH or len(found) > MAX_FIELDS:
            raise NotAForm("PDF 的表单栏结构异常（层次过深或栏目过多），不是 formflow 生成的表单")
        ref = getattr(node, "idnum", None)
        field = node.get_object()
        if ref is not None:
            if ref in seen:
                return
            seen.add(ref)
        if not hasattr(field, "get"):
            return
        partial = _name(field.get("/T")) if field.get("/T") is not None else ""
        name = f"{prefix}.{partial}" if prefix and partial else partial or prefix
        kind = field.get("/FT", inherited.get("/FT"))
        flags = int(field.get("/Ff", inherited.get("/Ff", 0)) or 0)
        kids = [k.get_object() for k in (field.get("/Kids") or [])]
        if kind == "/Btn" and flags & _RADIO:
            # Its kids are the buttons, even where (as WeasyPrint writes them) they carry a /T of their own.
            for kid in field.get("/Kids") or []:
                if getattr(kid, "idnum", None) is not None:
                    seen.add(kid.idnum)
            found.append(_radio(name, field, kids))
            return
        if any("/T" in k for k in kids):
            for kid in field.get("/Kids"):
                walk(kid, name, {"/FT": kind, "/Ff": flags}, depth + 1)
            return
        if kind == "/Btn":
            if not flags & _PUSHBUTTON:  # one check box per widget: a group's boxes may each stand for an option
                found.extend(_check(name, widget) for widget in (kids or [field]))
        elif kind in ("/Tx", "/Ch"):
            found.append(_text(name, field))

    for entry in (form.get("/Fields") or []) if form is not None else []:
        if "/Parent" in entry.get_object():
            continue  # a radio button WeasyPrint also lists at the top: read with its group
        walk(entry, "", {}, 0)
    return found


def document_info(reader) -> dict[str, str]:
    """The document information, keys in lower case without the slash."""
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else None
    if not hasattr(info, "items"):
        return {}
    return {_name(k).lower(): _name(v) for k, v in info.items() if not hasattr(v, "items")}


def open_pdf(raw: bytes):
    """A pypdf reader of ``raw``; :class:`NotAForm` for a file that is not a readable PDF."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF-" not in raw[:1024]:
        raise NotAForm("文件扩展名是 .pdf，但内容不是 PDF 文件（可能改错了扩展名），请核对后重新放入")
    try:
        reader = PdfReader(io.BytesIO(raw), strict=False)
        encrypted = reader.is_encrypted
    except (DependencyError, FileNotDecryptedError):
        # pypdf tries the empty password as it opens an encrypted file: AES (what PDF readers use when a
        # password is set) needs a cryptography package we do not install. The file is encrypted, not
        # damaged; decrypted, it would be refused all the same.
        encrypted = True
    except Exception as exc:  # noqa: BLE001 - pypdf raises many kinds on a broken file
        if b"/Encrypt" not in raw:  # a scheme pypdf does not know (NotImplementedError) is still encryption
            raise NotAForm(f"PDF 文件已损坏，无法打开（{type(exc).__name__}）："
                           "请在 PDF 阅读器中重新“另存为”后放入") from None
        encrypted = True
    if encrypted:
        raise NotAForm("PDF 文件已加密（设置了打开密码或权限密码），无法读取其中的表单：请在 PDF 阅读器中"
                       "另存为未加密的副本（或取消密码保护）后重新放入")
    return reader
