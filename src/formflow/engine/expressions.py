"""The small, safe expression language of show_if / required / constraint / guards.

Syntax is a tiny subset of Python expressions, evaluated by ``simpleeval`` (an AST
whitelist, never ``eval``). Fields are written ``${field}`` (or by bare name); ``${.}`` is
the value of the field a constraint belongs to. Examples::

    ${category} == '渗漏水'
    ${applicant_role} == '使用人' and not ${structural_change}
    ${.} >= ${planned_start}
    len(${workers}) >= 1 and '卫生间(防水)' in ${items}

Functions: ``len(x)``, ``filled(x)`` (not empty), ``today()``, ``date('2026-01-01')`` (or ``date(${a_datetime})``, its day),
``days(a, b)`` (whole days from date ``a`` to ``b``), ``total(${table}, 'column')`` (the sum of a table's column,
for a ``calculate:``), ``mobile(x)`` (the first mobile number in a text of phones, or empty). An empty field is ``None``; a
comparison with an empty field is false rather than an error, so conditions on fields not
yet filled read naturally.

Every expression is compiled when definitions load, so a syntax error or a name that is
not a field is caught by ``formflow check``, never while a clerk is working.

Cost is bounded: repeating a list or text written in the expression (``[0] * 9``, ``'-' * 3``)
and text formatting with ``%`` are refused by ``check``; a list built from field values may hold
at most 10 000 items (nested ones counted), or the condition is left undecided.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import simpleeval

THIS = "_this_"
_REF = re.compile(r"\$\{\s*(\.|[A-Za-z_][A-Za-z0-9_]*)\s*\}")

_ALLOWED_NODES = (
    ast.Expression, ast.Expr, ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.UAdd,
    ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Mod, ast.Name, ast.Load, ast.Constant,
    ast.Call, ast.List, ast.Tuple, ast.IfExp,
)


#: Most items (nested ones counted) a list or tuple built by an expression may hold. simpleeval's
#: own limit (MAX_STRING_LENGTH) counts only the outer length, so ``[[1]*99999]*99999`` passes it
#: and then takes hours: simpleeval walks every nested item of every result. Conditions on a form
#: never need more than a few hundred.
MAX_ITEMS = 10_000

_TOO_BIG = "表达式生成的数据过多 the expression builds too large a value (over {} items)"
_FORMATTING = "表达式中不允许格式化文字 text formatting (%) is not allowed in expressions"


class ExpressionError(ValueError):
    """An expression that cannot be compiled; the message is bilingual and names the problem."""


def _filled(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _date(value: str | dt.date) -> dt.date:
    # date('2026-01-01') makes a constant; date(${received_at}) takes the day of a datetime.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _days(a: dt.date, b: dt.date) -> int:
    if isinstance(a, dt.datetime):
        a = a.date()
    if isinstance(b, dt.datetime):
        b = b.date()
    return (b - a).days


def _size(value: Any, budget: int = MAX_ITEMS) -> int:
    """Items in a list/tuple/dict value, nested ones counted; stops counting once past ``budget``.

    Texts and numbers count as one: simpleeval already bounds a text's length, and walking them is cheap.
    """
    if isinstance(value, Mapping):
        items = value.values()
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = value
    else:
        return 1
    total = len(value)
    for item in items:
        if total > budget:
            break
        if isinstance(item, (Mapping, list, tuple, set, frozenset)):
            total += _size(item, budget - total) - 1  # the item itself is already counted in len(value)
    return total


def _repeat(a: Any, b: Any) -> Any:
    # simpleeval's safe_mult checks the outer length only; count what the repeated items hold.
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, (list, tuple)) and isinstance(times, int) and times > 1 \
                and _size(seq) * times > MAX_ITEMS:
            raise simpleeval.IterableTooLong(_TOO_BIG.format(MAX_ITEMS))
    return simpleeval.safe_mult(a, b)


def _join(a: Any, b: Any) -> Any:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and _size(a) + _size(b) > MAX_ITEMS:
        raise simpleeval.IterableTooLong(_TOO_BIG.format(MAX_ITEMS))
    return simpleeval.safe_add(a, b)


def _modulo(a: Any, b: Any) -> Any:
    # On a text, % is printf formatting: a clerk could type '%0999999999d' into a field.
    if isinstance(a, (str, bytes)):
        raise simpleeval.FeatureNotAvailable(_FORMATTING)
    return a % b


#: simpleeval's operators with growth and formatting bounded (its own extension point).
OPERATORS = {**simpleeval.DEFAULT_OPERATORS, ast.Mult: _repeat, ast.Add: _join, ast.Mod: _modulo}

def _total(rows: Any, column: str) -> Any:
    """The sum of ``column`` over the rows of a table, or ``None`` while a row has no value there (or there are
    no rows): a total is computed only when every line has its amount."""
    if not isinstance(rows, (list, tuple)) or not rows or not isinstance(column, str):
        return None
    found = [row.get(column) if isinstance(row, Mapping) else None for row in rows]
    if any(v is None or v == "" or isinstance(v, bool) for v in found):
        return None
    return sum(found[1:], found[0])


_MOBILE = re.compile(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4})(?!\d)")


def _mobile(text: Any) -> str | None:
    """The first mainland mobile number in ``text`` (a register's "13800001111、0755-1234567"), digits only, or
    ``None``: a text field of phones copied into a ``mobile`` field of a follow-up record."""
    if not isinstance(text, str):
        return None
    found = _MOBILE.search(text)
    return re.sub(r"[\s-]", "", found.group(1)) if found else None


#: Functions an expression may call; ``today``/``now``/``number`` are bound per evaluation.
FUNCTIONS = {"len": len, "filled": _filled, "date": _date, "days": _days, "total": _total, "mobile": _mobile,
             "today": None, "now": None, "number": None}


@dataclass(frozen=True)
class Expression:
    """A compiled expression: its source, the field names it reads, and its parsed tree."""

    source: str
    names: frozenset[str]
    uses_this: bool
    tree: Any = field(repr=False, compare=False, hash=False)

    def __str__(self) -> str:
        return self.source


def compared_texts(expr: Expression) -> list[tuple[str, str, bool]]:
    """(field, text, whole) for every text ``expr`` compares a field with: ``${severity} == '重大'``,
    ``${category} in ['渗漏水', '电气']``, ``'卫生间(防水)' in ${items}``; ``whole`` is false where the text
    may be part of the value (``'安全设施' in ${category}`` on a single choice). ``check`` holds them against
    the field's options: a misspelt option in a guard is never true, and nothing else would say so."""
    found: list[tuple[str, str, bool]] = []

    def texts(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, (ast.List, ast.Tuple)):
            return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        return []

    for node in ast.walk(expr.tree):  # (parsed once, when compiled)
        if not isinstance(node, ast.Compare) or len(node.ops) != 1:
            continue
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if not isinstance(op, (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
            continue
        contained = isinstance(op, (ast.In, ast.NotIn))
        if isinstance(left, ast.Name) and left.id in expr.names:
            found += [(left.id, t, True) for t in texts(right)]
        if isinstance(right, ast.Name) and right.id in expr.names:
            found += [(right.id, t, not contained) for t in texts(left)]
    return found


def compile_expression(source: str) -> Expression:
    """Parse ``source``; raise :class:`ExpressionError` for bad syntax or anything outside the language."""
    text = _REF.sub(lambda m: THIS if m.group(1) == "." else m.group(1), source.strip())
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"表达式语法错误 expression syntax error: {source!r} ({exc.msg})") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"表达式中不允许使用 not allowed in expressions: {type(node).__name__} in {source!r}")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
                raise ExpressionError(
                    f"未知的函数 unknown function in {source!r} (expected one of {', '.join(sorted(FUNCTIONS))})")
        elif isinstance(node, ast.Name):
            names.add(node.id)
    _refuse_unbounded(tree, source)
    func_names = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names -= func_names
    names -= {"True", "False", "None", "true", "false"}
    uses_this = THIS in names
    names.discard(THIS)
    evaluator = simpleeval.EvalWithCompoundTypes()
    return Expression(source, frozenset(names), uses_this, evaluator.parse(text))


def _is_sequence(node: ast.AST) -> bool:
    # A list, tuple or text written in the expression, or one joined or repeated from such.
    if isinstance(node, (ast.List, ast.Tuple)):
        return True
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (str, bytes))
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        return _is_sequence(node.left) or _is_sequence(node.right)
    if isinstance(node, ast.IfExp):
        return _is_sequence(node.body) or _is_sequence(node.orelse)
    return False


