"""Sentence splitting: punctuation, pauses, abbreviations, and never inside a word."""

from __future__ import annotations

import pytest

from clipforge.detection.sentences import (
    PAUSE_BREAK_SECONDS,
    make_sentence,
    split_sentences,
)
from clipforge.domain.transcript import Segment, Transcript, Word
from tests.unit.test_detection_fixtures import build


def words_transcript(items: list[tuple[str, float, float]]) -> Transcript:
    words = tuple(Word(text, start, end, 0.9) for text, start, end in items)
    segment = Segment("".join(w.text for w in words), words[0].start, words[-1].end, words)
    return Transcript(language="en", duration=words[-1].end + 1, segments=(segment,))


def texts(transcript: Transcript) -> list[str]:
    return [s.text for s in split_sentences(transcript)]


def test_terminal_punctuation_ends_sentences_across_segments() -> None:
    # Three sentences in segments of two: the second segment starts mid-run.
    transcript = build(["Is it real?", "Yes it is!", "We checked twice."], per_segment=2)
    sentences = split_sentences(transcript)
    assert [s.text for s in sentences] == ["Is it real?", "Yes it is!", "We checked twice."]
    assert all(s.start == s.words[0].start and s.end == s.words[-1].end for s in sentences)
    assert [w for s in sentences for w in s.words] == transcript.words


def test_sentence_spanning_segments_is_rejoined() -> None:
    transcript = build(["The first half", "and the second half."], per_segment=1)
    assert texts(transcript) == ["The first half and the second half."]


def test_long_pause_ends_an_unpunctuated_sentence() -> None:
    transcript = build(["no punctuation here", "but a long pause."], gaps={0: PAUSE_BREAK_SECONDS})
    assert texts(transcript) == ["no punctuation here", "but a long pause."]


def test_short_pause_does_not_split_a_punctuated_transcript() -> None:
    transcript = build(["a breath", "mid sentence."], gaps={0: 1.0}, per_segment=1)
    assert texts(transcript) == ["a breath mid sentence."]


def test_unpunctuated_transcript_splits_on_shorter_pauses() -> None:
    transcript = build(["first thought here", "second thought here", "third"], gaps={0: 1.0})
    assert texts(transcript) == ["first thought here", "second thought here third"]


def test_abbreviations_and_initialisms_do_not_end_sentences() -> None:
    transcript = build(["Dr. Smith moved to the U.S. last year.", "Then e.g. Mr. Jones did."])
    assert texts(transcript) == [
        "Dr. Smith moved to the U.S. last year.",
        "Then e.g. Mr. Jones did.",
    ]


def test_ellipsis_continued_in_lower_case_is_a_hesitation() -> None:
    transcript = build(["Well... you know.", "It ended... Then it started."])
    assert texts(transcript) == ["Well... you know.", "It ended...", "Then it started."]


def test_ellipsis_continued_on_a_number_is_a_hesitation() -> None:
    # A trailing "I'd..." before a figure is the speaker searching for it, mid-sentence.
    transcript = build(["Then I'd... 20 minutes... for 40 days.", "Next came sleep."])
    assert texts(transcript) == ["Then I'd... 20 minutes... for 40 days.", "Next came sleep."]


def test_never_splits_inside_a_word() -> None:
    # ".5" and "'s" are pieces of the previous word; a long pause before them changes nothing.
    transcript = words_transcript(
        [
            (" It", 0.0, 0.2),
            (" costs", 0.3, 0.6),
            (" 3.", 0.7, 0.8),
            ("5", 3.5, 3.6),
            (" euros.", 3.7, 4.0),
            (" That", 4.5, 4.7),
            ("'s", 4.7, 4.8),
            (" it.", 4.9, 5.0),
        ]
    )
    assert texts(transcript) == ["It costs 3.5 euros.", "That's it."]


def test_unspaced_engine_output_still_splits() -> None:
    transcript = words_transcript(
        [("Hi.", 0.0, 0.3), ("Bye", 0.5, 0.7), ("'s", 0.7, 0.8), ("end.", 0.9, 1.0)]
    )
    assert texts(transcript) == ["Hi.", "Bye's end."]


def test_empty_words_are_dropped_and_empty_transcript_gives_nothing() -> None:
    assert split_sentences(Transcript(language="en", duration=0.0, segments=())) == []
    transcript = words_transcript([(" ", 0.0, 0.1), (" Hello.", 0.2, 0.5), ("  ", 0.6, 0.7)])
    assert texts(transcript) == ["Hello."]


def test_make_sentence_rejects_no_words() -> None:
    with pytest.raises(ValueError):
        make_sentence([])


def test_a_decimal_written_as_two_words_is_not_a_boundary() -> None:
    transcript = words_transcript(
        [
            (" It", 0.0, 0.2),
            (" is", 0.3, 0.5),
            (" 65.", 0.6, 0.9),
            (" 5", 0.9, 1.1),
            (" percent.", 1.2, 1.5),
            (" 2", 2.0, 2.2),
            (" more.", 2.3, 2.6),
        ]
    )
    assert texts(transcript) == ["It is 65. 5 percent.", "2 more."]


def test_a_full_stop_continued_in_lower_case_is_not_a_boundary_when_the_engine_capitalises() -> (
    None
):
    capitalised = ["One thing is clear.", "Two more are not.", "Three is a crowd."] * 2
    cased = build([*capitalised, "A language is not the sound.", "it is the pattern."])
    assert texts(cased)[-1] == "A language is not the sound. it is the pattern."
    # An engine that writes everything in lower case still splits at full stops.
    lower = build(["one thing is clear.", "a language is not the sound.", "it is the pattern."])
    assert len(texts(lower)) == 3
