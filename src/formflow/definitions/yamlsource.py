"""Read YAML safely and remember where every key came from.

PyYAML's composed nodes carry ``start_mark``; we walk them ourselves (instead of
``yaml.safe_load``) so that every value gets a ``file:line:column`` for error messages,
duplicate keys are reported instead of silently overwritten, and alias bombs are cut off.

The result is JSON-like data only: ``str``, ``int``, ``float``, ``bool``, ``None``, ``list``
and ``dict`` with ``str`` keys. Dates and times are given back as ISO strings, because
fields do their own, stricter parsing and the schemas compare strings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from formflow.definitions.yamlhints import explain
from formflow.errors import Problem

KeyPath = tuple[str | int, ...]

#: A document that expands to more nodes than this, or than it has characters, is refused (alias bombs:
#: "billion laughs", a few hundred bytes that expand to billions of nodes). Without aliases a document never
#: has more nodes than characters, so a long file (a unit register of 20,000 flats) is not mistaken for one.
MAX_NODES = 200_000
#: libyaml's parser when PyYAML was built with it (the wheels are): the same safe constructor, a
#: scanner in C ~10× faster than the pure-Python one, which was most of the time of reading a
#: submission. Its nodes carry line and column marks too.
_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def format_keys(keys: KeyPath) -> str:
    """Render a key path the way error messages show it: ``sections[0].fields[2].type``."""
    out = ""
    for key in keys:
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            out += f".{key}" if out else str(key)
    return out


@dataclass(frozen=True)
class Document:
    """One YAML document: its plain data and the position of each key path in the file."""

    path: str
    data: Any
    marks: dict[KeyPath, tuple[int, int]] = field(default_factory=dict, compare=False)
    index: int = 0

    def where(self, keys: KeyPath) -> tuple[int, int]:
        """Line and column (1-based) of ``keys``, or of its nearest located parent."""
        keys = tuple(keys)
        while keys:
            if keys in self.marks:
                return self.marks[keys]
            keys = keys[:-1]
        return self.marks.get((), (1, 1))

    def problem(self, keys: KeyPath, message: str, fix: str = "", *, warning: bool = False) -> Problem:
        """A :class:`Problem` located at ``keys`` in this document."""
        line, column = self.where(keys)
        return Problem(self.path, line, column, format_keys(keys), message, fix, warning)


class YamlSyntaxError(Exception):
    """The text is not YAML we accept; ``problem`` says where and why (for supervisors, with English);
    ``chinese`` says what is wrong in Chinese only (for a clerk's rejection note), when known."""

    def __init__(self, problem: Problem, chinese: str = ""):
        self.problem = problem
        self.chinese = chinese
        super().__init__(str(problem))


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}


class _Builder:
    def __init__(self, loader: yaml.SafeLoader, path: str, limit: int = MAX_NODES):
        self.loader = loader
        self.path = path
        self.marks: dict[KeyPath, tuple[int, int]] = {}
        self.count = 0
        self.limit = limit

    def fail(self, node: yaml.Node, keys: KeyPath, message: str, fix: str = "", chinese: str = "") -> YamlSyntaxError:
        line, column = _mark(node)
        return YamlSyntaxError(Problem(self.path, line, column, format_keys(keys), message, fix), chinese)

    def build(self, node: yaml.Node, keys: KeyPath) -> Any:
        self.count += 1
        if self.count > self.limit:
            raise self.fail(node, keys, f"文档过大或别名嵌套过深（超过 {self.limit} 个节点） document too large or alias bomb",
                            chinese="文件过大或别名嵌套过深，不是一份表单")
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in _PLAIN_TAGS:
            # We build collections ourselves, so refuse explicit tags rather than silently drop them.
            raise self.fail(node, keys, "YAML 格式错误 YAML syntax error: 不允许的 YAML 标签 tag not allowed "
                            f"(only plain YAML is accepted, got {node.tag})", chinese=_NO_TAGS)
        if isinstance(node, yaml.MappingNode):
            self.loader.flatten_mapping(node)  # resolves "<<: *anchor" merge keys
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.fail(key_node, keys, "键必须是简单文字 a key must be plain text", chinese="键必须是简单文字")
                key = self.scalar(key_node, keys)
                key = key.isoformat() if isinstance(key, dt.date) else str(key)
                if key in out:
                    first = self.marks.get((*keys, key), (0, 0))[0]
                    raise self.fail(
                        key_node, (*keys, key),
                        f"键重复 duplicate key '{key}'（第 {first} 行已出现 first at line {first}）",
                        "删除或合并其中一个 remove or merge one of them",
                        f"“{key}”写了两次（第 {first} 行已出现），请删除或合并其中一个",
                    )
                self.marks[(*keys, key)] = _mark(key_node)
                out[key] = self.build(value_node, (*keys, key))
            return out
        if isinstance(node, yaml.SequenceNode):
            items = []
            for i, item in enumerate(node.value):
                self.marks[(*keys, i)] = _mark(item)
                items.append(self.build(item, (*keys, i)))
            return items
        return self.scalar(node, keys)

    def scalar(self, node: yaml.Node, keys: KeyPath) -> Any:
        try:
            # Text, numbers, yes/no and null straight from their constructor (what construct_object would pick,
            # without its bookkeeping, which is most of the time of a scalar); anything else through it.
            plain = self.loader.yaml_constructors.get(node.tag) if node.tag in _PLAIN_SCALARS else None
            value = plain(self.loader, node) if plain is not None else self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            if node.tag.startswith("tag:yaml.org,2002:python") or "constructor" in str(exc):
                raise self.fail(node, keys, "YAML 格式错误 YAML syntax error: 不允许的 YAML 标签 tag not allowed "
                                f"(only plain YAML is accepted, got {node.tag})", chinese=_NO_TAGS) from None
            raise self.fail(node, keys, f"无法识别的值 cannot read value: {getattr(exc, 'problem', exc)}",
                            chinese="无法识别的值") from None
        except (ValueError, OverflowError):
            # PyYAML resolves unquoted 2025-13-45 as a timestamp and 99…9 as an int, then the
            # constructor itself fails; say what the clerk can do about it instead of crashing.
            if node.tag.endswith(":timestamp"):
                raise self.fail(node, keys, f"日期或时间不存在 no such date/time: {node.value}",
                                "改正日期；如果本来就是文字，请加引号 fix the date, or quote it if it is text",
                                f"日期或时间不存在：{node.value}，请改正日期；如果本来就是文字，请加引号") from None
            raise self.fail(node, keys, f"无法识别的值 cannot read value: {node.value[:40]}…",
                            "数字过长；如果本来就是文字，请加引号 number too long; quote it if it is text",
                            f"数字过长：{node.value[:40]}…；如果本来就是文字，请加引号") from None
        except (IndexError, KeyError, AttributeError, TypeError):
            # An explicit tag on a value it cannot take (`!!int` with nothing after it, `!!bool x`):
            # PyYAML's constructors fail in their own ways there.
            raise self.fail(node, keys, f"无法识别的值 cannot read value: {node.tag.rsplit(':', 1)[-1]} "
                            f"“{str(node.value)[:40]}”", "删除 !! 标签，或改正这个值 remove the !! tag or fix the value",
                            f"无法识别的值“{str(node.value)[:40]}”，请删除 !! 标签或改正这个值") from None
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()
        if isinstance(value, bytes):
            raise self.fail(node, keys, "不支持二进制值 binary values are not accepted", chinese="不支持二进制值")
        return value


