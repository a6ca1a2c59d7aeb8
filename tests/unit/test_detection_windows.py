"""Windows over whole sentences: fitting long sentences, enumeration, repair, overlaps, padding."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from clipforge.detection.sentences import Sentence, split_sentences
from clipforge.detection.windows import (
    PAD_AFTER,
    PAD_BEFORE,
    Ranked,
    fit_units,
    pad,
    remove_overlaps,
    repair,
    span,
    windows,
)
from clipforge.domain.transcript import Word
from tests.unit.test_detection_fixtures import build

# Eight words of 0.3 s, 0.1 s apart: each sentence lasts 3.1 s, 0.5 s between sentences.
EIGHT = "one two three four five six seven eight."


def units(n: int) -> list[Sentence]:
    return split_sentences(build([EIGHT.capitalize()] * n))


def test_fit_units_cuts_only_overlong_sentences_at_a_comma() -> None:
    long = "We tried everything, " + "really " * 30 + "and then, finally, it worked."
    sentences = split_sentences(build(["Short one here.", long]))
    fitted = fit_units(sentences, max_seconds=8.0)
    assert fitted[0] is sentences[0]  # untouched
    assert all(u.end - u.start <= 8.0 for u in fitted)
    assert [w for u in fitted for w in u.words] == [w for s in sentences for w in s.words]
    assert fitted[1].text == "We tried everything,"  # the cut falls after a comma


def test_fit_units_without_commas_cuts_at_the_longest_pause() -> None:
    words = [Word(f" w{k}", k * 0.5, k * 0.5 + 0.3, 0.9) for k in range(20)]
    # A longer pause before word 10.
    words = words[:10] + [Word(w.text, w.start + 1.0, w.end + 1.0, 0.9) for w in words[10:]]
    sentence = Sentence(tuple(words), words[0].start, words[-1].end, "x")
    fitted = fit_units([sentence], max_seconds=6.0)
    assert fitted[0].words[-1].text == " w9"
    assert all(u.end - u.start <= 6.0 for u in fitted)


def test_windows_are_sentence_aligned_and_within_range() -> None:
    us = units(10)
    found = list(windows(us, 6.0, 11.0))
    assert found  # two or three sentences fit
    for i, j in found:
        assert 6.0 <= span(us, i, j) <= 11.0
    assert (0, 1) in found and (0, 2) in found and (0, 0) not in found and (0, 3) not in found


def walls(strong: set[int]) -> Callable[[int], float]:
    return lambda g: 1.0 if g in strong else 0.1


def test_repair_grows_across_the_weaker_boundary() -> None:
    us = units(10)
    # Sentence 4 alone (3.1 s) is too short for 6 s; the boundary after 4 is strong, so it
    # grows to the left.
    fixed = repair(us, 4, 4, 6.0, 12.0, walls({4}))
    assert fixed == (3, 4)
    fixed = repair(us, 4, 4, 6.0, 12.0, walls({3}))
    assert fixed == (4, 5)


def test_repair_shrinks_by_dropping_the_loosely_attached_end() -> None:
    us = units(10)
    # 0..5 lasts 21.1 s; max 12 s. A strong boundary after sentence 0 means sentence 0
    # belongs elsewhere: drop it first.
    fixed = repair(us, 0, 5, 6.0, 12.0, walls({0}))
    assert fixed is not None
    i, j = fixed
    assert i >= 1 and 6.0 <= span(us, i, j) <= 12.0


def test_repair_gives_up_when_nothing_fits() -> None:
    us = units(2)
    assert repair(us, 0, 0, 30.0, 60.0, walls(set())) is None
    assert repair(us, 0, 0, 1.0, 2.0, walls(set())) is None


def test_remove_overlaps_keeps_the_best_and_drops_anything_touching_it() -> None:
    ranked = [
        Ranked(score=50, i=0, j=1, start=0.0, end=10.0),
        Ranked(score=90, i=1, j=2, start=5.0, end=15.0),
        Ranked(score=70, i=3, j=4, start=15.0, end=25.0),  # touches, does not overlap
        Ranked(score=90, i=1, j=2, start=5.0, end=15.0),  # duplicate
        Ranked(score=60, i=5, j=6, start=30.0, end=40.0),
    ]
    chosen = remove_overlaps(ranked, count=5)
    assert [(c.start, c.end) for c in chosen] == [(5.0, 15.0), (15.0, 25.0), (30.0, 40.0)]
    assert len(remove_overlaps(ranked, count=1)) == 1


def test_pad_adds_silence_but_never_enters_a_neighbour() -> None:
    first = Word(" a", 10.0, 10.3, 0.9)
    last = Word(" b", 20.0, 20.3, 0.9)
    start, end = pad(first, last, Word(" x", 8.0, 9.0, 0.9), Word(" y", 22.0, 23.0, 0.9),
                     0.0, 100.0, 60.0)  # fmt: skip
    assert start == pytest.approx(10.0 - PAD_BEFORE)
    assert end == pytest.approx(20.3 + PAD_AFTER)
    tight_before = Word(" x", 9.0, 9.95, 0.9)
    tight_after = Word(" y", 20.35, 21.0, 0.9)
    start, end = pad(first, last, tight_before, tight_after, 0.0, 100.0, 60.0)
    assert (start, end) == (9.95, 20.35)


def test_pad_respects_the_search_range_and_the_longest_clip() -> None:
    first = Word(" a", 10.1, 10.3, 0.9)
    last = Word(" b", 19.8, 20.0, 0.9)
    assert pad(first, last, None, None, 10.0, 20.1, 60.0) == (10.0, 20.1)
    start, end = pad(first, last, None, None, 0.0, 100.0, 10.0)  # 9.9 s of speech
    assert end - start <= 10.0 + 1e-9
    assert start <= first.start and end >= last.end
