"""A form's fields laid out for print: a grid of 24 columns, long texts, tables, notes, sign-off boxes.

Shared by the record PDF (values filled in) and the blank form (boxes to write in, conditions
printed as instructions); pure data for the templates, no WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from formflow.definitions.forms import Field, Section
from formflow.definitions.schema import PAPER_ONLY
from formflow.engine.expressions import describe
from formflow.render.values import capital_rmb, format_value

#: The page is cut into this many columns; a field of width 1/2 takes 12, its label 4.
GRID = 24
_WIDTHS = {"full": GRID, "1/2": GRID // 2, "1/3": GRID // 3, "2/3": GRID * 2 // 3, "1/4": GRID // 4}
#: Choice lists longer than this print as a line to write on, not as tick boxes.
MAX_TICKS = 16
#: Options longer than this (characters) print one per line.
LONG_OPTION = 8
#: Tick boxes inside a table row only when all options fit in about this many characters (□是 □否).
CELL_TICKS = 10
#: Blank rows of a table on paper when neither print.rows nor min_rows says.
DEFAULT_BLANK_ROWS = 3
_LONG = {"textarea"}
_COMB = {"mobile": 11, "id_number": 18}


# ── layout of a form's fields ───────────────────────────────────────────────────────────

def _width(field: Field) -> int:
    if field.print.width:
        return _WIDTHS[field.print.width]
    return GRID if field.type in _LONG or field.type == "table" else GRID // 2


def _label_span(span: int) -> int:
    return 3 if span <= GRID // 4 else 4


def _conditions(field: Field, labels: Mapping[str, str]) -> list[str]:
    out = []
    if field.show_if is not None:
        out.append(f"仅当{describe(field.show_if, labels)}时填写")
    if field.required is not True and field.required:
        out.append(f"当{describe(field.required, labels)}时必填")
    return out


def _blank_input(field: Field, settings) -> dict:
    """How a field is filled in by hand: a line, tick boxes, date parts, digit boxes."""
    return {"suffix": "", "note": "", "options": [], "multi": False, "long": False, "cells": 0,
            **_input_kind(field, settings)}


def _input_kind(field: Field, settings) -> dict:
    kind = field.type
    if kind == "yesno":
        return {"type": "ticks", "options": ["是", "否"]}
    if kind in ("choice", "multichoice") and field.choices is not None:
        if len(field.choices.options) <= MAX_TICKS:
            options = [o.label for o in field.choices.options]
            return {"type": "ticks", "options": options, "multi": kind == "multichoice",
                    "long": any(len(o) > LONG_OPTION for o in options)}
        return {"type": "line", "note": f"从「{field.choices.label or field.label}」清单中选填"}
    if kind in _COMB:
        return {"type": "comb", "cells": _COMB[kind]}
    if kind in ("date", "datetime", "time"):
        return {"type": kind}
    if kind in ("integer", "decimal", "money"):
        return {"type": "line", "suffix": field.unit_label or ("元" if kind == "money" else "")}
    if kind == "unit":
        return {"type": "line", "note": f"例 {settings.unit_example}"}
    return {"type": "line"}


def _cell(field: Field, span: int, values: Mapping[str, Any] | None, settings, labels) -> dict:
    cell = {
        "name": field.name, "label": field.label, "label_en": field.label_en, "type": field.type,
        "span": span, "label_span": _label_span(span), "required": field.required is True,
        "conditions": _conditions(field, labels), "guidance": field.print.guidance, "hint": field.hint,
        "max_length": field.max_length or "",
    }
    if values is None:
        cell["input"] = _blank_input(field, settings)
    else:
        cell["value"] = format_value(field, values.get(field.name), settings.timezone)
        if field.type == "money" and cell["value"]:  # on paper an amount is also written in capitals
            cell["capitals"] = capital_rmb(values.get(field.name))
    return cell


def _table_block(field: Field, values: Mapping[str, Any] | None, settings, labels) -> dict:
    columns = [c for c in field.columns if c.type not in PAPER_ONLY and not c.print.hidden]
    column_labels = {**labels, **{c.name: c.label for c in field.columns}}
    inputs = {c.name: _blank_input(c, settings) for c in columns}
    notes = [f"「{c.label}」：{'；'.join(_conditions(c, column_labels))}" for c in columns if _conditions(c, column_labels)]
    for c in columns:
        ticks = inputs[c.name]
        if ticks["type"] == "ticks" and sum(len(o) + 2 for o in ticks["options"]) > CELL_TICKS:
            # Too long to repeat in every row: write the choice in the cell, the options once below the table.
            inputs[c.name] = {**ticks, "type": "line", "options": []}
            notes.append(f"「{c.label}」{'可多选' if ticks['multi'] else '填写其一'}：{'、'.join(ticks['options'])}")
    block = {
        "kind": "table", "name": field.name, "label": field.label, "label_en": field.label_en,
        "required": field.required is True, "conditions": _conditions(field, labels),
        "guidance": field.print.guidance, "hint": field.hint, "break_before": field.print.page_break_before,
        "columns": [{"name": c.name, "label": c.label, "required": c.required is True, "input": inputs[c.name]}
                    for c in columns],
        "notes": notes,
    }
    rows: list = []
    if values is None:
        block["rows"] = []
        block["blank_rows"] = field.print.rows or field.min_rows or DEFAULT_BLANK_ROWS
    else:
        rows = values.get(field.name) or []
        block["rows"] = [[format_value(c, row.get(c.name), settings.timezone) if isinstance(row, Mapping) else ""
                          for c in columns] for row in rows]
        block["blank_rows"] = 0
    # The 合计 row: under each column marked print.total, the sum of its rows (a box to write in on a blank form).
    block["totals"], block["capitals"] = [], ""
    if any(c.print.total for c in columns):
        block["totals"] = [_column_total(c, rows, settings) if values is not None and c.print.total else ""
                           for c in columns]
        if values is not None and any(block["totals"]) and any(c.type == "money" and c.print.total for c in columns):
            money = next(c for c in columns if c.type == "money" and c.print.total)
            block["capitals"] = capital_rmb(_sum(money, rows))
    return block


def _sum(column: Field, rows) -> Decimal | None:
    """The column's numbers added up; ``None`` when no row has one."""
    total, seen = Decimal(0), False
    for row in rows:
        value = row.get(column.name) if isinstance(row, Mapping) else None
        try:
            total += Decimal(str(value))
            seen = True
        except (InvalidOperation, ValueError):
            continue
    return total if seen else None


