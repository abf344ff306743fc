"""Say in plain words what a YAML parser error means, at the line where the mistake is.

PyYAML reports where it gave up, in its own English: a full-width colon ``：`` typed by a Chinese input
method is blamed on the *next* line as "could not find expected ':'", a tab used for indentation is
"found character '\\t' that cannot start any token". People editing forms and filling templates make
a handful of such mistakes; each gets a Chinese explanation here, placed on the line that holds it.
What we do not recognise keeps PyYAML's own words, translated where the wording is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: How far above the line PyYAML names we look for the real mistake: a bad line is usually the one just
#: before, sometimes a few more when a plain value ran on over several lines.
_LOOK_BACK = 6

# A key typed with a full-width colon: `title：报修`, `- name：x`. Text in quotes or after a real key is a value.
_FULLWIDTH_KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s#'\"\-:：][^:#：]*?)\s*：")
# A key with no space after its colon: `title:报修` (not a time such as 10:30, not a URL).
_NO_SPACE = re.compile(r"^(\s*(?:-\s+)?)([A-Za-z_][\w]*):(?=[^\s/:])")
# A fragment of an indentation that is a tab.
_TAB_INDENT = re.compile(r"^ *\t")

#: PyYAML's words → ours, for what the patterns above do not place.
_KNOWN = (
    ("could not find expected ':'", "缺少冒号，或上一行的内容没有写完（键后面要有“: ”）"),
    ("mapping values are not allowed here", "这里不能出现“键: 值”：缩进不对，或文字中的冒号没有加引号"),
    ("did not find expected key", "缩进没有对齐，或列表项少了“- ”"),
    ("did not find expected '-' indicator", "列表项没有对齐，或少了“- ”"),
    ("expected <block end>, but found", "缩进没有对齐：同一级的键要从同一列开始"),
    ("found unexpected end of stream", "引号没有成对（缺少结尾的引号）"),
    ("found undefined alias", "引用了没有定义的锚点（*名称）"),
    ("found character '\\t' that cannot start any token", "这里有制表符（Tab），YAML 只能用空格"),
    ("found unknown escape character", "双引号中的反斜杠 \\ 用法不对：改用单引号，或写成 \\\\"),
    ("expected ',' or ']'", "方括号 [ ] 没有成对，或列表中缺少逗号"),
    ("expected ',' or '}'", "花括号 { } 没有成对，或缺少逗号"),
    ("found unexpected ':'", "值中有冒号：请给整段文字加上引号"),
    ("while scanning a simple key", "缺少冒号，或上一行的内容没有写完"),
)


@dataclass(frozen=True)
class Explained:
    """A parser error explained: where the mistake is (1-based) and what it is, in Chinese and in English."""

    line: int
    column: int
    chinese: str
    english: str
    fix: str


def _code(line: str) -> str:
    """``line`` without a trailing comment (a ``#`` after a space), for matching keys."""
    cut = re.search(r"(^|\s)#", line)
    return line[:cut.start()] if cut else line


def explain(text: str, line: int, column: int, problem: str) -> Explained | None:
    """What the parser error ``problem`` reported at ``line``/``column`` (1-based) of ``text`` means,
    or ``None`` when none of the known mistakes is there."""
    lines = text.splitlines()
    first = max(0, line - 1 - _LOOK_BACK)
    last = min(len(lines), line)  # up to and including the line the parser named
    if "'\\t'" in problem or "\t" in problem:
        for n in [line - 1, *range(first, last)]:
            if 0 <= n < len(lines) and "\t" in lines[n]:
                at = lines[n].index("\t") + 1
                if _TAB_INDENT.match(lines[n]):
                    return Explained(n + 1, at, "用了制表符（Tab）缩进，YAML 只能用空格缩进",
                                     "indented with a tab: YAML indents with spaces only",
                                     "把行首的 Tab 换成空格，与同一级的键对齐 replace the tab with spaces, aligned "
                                     "with the keys at the same level")
                return Explained(n + 1, at, "这里有制表符（Tab），YAML 只能用空格",
                                 "a tab where YAML expects spaces", "把 Tab 换成空格 replace the tab with spaces")
    for n in range(last - 1, first - 1, -1):
        code = _code(lines[n])
        match = _FULLWIDTH_KEY.match(code)
        if match:
            return Explained(n + 1, code.index("：", match.end(2)) + 1,
                             f"“{match.group(2).strip()}”后面的冒号是全角“：”，键后面要用半角冒号和空格“: ”",
                             "a full-width colon '：' after a key: YAML needs ': '",
                             "把“：”改为英文冒号加一个空格 replace '：' with ': '")
        match = _NO_SPACE.match(code)
        if match:
            return Explained(n + 1, match.end(2) + 1, f"“{match.group(2)}:”的冒号后面缺少空格",
                             "no space after the colon of a key", "在冒号后加一个空格 add a space after ':'")
    for english, chinese in _KNOWN:
        if english in problem:
            return Explained(line, column, chinese, problem, "")
    return None
