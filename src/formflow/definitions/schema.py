"""JSON Schemas of the definition files; each key's ``description`` is its documentation.

These schemas are the reference of the form language: ``docs/reference.md`` is generated
from them (``python -m formflow.definitions.reference``) and a test fails when a key has no
description or the page is stale. They check structure only; meaning (duplicate names,
unknown choice lists, expressions naming missing fields) is checked in ``forms.py``.
"""

from __future__ import annotations

from formflow.definitions.fees import FEES_SCHEMA

FIELD_TYPES = {
    "text": "单行文字 one line of text",
    "textarea": "多行文字 long text; wraps and continues across pages on paper",
    "integer": "整数 whole number",
    "decimal": "小数 decimal number (`decimals` places)",
    "money": "金额 amount of money in yuan, at most 2 decimals",
    "date": "日期 date, written YYYY-MM-DD",
    "time": "时间 time of day, written HH:MM",
    "datetime": "日期时间 date and time, written YYYY-MM-DD HH:MM (time zone of the office unless given)",
    "yesno": "是/否 yes or no; accepts 是/否, true/false",
    "choice": "单选 one option of `choices`",
    "multichoice": "多选 several options of `choices`, as a list",
    "mobile": "手机号 mainland mobile phone number: 11 digits starting with 1",
    "id_number": "身份证号 18-character resident ID number, check digit verified",
    "unit": "房号 unit number, checked against the settings' `unit_pattern` (and `choices` when given)",
    "staff": "人员 a person on the roster (formflow.yaml `staff`), active, with one of `roles` and in `department` "
             "when given; a drop-down on the desk (`default: me`: the person signed in, or who signs a file)",
    "table": "表格 repeat group: rows of `columns` sub-fields, `min_rows`..`max_rows`",
    "signature": "签字/盖章 signature or seal box; paper only, never filled digitally",
    "note": "说明 static text printed on the form; holds no value",
}

#: Types that hold no data in a submission.
PAPER_ONLY = frozenset({"signature", "note"})

_NAME = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_EXPR = {"type": "string", "minLength": 1}

_PRINT = {
    "type": "object",
    "description": "Hints for the printed (paper) version of the form; they never change validation.",
    "additionalProperties": False,
    "properties": {
        "width": {
            "enum": ["full", "1/2", "1/3", "2/3", "1/4"],
            "description": "Share of the line this field takes on paper (default: `full` for long text and "
            "tables, `1/2` otherwise). Fields sharing a line sit side by side.",
        },
        "page_break_before": {"type": "boolean", "description": "Start a new page before this field or section."},
        "guidance": {
            "type": "string",
            "description": "Print-only instruction shown under the label on paper, e.g. 请用正楷填写.",
        },
        "lines": {
            "type": "integer", "minimum": 1, "maximum": 40,
            "description": "Blank writing lines on a blank paper form (long text, notes to write by hand); on a "
            "`signature` box, lines to write an instruction on above the signature, on every PDF (主任批示).",
        },
        "rows": {
            "type": "integer", "minimum": 1, "maximum": 40,
            "description": "Blank rows a table prints on a blank paper form (default: `min_rows` or 3).",
        },
        "hidden": {"type": "boolean", "description": "Leave this field off paper entirely (digital-only fields)."},
        "total": {"type": "boolean", "description": "A number or money column of a table: the printed table ends "
                  "with a 合计 row adding it up (a line total such as 金额; not 单价)."},
    },
}

_OPTION = {
    "description": "One option: a plain string (stored and shown as is) or a mapping with a separate label.",
    "anyOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["value"],
            "properties": {
                "value": {"type": ["string", "integer"], "description": "What is stored in the record."},
                "label": {"type": "string", "description": "What a clerk sees (default: the value)."},
                "label_en": {"type": "string", "description": "Optional English label."},
            },
        },
    ],
}


