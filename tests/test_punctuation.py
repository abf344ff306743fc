"""Texts joined without doubled marks (issue 17): what a clerk reads never says "。；" or "；；"."""

from __future__ import annotations

import pytest

from formflow.punctuation import join_clauses, then, tidy, trim


@pytest.mark.parametrize(("parts", "joined"), [
    (["换阀门。", "试水正常。"], "换阀门；试水正常。"),
    (["维修内容：换阀门；", "完工时间：2026-11-20 16:00"], "维修内容：换阀门；完工时间：2026-11-20 16:00"),
    (["甲；；", "", "  ", "乙"], "甲；乙"),
    (["只有一句。"], "只有一句。"),
    ([], ""),
])
def test_join_clauses(parts, joined):
    assert join_clauses(parts) == joined


def test_join_with_another_mark():
    assert join_clauses(["电话：138", "姓名：张先生。"], "，") == "电话：138，姓名：张先生。"


def test_then_does_not_double_the_mark_the_text_ends_with():
    assert then("办理的「完工」未生效：须先试漏。", "。", "其填写内容：维修内容：换阀门") == \
        "办理的「完工」未生效：须先试漏。其填写内容：维修内容：换阀门"
    assert then("", "。", "其填写内容") == "其填写内容"


def test_tidy_keeps_the_last_of_a_run_of_marks():
    assert tidy("未生效：须先试漏。；已退回。。") == "未生效：须先试漏；已退回。"
    assert tidy("怎么回事？！版本 1.5...") == "怎么回事？！版本 1.5..."  # meant as written
    assert tidy("") == ""


def test_trim():
    assert trim("已完工。 ") == "已完工"
    assert trim("已完工") == "已完工"
