"""A small still of a source video for the library view."""

from __future__ import annotations

from pathlib import Path

from clipforge.media.ffmpeg import run_ffmpeg

POSTER_WIDTH = 480


async def extract_poster(source: Path, dest: Path, *, duration: float) -> None:
    """One JPEG, 480 px wide, from a tenth of the way in (past black intros), at most 5 s."""
    at = min(max(duration * 0.1, 0.0), 5.0)
    await run_ffmpeg(
        [
            "-ss", f"{at:.3f}",
            "-i", str(source),
            "-frames:v", "1",
            "-vf", f"scale={POSTER_WIDTH}:-2",
            "-q:v", "4",
            "-f", "image2",
            "-c:v", "mjpeg",
            str(dest),
        ],
        timeout=60,
    )  # fmt: skip
