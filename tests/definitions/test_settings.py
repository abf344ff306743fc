"""Workspace settings (formflow.yaml): the plausible-date window `dates:` and its errors."""

from __future__ import annotations

import datetime as dt

from formflow.definitions.settings import DateWindow


def _settings(workspace, extra: str) -> None:
    path = workspace.root / "formflow.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n" + extra + "\n", encoding="utf-8")


def test_the_defaults_without_a_dates_key(workspace):
    dates = workspace.load().settings.dates
    assert dates == DateWindow(dt.timedelta(days=731), dt.timedelta(minutes=15), dt.date(1900, 1, 1), 10)


def test_every_key_is_read(workspace):
    _settings(workspace, "dates: {backdate_days: 30, ahead_minutes: 0, earliest: 1950-01-01, years_ahead: 3}")
    assert workspace.load().settings.dates == DateWindow(dt.timedelta(days=30), dt.timedelta(0), dt.date(1950, 1, 1), 3)


def test_the_latest_date_of_a_leap_day(workspace):
    assert DateWindow().latest(dt.date(2028, 2, 29)) == dt.date(2038, 2, 28)
    assert DateWindow().latest(dt.date(9995, 1, 1)) == dt.date.max  # never past the calendar


def test_a_bad_window_is_a_settings_error(workspace):
    _settings(workspace, "dates: {years_ahead: 1000, backdays: 3}")
    result = workspace.cli("check")
    assert result.code == 1
    errors = [line for line in result.err.splitlines() if line.startswith("formflow.yaml:")]
    assert sorted(line.split(": ", 1)[1].split(" ", 1)[0] for line in errors) == ["dates.backdays:", "dates.years_ahead:"]


def test_an_impossible_earliest_date_is_named(workspace):
    _settings(workspace, "dates: {earliest: '1900-02-30'}")  # unquoted, the YAML reader already refuses it
    line = len((workspace.root / "formflow.yaml").read_text(encoding="utf-8").splitlines())
    assert workspace.cli("check").err.splitlines()[:2] == [
        f"formflow.yaml:{line}:9: dates.earliest: 没有这一天 not a real date: '1900-02-30'",
        "    修改建议 fix: 写成 write it as YYYY-MM-DD, e.g. 1900-01-01",
    ]


# ---- desk.form_order --------------------------------------------------------------------------------------

MANUAL = ["movein", "renovation", "repair", "complaint", "callback", "survey", "service", "fee_reminder",
          "fee_collection"]


def _form_order(workspace, value: str | None) -> int:
    """``desk.form_order`` set to ``value`` (``None``: left out); returns the line it is on."""
    path = workspace.root / "formflow.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    [i] = [i for i, line in enumerate(lines) if line.startswith("  form_order:")]
    if value is None:
        del lines[i]
    else:
        lines[i] = f"  form_order: {value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return i + 1


def test_forms_follow_the_manual_without_form_order_and_cli_lists_them_so(workspace):
    from formflow.definitions.loader import ordered_forms

    _form_order(workspace, None)
    workspace.write("forms/zz_notice.yaml", (workspace.root / "forms" / "fee_reminder.yaml").read_text(encoding="utf-8")
                    .replace("id: fee_reminder", "id: zz_notice").replace("title: 催费记录", "title: 停水通知"))
    workspace.write("forms/aa_key.yaml", (workspace.root / "forms" / "fee_reminder.yaml").read_text(encoding="utf-8")
                    .replace("id: fee_reminder", "id: aa_key").replace("title: 催费记录", "title: 钥匙寄存"))
    defs = workspace.load()
    assert defs.settings.form_order == ()
    # the manual's order, then the others by title (停 before 钥), not alphabetically by id
    assert [f.id for f in ordered_forms(defs)] == [*MANUAL, "zz_notice", "aa_key"]
    listed = [line.split()[0] for line in workspace.cli("forms").out.splitlines()]
    assert listed == [*MANUAL, "zz_notice", "aa_key"]


def test_form_order_puts_the_offices_forms_first(workspace):
    from formflow.definitions.loader import ordered_forms

    _form_order(workspace, "[complaint, repair]")
    order = [f.id for f in ordered_forms(workspace.load())]
    assert order == ["complaint", "repair", "movein", "renovation", "callback", "survey", "service", "fee_reminder",
                     "fee_collection"]


def test_an_unknown_form_in_form_order_is_named_with_a_fix(workspace):
    line = _form_order(workspace, "[complaint, repiar]")
    result = workspace.cli("check")
    assert result.code == 1
    assert result.err.splitlines()[:2] == [
        f"formflow.yaml:{line}:27: desk.form_order[1]: 没有这个表单 no form 'repiar' in forms/",
        "    修改建议 fix: 是否应为 did you mean 'repair'?",
    ]
