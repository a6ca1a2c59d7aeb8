"""Entry point of highlight detection (first slice: the Phase 1 heuristic behind the new API)."""

from __future__ import annotations

from dataclasses import replace

from clipforge.domain.clips import ClipCandidate, detect_clips
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Segment, Transcript


def detect_highlights(transcript: Transcript, options: DetectOptions) -> list[ClipCandidate]:
    """The best `options.count` non-overlapping clips, highest score first. Pure."""
    lo = options.search_start if options.search_start is not None else 0.0
    hi = options.search_end if options.search_end is not None else float("inf")
    segments = []
    for seg in transcript.segments:
        words = tuple(w for w in seg.words if w.start >= lo and w.end <= hi)
        if words:
            segments.append(Segment(seg.text, words[0].start, words[-1].end, words))
    scoped = replace(transcript, segments=tuple(segments))
    return detect_clips(
        scoped,
        min_seconds=options.min_seconds,
        max_seconds=options.max_seconds,
        count=options.count,
    )
