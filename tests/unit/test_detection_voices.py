"""Changes of voice from the pitch track: measured per sentence, one-sided, and where a clip
of one person's turn ends."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from clipforge.detection import detect_highlights
from clipforge.detection.analysis import analyse
from clipforge.detection.segmentation import segment
from clipforge.detection.sentences import split_sentences
from clipforge.detection.voices import CHANGE, NO_CHANGE, PitchTrack, voice_changes
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Transcript
from tests.unit.test_detection_fixtures import build

HOP = 0.1


def with_voices(transcript: Transcript, pitch_of_sentence: list[float]) -> Transcript:
    """The transcript with a pitch track: each sentence's words voiced at its pitch."""
    sentences = split_sentences(transcript)
    assert len(sentences) == len(pitch_of_sentence)
    hz = [0.0] * math.ceil(transcript.duration / HOP)
    for sentence, pitch in zip(sentences, pitch_of_sentence, strict=True):
        for word in sentence.words:
            for k in range(round(word.start / HOP), round(word.end / HOP)):
                hz[k] = pitch
    extra = {**transcript.extra, "pitch": {"hop_seconds": HOP, "hz": hz}}
    return replace(transcript, extra=extra)


def test_a_track_is_read_only_when_well_formed() -> None:
    assert PitchTrack.from_extra({}) is None
    assert PitchTrack.from_extra({"pitch": [100]}) is None
    assert PitchTrack.from_extra({"pitch": {"hop_seconds": 0, "hz": [100]}}) is None
    assert PitchTrack.from_extra({"pitch": {"hop_seconds": 0.1, "hz": []}}) is None
    assert PitchTrack.from_extra({"pitch": {"hop_seconds": 0.1, "hz": [100, -1]}}) is None
    assert PitchTrack.from_extra({"pitch": {"hop_seconds": 0.1, "hz": [100, "x"]}}) is None
    track = PitchTrack.from_extra({"pitch": {"hop_seconds": 0.1, "hz": [0, 100, 110, 120, 0]}})
    assert track is not None
    assert track.median(0.0, 0.5) == 110  # unvoiced hops do not count
    assert track.median(0.0, 0.25) is None  # two voiced hops are too few to trust


def test_a_jump_in_pitch_between_sentences_is_a_change_of_voice() -> None:
    sentences = ["One two three.", "Four five six.", "Seven eight nine.", "Ten eleven."]
    transcript = with_voices(build(sentences), [110.0, 118.0, 220.0, 220.0 * math.exp(0.2)])
    track = PitchTrack.from_extra(transcript.extra)
    assert track is not None
    changes = voice_changes(track, split_sentences(transcript))
    assert changes[0] == 0.0  # 7%: the same voice moving
    assert changes[1] == 1.0  # an octave: another voice
    midway = (0.2 - NO_CHANGE) / (CHANGE - NO_CHANGE)
    assert changes[2] == pytest.approx(midway)  # 22%: between the two bars


def test_a_sentence_too_short_to_measure_says_nothing() -> None:
    transcript = with_voices(build(["One two three.", "Yes.", "Four five six."]), [110, 0, 220])
    track = PitchTrack.from_extra(transcript.extra)
    assert track is not None
    assert voice_changes(track, split_sentences(transcript)) == [0.0, 0.0]


def test_segmentation_reads_a_change_of_voice_as_a_turn() -> None:
    lines = ["Alpha beta gamma.", "Delta epsilon zeta.", "Eta theta iota.", "Kappa lambda mu."]
    infos = [analyse(s) for s in split_sentences(build(lines))]
    plain = segment(infos).strength
    with_change = segment(infos, voices=[0.0, 1.0, 0.0]).strength
    assert with_change[1] > plain[1] and with_change[0] == plain[0]
    with pytest.raises(ValueError, match="one change per gap"):
        segment(infos, voices=[1.0])


STORY = [
    "The worst mistake I ever made with a client was promising a date I could not keep.",
    "I said two weeks because I wanted the contract, and the real work took ten.",
    "Every Friday I sent a cheerful update that said nearly there.",
    "By week six the client stopped answering my emails at all.",
    "When I finally rang him, he told me the lateness was never the problem.",
    "The problem was that he could no longer believe a single thing I wrote.",
]
REMARK = [
    "My brother runs a bakery and he quotes every cake a day late on purpose.",
    "His customers think he is a genius when the cake arrives early.",
    "He has been doing it for about twelve years now in the same little shop.",
]


def test_a_clip_ends_where_another_voice_takes_over() -> None:
    # A story, then a listener's remark with no pause, no reaction word and no echo: only
    # the voice says the turn changed.
    transcript = build(STORY + REMARK, per_segment=3)
    options = DetectOptions(min_seconds=15, max_seconds=60, count=1)
    story_end = split_sentences(transcript)[len(STORY) - 1].end
    blind = detect_highlights(transcript, options)[0]
    assert blind.end > story_end + 1.0  # without the track the remark rides along
    heard = with_voices(transcript, [105.0] * len(STORY) + [210.0] * len(REMARK))
    clip = detect_highlights(heard, options)[0]
    assert clip.start < split_sentences(transcript)[0].start + 0.5
    assert story_end <= clip.end <= story_end + 0.5
