"""Reading YAML safely: no tags that build objects, no alias bombs, positions for every key."""

from __future__ import annotations

import pytest

from formflow.definitions.yamlsource import YamlSyntaxError, parse_documents


def parse(text: str):
    return list(parse_documents(text, "x.yaml"))


def test_positions_of_keys_and_items():
    doc = parse("a: 1\nb:\n  - x\n  - {c: 2}\n")[0]
    assert doc.data == {"a": 1, "b": ["x", {"c": 2}]}
    assert doc.where(("b", 1, "c")) == (4, 6)
    assert doc.where(("b", 0)) == (3, 5)
    assert doc.where(("b", 9, "zz")) == (2, 1)  # falls back to the nearest known parent


def test_dates_come_back_as_iso_text():
    assert parse("d: 2026-11-28\nt: 2026-11-28 09:15:00\n")[0].data == {"d": "2026-11-28", "t": "2026-11-28T09:15:00"}


def test_python_tags_are_refused():
    with pytest.raises(YamlSyntaxError) as info:
        parse("x: !!python/object/apply:os.system ['echo hacked']\n")
    assert str(info.value.problem) == (
        "x.yaml:1:4: x: YAML 格式错误 YAML syntax error: 不允许的 YAML 标签 tag not allowed (only plain YAML is "
        "accepted, got tag:yaml.org,2002:python/object/apply:os.system)")
    with pytest.raises(YamlSyntaxError) as info:
        parse("x: !!python/name:os.system\n")
    assert "tag not allowed" in str(info.value.problem)


def test_alias_bomb_is_cut_off():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefgh"):
        prev = "abcdefgh"[i]
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    with pytest.raises(YamlSyntaxError) as info:
        parse(bomb)
    assert "文档过大或别名嵌套过深（超过 200000 个节点） document too large or alias bomb" in str(info.value)


def test_several_documents():
    docs = parse("form: a\n---\nform: b\n")
    assert [d.data for d in docs] == [{"form": "a"}, {"form": "b"}]
    assert [d.index for d in docs] == [0, 1]


def _yaml_files():
    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    return sorted([*root.glob("examples/*/*.yaml"), *root.glob("tests/corpus/*.yaml"),
                   *root.glob("forms/*.yaml"), *root.glob("workflows/*.yaml"), *root.glob("choices/*.yaml"),
                   *root.glob("*.yaml")])


@pytest.mark.parametrize("path", _yaml_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_libyaml_reads_what_the_pure_python_parser_reads(path):
    """The fast parser gives the same data *and the same line/column marks* (error messages use them);
    a file either parser refuses gets the pure-Python parser's message."""
    import yaml

    from formflow.definitions import yamlsource

    assert yamlsource._FastLoader is yaml.CSafeLoader  # the wheels ship libyaml; a silent fallback would be slow
    text = path.read_text(encoding="utf-8")
    try:
        expected = [(d.data, d.marks) for d in yamlsource._parse(yaml.SafeLoader, text, path.name)]
    except YamlSyntaxError as exc:
        with pytest.raises(YamlSyntaxError) as info:
            parse_documents(text, path.name)
        assert info.value.problem == exc.problem
        return
    except RecursionError:
        return
    assert [(d.data, d.marks) for d in parse_documents(text, path.name)] == expected


@pytest.mark.parametrize("text", ["a: !!int\n", "a: !!bool x\n", "a: !!timestamp\n", "a: \x01\n", 'a: "\x7f"\n'])
def test_odd_tags_and_control_characters_are_problems_not_crashes(text):
    with pytest.raises(YamlSyntaxError) as info:
        parse(text)
    assert info.value.problem.line == 1 and ("无法识别的值" in str(info.value.problem) or "YAML 格式错误" in str(info.value.problem))


def test_only_what_the_parser_refuses_is_read_a_second_time(monkeypatch):
    """Our own refusals (here a duplicate key) are final after libyaml's reading: no slow second pass."""
    from formflow.definitions import yamlsource

    calls = []
    real = yamlsource._parse
    monkeypatch.setattr(yamlsource, "_parse", lambda loader, text, path: calls.append(loader) or real(loader, text, path))
    with pytest.raises(YamlSyntaxError, match="duplicate key"):
        parse("a: 1\na: 2\n")
    assert len(calls) == 1
    with pytest.raises(YamlSyntaxError, match="expected ',' or ']', but got ':'"):  # the pure parser's message
        parse("a: [1, 2\nb: 3\n")
    assert len(calls) == 3
