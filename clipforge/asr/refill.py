"""Speech the recogniser skipped, recognised again on its own.

Whisper now and then jumps over seconds of clear speech: its timestamps run ahead, or a
window is decoded as finished early, and the words of those seconds are never written (in
the evaluation episodes, 11 stretches of 3-16 s in 86 episodes, the last lines of a
highlight among them). Captions then miss the speech, and a clip cannot reach words that
are not there. The loudness track shows such a stretch as sound, not silence.

It also now and then writes one word over such a stretch: a word timed across 9, 21 or 32
s of speech, the speech itself not written ("... never spoke to anyone.――――――", the
rest of the story gone). No word lasts as long as `MIN_GAP_SECONDS`; such a word is a
stretch run over.

Every gap between words of at least `MIN_GAP_SECONDS` that is mostly sound (and the
stretch before the first word or after the last), and every word that long over mostly
sound, is given to the recogniser again, on its own, longest first, up to `MAX_SHARE` of
the audio or a minute, whichever is more (a long music bed is sound too, and is not worth
recognising twice). The words it hears inside the stretch are put in place (in place of a
run-over word); nothing outside it changes. Which stretches were tried is kept on the
transcript (`extra["refilled"]`: start, end and words found).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from clipforge.asr.cleanup import Silence, make_segment
from clipforge.asr.wav import FloatArray, read_span
from clipforge.domain.transcript import Segment, Transcript, Word

#: Shortest gap between words worth recognising again: longer than any pause a speaker
#: makes inside a turn, shorter than the shortest dropped stretch seen (3 s).
MIN_GAP_SECONDS = 2.5
#: Share of a gap that must be sound for it to be speech left out rather than a pause.
SOUND_SHARE = 0.5
#: At most this share of the audio is recognised a second time (but always up to
#: `MIN_BUDGET_SECONDS`, so that a short recording can be looked at again whole).
MAX_SHARE = 0.25
MIN_BUDGET_SECONDS = 60.0

#: Recognise `samples` that start `offset` seconds into the source; segments on the
#: source's timeline.
Recognise = Callable[[FloatArray, float], Sequence[Segment]]


def dropped_stretches(
    words: Sequence[Word], duration: float, silence: Silence
) -> list[tuple[float, float]]:
    """The gaps between words (and before the first, after the last), and the words run
    over a stretch, that last at least MIN_GAP_SECONDS and are mostly sound, in order of
    time; the longest are taken first while they fit the budget (MAX_SHARE of `duration`,
    at least MIN_BUDGET_SECONDS)."""
    edges = [0.0, *(t for w in words for t in (w.start, w.end)), duration]
    gaps = [(edges[k], edges[k + 1]) for k in range(0, len(edges) - 1, 2)]
    spans = [*gaps, *((w.start, w.end) for w in words)]
    found = [
        (a, b)
        for a, b in spans
        if b - a >= MIN_GAP_SECONDS and silence.quiet_share(a, b) <= 1.0 - SOUND_SHARE
    ]
    found.sort(key=lambda g: g[0] - g[1])
    budget, chosen = max(MAX_SHARE * duration, MIN_BUDGET_SECONDS), []
    for a, b in found:
        if b - a <= budget:
            chosen.append((a, b))
            budget -= b - a
    return sorted(chosen)


def refill(
    transcript: Transcript, audio: Path, silence: Silence, recognise: Recognise
) -> Transcript:
    """The transcript with the words heard in its dropped stretches put in place."""
    stretches = dropped_stretches(transcript.words, transcript.duration, silence)
    if not stretches:
        return transcript
    added: list[Segment] = []
    tried: list[list[float]] = []
    for a, b in stretches:
        chunk = read_span(audio, a, b)
        found = [_inside(seg, a, b) for seg in recognise(chunk.samples, chunk.offset)]
        kept = [seg for seg in found if seg is not None]
        added.extend(kept)
        tried.append([round(a, 2), round(b, 2), sum(len(s.words) for s in kept)])
    run_over = set(stretches)
    kept_segments = [_without(seg, run_over) for seg in transcript.segments]
    segments = sorted(
        [*(seg for seg in kept_segments if seg is not None), *added], key=lambda s: s.start
    )
    return replace(
        transcript,
        segments=tuple(segments),
        extra={**transcript.extra, "refilled": tried},
    )


def _inside(segment: Segment, start: float, end: float) -> Segment | None:
    """The segment cut to the words whose middles lie inside the gap, held inside it so
    they never overlap the words around it (None if no word lies inside)."""
    words = tuple(
        replace(w, start=max(w.start, start), end=min(w.end, end))
        for w in segment.words
        if start < (w.start + w.end) / 2 < end
    )
    return make_segment(words) if words else None


def _without(segment: Segment, run_over: set[tuple[float, float]]) -> Segment | None:
    """The segment less its run-over words: those timed exactly over a stretch recognised
    again, one of `run_over` (None when nothing is left of it)."""
    words = [w for w in segment.words if (w.start, w.end) not in run_over]
    if len(words) == len(segment.words):
        return segment
    return make_segment(words) if words else None
