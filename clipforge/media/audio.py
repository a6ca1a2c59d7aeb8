"""Audio extraction for transcription: 16 kHz mono 16-bit WAV, what Whisper expects."""

from __future__ import annotations

import contextlib
from pathlib import Path

from clipforge.media.ffmpeg import ProgressCallback, run_ffmpeg

SAMPLE_RATE = 16_000


async def extract_audio(
    source: Path,
    dest: Path,
    *,
    on_progress: ProgressCallback | None = None,
    duration: float | None = None,
    timeout: float | None = None,
    max_seconds: float | None = None,
) -> None:
    """Write the first audio track of `source` to `dest` as 16 kHz mono PCM s16le WAV.

    Written to a temporary name then renamed, so a crash never leaves a half-written WAV
    that a retried job would mistake for a finished one. `max_seconds` caps the output even
    when a file's header lies about its length.
    """
    limit = ["-t", f"{max_seconds:.3f}"] if max_seconds is not None else []
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")
    try:
        await run_ffmpeg(
            [
                "-i", str(source),
                "-map", "0:a:0",
                "-vn", "-sn", "-dn",
                "-ac", "1",
                "-ar", str(SAMPLE_RATE),
                "-c:a", "pcm_s16le",
                *limit,
                "-f", "wav",
                str(partial),
            ],
            duration=duration,
            on_progress=on_progress,
            timeout=timeout,
        )  # fmt: skip
        partial.replace(dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