def _refuse_unbounded(tree: ast.AST, source: str) -> None:
    """Refuse, at check time, what only builds big values: repeating a written list or text, and ``%`` on text.

    A condition compares fields; it never needs ``[0] * n`` or ``'-' * n``. What a field value
    may grow to is bounded when evaluated (:data:`OPERATORS`).
    """
    for node in ast.walk(tree):
        if not isinstance(node, ast.BinOp):
            continue
        if isinstance(node.op, ast.Mult) and (_is_sequence(node.left) or _is_sequence(node.right)):
            raise ExpressionError("表达式中不允许重复列表或文字 repeating a list or text is not allowed in expressions: "
                                  f"{ast.unparse(node)!r} in {source!r}")
        if isinstance(node.op, ast.Mod) and _is_sequence(node.left):
            raise ExpressionError(f"{_FORMATTING}: {ast.unparse(node)!r} in {source!r}")


def evaluate(expr: Expression, values: Mapping[str, Any], *, this: Any = None, today: dt.date | None = None,
             now: dt.datetime | None = None, number: str = "") -> Any:
    """Value of ``expr`` with ``values`` for the fields it names (missing ones are ``None``).

    ``today()``, ``now()`` and ``number()`` (the record's number, in workflow effects) return
    what the caller passes: expressions never read the clock themselves.
    """
    names = {n: values.get(n) for n in expr.names}
    names.update(_CONSTANTS)
    names[THIS] = this
    if today is None and now is not None:
        today = now.date()
    functions = dict(_EVAL_FUNCTIONS, today=lambda: today, now=lambda: now, number=lambda: number)
    # One evaluator per thread, reused (building one costs more than most evaluations); names and functions
    # are set for each call. Taken out while in use, so a call made during an evaluation builds its own.
    evaluator = _evaluators.__dict__.pop("evaluator", None) or simpleeval.EvalWithCompoundTypes(operators=OPERATORS)
    evaluator.names, evaluator.functions = names, functions
    try:
        return evaluator.eval("", previously_parsed=expr.tree)
    finally:
        evaluator.names, evaluator.functions = {}, {}  # hold no record's values between calls
        _evaluators.evaluator = evaluator


