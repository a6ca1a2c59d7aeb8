"""The last step of every engine: clean the raw transcript, judged against the audio's loudness.

The audio tracks computed here are kept on the transcript, where clip detection reads them:
the loudness envelope (`extra["loudness"]`: silences and speech energy) and the voice's pitch
(`extra["pitch"]`: where one voice stops and another starts).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from clipforge.asr.cleanup import Silence, clean_transcript
from clipforge.domain.transcript import Transcript
from clipforge.media.loudness import loudness_envelope
from clipforge.media.pitch import pitch_track

#: Fine enough to place a clip edge inside a 0.25 s pause between sentences (detection reads
#: the silences from it), coarse enough to keep an hour's track to about 36,000 levels.
LOUDNESS_HOP_SECONDS = 0.1
#: Detection compares the pitch of whole sentences; 0.1 s keeps short replies measurable.
PITCH_HOP_SECONDS = 0.1


def loudness_extra(audio: Path, hop_seconds: float = LOUDNESS_HOP_SECONDS) -> dict[str, Any]:
    """`{"hop_seconds": 0.1, "dbfs": [...]}`, levels rounded to 0.1 dB to keep rows small."""
    dbfs = loudness_envelope(audio, hop_seconds)
    return {"hop_seconds": hop_seconds, "dbfs": [round(d, 1) for d in dbfs]}


def pitch_extra(audio: Path, hop_seconds: float = PITCH_HOP_SECONDS) -> dict[str, Any]:
    """`{"hop_seconds": 0.1, "hz": [...]}`, whole hertz, 0 where no voice is heard."""
    return {"hop_seconds": hop_seconds, "hz": [round(p) for p in pitch_track(audio, hop_seconds)]}


_TRACKS = {"loudness": loudness_extra, "pitch": pitch_extra}


def with_audio_tracks(transcript: Transcript, audio: Path) -> Transcript:
    """The transcript with every audio track it lacks computed from `audio` and stored."""
    missing = {name: make(audio) for name, make in _TRACKS.items() if name not in transcript.extra}
    if not missing:
        return transcript
    return replace(transcript, extra={**transcript.extra, **missing})


def finish_transcript(
    transcript: Transcript, audio: Path, *, loudness: dict[str, Any] | None = None
) -> Transcript:
    """Pieces merged, hallucinations dropped, sentences re-cut; audio tracks stored in `extra`.

    `loudness` is the audio's `loudness_extra`, when the caller has already computed it."""
    loudness = loudness if loudness is not None else loudness_extra(audio)
    silence = Silence.from_track(loudness)
    cleaned = clean_transcript(transcript, silence=silence)
    return with_audio_tracks(replace(cleaned, extra={**cleaned.extra, "loudness": loudness}), audio)
