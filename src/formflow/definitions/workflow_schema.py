"""JSON Schemas of workflows/*.yaml and duties.yaml; each ``description`` documents its key.

Durations are written with explicit units, so nobody has to guess what "2" means:
``30m`` / ``2h`` clock time, ``2d`` calendar days (same clock time), ``3wh`` working hours,
``3wd`` working days (end of the working day), ``eod`` end of the same day. ``-1d`` (a
negative duration) is only used as an offset, e.g. the day before a promised date.
"""

from __future__ import annotations

from formflow.definitions.units import STATUSES

DURATION = r"^(eod|-?\d+(m|h|d|wh|wd))$"
_KEY = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_POINT = r"^(created|state:[a-z][a-z0-9_]*|action:[a-z][a-z0-9_]*|field:[a-z][a-z0-9_]*)$"
_EXPR = {"type": "string", "minLength": 1}
_DUE = {"type": "string", "pattern": DURATION,
        "description": "Due rule: `30m`, `2h` (clock time), `2d` (calendar days, same clock time), `3wh` "
        "(working hours), `3wd` (end of the Nth working day after the start day), `eod` (end of the start day)."}
_POINTS = {
    "description": "One moment or a list of them: `created`, `state:<state>` (entered), `action:<action>` (done), "
    "`field:<date field>`. For `start` the first that has happened wins; for `stop` any of them stops the clock.",
    "anyOf": [{"type": "string", "pattern": _POINT},
              {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": _POINT}}],
}
_ROLES = {"type": "array", "minItems": 1, "items": _KEY, "description": "Role keys from formflow.yaml."}

_EFFECT = {
    "type": "object",
    "description": "One effect of an action; exactly one of `set`, `create`, `parent`.",
    "additionalProperties": False,
    "properties": {
        "set": {"type": "object", "additionalProperties": {"type": "string"},
                "description": "Fields of this record to set: `field: expression`; `now()` is the action's time."},
        "create": {
            "type": "object", "additionalProperties": False, "required": ["form"],
            "description": "Create a follow-up record of another form, linked to this one.",
            "properties": {
                "form": {**_KEY, "description": "Form id of the follow-up record."},
                "copy": {"type": "object", "additionalProperties": {"type": "string"},
                         "description": "`target_field: source_field` copied from this record."},
                "set": {"type": "object", "additionalProperties": {"type": "string"},
                        "description": "`target_field: expression` evaluated on this record "
                        "(`number()` is this record's number, `now()` the action's time)."},
                "when": {**_EXPR, "description": "Expression on this record's values after the action (its fields "
                         "and the `set` effects before this one); the record is created only when true, e.g. "
                         "`${service_issue} == '转维修'`. Without it, every time the action is done."},
            },
        },
        "parent": {
            "type": "object", "additionalProperties": False, "required": ["action", "link"],
            "description": "Perform an action on the record this one follows up (e.g. send a repair back for rework).",
            "properties": {
                "action": {**_KEY, "description": "Action of the parent's workflow."},
                "link": {**_KEY, "description": "Field of this record holding the parent's record number."},
                "when": {**_EXPR, "description": "Expression; only when true."},
                "note": {"type": "string", "description": "Chinese note recorded on the parent's history."},
            },
        },
    },
}

WORKFLOW_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Workflow (workflows/*.yaml)",
    "description": "The procedure of one form: states, actions, deadlines. The file name is the form id.",
    "type": "object",
    "additionalProperties": False,
    "required": ["form", "version", "states", "actions"],
    "properties": {
        "form": {**_KEY, "description": "Id of the form this workflow drives (same as the file name)."},
        "version": {"type": "integer", "minimum": 1,
                    "description": "Version of the workflow; raise it with every change. Records remember the "
                    "version they started under."},
        "change_note": {"type": "string", "description": "What changed in this version."},
        "states": {
            "type": "object", "minProperties": 1, "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "description": "States by key. Exactly one is `initial`; records in a `final` state are closed.",
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["label"],
                "properties": {
                    "label": {"type": "string", "minLength": 1, "description": "Chinese name of the state."},
                    "initial": {"type": "boolean", "description": "A new record starts here."},
                    "final": {"type": "boolean", "description": "The record is closed here; no clock runs."},
                    "unit_status": {"enum": list(STATUSES),
                                    "description": "Once a record reaches this state, its unit's 入住状态 is this "
                                    "(e.g. a move-in's 已交钥匙 state: `已入住`). Records of such a workflow also "
                                    "bring the resident's name and phone (the form's `resident:` fields) to the "
                                    "unit's file, newest first; `units.yaml` itself is never rewritten."},
                },
            },
        },
        "responsible": {
            "type": "object", "additionalProperties": False,
            "description": "Who a record's tasks go to, beyond the roles its clocks name (`who`).",
            "properties": {
                "person": {"type": "string", "description": "A `staff` field naming the person the record is "
                           "assigned to (e.g. 维修人员): a task whose roles that person holds goes to them alone."},
                "department": {"type": "string", "description": "A field naming the department the record is "
                               "routed to (e.g. 转交部门): a task for one of `department_roles` goes only to "
                               "the people of that department who hold the role, not to every holder of it."},
                "department_roles": {**_ROLES, "description": "The roles held department by department "
                                     "(e.g. `[dept_head]`); other roles (客服专员, 主管) are the whole office's."},
            },
        },
        "corrections": {
            "type": "object", "additionalProperties": False, "required": ["roles"],
            "description": "Who may correct stored values (更正, action `correct` in a submission, or on the desk): "
            "in any state, closed records too, with a required reason (`note`). The old values stay in the "
            "history and on the record PDF (更正: old → new, who, when, why), as a paper record keeps a struck-out "
            "value with initials; a rebuild replays corrections like every action. Without this key nothing is "
            "corrected.",
            "properties": {
                "roles": {**_ROLES, "description": "Roles that may correct."},
                "fields": {"type": "array", "items": {"type": "string"}, "uniqueItems": True,
                           "description": "Fields that may be corrected (default: every field of the form)."},
            },
        },
        "renamed_states": {
            "type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": {"type": "string"},
            "description": "`old_state: new_state` for states removed or renamed since an earlier version, so "
            "records started under it are not stranded.",
        },
        "actions": {
            "type": "object", "minProperties": 1, "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "description": "What people do to a record, by key (`action:` in submissions).",
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["label", "from"],
                "properties": {
                    "label": {"type": "string", "minLength": 1, "description": "Chinese name of the action."},
                    "from": {"description": "States the action is allowed in (a list), or `*` for any open state.",
                             "anyOf": [{"const": "*"}, {"type": "array", "minItems": 1, "items": _KEY}]},
                    "to": {**_KEY, "description": "State after the action (default: unchanged)."},
                    "roles": {**_ROLES, "description": "Roles allowed to do it (default: anyone on the roster)."},
                    "fields": {"type": "array", "items": _KEY,
                               "description": "Form fields this action may fill in or change."},
                    "requires": {"type": "array", "items": _KEY,
                                 "description": "Fields that must be filled once the action is done."},
                    "guard": {**_EXPR, "description": "Expression on the record's values that must hold."},
                    "guard_message": {"type": "string", "description": "Chinese message when the guard fails."},
                    "once": {"type": "boolean",
                             "description": "`true`: the action may be done only once on a record (e.g. 呈报上级, "
                             "which has no `to`); a second one is refused, saying when it was done, and the desk "
                             "no longer offers it (default `false`)."},
                    "effects": {"type": "array", "items": _EFFECT, "description": "What else happens, in order."},
                },
            },
        },
        "clocks": {
            "type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "description": "Deadlines, by key. Several may run at once on one record.",
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["label", "start", "stop"],
                "properties": {
                    "label": {"type": "string", "minLength": 1, "description": "Chinese name of the deadline."},
                    "task": {"type": "string", "description": "What must be done, as the to-do list says it."},
                    "who": {**_ROLES, "description": "Roles whose to-do list shows it."},
                    "applies_if": {**_EXPR, "description": "Expression; the clock runs only for records where true."},
                    "start": {**_POINTS},
                    "stop": {**_POINTS},
                    "pause": {"type": "array", "items": _KEY,
                              "description": "States during which the clock stands still (time is added back)."},
                    "due": _DUE,
                    "due_by": {
                        "type": "object", "additionalProperties": False, "required": ["field", "rules"],
                        "description": "Due rule chosen by a field's value (e.g. severity), instead of `due`.",
                        "properties": {
                            "field": {**_KEY, "description": "Field whose value picks the rule."},
                            "rules": {"type": "object", "additionalProperties": {"type": "string", "pattern": DURATION},
                                      "description": "`value: rule` pairs."},
                            "default": {**_DUE, "description": "Rule for any other value (else the clock does not run)."},
                        },
                    },
                    "deadline_field": {
                        "type": "object", "additionalProperties": False, "required": ["field"],
                        "description": "A date field that, when filled, sets the due time instead of the rule "
                        "(the resident's requested deadline; a promised payment date).",
                        "properties": {
                            "field": {**_KEY, "description": "A date or datetime field; a date means its end of day."},
                            "offset": {"type": "string", "pattern": DURATION,
                                       "description": "Shift, e.g. `-1d` for the day before."},
                        },
                    },
                    "within": {"enum": ["calling_hours"],
                               "description": "`calling_hours`: the deadline falls inside the office's calling hours "
                               "(`fees.calling_hours` of formflow.yaml), for tasks that are phone calls. A due time "
                               "outside them moves EARLIER, to the end of the last calling period before it (a "
                               "promise reminder due at the end of the day before is due at 20:00; one due at 13:00 "
                               "at 12:00), so nobody is late because of the move; only when that would be before the "
                               "clock started does it move to the start of the next period. The to-do lists show "
                               "the hours beside the task."},
                    "shows_in": {**_KEY, "description": "A date or datetime field of the form that shows this "
                                 "deadline on the record's PDF while nobody filled it in (应回访日期)."},
                    "remind": {"type": "array", "items": {"type": "string", "pattern": r"^\d+(m|h|d)$"},
                               "description": "How long before due the task shows as due soon (first = earliest)."},
                    "escalate": {
                        "type": "array", "description": "Who is told after the due time, and when.",
                        "items": {"type": "object", "additionalProperties": False, "required": ["after", "to"],
                                  "properties": {
                                      "after": {"type": "string", "pattern": r"^\d+(m|h|d)$",
                                                "description": "Delay after the due time."},
                                      "to": {**_ROLES, "description": "Roles told."}}},
                    },
                },
            },
        },
    },
}

DUTIES_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Recurring duties (duties.yaml)",
    "description": "Work that comes round on a schedule, not tied to a record.",
    "type": "object",
    "additionalProperties": False,
    "required": ["duties"],
    "properties": {
        "duties": {
            "type": "object", "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "description": "Duties by key.",
            "additionalProperties": {
                "type": "object", "additionalProperties": False, "required": ["label", "every", "who"],
                "properties": {
                    "label": {"type": "string", "minLength": 1, "description": "Chinese name of the duty."},
                    "task": {"type": "string", "description": "What must be done, as the to-do list says it."},
                    "every": {"enum": ["week", "2weeks", "month", "quarter", "year"],
                              "description": "How often it comes round."},
                    "anchor": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$",
                               "description": "A date the cycle counts from (weekly cycles; default 2025-01-06)."},
                    "due": {"type": "string", "pattern": r"^(end|\d+d)$",
                            "description": "`end` = the last day of each period (default), or `Nd` = N days "
                            "into it."},
                    "who": {**_ROLES, "description": "Roles whose to-do list shows it; only staff with one of "
                                                      "them may mark it done."},
                },
            },
        },
    },
}