_NO_TAGS = "不允许使用 !! 标签（只接受普通的 YAML）"
_PLAIN_SCALARS = frozenset(f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null"))


_GENERAL_FIX = "检查缩进、冒号后的空格和引号是否成对 check indentation, the space after ':' and matching quotes"


def _syntax_problem(path: str, exc: yaml.YAMLError, text: str) -> _ParserError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = getattr(exc, "problem", None) or str(exc)
    if "could not determine a constructor" in str(exc):
        what = "不允许的 YAML 标签 tag not allowed (only plain YAML is accepted)"
        return _ParserError(Problem(path, line, column, "", f"YAML 格式错误 YAML syntax error: {what}", _GENERAL_FIX),
                            "不允许的 YAML 标签（只接受普通的 YAML）")
    found = explain(text, line, column, what)
    if found is None:
        return _ParserError(Problem(path, line, column, "", f"YAML 格式错误 YAML syntax error: {what}", _GENERAL_FIX))
    return _ParserError(Problem(path, found.line, found.column, "",
                                f"YAML 格式错误 YAML syntax error: {found.chinese} {found.english}",
                                found.fix or _GENERAL_FIX), found.chinese)


class _ParserError(YamlSyntaxError):
    """Refused by the scanner or parser (not by our own checks of the values): worth a second reading."""


def parse_documents(text: str, path: str) -> list[Document]:
    """Parse every document of a YAML stream in ``text``; raise :class:`YamlSyntaxError` on the first bad one.

    libyaml reads it when PyYAML has it; text libyaml's scanner or parser refuses is read again by
    the pure-Python parser, whose messages say more ("expected ',' or ']', but got '}'") and which
    is the reference for what is valid. Only such files pay for the second reading; our own
    refusals (duplicate key, tag, size, date) are the same either way and are not read twice.
    """
    if _FastLoader is yaml.SafeLoader:
        return _parse(yaml.SafeLoader, text, path)
    try:
        return _parse(_FastLoader, text, path)
    except _ParserError as fast:
        try:
            return _parse(yaml.SafeLoader, text, path)
        except (YamlSyntaxError, RecursionError):
            raise
        except Exception:  # noqa: BLE001 - the pure parser failing in its own way: libyaml's message stands
            raise fast from None


def _parse(loader_class, text: str, path: str) -> list[Document]:
    loader = None
    documents = []
    try:
        loader = loader_class(text)  # the pure-Python reader already refuses control characters here
        while loader.check_node():
            node = loader.get_node()
            builder = _Builder(loader, path, max(MAX_NODES, len(text)))
            builder.marks[()] = _mark(node)
            documents.append(Document(path, builder.build(node, ()), builder.marks, len(documents)))
    except yaml.YAMLError as exc:
        raise _syntax_problem(path, exc, text) from None
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def load_file(path: Path, display: str | None = None) -> Document:
    """Load a single-document YAML file; an empty file gives ``data=None``."""
    return load_bytes(path.read_bytes(), display or str(path))


def load_bytes(raw: bytes, display: str) -> Document:
    """Like :func:`load_file`, for a file's content already read (``display`` names it in messages)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlSyntaxError(Problem(display, 1, 1, "", f"文件不是 UTF-8 编码 file is not UTF-8 ({exc.reason})",
                                      "用 UTF-8 编码另存此文件 save the file as UTF-8")) from None
    docs = list(parse_documents(text, display))
    if not docs:
        return Document(display, None, {(): (1, 1)})
    if len(docs) > 1:
        line, column = docs[1].where(())
        raise YamlSyntaxError(Problem(display, line, column, "", "定义文件只能包含一个文档 a definition file holds one document",
                                      "删除多余的 '---' remove the extra '---'"))
    return docs[0]
