"""Windows over a transcript, clip spans repaired by whole sentences, reply parsing, settings."""

from __future__ import annotations

import pytest

from clipforge.config import Settings
from clipforge.detection.llm import (
    LLMError,
    LLMScorer,
    fallback_title,
    parse_json_object,
    plan_windows,
    repair_span,
)
from clipforge.detection.sentences import Sentence, make_sentence
from clipforge.domain.transcript import Word


def sentences_at(*spans: tuple[float, float]) -> list[Sentence]:
    """One two-word sentence per (start, end)."""
    return [
        make_sentence([Word(" Some", a, (a + b) / 2, 0.9), Word(" words.", (a + b) / 2, b, 0.9)])
        for a, b in spans
    ]


def every_five_seconds(n: int) -> list[Sentence]:
    return sentences_at(*((5.0 * k, 5.0 * k + 4.6) for k in range(n)))


def test_windows_cover_everything_with_a_little_overlap() -> None:
    sentences = every_five_seconds(60)  # 300 s
    windows = plan_windows(sentences, 90, 15)
    assert windows == [(0, 17), (15, 32), (30, 47), (45, 59)]
    for first, last in windows:
        assert sentences[last].end - sentences[first].start <= 90
    covered = {k for first, last in windows for k in range(first, last + 1)}
    assert covered == set(range(60))


def test_short_transcript_is_one_window() -> None:
    assert plan_windows(every_five_seconds(3), 90, 15) == [(0, 2)]
    assert plan_windows([], 90, 15) == []


def test_windows_advance_past_sentences_longer_than_a_window() -> None:
    sentences = sentences_at((0, 100), (101, 250), (251, 252))
    assert plan_windows(sentences, 90, 15) == [(0, 0), (1, 1), (2, 2)]


def test_overlap_never_stalls_the_plan() -> None:
    # Every sentence lies within the overlap of the last: the next window still moves on.
    sentences = every_five_seconds(10)
    windows = plan_windows(sentences, 12, 60)
    assert [w[0] for w in windows] == sorted({w[0] for w in windows})
    assert windows[-1][1] == 9


def test_span_in_range_is_kept() -> None:
    assert repair_span(every_five_seconds(20), 2, 5, 15, 60) == (2, 5)


def test_short_span_grows_forward_by_whole_sentences() -> None:
    # 2-3 lasts 9.6 s; adding 4 gives 14.6 s, adding 5 gives 19.6 s.
    assert repair_span(every_five_seconds(20), 2, 3, 15, 60) == (2, 5)


def test_short_span_at_the_end_grows_backward() -> None:
    assert repair_span(every_five_seconds(20), 19, 19, 15, 60) == (16, 19)


def test_long_span_loses_sentences_from_the_end() -> None:
    # 0-19 lasts 99.6 s; 0-11 lasts 59.6 s.
    assert repair_span(every_five_seconds(20), 0, 19, 15, 60) == (0, 11)


def test_a_sentence_longer_than_the_maximum_cannot_be_a_clip() -> None:
    sentences = sentences_at((0, 5), (6, 80), (81, 86))
    assert repair_span(sentences, 1, 1, 15, 60) is None


def test_span_that_cannot_reach_the_minimum_is_dropped() -> None:
    # Neighbours are so long that adding one passes the maximum.
    sentences = sentences_at((0, 50), (58, 62), (63, 120))
    assert repair_span(sentences, 1, 1, 15, 60) is None


def test_speech_shorter_than_the_minimum_is_one_clip_of_all_of_it() -> None:
    assert repair_span(every_five_seconds(2), 1, 1, 15, 60) == (0, 1)


@pytest.mark.parametrize(
    "content",
    [
        '{"moments": []}',
        '```json\n{"moments": []}\n```',
        'Here you go:\n{"moments": []}\nHope that helps!',
    ],
)
def test_json_object_is_found_in_the_message(content: str) -> None:
    assert parse_json_object(content) == {"moments": []}


@pytest.mark.parametrize("content", ["", "No clips here.", '{"moments": [', "[1, 2]"])
def test_message_without_a_json_object_is_an_error(content: str) -> None:
    with pytest.raises(LLMError):
        parse_json_object(content)


def test_fallback_title_is_the_opening_sentence() -> None:
    assert fallback_title("Why do we forget? Because we reread.") == "Why do we forget?"
    assert fallback_title("Here is the part nobody tells you. More.") == (
        "Here is the part nobody tells you"
    )
    long = fallback_title("word " * 40)
    assert len(long) <= 60 and long.endswith("…")


def test_scorer_is_off_without_a_base_url() -> None:
    assert LLMScorer.from_settings(Settings(llm_base_url=None)) is None


def test_scorer_from_settings() -> None:
    settings = Settings(
        llm_base_url="http://127.0.0.1:11434/v1",
        llm_api_key="secret",
        llm_model="qwen2.5",
        llm_timeout_seconds=12,
    )
    scorer = LLMScorer.from_settings(settings)
    assert scorer is not None
    assert (scorer.base_url, scorer.model, scorer.timeout_seconds) == (
        "http://127.0.0.1:11434/v1/",
        "qwen2.5",
        12,
    )
