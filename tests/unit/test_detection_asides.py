"""An announced aside (a sponsor read, a correction, a notice) runs on in ordinary words to the
end of its turn."""

from __future__ import annotations

import pytest

from clipforge.detection import detect_highlights
from clipforge.detection.analysis import ASIDE_SECONDS, SentenceInfo, analyse, asides_run_on
from clipforge.detection.sentences import split_sentences
from clipforge.detection.windows import PAD_BEFORE
from clipforge.domain.detect_options import DetectOptions
from tests.unit.test_detection_fixtures import build

READ = [
    "This week's show is supported by Harrow Van Leasing.",
    "I've had three vans from them now, and the thing I like is the breakdown cover.",
    "When one breaks down at half seven in the morning they send another by nine.",
    "Every single one has arrived on time, with a full tank and a clean cab.",
    "Honestly the best decision I made for the business in ten years of trading.",
]
STORY = [
    "The worst call I ever took was a wasps' nest inside a church organ.",
    "The vicar had tried smoke, then a vacuum cleaner, then prayer, in that order.",
    "Every time the organist played a low note the whole nest came out to complain.",
    "We worked at night with red torches, because wasps do not see red light.",
    "It took four hours and I was stung once, on the ear, by the last one out.",
    "Now I tell every customer the same thing: call early, because nests only grow.",
]


def infos_of(lines: list[str]) -> list[SentenceInfo]:
    return [analyse(s) for s in split_sentences(build(lines))]


def test_the_read_runs_on_until_the_turn_ends() -> None:
    infos = infos_of([*READ, "Anyway.", "Back to the wasps."])
    assert infos[0].filler_kind == "sponsor" and infos[1].filler == 0.0
    breaks = [False] * (len(infos) - 1)
    breaks[len(READ) - 1] = True  # a clear pause after the read
    carried = asides_run_on(infos, breaks)
    assert [i.filler_kind for i in carried[: len(READ)]] == ["sponsor"] * len(READ)
    assert all(i.filler == infos[0].filler for i in carried[: len(READ)])
    assert carried[len(READ)] is infos[len(READ)]  # after the pause: the sentence as it was


def test_a_correction_runs_on_for_half_a_minute_at_most() -> None:
    lines = [
        "A correction from two episodes back.",
        "I said that stalactites grow about an inch every year.",
        "A geologist who listens wrote to say it is closer to a finger's width a century.",
    ]
    long_run = (
        lines
        + ["The cave was discovered by two boys chasing a dog in the spring of that year."] * 4
    )
    infos = infos_of(long_run)
    assert infos[0].filler_kind == "correction"
    carried = asides_run_on(infos, [False] * (len(infos) - 1))
    assert [i.filler_kind for i in carried[:3]] == ["correction"] * 3
    within = [i for i in carried if i.end - infos[0].start <= ASIDE_SECONDS]
    beyond = [i for i in carried if i.end - infos[0].start > ASIDE_SECONDS]
    assert beyond and all(i.filler_kind == "correction" for i in within)
    assert all(i.filler_kind != "correction" for i in beyond)


def test_a_listeners_reaction_ends_the_read_and_other_filler_starts_none() -> None:
    infos = infos_of([READ[0], READ[1], "Wow, that's amazing.", READ[2]])
    carried = asides_run_on(infos, [False] * 3)
    assert carried[1].filler_kind == "sponsor"
    assert carried[3].filler_kind != "sponsor"  # the reaction opened another turn
    greeting = infos_of(["Hey everyone, welcome back to the show.", READ[1]])
    assert greeting[0].filler >= 0.75 and greeting[0].filler_kind == "greeting"
    assert asides_run_on(greeting, [False])[1].filler == 0.0
    with pytest.raises(ValueError, match="one flag per gap"):
        asides_run_on(infos, [False])


def test_the_read_after_its_first_line_is_no_clip() -> None:
    # Without the carry, the read's last four sentences (no sponsor phrase in them: vans,
    # breakdown cover, a full tank) made a clip scoring in the sixties.
    transcript = build(READ + STORY, gaps={len(READ) - 1: 1.5})
    clips = detect_highlights(transcript, DetectOptions(min_seconds=10, max_seconds=40, count=2))
    read_end = split_sentences(transcript)[len(READ) - 1].end
    story, *rest = clips
    assert story.start >= read_end
    assert all(c.score < 20 for c in rest if c.start < read_end)


def test_a_correction_stops_at_a_pause_a_little_longer_than_usual() -> None:
    # A solo speaker: no other voice ends the correction, only a pause a tenth of a second
    # longer than the others (pause evidence 0.4, below a clear pause). The story after it
    # is the speaker's own, and its opening is no part of the aside.
    correction = [
        "A correction from last week.",
        "I said the wasps were hornets.",
        "A listener who keeps bees put me right.",
    ]
    transcript = build(correction + STORY, gaps={len(correction) - 1: 0.6})
    clips = detect_highlights(transcript, DetectOptions(min_seconds=10, max_seconds=40, count=1))
    story_start = split_sentences(transcript)[len(correction)].start
    assert clips[0].start == pytest.approx(story_start - PAD_BEFORE, abs=0.01)
