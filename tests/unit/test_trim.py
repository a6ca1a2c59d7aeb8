import pytest

from clipforge.domain.transcript import Word
from clipforge.domain.trim import EDGE_PAD_SECONDS, snap_to_words


def _words() -> list[Word]:
    # "one two three four five six", 0.4 s words with 0.1 s gaps, starting at 1.0
    return [
        Word(f" {text}", 1.0 + i * 0.5, 1.4 + i * 0.5, 0.9)
        for i, text in enumerate(["one", "two", "three", "four", "five", "six"])
    ]


def test_edges_move_onto_word_edges_with_padding_that_stays_clear_of_neighbours():
    trim = snap_to_words(_words(), 1.45, 2.9)
    assert trim.text == "two three four"
    # Padding would reach into "one" (ends 1.4) and "five" (starts 3.0): stop at them.
    assert trim.start == pytest.approx(1.4)
    assert trim.end == pytest.approx(3.0)


def test_outer_edges_are_padded_and_clamped_to_the_source():
    words = _words()
    trim = snap_to_words(words, 0.0, 10.0, duration=4.0)
    assert trim.start == pytest.approx(1.0 - EDGE_PAD_SECONDS)
    assert trim.end == pytest.approx(min(words[-1].end + EDGE_PAD_SECONDS, 4.0))
    assert len(trim.words) == 6


def test_a_word_belongs_to_the_clip_it_starts_in():
    trim = snap_to_words(_words(), 1.2, 3.5)  # 1.2 is inside "one": it starts before the range
    assert trim.text.startswith("two")


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (3.0, 2.0, "end after it starts"),
        (10.0, 12.0, "No words"),
        (1.0, 1.2, "shorter than"),
    ],
)
def test_impossible_ranges_say_why(start, end, message):
    with pytest.raises(ValueError, match=message):
        snap_to_words(_words(), start, end)