def _field_schema(*, in_table: bool) -> dict:
    types = [t for t in FIELD_TYPES if not (in_table and t in ("table", "note"))]
    props: dict = {
        "name": {**_NAME, "description": "Key of the field in data files and expressions: lower-case ASCII, "
                 "digits and `_`, starting with a letter. Unique within the form (tables included)."},
        "label": {"type": "string", "minLength": 1, "description": "Chinese label a clerk sees (标签)."},
        "label_en": {"type": "string", "description": "Optional English label, printed after the Chinese one."},
        "type": {"enum": types, "description": "Field type; see *Field types* below."
                 + (" Not `table` or `note` inside a table." if in_table else "")},
        "required": {
            "type": ["boolean", "string"],
            "description": "`true` / `false` (default), or an expression: required only when it is true, "
            "e.g. `${applicant_role} == '使用人'`.",
        },
        "show_if": {**_EXPR, "description": "Expression; the field applies only when it is true (on paper it is "
                    "printed with the condition as an instruction). A value given while it is false is an error."},
        "constraint": {**_EXPR, "description": "Expression that must hold for a filled value; `${.}` is this "
                       "field's value, e.g. `${.} >= ${planned_start}`."},
        "constraint_message": {"type": "string", "description": "Chinese message shown when `constraint` fails."},
        "calculate": {**_EXPR, "description": "Expression the value is computed from (a number field): "
                      "`${unit_price} * ${quantity}`, a line total `${mat_price} * ${mat_qty}` in a table's column, "
                      "a table's total `total(${materials}, 'mat_amount')`. The engine fills it in when it can "
                      "be computed (every value it reads is filled) and refuses a different value, naming the "
                      "expected one; the desk shows it computed, not typed. Rounded to the field's decimals "
                      "(money: 2, half up)."},
        "default": {"description": "Value used when the field is left empty. For date/time/datetime fields "
                    "`today` / `now` mean the time the form is filled."},
        "hint": {"type": "string", "description": "Short help shown under the field and in fill-in templates."},
        "choices": {
            "description": "Options of a `choice` / `multichoice` field (or a master list for `unit`): the name "
            "of a list in `choices/*.yaml`, or the options inline.",
            "anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "minItems": 1, "items": _OPTION}],
        },
        "min": {"type": "number", "description": "Smallest allowed value of a number field."},
        "max": {"type": "number", "description": "Largest allowed value of a number field."},
        "decimals": {"type": "integer", "minimum": 0, "maximum": 6,
                     "description": "Decimal places a `decimal` field keeps (default 2)."},
        "unit_label": {"type": "string", "description": "Unit printed after a number, e.g. 元, 平方米, 度."},
        "roles": {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "minItems": 1,
                  "description": "A `staff` field: only people with one of these roles (keys of `roles` in "
                  "formflow.yaml), e.g. `[repair]` for 维修人员."},
        "department": {"type": "string", "description": "A `staff` field: only people of this department."},
        "max_length": {"type": "integer", "minimum": 1,
                       "description": "Most characters a `text` / `textarea` may have (default 200 for `text`, "
                       "5000, a few printed pages, for `textarea`: a form is not the place for a whole document, "
                       "and an endless text would print hundreds of pages). Raise it for a field that needs more."},
        "min_choices": {"type": "integer", "minimum": 0, "description": "Fewest options a `multichoice` needs."},
        "max_choices": {"type": "integer", "minimum": 1, "description": "Most options a `multichoice` allows."},
        "seal": {"type": "boolean", "description": "A `signature` box that takes a seal (盖章) rather than a name."},
        "with_date": {"type": "boolean", "description": "A `signature` box with a date line (default true)."},
        "text": {"type": "string", "description": "Text of a `note` field."},
        "print": _PRINT,
    }
    if not in_table:
        props.update({
            "resident": {"enum": ["name", "phone"],
                         "description": "This field holds the resident's (业主/住户) `name` or `phone` on this form: "
                         "search results, the unit's page (一户一档) and to-do lists show it, and the desk fills it "
                         "in from the unit register (`units.yaml`) when a 房号 is chosen (still editable). At most "
                         "one field of each kind per form."},
            "columns": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/column"},
                        "description": "Sub-fields of each row of a `table` field."},
            "min_rows": {"type": "integer", "minimum": 0, "description": "Fewest rows a filled `table` needs (default 0); "
                         "add `required: true` to demand at least one row."},
            "max_rows": {"type": "integer", "minimum": 1, "description": "Most rows a `table` allows."},
        })
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "label", "type"],
        "properties": props,
    }


