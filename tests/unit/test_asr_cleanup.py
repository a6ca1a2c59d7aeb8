"""Transcript clean-up: word pieces, sentence re-cutting, hallucination removal (pure)."""

from __future__ import annotations

import pytest

from clipforge.asr.cleanup import (
    Silence,
    clean_transcript,
    collapse_repeats,
    is_sentence_end,
    merge_word_pieces,
    normalized,
    remove_hallucinations,
    split_sentences,
)
from clipforge.domain.transcript import Segment, Transcript, Word


def words_at(
    text: str, start: float = 0.0, step: float = 0.3, probability: float = 0.9
) -> list[Word]:
    """Space-separated words, each `step` long, back to back, with a leading space."""
    out = []
    for i, token in enumerate(text.split()):
        out.append(Word(" " + token, start + i * step, start + (i + 1) * step, probability))
    return out


def texts(words: list[Word]) -> list[str]:
    return [w.text for w in words]


# --- word pieces ----------------------------------------------------------------------------


def test_pieces_without_a_leading_space_join_the_word_before() -> None:
    pieces = [
        Word(" on", 0.0, 0.2, 0.98),
        Word(" Kub", 0.2, 0.5, 0.71),
        Word("ern", 0.5, 0.7, 0.93),
        Word("etes", 0.7, 1.0, 0.88),
        Word(" don", 1.2, 1.4, 0.9),
        Word("'t", 1.4, 1.5, 0.62),
    ]
    merged = merge_word_pieces(pieces)
    assert merged == [
        Word(" on", 0.0, 0.2, 0.98),
        Word(" Kubernetes", 0.2, 1.0, 0.71),  # spans all pieces, keeps the weakest probability
        Word(" don't", 1.2, 1.5, 0.62),
    ]


def test_spaced_contractions_and_lone_punctuation_are_pieces_too() -> None:
    pieces = [
        Word(" it", 0.0, 0.2, 0.9),
        Word(" 's", 0.2, 0.3, 0.8),
        Word(" done", 0.3, 0.6, 0.9),
        Word(" ?", 0.6, 0.6, 0.7),
        Word(" (", 0.8, 0.8, 0.9),
        Word(" really", 0.8, 1.1, 0.9),
        Word(")", 1.1, 1.1, 0.9),
    ]
    assert texts(merge_word_pieces(pieces)) == [" it's", " done?", " (really)"]


def test_a_piece_after_a_long_gap_is_not_glued() -> None:
    # A chunk boundary may leave a word without its space; seconds apart it is not a piece.
    pieces = [Word(" over", 0.0, 0.4, 0.9), Word("Next", 3.0, 3.3, 0.9)]
    assert texts(merge_word_pieces(pieces)) == [" over", "Next"]


def test_empty_words_are_dropped_and_spaceless_languages_left_alone() -> None:
    assert merge_word_pieces([Word(" ", 0, 0, 0.1), Word(" hi", 0, 0.2, 0.9)]) == [
        Word(" hi", 0, 0.2, 0.9)
    ]
    cjk = [Word("你", 0.0, 0.2, 0.9), Word("好", 0.2, 0.4, 0.9)]
    assert merge_word_pieces(cjk, "zh") == cjk
    assert len(merge_word_pieces(cjk, "en")) == 1


# --- sentences ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (" goals?", True),
        (" time.", True),
        (" wow!", True),
        (' "done."', True),
        (" (really?)", True),
        (" Mr.", False),
        (" e.g.", False),
        (" J.", False),
        (" habit,", False),
        (" habit", False),
    ],
)
def test_sentence_ends(text: str, expected: bool) -> None:
    assert is_sentence_end(Word(text, 0, 1, 1)) is expected


def test_segments_are_recut_to_end_exactly_at_sentence_ends() -> None:
    # Whisper's segments cut mid-sentence: "so much more | than big goals? Because a"
    words = words_at("Why do small habits matter so much more than big goals? Because a habit")
    segments = split_sentences(words)
    assert [s.text for s in segments] == [
        "Why do small habits matter so much more than big goals?",
        "Because a habit",
    ]
    first = segments[0]
    assert (first.start, first.end) == (first.words[0].start, first.words[-1].end)
    assert sum(len(s.words) for s in segments) == len(words)


def test_no_sentence_spans_a_long_silence() -> None:
    words = words_at("and then we", 0.0) + words_at("started again.", 10.0)
    segments = split_sentences(words, max_gap=2.0)
    assert [s.text for s in segments] == ["and then we", "started again."]


def test_unpunctuated_speech_is_cut_at_its_widest_pause() -> None:
    words = words_at("one two three four", 0.0, step=5.0) + words_at("five six", 21.0, step=5.0)
    segments = split_sentences(words, max_gap=5.0, max_seconds=20.0)
    assert [s.text for s in segments] == ["one two three four", "five six"]
    assert all(s.end - s.start <= 20.0 for s in segments)


