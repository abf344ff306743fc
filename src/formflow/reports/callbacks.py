"""The monthly callback summary the manual asks for (pure): records, definitions and a month in, figures out.

Manual (走回访): "对维修服务回访处理率达100%……每月末汇总走回访记录，并进行统计、分析……报管理处主任。"

Definitions (all "as of" the report time ``now``; the month is in the office's time zone):

* **应回访 owed** — each repair completion (the 「完工」 action) whose completion time
  (「完工时间」, else the time the action was done) lies in the month. A rework completed again is
  a second completion: the workflow creates a callback for every completion.
* **已回访 called back** — the callback created for that completion was done (「回访完毕」 or
  「退回返工」). Each completion is paired with the first unpaired callback of the same repair
  created at or after it (the workflow creates it at the same moment).
* **回访率 callback rate** = called back ÷ owed; target 100% (the manual).
* **按时 / 逾期回访 / 逾期未回访 / 未到期** — the callback clock of workflows/callback.yaml (安全设施 2 days,
  渗漏水 3 days after the leak test, other 2 days): met, met late, open past due, open not yet due.
  **按时率 on-time rate** = met ÷ (met + met late + overdue). Voided callbacks and completions without a
  callback are counted apart and are in neither rate's numerator.
* **满意度 satisfaction** — the 「满意度」 of the callbacks done; 满意率 = (满意 + 基本满意) ÷ callbacks
  with a satisfaction filled in. **退回返工 rework** — callbacks done with 「退回返工」.
* Breakdowns: by 维修类别 (the callback's repair class 安全设施/渗漏水/其他) and by 维修部门 · 维修人员
  (the repair's team and assignee as they stood at the completion).

Besides, the workload of the month: callback deadlines due in the month (all callback records),
and callbacks done in the month (visit time in the month, any source: 维修单, 投诉, 便民服务), with
their satisfaction and the problems they found.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from formflow.definitions.loader import Definitions
from formflow.engine.clocks import MET, MET_LATE, OVERDUE
from formflow.engine.records import Record, RecordView, replay
from formflow.reports.base import Period, Ratio, moment, records_as_of, view_and_clocks
from formflow.reports.deadlines import ClockTally, due_items, tally

REPAIR, CALLBACK = "repair", "callback"
FROM_REPAIR = "维修单"
COMPLETE = "complete"
VISIT_ACTIONS = ("visit", "send_back")
REWORK_ACTION = "send_back"
VOID_STATE = "void"
CALLBACK_CLOCK = "callback"
SATISFACTION = ("满意", "基本满意", "不满意")
NOT_RATED = "未填"
#: The manual: "对维修服务回访处理率达100%".
CALLBACK_TARGET = 100
CALLBACK_TARGET_SOURCE = "工作手册：对维修服务回访处理率达100%"

ON_TIME, LATE, OVERDUE_OPEN, NOT_DUE = "on_time", "late", "overdue", "not_due"
VOID, MISSING, NO_DEADLINE = "void", "missing", "no_deadline"
STATUS_LABELS = {ON_TIME: "按时回访", LATE: "逾期回访", OVERDUE_OPEN: "逾期未回访", NOT_DUE: "未到期待回访",
                 VOID: "回访作废", MISSING: "无回访记录", NO_DEADLINE: "无回访期限"}


def repair_class_of(category: str) -> str:
    """The callback class of a repair category, as workflows/repair.yaml derives it."""
    return "安全设施" if "安全设施" in category else "渗漏水" if category == "渗漏水" else "其他"


@dataclass(frozen=True)
class Completion:
    """One completed repair (one callback owed) and what became of its callback."""

    repair: str
    completed_at: dt.datetime
    repair_class: str
    category: str
    team: str
    assignee: str
    unit: str
    callback: str              # the callback record's number, "" when none was found
    status: str                # one of STATUS_LABELS
    due: dt.datetime | None
    visited_at: dt.datetime | None
    satisfaction: str          # one of SATISFACTION, NOT_RATED, or "" when not called back
    rework: bool

    @property
    def called_back(self) -> bool:
        return self.visited_at is not None


@dataclass
class Tally:
    """Callback figures of a group of completions (the whole month, one repair class, one person)."""

    label: str
    owed: int = 0
    called_back: int = 0
    rework: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUS_LABELS, 0))
    satisfaction: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*SATISFACTION, NOT_RATED), 0))

    def add(self, c: Completion) -> None:
        """Count one completion."""
        self.owed += 1
        self.statuses[c.status] += 1
        if c.called_back:
            self.called_back += 1
            rating = c.satisfaction or NOT_RATED
            self.satisfaction[rating] = self.satisfaction.get(rating, 0) + 1
            self.rework += c.rework

    @property
    def callback_rate(self) -> Ratio:
        """Called back ÷ owed."""
        return Ratio(self.called_back, self.owed)

    @property
    def on_time_rate(self) -> Ratio:
        """On time ÷ (on time + late + overdue)."""
        s = self.statuses
        return Ratio(s[ON_TIME], s[ON_TIME] + s[LATE] + s[OVERDUE_OPEN])

    @property
    def rated(self) -> int:
        return sum(self.satisfaction[k] for k in SATISFACTION)

    @property
    def satisfied_rate(self) -> Ratio:
        """(满意 + 基本满意) ÷ callbacks with a rating."""
        return Ratio(self.satisfaction["满意"] + self.satisfaction["基本满意"], self.rated)


@dataclass(frozen=True)
class Visit:
    """A callback done in the month (any source)."""

    callback: str
    source_form: str
    source_record: str
    unit: str
    repair_class: str
    visited_at: dt.datetime
    visitor: str
    satisfaction: str
    problem: str
    rework: bool


@dataclass(frozen=True)
class CallbackSummary:
    """The callback summary of one month."""

    period: Period
    now: dt.datetime
    total: Tally
    by_class: tuple[Tally, ...]
    by_person: tuple[Tally, ...]
    completions: tuple[Completion, ...]
    due: ClockTally                    # callback deadlines due in the month
    visits: tuple[Visit, ...]          # callbacks done in the month, any source
    target: int = CALLBACK_TARGET

    @property
    def open_completions(self) -> tuple[Completion, ...]:
        """Completions of the month not called back yet (the list to act on)."""
        return tuple(c for c in self.completions if not c.called_back)

    @property
    def visits_by_source(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for v in self.visits:
            counts[v.source_form or "其他"] += 1
        return dict(counts)

    @property
    def visit_satisfaction(self) -> dict[str, int]:
        counts = dict.fromkeys((*SATISFACTION, NOT_RATED), 0)
        for v in self.visits:
            rating = v.satisfaction or NOT_RATED
            counts[rating] = counts.get(rating, 0) + 1
        return counts

    @property
    def problems(self) -> tuple[Visit, ...]:
        """Callbacks done in the month that found a problem."""
        return tuple(v for v in self.visits if v.problem or v.rework)


def _visited(view: RecordView, tz) -> dt.datetime | None:
    """When a callback was done: its 「回访时间」, else the time of 「回访完毕」/「退回返工」; None if not done."""
    done = [t for action in VISIT_ACTIONS for t in view.done(action)]
    if not done:
        return None
    return moment(view.values.get("visited_at"), tz) or min(done)


def _callback_status(defs: Definitions, view: RecordView, now: dt.datetime) -> tuple[str, dt.datetime | None]:
    _, clocks = view_and_clocks(defs, view.record, now)
    clock = next((c for c in clocks if c.key == CALLBACK_CLOCK), None)
    if view.state == VOID_STATE:
        return VOID, clock.due if clock else None
    if clock is None:  # no repair class filled in: no deadline to judge
        return NO_DEADLINE, None
    status = {MET: ON_TIME, MET_LATE: LATE, OVERDUE: OVERDUE_OPEN}.get(clock.status, NOT_DUE)
    return status, clock.due


def _completions(defs: Definitions, repair: Record, callbacks: list[tuple[Record, RecordView]],
                 period: Period, now: dt.datetime) -> list[Completion]:
    tz = defs.settings.timezone
    workflow = defs.workflows[REPAIR]
    unpaired = sorted(callbacks, key=lambda pair: (pair[0].created_at, pair[0].number))
    out = []
    for i, event in enumerate(repair.events):
        if event.action != COMPLETE:
            continue
        values = replay(Record(repair.number, repair.form, repair.events[:i + 1]), workflow).values
        completed = moment(values.get("completed_at"), tz) or event.at
        match = next((pair for pair in unpaired if pair[0].created_at >= event.at), None)
        if match is not None:
            unpaired.remove(match)
        if completed not in period:
            continue
        category = str(values.get("category", ""))
        if match is None:
            out.append(Completion(repair.number, completed, repair_class_of(category), category,
                                  str(values.get("team", "")), str(values.get("assignee", "")),
                                  str(values.get("unit", "")), "", MISSING, None, None, "", False))
            continue
        record, view = match
        status, due = _callback_status(defs, view, now)
        visited = _visited(view, tz)
        out.append(Completion(
            repair.number, completed, str(view.values.get("repair_class") or repair_class_of(category)), category,
            str(values.get("team", "")), str(values.get("assignee", "") or event.by), str(values.get("unit", "")),
            record.number, status, due, visited,
            str(view.values.get("satisfaction", "")) if visited else "", bool(view.done(REWORK_ACTION))))
    return out


def _grouped(completions: Iterable[Completion], key, order: Iterable[str] = ()) -> tuple[Tally, ...]:
    groups: dict[str, Tally] = {label: Tally(label) for label in order}
    for c in completions:
        label = key(c)
        groups.setdefault(label, Tally(label)).add(c)
    return tuple(t for t in groups.values() if t.owed)


def person_label(c: Completion) -> str:
    """「工程维修部 · 张伟」; the team or the person alone when the other is not filled."""
    return " · ".join(p for p in (c.team, c.assignee) if p) or "（未派工）"


def callback_summary(defs: Definitions, records: Iterable[Record], period: Period, now: dt.datetime) -> CallbackSummary:
    """The monthly callback summary of ``period`` as of ``now`` (see the module docstring)."""
    tz = defs.settings.timezone
    chosen = list(records_as_of(records, now, {REPAIR, CALLBACK}))
    callback_views = [(r, replay(r, defs.workflows[CALLBACK])) for r in chosen if r.form == CALLBACK]
    by_repair: dict[str, list[tuple[Record, RecordView]]] = defaultdict(list)
    for record, view in callback_views:
        if view.values.get("source_form") == FROM_REPAIR:
            by_repair[str(view.values.get("source_record") or record.parent)].append((record, view))
    completions = []
    for repair in (r for r in chosen if r.form == REPAIR):
        completions += _completions(defs, repair, by_repair.get(repair.number, []), period, now)
    completions.sort(key=lambda c: (c.completed_at, c.repair))

    total = Tally("合计")
    for c in completions:
        total.add(c)
    classes = defs.choices["repair_class"].values if "repair_class" in defs.choices else ()
    by_class = _grouped(completions, lambda c: c.repair_class, classes)
    by_person = _grouped(sorted(completions, key=person_label), person_label)

    items = due_items(defs, [r for r, _ in callback_views], period, now)
    due = tally(items, CALLBACK, defs.forms[CALLBACK].title, CALLBACK_CLOCK,
                defs.workflows[CALLBACK].clocks[CALLBACK_CLOCK].label if CALLBACK_CLOCK in
                defs.workflows[CALLBACK].clocks else CALLBACK_CLOCK)

    visits = []
    for record, view in callback_views:
        visited = _visited(view, tz)
        if visited is None or visited not in period:
            continue
        v = view.values
        visits.append(Visit(record.number, str(v.get("source_form", "")), str(v.get("source_record", "")),
                            str(v.get("unit", "")), str(v.get("repair_class", "")), visited, str(v.get("visitor", "")),
                            str(v.get("satisfaction", "")), str(v.get("problem_found", "")),
                            bool(view.done(REWORK_ACTION))))
    visits.sort(key=lambda v: (v.visited_at, v.callback))
    return CallbackSummary(period, now, total, by_class, by_person, tuple(completions), due, tuple(visits))
