"""Small talking videos for multi-process tests and benchmarks: the speech fixture on a card."""

from __future__ import annotations

import subprocess
from pathlib import Path

from clipforge.media.ffmpeg import ffmpeg_exe
from tests.conftest import SPEECH_WAV


def make_speech_video(
    dest: Path, colour: str, seconds: float, *, size: str = "320x240", fps: int = 15
) -> Path:
    """`seconds` of the speech fixture on a colour card: a small video that has words."""
    subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", f"color=c={colour}:s={size}:r={fps}",
            "-i", str(SPEECH_WAV), "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(dest),
        ],
        check=True,
        timeout=120,
    )  # fmt: skip
    return dest
