"""The yearly owner-opinion-survey analysis (pure): survey records of a year in, figures out.

Manual: "每年发放《业主意见征询表》征询业主意见并及时回收，统计分析，报管理处主任。" It sets no
target; the grade targets used here are the industry reference the shipped form quotes
(forms/survey.yaml: "行业评定参考：满意率 ≥80%（一级）、≥75%（二级）、≥70%（三级）") — a parameter,
``targets``, that an office sets to its own contract's figures.

Definitions:

* **回收份数 forms returned** — survey records with 「征询年度」 = the year, except those declared
  无效问卷 (state ``invalid``); **回收户数** — the distinct units among them.
* **应发放户数 units** — given by the caller (``--units``); otherwise the entries of a choice list
  named ``units`` (the estate's unit register, choices/*.yaml), otherwise the distinct units of the
  move-in records (入住登记, cancelled ones left out). One form per unit is handed out.
* **回收率 return rate** = units returned ÷ units.
* **满意率** of an item = (满意 + 基本满意) ÷ the forms that rated the item; **满意占比** = 满意 ÷ the same.
  A form that left an item blank does not count for that item (as forms/survey.yaml says).
  The items are the form's choice fields rated 满意/基本满意/不满意; 总体评价 (``overall``) is the overall figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from formflow.definitions.loader import Definitions
from formflow.engine.records import Record, replay
from formflow.reports.base import Ratio, records_as_of

SURVEY, MOVEIN = "survey", "movein"
YEAR_FIELD, OVERALL = "survey_year", "overall"
INVALID_STATE, MOVEIN_CANCELLED = "invalid", "cancelled"
RATINGS = ("满意", "基本满意", "不满意")
#: Industry reference quoted in forms/survey.yaml (not from the work manual): (grade, minimum 满意率 %).
DEFAULT_TARGETS: tuple[tuple[str, float], ...] = (("一级", 80), ("二级", 75), ("三级", 70))
TARGETS_SOURCE = "行业评定参考（业主意见征询表的说明）：满意率 ≥80% 一级、≥75% 二级、≥70% 三级；工作手册未规定指标"
BELOW = "未达标"


@dataclass(frozen=True)
class ItemResult:
    """The ratings of one item."""

    key: str
    label: str
    counts: tuple[int, int, int]      # 满意, 基本满意, 不满意
    unanswered: int
    grade: str                        # the best grade reached, BELOW, or "" without answers

    @property
    def answered(self) -> int:
        return sum(self.counts)

    @property
    def satisfied(self) -> Ratio:
        """满意率: (满意 + 基本满意) ÷ answered."""
        return Ratio(self.counts[0] + self.counts[1], self.answered)

    @property
    def very(self) -> Ratio:
        """满意占比: 满意 ÷ answered."""
        return Ratio(self.counts[0], self.answered)


@dataclass(frozen=True)
class Comment:
    """An opinion written on a returned form (the unit, the overall rating, the text)."""

    record: str
    unit: str
    overall: str
    text: str


@dataclass(frozen=True)
class SurveyAnalysis:
    """The survey analysis of one year."""

    year: int
    now: dt.datetime
    units: int
    units_source: str
    forms_returned: int
    units_returned: int
    invalid: int
    overall: ItemResult | None
    items: tuple[ItemResult, ...]
    comments: tuple[Comment, ...]
    targets: tuple[tuple[str, float], ...]
    by_collection: tuple[tuple[str, int], ...]

    @property
    def return_rate(self) -> Ratio:
        """Units returned ÷ units."""
        return Ratio(self.units_returned, self.units)

    @property
    def weakest(self) -> tuple[ItemResult, ...]:
        """Items below the first (highest) target, lowest 满意率 first."""
        first = self.targets[0][1] if self.targets else 0
        below = [i for i in self.items if i.answered and not i.satisfied.reaches(first)]
        return tuple(sorted(below, key=lambda i: (i.satisfied.value, i.key)))


def grade_of(ratio: Ratio, targets: Sequence[tuple[str, float]]) -> str:
    """The best grade whose minimum ``ratio`` reaches; BELOW when none; "" without data."""
    if not ratio.den:
        return ""
    for name, minimum in sorted(targets, key=lambda t: -t[1]):
        if ratio.reaches(minimum):
            return name
    return BELOW


def rating_fields(defs: Definitions) -> list[tuple[str, str]]:
    """(key, label) of the survey's rated items: choice fields offering exactly 满意/基本满意/不满意."""
    out = []
    for f in defs.forms[SURVEY].iter_fields():
        if f.type == "choice" and f.choices is not None and set(f.choices.values) == set(RATINGS):
            out.append((f.name, f.label))
    return out


def count_units(defs: Definitions, records: Iterable[Record]) -> tuple[int, str]:
    """The units a survey goes to, and where the number comes from (see the module docstring)."""
    if "units" in defs.choices and defs.choices["units"].options:
        register = defs.choices["units"]
        return len(set(register.values)), f"房号清单（{register.label or '选项列表'}）"
    if MOVEIN not in defs.workflows:
        return 0, ""
    units = set()
    for record in records:
        if record.form != MOVEIN:
            continue
        view = replay(record, defs.workflows[MOVEIN])
        if view.state != MOVEIN_CANCELLED and view.values.get("unit"):
            units.add(str(view.values["unit"]))
    return len(units), "入住登记记录中的不同房号数" if units else ""


def _item(key: str, label: str, values: list[dict], targets) -> ItemResult:
    counts = tuple(sum(1 for v in values if v.get(key) == r) for r in RATINGS)
    unanswered = sum(1 for v in values if v.get(key) not in RATINGS)
    return ItemResult(key, label, counts, unanswered, grade_of(Ratio(counts[0] + counts[1], sum(counts)), targets))


def survey_analysis(defs: Definitions, records: Iterable[Record], year: int, now: dt.datetime, *,
                    units: int | None = None, targets: Sequence[tuple[str, float]] = DEFAULT_TARGETS) -> SurveyAnalysis:
    """The yearly survey analysis as of ``now``; ``units`` overrides the counted number of units."""
    chosen = list(records_as_of(records, now, {SURVEY, MOVEIN}))
    if units is None:
        units, source = count_units(defs, chosen)
    else:
        source = "命令参数 --units"
    workflow = defs.workflows[SURVEY]
    valid, invalid = [], 0
    for record in chosen:
        if record.form != SURVEY:
            continue
        view = replay(record, workflow)
        if str(view.values.get(YEAR_FIELD)) != str(year):
            continue
        if view.state == INVALID_STATE:
            invalid += 1
        else:
            valid.append((record, view.values))
    values = [v for _, v in valid]
    fields = rating_fields(defs)
    items = tuple(_item(k, label, values, targets) for k, label in fields if k != OVERALL)
    overall_label = next((label for k, label in fields if k == OVERALL), None)
    overall = _item(OVERALL, overall_label, values, targets) if overall_label else None
    comments = tuple(Comment(r.number, str(v.get("unit", "")), str(v.get(OVERALL, "")), str(v["comments"]).strip())
                     for r, v in valid if str(v.get("comments") or "").strip())
    collection: dict[str, int] = {}
    for v in values:
        way = str(v.get("collection") or "未填")
        collection[way] = collection.get(way, 0) + 1
    units_returned = len({str(v.get("unit")) for v in values if v.get("unit")})
    return SurveyAnalysis(year, now, units, source, len(valid), units_returned, invalid, overall, items, comments,
                          tuple(targets), tuple(collection.items()))
