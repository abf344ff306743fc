"""JSON Schema of calendar.yaml, the business calendar; each ``description`` documents its key.

The loader turns YAML dates into ISO strings and mapping keys into strings before
validation, so dates are checked as ``YYYY-MM-DD`` strings and years as ``"2026"`` keys.
Meaning (a date both a holiday and a workday, a date outside its year, overlapping working
periods) is checked by ``BusinessCalendar.from_data``.
"""

from __future__ import annotations

DATE = r"^\d{4}-\d{2}-\d{2}$"
TIME = r"^([01]\d|2[0-3]):[0-5]\d$"

_DATE = {"type": "string", "pattern": DATE}
_TIME = {"type": "string", "pattern": TIME}

_HOLIDAY = {
    "type": "object",
    "description": "One holiday block (放假), e.g. 春节 and its days off.",
    "additionalProperties": False,
    "required": ["name", "dates"],
    "properties": {
        "name": {"type": "string", "minLength": 1,
                 "description": "Chinese name of the holiday, shown in deadline explanations, e.g. 国庆节."},
        "dates": {
            # One node for both forms (rather than anyOf) so the reference page lists `from` and `to`:
            # `items` applies to a list, `properties`/`required` to a mapping.
            "type": ["array", "object"],
            "description": "Days off: a list of dates `[2026-01-01, ...]`, or a range `{from: 2026-10-01, "
            "to: 2026-10-07}` (both ends included). Include the weekend days inside the block.",
            "minItems": 1,
            "uniqueItems": True,
            "items": _DATE,
            "additionalProperties": False,
            "required": ["from", "to"],
            "properties": {
                "from": {**_DATE, "description": "First day off of the range (YYYY-MM-DD)."},
                "to": {**_DATE, "description": "Last day off of the range, included (YYYY-MM-DD)."},
            },
        },
    },
}

_WORKDAY = {
    "type": "object",
    "description": "One 调休 make-up working day, usually a Saturday or Sunday.",
    "additionalProperties": False,
    "required": ["date"],
    "properties": {
        "date": {**_DATE, "description": "The make-up working day (YYYY-MM-DD)."},
        "name": {"type": "string", "minLength": 1,
                 "description": "Short Chinese note, e.g. 春节调休上班 (default 调休上班)."},
    },
}

_YEAR = {
    "type": "object",
    "description": "The holiday arrangement of one year (key: the year, e.g. 2026).",
    "additionalProperties": False,
    "required": ["status", "holidays"],
    "properties": {
        "status": {"enum": ["official", "provisional"],
                   "description": "`official`: entered from the State Council notice; `provisional`: the notice is "
                   "not out yet, only statutory holidays are listed and formflow warns about it."},
        "source": {"type": "string",
                   "description": "Title of the notice the dates come from, e.g. 国务院办公厅关于2026年部分节假日安排的通知."},
        "holidays": {"type": "array", "items": _HOLIDAY,
                     "description": "Holiday blocks of the year (放假)."},
        "workdays": {"type": "array", "items": _WORKDAY,
                     "description": "调休 make-up working days of the year (上班); they count as working days "
                     "even on a weekend."},
    },
}

CALENDAR_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Business calendar (calendar.yaml)",
    "description": "Working days and hours, public holidays and 调休 make-up working days; deadlines of "
    "workflows are computed on it.",
    "type": "object",
    "additionalProperties": False,
    "required": ["timezone"],
    "properties": {
        "timezone": {"type": "string", "minLength": 1,
                     "description": "IANA time zone of every deadline, e.g. `Asia/Shanghai`."},
        "weekend": {"type": "array", "uniqueItems": True, "items": {"type": "integer", "minimum": 1, "maximum": 7},
                    "description": "ISO weekdays off (1 = Monday … 7 = Sunday), default `[6, 7]`. A listed "
                    "make-up workday beats the weekend."},
        "working_hours": {
            "type": "array", "minItems": 1,
            "description": "Working periods of a working day, in order and not overlapping (default 08:30–12:00 "
            "and 13:30–17:30). `wh` counts only these; `wd` falls due at the end of the last one.",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["start", "end"],
                "description": "One working period of the day.",
                "properties": {
                    "start": {**_TIME, "description": "Start of the period, `HH:MM` (quote it in YAML)."},
                    "end": {**_TIME, "description": "End of the period, `HH:MM`, after `start`."},
                },
            },
        },
        "end_of_day": {**_TIME, "description": "When a day ends for the `eod` (same day) rule, default `23:59`; "
                       "an office may set `17:30` for close of business."},
        "years": {
            "type": "object", "additionalProperties": False,
            "description": "Holiday arrangement by year. Keep the current and the next year here; formflow warns "
            "when one is missing or only provisional.",
            "patternProperties": {r"^\d{4}$": _YEAR},
        },
    },
}