_CONSTANTS = {"True": True, "False": False, "None": None, "true": True, "false": False}
#: What an evaluator built with :data:`FUNCTIONS` ends up with (simpleeval adds the compound types' constructors).
_EVAL_FUNCTIONS = {**FUNCTIONS, "list": list, "tuple": tuple, "dict": dict, "set": set}
_evaluators = threading.local()


#: What evaluating an expression may raise for values it cannot handle (not a bug of ours).
EVALUATION_ERRORS = (TypeError, ValueError, ArithmeticError, AttributeError, simpleeval.InvalidExpression)


def holds(expr: Expression, values: Mapping[str, Any], *, this: Any = None, today: dt.date | None = None,
          now: dt.datetime | None = None, undecided: bool = False) -> bool:
    """Truth of ``expr``; ``undecided`` when it cannot be judged (e.g. ``<`` with an empty field).

    Conditions (show_if, required, guards) pass ``False``: a condition on an empty field is not
    met. Constraints pass ``True``: a rule comparing with a field not filled in cannot be broken.
    """
    try:
        return bool(evaluate(expr, values, this=this, today=today, now=now))
    except EVALUATION_ERRORS:
        return undecided


_OPS = {ast.Eq: "为", ast.NotEq: "不为", ast.Lt: "小于", ast.LtE: "不大于", ast.Gt: "大于", ast.GtE: "不小于",
        ast.Is: "为", ast.IsNot: "不为"}


