"""Topic segmentation: lexical depth, pause and register evidence, and the segments."""

from __future__ import annotations

import pytest

from clipforge.detection.analysis import SentenceInfo, analyse
from clipforge.detection.scoring import topic_fit
from clipforge.detection.segmentation import (
    lexical_depth,
    pause_evidence,
    reaction_turns,
    register_change,
    segment,
)
from clipforge.detection.sentences import split_sentences
from tests.unit.test_detection_fixtures import build

BREAD = [
    "Sourdough bread needs a lively starter of flour and water.",
    "Feed the starter flour every morning so the bread rises.",
    "A cold overnight proof gives the bread dough a sour crust.",
    "Bake the dough in a hot oven so the crust of the bread crackles.",
]
ROCKETS = [
    "Rocket engines burn fuel with liquid oxygen at enormous pressure.",
    "The rocket nozzle shapes the exhaust so the engine pushes harder.",
    "Reusable rocket boosters land their engines back on a barge.",
    "Each rocket launch checks the engine pressure a thousand times.",
]


def infos(texts: list[str], gaps: dict[int, float] | None = None) -> list[SentenceInfo]:
    return [analyse(s) for s in split_sentences(build(texts, gaps=gaps))]


def test_lexical_depth_peaks_where_the_vocabulary_changes() -> None:
    depth = lexical_depth(infos(BREAD + ROCKETS))
    assert len(depth) == 7
    assert max(range(7), key=depth.__getitem__) == 3  # the gap after the last bread sentence
    assert all(0.0 <= d <= 1.0 for d in depth)


def test_pause_evidence_marks_longer_than_usual_pauses() -> None:
    pauses = pause_evidence(infos(BREAD + ROCKETS, gaps={3: 2.0}))
    assert pauses[3] == 1.0
    assert all(p < 0.01 for k, p in enumerate(pauses) if k != 3)


def test_register_change_marks_the_end_of_a_sponsor_read() -> None:
    texts = [
        "This episode is sponsored by Ledgerly, use code SHOW for 20% off.",
        "Ledgerly is brought to you with a free trial at checkout.",
        *ROCKETS[:2],
    ]
    change = register_change(infos(texts))
    assert max(range(3), key=change.__getitem__) == 1


def test_a_listeners_reaction_strengthens_the_gap_before_it() -> None:
    told = [*BREAD, "The crust of the bread is the best part."]
    reacted = [*BREAD, "That's amazing, the crust of the bread is the best part."]
    assert reaction_turns(infos(reacted)) == [0.0, 0.0, 0.0, 1.0]
    assert reaction_turns(infos(told)) == [0.0] * 4
    echoed = [*BREAD, "The crust of the bread."]
    assert reaction_turns(infos(echoed)) == [0.0, 0.0, 0.0, 1.0]
    plain, turn = segment(infos(told)), segment(infos(reacted))
    assert turn.strength[3] > plain.strength[3] + 0.2
    # Elsewhere only the reaction's own words change the lexical evidence, a little.
    assert turn.strength[:3] == pytest.approx(plain.strength[:3], abs=0.05)


def test_segments_split_two_topics_and_cover_every_sentence() -> None:
    seg = segment(infos(BREAD + ROCKETS, gaps={3: 1.2}))
    assert any(b == 3 for _, b in seg.segments)  # a boundary between the topics
    flat = [k for a, b in seg.segments for k in range(a, b + 1)]
    assert flat == list(range(8))
    assert seg.gap(-1) == seg.gap(7) == 1.0  # the transcript's edges are walls


def test_topic_fit_prefers_the_window_that_spans_one_topic() -> None:
    seg = segment(infos(BREAD + ROCKETS, gaps={3: 1.2}))
    whole = topic_fit(seg, 0, 3, max(seg.strength[0:3]))
    half = topic_fit(seg, 0, 1, max(seg.strength[0:1]))
    straddling = topic_fit(seg, 2, 5, max(seg.strength[2:5]))
    assert whole > half
    assert whole > straddling


def test_tiny_inputs() -> None:
    assert segment([]).segments == ()
    one = segment(infos(["Just one sentence here."]))
    assert one.segments == ((0, 0),) and one.strength == ()