FORM_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Form definition (forms/*.yaml)",
    "description": "One paper form of the office and the data it collects. The file name must be `<id>.yaml`.",
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "title", "version", "number", "sections"],
    "properties": {
        "id": {**_NAME, "description": "Form id used in submissions (`form: complaint`) and file names."},
        "title": {"type": "string", "minLength": 1, "description": "Chinese title, printed on the form (表单名称)."},
        "title_en": {"type": "string", "description": "Optional English title."},
        "version": {"type": "integer", "minimum": 1,
                    "description": "Version of the definition; raise it by one with every change. Records and "
                    "printed forms remember the version they were made with."},
        "change_note": {"type": "string", "description": "What changed in this version (修订说明)."},
        "description": {"type": "string", "description": "What the form is for; shown in `formflow forms`."},
        "unit_file": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                      "description": "Fields a unit's file (一户一档: `formflow unit`, the desk's unit page) shows for "
                      "each record of this form beside its number and state, e.g. a fee call's `[contacted_at, "
                      "amount, outcome, promised_date]`. Keys of top-level fields of the form."},
        "number": {
            "type": "object",
            "description": "How record numbers are made.",
            "additionalProperties": False,
            "required": ["pattern"],
            "properties": {
                "pattern": {"type": "string", "minLength": 1,
                            "description": "Record-number pattern. Placeholders: `{station}` (the settings' station "
                            "code), `{yyyy}` `{yy}` `{mm}` `{dd}` (date the record is created) and `{seq:04}` (serial, "
                            "zero-padded to 4; required). Example: `TS-{yyyy}{mm}-{seq:04}`."},
                "reset": {"enum": ["never", "yearly", "monthly", "daily"],
                          "description": "When the serial restarts at 1 (default `yearly`). The pattern must show "
                          "the date parts of the period, or numbers would repeat."},
            },
        },
        "sections": {
            "type": "array",
            "minItems": 1,
            "description": "The form's sections, in print order.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["title", "fields"],
                "properties": {
                    "title": {"type": "string", "minLength": 1, "description": "Chinese section heading."},
                    "title_en": {"type": "string", "description": "Optional English heading."},
                    "show_if": {**_EXPR, "description": "Expression; the whole section applies only when true."},
                    "print": _PRINT,
                    "fields": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/field"},
                               "description": "The fields of the section, in order."},
                },
            },
        },
    },
    "$defs": {"field": _field_schema(in_table=False), "column": _field_schema(in_table=True)},
}

CHOICES_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Shared choice lists (choices/*.yaml)",
    "description": "Option lists any form may use by name, e.g. departments or the units of the estate.",
    "type": "object",
    "additionalProperties": False,
    "required": ["lists"],
    "properties": {
        "lists": {
            "type": "object",
            "description": "Choice lists by name (lower-case ASCII, digits, `_`). Names are unique across files.",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "label": {"type": "string", "description": "Chinese name of the list."},
                    "options": {"type": "array", "minItems": 1, "items": _OPTION,
                                "description": "The options, in order."},
                    "csv": {"type": "string", "pattern": r"^[^/\\]+\.csv$",
                            "description": "A CSV master list beside this file (UTF-8, header row with `value` "
                            "and optional `label`), instead of `options`."},
                },
            },
        },
    },
}

STATION_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "This station (station.yaml)",
    "description": "Settings of this laptop only, never shared with the office's other stations (`formflow sync "
                   "init` writes it). When present, its `station` replaces the one in `formflow.yaml`, which the "
                   "publishing station shares with everyone.",
    "type": "object",
    "additionalProperties": False,
    "required": ["station"],
    "properties": {
        "station": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,5}$",
                    "description": "This station's code (2–6 capitals/digits), unique in the office: the `{station}` "
                    "of the numbers it gives, and the name of its log at the other stations."},
    },
}

SETTINGS_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Workspace settings (formflow.yaml)",
    "description": "The office, its station code, time zone, calendar and staff roster.",
    "type": "object",
    "additionalProperties": False,
    "required": ["office", "station", "timezone", "roles", "staff"],
    "properties": {
        "office": {"type": "string", "minLength": 1, "description": "Office name printed on every page (管理处名称)."},
        "company": {"type": "string", "description": "Property company name (物业公司)."},
        "station": {"type": "string", "pattern": "^[A-Z][A-Z0-9]{1,5}$",
                    "description": "Short code of this office (2–6 capitals/digits). Use `{station}` in number "
                    "patterns so records of several stations stay unique; each laptop of an office sets its own "
                    "in `station.yaml`."},
        "timezone": {"type": "string", "minLength": 1, "description": "IANA time zone, `Asia/Shanghai`."},
        "calendar": {"type": "string", "description": "Business calendar file, relative to the workspace "
                     "(default `calendar.yaml`)."},
        "unit_pattern": {"type": "string", "minLength": 1,
                         "description": "Regular expression a unit number (房号) must match (default: "
                         "`^\\d{1,3}-\\d{1,2}-\\d{3,4}$`, building-entrance-room)."},
        "unit_example": {"type": "string", "description": "Example unit number shown in hints and errors."},
        "units": {
            "type": "object",
            "additionalProperties": False,
            "description": "How 房号 are read and checked against the unit register (`units.yaml`, 房屋清单).",
            "properties": {
                "unify_spelling": {"type": "boolean",
                                   "description": "Read every spelling clerks type (3栋2单元1502, 3幢2单元1502室, "
                                   "03-02-1502, full-width digits, 3—2—1502) into one: the parts joined by `-` "
                                   "without leading zeros (with them if only that fits `unit_pattern`). Default "
                                   "`false` for workspaces made before it existed (files they accepted replay as "
                                   "they were stored); new workspaces say `true`."},
                "unknown": {"enum": ["refuse", "warn"],
                            "description": "A 房号 that is not in `units.yaml`: `refuse` it, naming the nearest "
                            "registered units (default), or `warn` (the desk shows it, the record is stored). No "
                            "check while the register is absent or empty."},
            },
        },
        "fees": FEES_SCHEMA,
        "roles": {
            "type": "object",
            "description": "Roles by key, each with its Chinese name, e.g. `director: 管理处主任`.",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {"type": "string", "minLength": 1},
        },
        "departments": {"type": "array", "items": {"type": "string", "minLength": 1}, "uniqueItems": True,
                        "description": "Departments of the office (部门)."},
        "dates": {
            "type": "object",
            "additionalProperties": False,
            "description": "Plausible dates: a submission with a date outside them is refused at intake with a "
            "Chinese reason (a typo such as year 9999 or 2062 would otherwise be stored, and deadlines counted "
            "from it). The defaults suit an office that also enters paper forms a while after the fact.",
            "properties": {
                "backdate_days": {"type": "integer", "minimum": 0, "maximum": 3660,
                                  "description": "How many days the `at:` of a submission may lie before the moment "
                                  "the file is received (default 731, two years: paper forms entered late, even last "
                                  "year's when the office starts using formflow, are fine; a wrong century is not)."},
                "ahead_minutes": {"type": "integer", "minimum": 0, "maximum": 1440,
                                  "description": "How many minutes `at:` may lie after the moment the file is "
                                  "received (default 15: the clocks of the office's computers differ a little; "
                                  "nothing is done in the future)."},
                "earliest": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                             "description": "Earliest date a `date` or `datetime` field accepts, YYYY-MM-DD "
                             "(default 1900-01-01, old enough for any birth date)."},
                "years_ahead": {"type": "integer", "minimum": 1, "maximum": 100,
                                "description": "How many years after the submission's time a `date` or `datetime` "
                                "field may lie (default 10: contract, lease and warranty ends). A single field can "
                                "be held tighter with a `constraint`."},
            },
        },
        "inbox": {
            "type": "object",
            "additionalProperties": False,
            "description": "How the watcher decides that a file dropped into `inbox/` is complete.",
            "properties": {
                "settle_seconds": {"type": "number", "minimum": 1, "maximum": 600,
                                   "description": "How long a file must stay unchanged before the watcher takes it, "
                                   "when nothing says its writer has finished (default 10). On a local disk the "
                                   "system reports when a file is closed or renamed in, and such a file is taken "
                                   "at once; a copy that pauses (a USB stick, a network share, a slow editor) is "
                                   "waited out, and so is every file in a folder watched with `--poll`. Raise it "
                                   "for a share whose copies stall longer."},
            },
        },
        "desk": {
            "type": "object",
            "additionalProperties": False,
            "description": "Who is working at the web desk (`formflow serve`).",
            "properties": {
                "sign_in": {"enum": ["pin", "none"],
                            "description": "`pin` (default): each person signs in with the PIN a supervisor set "
                            "(`formflow staff passwd NAME`); everything the desk submits is signed with their name, "
                            "switching person asks for the other's PIN. `none`: the clerk picks a name from the "
                            "roster, nothing is asked (the desk before sign-in; `check` says it is off)."},
                "idle_minutes": {"type": "integer", "minimum": 1, "maximum": 1440,
                                 "description": "A session ends after this many minutes without a page (default 30)."},
                "attempts": {"type": "integer", "minimum": 1, "maximum": 20,
                             "description": "Wrong PINs in a row before the person is locked out (default 5)."},
                "lock_minutes": {"type": "integer", "minimum": 1, "maximum": 1440,
                                 "description": "How long a locked-out person waits (default 15)."},
                "form_order": {"type": "array", "uniqueItems": True, "items": {"type": "string", "minLength": 1},
                               "description": "Form ids in the order the desk's form lists and `formflow forms` "
                               "show them (the office's own order). Forms not listed follow in the work manual's "
                               "order (movein, renovation, repair, complaint, callback, survey, service, "
                               "fee_reminder, fee_collection), then any others by title; that is also the order without this key. "
                               "`check` names an id no form has."},
            },
        },
        "outbox": {
            "type": "object",
            "additionalProperties": False,
            "description": "What the engine prints into `outbox/` (all on by default).",
            "properties": {
                "record_pdfs": {"type": "boolean",
                                "description": "A PDF per record in `outbox/records/<form>/`, re-rendered when it changes."},
                "todo_pdfs": {"type": "array", "uniqueItems": True, "items": {"enum": ["office", "people"]},
                              "description": "To-do PDFs in `outbox/todo/`: `office` (the whole office's list), "
                              "`people` (one per person with something to do). `[]` for none; the text, JSON "
                              "and .ics lists are always written."},
            },
        },
        "staff": {
            "type": "array",
            "description": "The roster: who may sign submissions and actions.",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "roles"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "description": "Full name, as written in `by:`; "
                             "it also names the person's to-do files, so `check` warns about / \\ : * ? \" < > | and "
                             "a leading dot or space (those files are then not written)."},
                    "roles": {"type": "array", "minItems": 1, "items": {"type": "string"},
                              "description": "Role keys from `roles`."},
                    "department": {"type": "string", "description": "One of `departments`."},
                    "phone": {"type": "string", "description": "Work phone (optional)."},
                    "active": {"type": "boolean", "description": "`false` for staff who left (kept for history)."},
                },
            },
        },
    },
}
