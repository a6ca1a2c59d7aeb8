"""Clip-detection metrics: matching rule, precision/recall, boundaries and sentence edges."""

from __future__ import annotations

import pytest

from eval.episodes import Span
from eval.metrics import (
    boundary_error,
    edge_words,
    iou,
    is_match,
    is_tight_match,
    match,
    mid_sentence_share,
    precision_at,
    real_time_factor,
    recall,
    sentence_edges,
)

HIGHLIGHTS = [Span(10, 40), Span(100, 130), Span(200, 225)]


def test_match_needs_half_of_the_shorter_span() -> None:
    h = Span(10, 40)
    assert is_match(Span(25, 85), h)  # overlap 15 = half of the 30 s highlight
    assert not is_match(Span(26, 86), h)  # overlap 14 < 15
    # A short clip inside a long highlight matches: the shorter span is the clip.
    assert is_match(Span(20, 30), h)
    assert not is_match(Span(40, 60), h)  # touching is not overlapping


def test_tight_match_needs_half_intersection_over_union() -> None:
    h = Span(10, 40)
    assert iou(Span(10, 40), h) == 1.0
    assert iou(Span(40, 60), h) == 0.0
    assert is_match(Span(20, 30), h) and not is_tight_match(Span(20, 30), h)  # 10/30
    assert is_tight_match(Span(5, 35), h)  # 25/35
    assert not is_tight_match(Span(0, 70), h)  # 30/70: a long stretch around it
    clips = [Span(20, 30), Span(5, 35)]
    assert precision_at(clips, [h], k=2, rule=is_tight_match) == 0.5


def test_each_highlight_is_matched_at_most_once() -> None:
    clips = [Span(10, 25), Span(25, 40), Span(100, 130)]
    assert match(clips, HIGHLIGHTS) == [(0, 0), (2, 1)]
    assert precision_at(clips, HIGHLIGHTS, k=3) == pytest.approx(2 / 3)


def test_a_clip_takes_the_highlight_it_overlaps_most() -> None:
    highlights = [Span(0, 20), Span(22, 60)]
    assert match([Span(10, 50)], highlights) == [(0, 1)]


def test_precision_counts_missing_proposals_as_misses_and_only_the_top_k() -> None:
    clips = [Span(10, 40), Span(300, 330), Span(100, 130)]
    assert precision_at(clips, HIGHLIGHTS, k=5) == pytest.approx(2 / 5)
    assert precision_at(clips, HIGHLIGHTS, k=2) == pytest.approx(1 / 2)
    with pytest.raises(ValueError):
        precision_at(clips, HIGHLIGHTS, k=0)


def test_recall_is_the_share_of_highlights_found() -> None:
    clips = [Span(300, 330), Span(205, 230), Span(12, 38)]
    assert recall(clips, HIGHLIGHTS) == pytest.approx(2 / 3)
    assert recall([], HIGHLIGHTS) == 0.0
    with pytest.raises(ValueError):
        recall(clips, [])


def test_boundary_error_averages_matched_pairs_only() -> None:
    clips = [Span(12, 44), Span(300, 330), Span(98, 129)]
    err = boundary_error(clips, HIGHLIGHTS)
    assert err is not None
    assert err.pairs == 2
    assert err.start == pytest.approx((2 + 2) / 2)
    assert err.end == pytest.approx((4 + 1) / 2)
    assert boundary_error([Span(300, 330)], HIGHLIGHTS) is None


# Two sentences of three words each, 0.4 s apart; the transcript's timings wobble a little.
SENTENCES = [Span(0.0, 3.0), Span(3.4, 6.0)]
WORDS = [
    Span(0.0, 0.9),
    Span(1.0, 2.0),
    Span(2.1, 3.2),  # runs past the sentence end: still the last word of sentence 1
    Span(3.3, 4.0),  # starts before the sentence: still its first word
    Span(4.1, 5.0),
    Span(5.1, 6.0),
]


def test_sentence_edges_map_script_sentences_onto_transcript_words() -> None:
    edges = sentence_edges(WORDS, SENTENCES)
    assert edges.starts == {0, 3}
    assert edges.ends == {2, 5}


