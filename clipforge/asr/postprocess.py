"""The last step of every engine: clean the raw transcript, judged against the audio's loudness.

The loudness envelope computed here for silence checks is kept on the transcript
(`extra["loudness"]`), where clip detection reads it as its energy feature.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from clipforge.asr.cleanup import Silence, clean_transcript
from clipforge.domain.transcript import Transcript
from clipforge.media.loudness import loudness_envelope

#: Fine enough to place a clip edge inside a 0.25 s pause between sentences (detection reads
#: the silences from it), coarse enough to keep an hour's track to about 36,000 levels.
LOUDNESS_HOP_SECONDS = 0.1


def loudness_extra(audio: Path, hop_seconds: float = LOUDNESS_HOP_SECONDS) -> dict[str, Any]:
    """`{"hop_seconds": 0.1, "dbfs": [...]}`, levels rounded to 0.1 dB to keep rows small."""
    dbfs = loudness_envelope(audio, hop_seconds)
    return {"hop_seconds": hop_seconds, "dbfs": [round(d, 1) for d in dbfs]}


def finish_transcript(transcript: Transcript, audio: Path) -> Transcript:
    """Pieces merged, hallucinations dropped, sentences re-cut; loudness stored in `extra`."""
    loudness = loudness_extra(audio)
    silence = Silence.from_envelope(loudness["dbfs"], loudness["hop_seconds"])
    cleaned = clean_transcript(transcript, silence=silence)
    return replace(cleaned, extra={**cleaned.extra, "loudness": loudness})
