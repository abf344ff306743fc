"""Fill-in templates: `formflow new` → a clerk fills it in an editor → `formflow validate` accepts it."""

from __future__ import annotations

import pytest

from ..conftest import REPO


def test_template_documents_every_field(workspace):
    result = workspace.cli("new", "complaint")
    assert result.code == 0
    text = result.out
    assert text.startswith("# 投诉处理记录 Complaint record（complaint，第 1 版）— 阳光花园管理处\n")
    assert "form: complaint\nversion: 1    # 表单版本，请勿修改\n" in text
    assert ("  # 投诉方式 Channel｜单选｜必填｜可选：来电 / 来访 / 来函 / 网络/APP / 其他\n  channel:\n") in text
    assert ("  # 住户要求期限 Resident's requested deadline｜日期，例 2026-11-28｜仅当「投诉级别」为“轻微”时填写｜"
            "住户提出期限时填写；不填则按2天处理\n  resident_deadline:\n") in text
    assert "sign_receiver" not in text  # signature boxes are signed on paper, never typed


def test_blank_template_validates_to_the_missing_required_fields(workspace):
    workspace.cli("new", "complaint", "-o", "t.yaml")
    result = workspace.cli("validate", "t.yaml", "--now", "2026-11-28T10:00+08:00")
    assert result.code == 1
    assert result.out.splitlines() == [
        "✗ t.yaml：9 处问题",
        "  - 「经办人」（第 7 行）：缺少经办人，请填写人员名册中的姓名",
        "  - 「投诉方式」（第 14 行）：必填项未填写",
        "  - 「投诉人」（第 16 行）：必填项未填写",
        "  - 「房号」（第 18 行）：必填项未填写",
        "  - 「联系电话」（第 20 行）：必填项未填写",
        "  - 「投诉内容（发生经过）」（第 28 行）：必填项未填写",
        "  - 「投诉类别」（第 33 行）：必填项未填写",
        "  - 「投诉级别」（第 35 行）：必填项未填写",
        "  - 「接待人」（第 43 行）：必填项未填写",
    ]


def fill(text: str, values: dict[str, str]) -> str:
    """What a clerk does in an editor: type a value after 'key:' (keeping the comment lines)."""
    lines = text.splitlines()
    for key, value in values.items():
        index = next(i for i, line in enumerate(lines) if line.split("#")[0].strip() == f"{key}:")
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        lines[index] = f"{indent}{key}: {value}"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("form_id", ["complaint", "repair", "movein", "renovation", "callback", "survey", "service",
                                     "fee_reminder", "fee_collection"])
def test_round_trip_new_fill_validate(workspace, form_id):
    """Fill every required field of each shipped form's template with the values of its valid example."""
    from formflow.definitions.yamlsource import parse_documents

    example = parse_documents((REPO / "examples" / form_id / "valid.yaml").read_text("utf-8"), "x")[0].data
    template = workspace.cli("new", form_id).out
    scalars = {k: v for k, v in example["data"].items() if not isinstance(v, (list, dict))}
    filled = fill(template, {"by": example["by"], "at": f'"{example["at"]}"',
                             **{k: _yaml_scalar(v) for k, v in scalars.items()}})
    tables = {k: v for k, v in example["data"].items() if isinstance(v, list)}
    if tables:
        import yaml
        # Tables are typed as YAML lists; replace the template's single blank row with the example rows.
        doc = yaml.safe_load(filled)
        doc["data"].update(tables)
        filled = yaml.safe_dump(doc, allow_unicode=True)
    (workspace.root / "filled.yaml").write_text(filled, encoding="utf-8")
    result = workspace.cli("validate", "filled.yaml")
    assert result.out == "✓ filled.yaml：填写正确\n", result.out
    assert result.code == 0


def _yaml_scalar(value) -> str:
    import json
    return json.dumps(value, ensure_ascii=False)