def describe(expr: Expression, labels: Mapping[str, str], this: str = "本项") -> str:
    """``expr`` in plain Chinese with field labels, for paper instructions and error messages.

    ``${category} == '渗漏水'`` reads 「维修类别」为“渗漏水”; anything unusual falls back to
    the source text with labels substituted, which is still readable.
    """
    tree = expr.tree
    node = tree.value if isinstance(tree, ast.Expr) else getattr(tree, "body", tree)
    return _cond(node, labels, this)


def _cond(node: ast.AST, labels: Mapping[str, str], this: str) -> str:
    # A bare yes/no field used as a condition means "is yes".
    text = _say(node, labels, this)
    return f"{text}为“是”" if isinstance(node, ast.Name) else text


def _say(node: ast.AST, labels: Mapping[str, str], this: str) -> str:
    def say(n: ast.AST) -> str:
        return _say(n, labels, this)

    if isinstance(node, ast.Name):
        if node.id == THIS:
            return this
        return f"「{labels.get(node.id, node.id)}」"
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "“是”" if node.value else "“否”"
        if node.value is None:
            return "空"
        return f"“{node.value}”" if isinstance(node.value, str) else str(node.value)
    if isinstance(node, (ast.List, ast.Tuple)):
        return "或".join(say(e) for e in node.elts)
    if isinstance(node, ast.BoolOp):
        joiner = "且" if isinstance(node.op, ast.And) else "或"
        return joiner.join(_cond(v, labels, this) for v in node.values)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        if isinstance(node.operand, ast.Name):
            return f"{say(node.operand)}为“否”"
        return f"不满足（{say(node.operand)}）"
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, op, right = node.left, node.ops[0], node.comparators[0]
        if isinstance(op, (ast.In, ast.NotIn)):
            word = "" if isinstance(op, ast.In) else "不"
            if isinstance(right, (ast.List, ast.Tuple)):
                return f"{say(left)}{word}为{say(right)}"
            return f"{say(right)}{word}包含{say(left)}"
        if type(op) in _OPS:
            return f"{say(left)}{_OPS[type(op)]}{say(right)}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        args = [say(a) for a in node.args]
        if node.func.id == "filled" and args:
            return f"{args[0]}已填写"
        if node.func.id == "len" and args:
            return f"{args[0]}的项数"
        if node.func.id == "today":
            return "今天"
        if node.func.id == "date" and args:
            return args[0]
        if node.func.id == "mobile" and args:
            return f"{args[0]}中的手机号码"
        if node.func.id == "total" and len(node.args) == 2 and isinstance(node.args[1], ast.Constant):
            column = str(node.args[1].value)
            return f"{args[0]}各行「{labels.get(column, column)}」之和"
    if isinstance(node, ast.BinOp) and type(node.op) in _ARITHMETIC:
        return f"{say(node.left)} {_ARITHMETIC[type(node.op)]} {say(node.right)}"
    if isinstance(node, ast.Name) or not hasattr(ast, "unparse"):
        return ""
    text = ast.unparse(node)
    # Whole names only, longest first: "unit" must not eat into "unit_price".
    for name in sorted(labels, key=len, reverse=True):
        text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", f"「{labels[name]}」", text)
    return text.replace(THIS, this)


_ARITHMETIC = {ast.Add: "+", ast.Sub: "−", ast.Mult: "×", ast.Div: "÷"}
