"""The highlight word model: training, probabilities, the shipped weights, and its place in
scoring and in the order of the chosen clips."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from clipforge.detection import detect_highlights
from clipforge.detection import features as ft
from clipforge.detection.language import HighlightLanguage, grams, shipped, train
from clipforge.detection.scoring import (
    LANGUAGE_POWER,
    PART_MAX,
    Features,
    breakdown,
    part_values,
    shown,
)
from clipforge.domain.detect_options import DetectOptions
from tests.unit.test_detection_detector import episode, part_span

HIGHLIGHT = ("what", "i", "learned", "is", "patience")
FILLER = ("welcome", "back", "to", "the", "show")


def corpus(episodes: int = 6) -> list[tuple[tuple[str, ...], bool, str]]:
    """Highlight and filler sentences spread over several episodes, and one word
    ("zebra") that only one episode's highlights use."""
    out = []
    for e in range(episodes):
        out += [(HIGHLIGHT, True, f"ep{e}"), (FILLER, False, f"ep{e}"), (FILLER, False, f"ep{e}")]
    out += [(("zebra", "learned"), True, "ep0")] * 5
    return out


def test_grams_are_the_words_and_their_consecutive_pairs() -> None:
    assert grams(("i", "learned", "it")) == {"i", "learned", "it", "i_learned", "learned_it"}
    assert grams(()) == set()


def test_training_weighs_highlight_words_up_and_filler_words_down() -> None:
    model = train(corpus(), scale=0.5)
    assert model.weights["learned"] > 0 > model.weights["welcome"]
    assert model.weights["i_learned"] > 0 > model.weights["the_show"]
    # Two highlight sentences in three per episode, before the extra ones: the prior.
    assert model.prior == pytest.approx(math.log(11 / 12))
    assert model.probability(HIGHLIGHT) > 0.5 > model.probability(FILLER)
    # Nothing known: the prior alone.
    assert model.probability(("unheard",)) == pytest.approx(1 / (1 + math.exp(-model.prior)))


def test_words_of_a_single_episode_or_too_few_sentences_carry_nothing() -> None:
    model = train(corpus(), scale=0.5, min_episodes=2)
    assert "zebra" not in model.weights  # five sentences, but all in one episode
    assert "learned" in model.weights
    rare = train(corpus(), scale=0.5, min_count=20, min_episodes=1)
    assert not rare.weights


def test_damping_pulls_probabilities_towards_the_prior() -> None:
    sharp, damped = train(corpus(), scale=1.0), train(corpus(), scale=0.2)
    assert sharp.probability(HIGHLIGHT) > damped.probability(HIGHLIGHT) > 0.5
    assert sharp.probability(FILLER) < damped.probability(FILLER) < 0.5


def test_training_needs_both_kinds_of_sentence() -> None:
    with pytest.raises(ValueError, match="both"):
        train([(HIGHLIGHT, True, "ep0")], scale=0.5)


def test_a_model_survives_storing_and_rejects_a_broken_file() -> None:
    model = train(corpus(), scale=0.5, min_episodes=2)
    stored = model.to_dict(episodes=["ep0"])
    assert stored["about"] == {"episodes": ["ep0"]}
    again = HighlightLanguage.from_dict(stored)
    assert again.probability(HIGHLIGHT) == pytest.approx(model.probability(HIGHLIGHT), abs=1e-3)
    with pytest.raises(ValueError, match="weights"):
        HighlightLanguage.from_dict({"prior": 0.0, "scale": 0.5})
    with pytest.raises(ValueError, match="scale"):
        HighlightLanguage.from_dict({**stored, "scale": 0.0})


def test_the_shipped_model_reads_show_business_as_filler_and_lessons_as_highlights() -> None:
    model = shipped()
    assert len(model.weights) > 1000
    lesson = ("the", "biggest", "mistake", "people", "make", "is", "waiting", "too", "long")
    notice = ("thanks", "for", "listening", "and", "see", "you", "next", "week")
    assert model.probability(lesson) > 0.5 > model.probability(notice)