def test_a_word_stretched_back_over_the_pause_belongs_to_the_next_sentence() -> None:
    # Recognisers often start a sentence's first word where the previous word ended.
    words = [Span(0.0, 2.9), Span(2.9, 3.5), Span(3.6, 6.0)]
    edges = sentence_edges(words, SENTENCES)
    assert edges.starts == {0, 1}
    assert edges.ends == {0, 2}


def test_edge_words_use_word_midpoints() -> None:
    assert edge_words(WORDS, Span(-0.25, 3.25)) == (0, 2)
    assert edge_words(WORDS, Span(0.6, 3.25)) == (1, 2)  # word 0's midpoint is 0.45
    assert edge_words(WORDS, Span(10, 20)) is None


def test_mid_sentence_share() -> None:
    edges = sentence_edges(WORDS, SENTENCES)
    whole = Span(-0.25, 6.25)  # both sentences
    first = Span(-0.2, 3.3)  # sentence 1 exactly
    late_start = Span(1.0, 6.0)  # starts on word 1
    early_end = Span(3.3, 4.6)  # ends on word 4
    assert mid_sentence_share([whole, first], WORDS, edges) == 0.0
    assert mid_sentence_share([whole, late_start, early_end, first], WORDS, edges) == 0.5
    assert mid_sentence_share([Span(20, 30)], WORDS, edges) == 1.0  # no words inside
    assert mid_sentence_share([], WORDS, edges) is None


def test_text_alignment_beats_timing_when_the_recogniser_stretches_a_word() -> None:
    # "it." was stretched over the whole pause, so by timing it would open sentence 2.
    sentences = [Span(0.0, 2.5), Span(3.5, 5.0)]
    words = [Span(0.0, 1.0), Span(1.0, 3.4), Span(3.4, 4.2), Span(4.2, 5.0)]
    texts = [" Stop", " it.", " Then", " go."]
    script = ["Stop it.", "Then go."]
    by_time = sentence_edges(words, sentences)
    assert by_time.starts == {0, 1}
    aligned = sentence_edges(words, sentences, word_texts=texts, sentence_texts=script)
    assert aligned.starts == {0, 2}
    assert aligned.ends == {1, 3}
    # A misheard word aligns with nothing and falls back to its timing.
    misheard = sentence_edges(
        words, sentences, word_texts=[" Stop", " it.", " Den", " go."], sentence_texts=script
    )
    assert misheard.starts == {0, 2}
    with pytest.raises(ValueError):
        sentence_edges(words, sentences, word_texts=texts)
    assert sentence_edges(words, sentences).shifted(10).starts == {10, 11}


def test_a_misheard_word_timed_in_the_pause_belongs_to_neither_sentence() -> None:
    # "Talk me through it, Yewande. We meet on Wednesdays.": the name heard as "you and...",
    # its last piece stretched over the pause. Nothing says which sentence it belongs to, so
    # a clip is judged by the words that are placed.
    sentences = [Span(0.0, 2.5), Span(3.5, 5.0)]
    words = [Span(0.0, 1.0), Span(1.0, 2.2), Span(2.2, 3.3), Span(3.4, 4.2), Span(4.2, 5.0)]
    texts = [" Talk", " you", " and...", " We", " meet."]
    script = ["Talk you Yewande.", "We meet."]
    edges = sentence_edges(words, sentences, word_texts=texts, sentence_texts=script)
    assert edges.unplaced == {2}
    assert edges.starts == {0, 3}
    assert edges.ends == {1, 4}
    # A clip opening on "We" starts a sentence whether or not it holds the stray word.
    assert mid_sentence_share([Span(3.35, 5.0), Span(2.2, 5.0)], words, edges) == 0.0
    assert edge_words(words, Span(2.2, 5.0), edges.unplaced) == (3, 4)
    assert edges.shifted(5).unplaced == {7}
    # By timing alone every word is placed, in the pause or not.
    assert sentence_edges(words, sentences).unplaced == frozenset()


def test_real_time_factor() -> None:
    assert real_time_factor(30, 120) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        real_time_factor(1, 0)