def test_abbreviations_and_trailing_ellipses_do_not_cut() -> None:
    segments = split_sentences(words_at("Ask Dr. Smith today. Then go."))
    assert [s.text for s in segments] == ["Ask Dr. Smith today.", "Then go."]
    segments = split_sentences(words_at("So... what now? Well... Nothing."))
    assert [s.text for s in segments] == ["So... what now?", "Well...", "Nothing."]


# --- hallucinations ------------------------------------------------------------------------


def test_looped_phrases_collapse_to_one_copy() -> None:
    words = words_at("so Thank you. Thank you. Thank you. Thank you. bye")
    assert "".join(texts(collapse_repeats(words))) == " so Thank you. bye"


def test_two_repeats_and_short_single_word_repeats_stay() -> None:
    kept = words_at("we did it we did it no no no")
    assert collapse_repeats(kept) == kept
    loop = words_at("you you you you you you you then")
    assert "".join(texts(collapse_repeats(loop))) == " you then"


def test_stock_phrase_alone_and_unsure_is_removed_without_loudness() -> None:
    speech = words_at("This is the real talk.", 0.0)
    credit = words_at("Subtitles by the Amara.org community", 8.0, probability=0.3)
    thanks = words_at("Thank you.", 14.0, probability=0.4)
    assert remove_hallucinations(speech + credit + thanks) == speech


def test_confident_speech_after_a_pause_stays() -> None:
    speech = words_at("This is the real talk.", 0.0)
    thanks = words_at("Thank you.", 6.0, probability=0.95)  # said, and heard clearly
    assert remove_hallucinations(speech + thanks) == speech + thanks
    near = words_at("Yes.", 1.6, probability=0.3)  # unsure but right after speech: not alone
    assert remove_hallucinations(speech[:1] + near) == speech[:1] + near


def test_anything_over_quiet_audio_is_removed() -> None:
    # Loud speech 0-4 s, then silence: a confident "Thank you." at 6 s is still made up.
    dbfs = [-18.0] * 8 + [-75.0] * 12
    silence = Silence.from_envelope(dbfs, 0.5)
    speech = words_at("We ship on Fridays.", 0.2)
    ghost = words_at("Thank you so much for watching.", 6.0, probability=0.97)
    assert remove_hallucinations(speech + ghost, silence=silence) == speech


def test_unsure_single_words_over_quiet_audio_are_removed() -> None:
    dbfs = [-18.0] * 4 + [-75.0] * 2 + [-18.0] * 6  # quiet from 2.0 to 3.0 s
    silence = Silence.from_envelope(dbfs, 0.5)
    words = [
        Word(" We", 0.1, 0.4, 0.9),
        Word(" um", 2.2, 2.6, 0.2),  # in the quiet middle, unsure: made up
        Word(" ship", 3.1, 3.4, 0.3),  # unsure but over speech: kept
        Word(" today.", 4.5, 5.5, 0.9),
    ]
    assert texts(remove_hallucinations(words, silence=silence)) == [" We", " ship", " today."]


def test_silence_threshold_follows_the_recording() -> None:
    speech = Silence.from_envelope([-15.0] * 19 + [-80.0], 0.5)
    assert speech.threshold == -50.0  # 35 dB under the loud end
    noisy = Silence.from_envelope([-10.0] * 10 + [-45.0] * 10, 0.5)
    assert noisy.threshold == -45.0 and not noisy.is_quiet(5.0, 6.0)  # the noise floor
    digital = Silence.from_envelope([-100.0] * 10, 0.5)
    assert digital.threshold == -60.0 and digital.is_quiet(0.0, 5.0)
    assert not digital.is_quiet(6.0, 7.0)  # past the envelope: no evidence
    loud_edge = Silence.from_envelope([-80.0, -20.0, -80.0], 0.5)
    assert not loud_edge.is_quiet(0.2, 0.6)  # touches a loud hop
    assert loud_edge.is_quiet(0.0, 0.5)


def test_normalized() -> None:
    assert normalized(" Thank  you!") == "thank you"
    assert normalized("Don't, Amara.org") == "dont amara org"


def test_clean_transcript_keeps_metadata_and_recuts() -> None:
    raw = [*words_at("We deploy on Kub", 0.0), Word("ernetes.", 1.2, 1.5, 0.8)]
    raw += words_at("Thank you. Thank you. Thank you. It works.", 1.6)
    transcript = Transcript(
        language="en",
        duration=10.0,
        segments=(Segment("x", 0.0, 1.5, tuple(raw[:5])), Segment("y", 1.6, 4.0, tuple(raw[5:]))),
        engine="openai-compatible",
        model="whisper-1",
        extra={"keep": 1},
    )
    cleaned = clean_transcript(transcript)
    assert [s.text for s in cleaned.segments] == [
        "We deploy on Kubernetes.",
        "Thank you.",
        "It works.",
    ]
    assert (cleaned.engine, cleaned.model, cleaned.extra) == (
        "openai-compatible",
        "whisper-1",
        {"keep": 1},
    )
