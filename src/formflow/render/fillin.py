"""Fill-in templates: a YAML file a clerk completes in a text editor and drops into ``inbox/``.

Every field gets a comment with its Chinese label, type, whether it is required (or when),
its options and hint; values are left empty. Reading the filled file back goes through the
same envelope reader and validator as any submission, so the template cannot drift from
the definition.
"""

from __future__ import annotations

import json

from formflow.definitions.forms import Field, Form, form_labels
from formflow.definitions.schema import PAPER_ONLY
from formflow.definitions.settings import Settings
from formflow.engine.expressions import describe

_TYPE_HELP = {
    "text": "文字",
    "textarea": "多行文字（可用 | 换行书写多行）",
    "integer": "整数",
    "decimal": "数字",
    "money": "金额（元，最多两位小数）",
    "date": "日期，例 2026-11-28",
    "time": "时间，例 \"14:30\"（请加引号）",
    "datetime": "日期时间，例 2026-11-28 14:30",
    "yesno": "是 / 否",
    "choice": "单选",
    "multichoice": "多选，写成 [选项1, 选项2]",
    "mobile": "手机号，11 位",
    "id_number": "身份证号，18 位",
    "table": "表格，每行以 - 开头",
}


def _describe(field: Field, settings: Settings, labels: dict[str, str]) -> str:
    label = field.label + (f" {field.label_en}" if field.label_en else "")
    kind = _TYPE_HELP.get(field.type, "")
    if field.type == "unit":
        kind = f"房号，例 {settings.unit_example}"
    parts = [label, kind]
    if field.required is True:
        parts.append("必填")
    elif field.required:
        parts.append(f"当{describe(field.required, labels)}时必填")
    if field.show_if is not None:
        parts.append(f"仅当{describe(field.show_if, labels)}时填写")
    if field.choices is not None and field.type != "unit":
        parts.append("可选：" + " / ".join(field.choices.values))
    if field.type in ("integer", "decimal", "money") and (field.min is not None or field.max is not None):
        low = "" if field.min is None else f"{field.min:g}"
        high = "" if field.max is None else f"{field.max:g}"
        parts.append(f"范围 {low}~{high}{field.unit_label}")
    elif field.unit_label:
        parts.append(f"单位：{field.unit_label}")
    if field.default is not None:
        parts.append("默认：" + {"now": "填表时间", "today": "当天"}.get(str(field.default), str(field.default)))
    if field.type == "table":
        rows = f"{field.min_rows}~{field.max_rows}" if field.max_rows else f"至少 {field.min_rows}"
        parts.append(f"{rows} 行")
    if field.hint:
        parts.append(field.hint)
    return "｜".join(p for p in parts if p)


def _lines(fields: tuple[Field, ...], settings: Settings, indent: str, labels: dict[str, str]) -> list[str]:
    out = []
    for field in fields:
        if field.type in PAPER_ONLY:
            continue  # signed on paper, never typed
        out.append(f"{indent}# {_describe(field, settings, labels)}")
        if field.type == "table":
            out.append(f"{indent}{field.name}:")
            first = True
            for column in field.columns:
                if column.type in PAPER_ONLY:
                    continue
                lead = "- " if first else "  "
                first = False
                out.append(f"{indent}  {lead}{column.name}:    # {_describe(column, settings, {**labels, **{c.name: c.label for c in field.columns}})}")
            out.append(f"{indent}  # 多行时复制上面一组（从 - 开始）")
        else:
            out.append(f"{indent}{field.name}:")
    return out


def fill_in_template(form: Form, settings: Settings) -> str:
    """The fill-in template of ``form`` as YAML text with Chinese comments."""
    clerks = "、".join(s.name for s in settings.staff if s.active)
    lines = [
        f"# {form.title}{' ' + form.title_en if form.title_en else ''}（{form.id}，第 {form.version} 版）— {settings.office}",
        "# 填写方法：在冒号后空一格再填写；不适用或暂不知道的项留空。",
        "# 内容里有冒号、#、引号等符号时，把整段内容用引号括起来。",
        "# 填好后另存为新文件名（例如 投诉-张三.yaml），放入工作区的 inbox 文件夹。",
        f"form: {form.id}",
        f"version: {form.version}    # 表单版本，请勿修改",
        f"by:          # 经办人（须在人员名册中）：{clerks}",
        "at:          # 办理时间，留空 = 系统收到文件的时间；例 2026-11-28 14:30",
        "data:",
    ]
    labels = form_labels(form)
    for section in form.sections:
        cond = f"（仅当{describe(section.show_if, labels)}时填写）" if section.show_if else ""
        lines.append(f"  # ── {section.title}{cond} ──")
        lines.extend(_lines(section.fields, settings, "  ", labels))
    return "\n".join(lines) + "\n"


def example_value(value: object) -> str:
    """A YAML scalar for ``value`` (used by tests and the web desk to pre-fill)."""
    return json.dumps(value, ensure_ascii=False)
