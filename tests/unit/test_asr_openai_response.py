"""Reading verbose_json answers (both the OpenAI and the nested self-hosted shapes)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from clipforge.asr.languages import language_code
from clipforge.asr.openai_response import (
    ResponseFormatError,
    parse_verbose_json,
    restore_punctuation,
)

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"


def recorded(name: str) -> Any:
    return json.loads((RECORDED / name).read_text())


def test_openai_shape_gets_spaces_punctuation_and_offsets() -> None:
    result = parse_verbose_json(recorded("asr_openai_verbose.json"), offset=100.0, chunk_end=115.0)
    assert result.language == "en"  # "english" in the answer
    words = result.words
    assert len(words) == 33
    text = "".join(w.text for w in words).strip()
    assert text == (
        "Why do small habits matter so much more than big goals? Because a habit you repeat "
        "every single day compounds over time. Start with just 5 minutes of practice and "
        "build from there."
    )
    assert (words[0].text, words[0].start, words[0].end) == (" Why", 100.0, 100.2)
    assert words[-1].end == pytest.approx(113.58)
    # No per-word probability in OpenAI's answer: the segment's exp(avg_logprob) stands in.
    first_segment = recorded("asr_openai_verbose.json")["segments"][0]
    assert words[0].probability == pytest.approx(math.exp(first_segment["avg_logprob"]))


def test_nested_shape_keeps_pieces_and_probabilities() -> None:
    result = parse_verbose_json(recorded("asr_server_segment_words.json"), offset=0, chunk_end=5)
    assert result.language == "en"
    assert [w.text for w in result.words] == [
        " We", " deploy", " everything", " on", " Kub", "ern", "etes.", " Don", "'t", " we?"
    ]  # fmt: skip
    assert result.words[4].probability == 0.71


def test_times_are_clamped_into_the_chunk() -> None:
    payload = {"text": "one two", "words": [
        {"word": "one", "start": -0.5, "end": 0.4},
        {"word": "two", "start": 9.0, "end": 12.0},
    ]}  # fmt: skip
    words = parse_verbose_json(payload, offset=10.0, chunk_end=20.0).words
    assert [(w.start, w.end) for w in words] == [(10.0, 10.4), (19.0, 20.0)]
    assert all(w.probability == 1.0 for w in words)  # nothing to go on: trusted


def test_silence_answers_with_no_words_and_keeps_the_asked_language() -> None:
    result = parse_verbose_json({"text": "", "segments": []}, offset=0, chunk_end=1, language="de")
    assert result.words == [] and result.language == "de"


def test_spaceless_languages_get_no_leading_space() -> None:
    payload = {"language": "japanese", "text": "こんにちは", "words": [
        {"word": "こん", "start": 0.0, "end": 0.3}, {"word": "にちは", "start": 0.3, "end": 0.8},
    ]}  # fmt: skip
    result = parse_verbose_json(payload, offset=0, chunk_end=1)
    assert result.language == "ja"
    assert [w.text for w in result.words] == ["こん", "にちは"]


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([1, 2], "expected a JSON object"),
        ({"text": 3}, "'text' is not a string"),
        ({"text": "hi", "segments": [{"start": 0, "end": 1, "text": "hi"}]}, "no 'words'"),
        ({"text": "hi", "words": {"word": "hi"}}, "'words' is not a list"),
        ({"text": "hi", "words": [{"word": "hi", "start": 0}]}, "word #0"),
        ({"text": "hi", "words": [{"word": "hi", "start": "0", "end": 1}]}, "word #0"),
        ({"text": "hi", "words": [{"word": "hi", "start": 0, "end": float("nan")}]}, "word #0"),
        ({"text": "hi", "words": ["hi"]}, "word #0 is not an object"),
        ({"text": "hi", "segments": "nope", "words": []}, "'segments'"),
    ],
)
def test_malformed_answers_say_what_is_wrong(payload: Any, message: str) -> None:
    with pytest.raises(ResponseFormatError, match=message):
        parse_verbose_json(payload, offset=0, chunk_end=10)


def test_restore_punctuation_aligns_and_skips_what_it_cannot_find() -> None:
    words = ["Hello", "world", "its", "well", "known", "ok"]
    text = "Hello, world! It's well-known. OK?"
    assert restore_punctuation(words, text) == ["Hello,", "world!", "It's", "well", "known", "OK?"]
    assert restore_punctuation(["a", "b"], "") == ["a", "b"]


@pytest.mark.parametrize(
    ("value", "code"),
    [("english", "en"), ("English", "en"), ("en", "en"), ("en-US", "en"), ("pt_BR", "pt"),
     ("cantonese", "yue"), ("haw", "haw"), ("castilian", "es"), ("klingon", None), ("", None),
     (None, None)],
)  # fmt: skip
def test_language_code(value: str | None, code: str | None) -> None:
    assert language_code(value) == code
