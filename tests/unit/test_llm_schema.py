"""Validation of a language model's answers: each item kept, normalised or dropped alone."""

from __future__ import annotations

from typing import Any

import pytest

from clipforge.detection.llm_schema import (
    MAX_TITLE_CHARS,
    SchemaError,
    normalise_hashtags,
    parse_moments,
    parse_picks,
)

BREAKDOWN = {"hook": 20, "flow": 20, "value": 20, "shareability": 20}


def moment(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "first": 3,
        "last": 5,
        "score": 80,
        "breakdown": dict(BREAKDOWN),
        "reason": 'Opens with "why"',
    }
    item.update(changes)
    return item


def pick(**changes: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "candidate": 1,
        "score": 80,
        "breakdown": dict(BREAKDOWN),
        "reason": "Because",
        "title": "A title",
        "description": "A description.",
        "hashtags": ["#a", "#b", "#c"],
    }
    item.update(changes)
    return item


def test_valid_moment_is_kept() -> None:
    [kept], dropped = parse_moments({"moments": [moment()]}, 0, 10)
    assert (kept.first, kept.last, kept.score, dropped) == (3, 5, 80, 0)
    assert kept.breakdown.as_dict() == BREAKDOWN
    assert kept.reason == 'Opens with "why"'


@pytest.mark.parametrize(
    "bad",
    [
        moment(first=-1),
        moment(last=11),  # past the window's last sentence
        moment(first=8, last=2),  # reversed
        moment(first=12, last=14),
        moment(score=101),
        moment(score=-5),
        moment(score="high"),
        moment(score="80"),  # a string is a wrong type even when it holds a number
        moment(score=True),
        moment(score=None),
        moment(first="3"),
        moment(breakdown={"hook": 30, "flow": 20, "value": 20, "shareability": 20}),
        moment(breakdown={"hook": 20, "flow": 20}),
        moment(breakdown="good"),
        moment(reason=""),
        moment(reason="   "),
        moment(reason=7),
        {"first": 3, "last": 5},
        "sentences 3 to 5",
        None,
    ],
)
def test_invalid_moment_is_dropped_alone(bad: Any) -> None:
    kept, dropped = parse_moments({"moments": [bad, moment(first=0, last=1)]}, 0, 10)
    assert [(m.first, m.last) for m in kept] == [(0, 1)]
    assert dropped == 1


def test_numbers_are_rounded_and_text_is_one_line() -> None:
    [kept], _ = parse_moments(
        {"moments": [moment(score=79.6, first=3.0, reason="  two\n lines\tand  spaces ")]}, 0, 10
    )
    assert (kept.score, kept.first) == (80, 3)
    assert kept.reason == "two lines and spaces"


@pytest.mark.parametrize(
    "data", [[moment()], "moments", None, {"moments": "none"}, {"highlights": [moment()]}]
)
def test_wrong_shape_is_a_schema_error(data: Any) -> None:
    with pytest.raises(SchemaError):
        parse_moments(data, 0, 10)


def test_empty_answer_is_valid_and_empty() -> None:
    assert parse_moments({"moments": []}, 0, 10) == ([], 0)
    assert parse_picks({"clips": []}, 3) == ([], 0)


def test_picks_must_name_a_candidate_once() -> None:
    data = {"clips": [pick(candidate=2), pick(candidate=0), pick(candidate=4), pick(candidate=2)]}
    kept, dropped = parse_picks(data, 3)
    assert [p.candidate for p in kept] == [2]
    assert dropped == 3


def test_pick_copy_is_normalised() -> None:
    long_title = '"' + "word " * 30 + '"'
    [kept], _ = parse_picks(
        {
            "clips": [
                pick(
                    title=long_title,
                    description="  Short.\n\nAnd sweet. ",
                    hashtags=["study tips", "#Study-Tips", "#memory", "#", "##focus", "a", "b"],
                )
            ]
        },
        1,
    )
    assert len(kept.title) <= MAX_TITLE_CHARS
    assert kept.title.endswith("word…") and not kept.title.startswith('"')
    assert kept.description == "Short. And sweet."
    assert kept.hashtags == ["#StudyTips", "#memory", "#focus", "#a", "#b"]


@pytest.mark.parametrize("title", ["", '""', "   ", None, 5])
def test_pick_without_a_title_is_dropped(title: Any) -> None:
    assert parse_picks({"clips": [pick(title=title)]}, 1) == ([], 1)


def test_pick_may_omit_description_and_hashtags() -> None:
    item = pick()
    del item["description"], item["hashtags"]
    [kept], _ = parse_picks({"clips": [item]}, 1)
    assert (kept.description, kept.hashtags) == ("", [])


def test_hashtags_keep_letters_of_any_script() -> None:
    assert normalise_hashtags(["#café", "#São Paulo", "#日本", "CAFÉ"]) == [
        "#café",
        "#SãoPaulo",
        "#日本",
    ]