def _column_total(column: Field, rows, settings) -> str:
    total = _sum(column, rows)
    return "" if total is None else format_value(column, total, settings.timezone)


def layout_blocks(fields: Sequence[Field], values: Mapping[str, Any] | None, settings, labels,
            visible) -> list[dict]:
    """Fields grouped as printed: rows of short fields, long texts, tables, notes, sign-off boxes."""
    blocks: list[dict] = []
    row: list[dict] = []

    def close_row():
        if row:
            used = sum(c["span"] for c in row)
            row[-1]["span"] += GRID - used  # the last field takes what the row has left
            grid = blocks[-1] if blocks and blocks[-1]["kind"] == "grid" else None
            if grid is None:
                grid = {"kind": "grid", "rows": []}
                blocks.append(grid)
            grid["rows"].append(list(row))
            row.clear()

    for field in fields:
        if field.print.hidden or not visible(field):
            continue
        if field.print.page_break_before:
            close_row()
            blocks.append({"kind": "break"})
        if field.type == "signature":
            close_row()
            box = {"label": field.label, "seal": field.seal, "with_date": field.with_date,
                   # on a record the box is there because its condition holds: "仅当…时填写" is for blank forms
                   "conditions": _conditions(field, labels) if values is None else [], "lines": field.print.lines}
            # A box with lines to write on (主任批示) takes the width of the page, on its own.
            if blocks and blocks[-1]["kind"] == "signatures" and not box["lines"] and not blocks[-1]["boxes"][-1]["lines"]:
                blocks[-1]["boxes"].append(box)
            else:
                blocks.append({"kind": "signatures", "boxes": [box]})
        elif field.type == "note":
            close_row()
            blocks.append({"kind": "note", "label": field.label, "text": field.text})
        elif field.type == "table":
            close_row()
            blocks.append(_table_block(field, values, settings, labels))
        elif field.type in _LONG and not field.print.width:
            close_row()
            block = _cell(field, GRID, values, settings, labels)
            block.update(kind="long", lines=field.print.lines or 3)
            blocks.append(block)
        else:
            span = _width(field)
            if sum(c["span"] for c in row) + span > GRID:
                close_row()
            row.append(_cell(field, span, values, settings, labels))
    close_row()
    for block in blocks:
        if block["kind"] == "grid":
            _merge_columns(block)
    return blocks


def _merge_columns(grid: dict) -> None:
    """Give a grid only the columns its cells need: the edges used by some label or value.

    A row of two half-width fields needs 4 columns (label 4/24, value 8/24, twice), not 24.
    WeasyPrint lays out, collapses borders and draws per column, so the 24-column grid cost a
    tenth of a record's render time. ``cols`` are the widths in 24ths; each cell gets
    ``label_cols`` and ``value_cols``, its label's and its value's colspan in those columns.
    """
    edges = {0, GRID}
    for row in grid["rows"]:
        start = 0
        for cell in row:
            edges.update((start, start + cell["label_span"], start + cell["span"]))
            start += cell["span"]
    ordered = sorted(edges)
    index = {edge: i for i, edge in enumerate(ordered)}
    grid["cols"] = [b - a for a, b in zip(ordered, ordered[1:])]
    for row in grid["rows"]:
        start = 0
        for cell in row:
            middle, end = start + cell["label_span"], start + cell["span"]
            cell["label_cols"] = index[middle] - index[start]
            cell["value_cols"] = index[end] - index[middle]
            start = end


def layout_section(section: Section, blocks: list[dict], condition: str = "") -> dict:
    return {"title": section.title, "title_en": section.title_en, "condition": condition,
            "break_before": section.print.page_break_before, "guidance": section.print.guidance, "blocks": blocks}