def test_highlight_language_is_the_mean_over_sentences() -> None:
    assert ft.highlight_language([0.2, 0.6, 1.0]) == pytest.approx(0.6)
    assert ft.highlight_language([]) == 0.0


def test_language_scales_every_part_and_none_leaves_them_alone() -> None:
    base = Features(
        hook=0.8, self_contained=1.0, payoff=0.7, topic_fit=0.9, density=0.6, insight=0.5,
        engagement=0.6, energy=0.5, pace=0.5, filler=0.0, interruption=0.0, dead_air=1.0,
        keywords=None,
    )  # fmt: skip
    plain = part_values(base)
    best = part_values(replace(base, language=1.0))
    half = part_values(replace(base, language=0.5))
    assert best == pytest.approx(plain)
    assert half == pytest.approx([p * 0.5**LANGUAGE_POWER for p in plain])
    assert part_values(replace(base, language=0.0)) == pytest.approx([0.0] * 4)


def test_keywords_the_user_asked_for_outweigh_the_language() -> None:
    base = Features(
        hook=0.8, self_contained=1.0, payoff=0.7, topic_fit=0.9, density=0.6, insight=0.5,
        engagement=0.6, energy=0.5, pace=0.5, filler=0.0, interruption=0.0, dead_air=1.0,
        keywords=1.0,
    )  # fmt: skip
    said = part_values(replace(base, language=1.0))
    assert part_values(replace(base, language=0.3)) == pytest.approx(said)
    unsaid = replace(base, keywords=0.0)
    assert part_values(replace(unsaid, language=0.5)) == pytest.approx(
        [p * 0.5**LANGUAGE_POWER for p in part_values(replace(unsaid, language=1.0))]
    )
    # A clip that says the keywords outranks a better-worded one that does not.
    assert sum(part_values(replace(base, language=0.4))) > sum(
        part_values(replace(unsaid, language=0.9))
    )


def test_the_score_is_shown_on_a_square_root_scale_that_keeps_the_order() -> None:
    assert shown(0.0) == 0.0 and shown(25.0) == 50.0 and shown(100.0) == 100.0
    base = Features(
        hook=0.8, self_contained=1.0, payoff=0.7, topic_fit=0.9, density=0.6, insight=0.5,
        engagement=0.6, energy=0.5, pace=0.5, filler=0.0, interruption=0.0, dead_air=1.0,
        keywords=None,
    )  # fmt: skip
    scores = []
    for language in (0.3, 0.5, 0.7, 0.9):
        f = replace(base, language=language)
        parts = breakdown(f)
        total = PART_MAX * sum(part_values(f))
        # The parts add up to the shown total (to rounding) and keep their proportions.
        assert sum(parts.values()) == pytest.approx(shown(total), abs=2)
        assert parts["hook"] > parts["shareability"]
        scores.append(sum(parts.values()))
    assert scores == sorted(scores) and scores[0] < scores[-1]


def test_the_word_model_orders_the_chosen_clips() -> None:
    """The two stories of the test episode come first in either order, as the words of
    one or the other are made to read like a highlight's."""
    transcript = episode()
    options = DetectOptions(min_seconds=10, max_seconds=40, count=2)
    pricing = part_span(transcript, "Why did we nearly", "not just a number.")
    hiring = part_span(transcript, "The best hire", "you are solving.")

    def favouring(*words: str) -> HighlightLanguage:
        return HighlightLanguage(prior=-1.0, scale=1.0, weights=dict.fromkeys(words, 3.0))

    for words, first in ((("price", "pricing"), pricing), (("hire", "she"), hiring)):
        clips = detect_highlights(transcript, options, favouring(*words))
        assert len(clips) == 2
        assert clips[0].start < first[0] + 0.01 < clips[0].end
        assert clips[0].score > clips[1].score
