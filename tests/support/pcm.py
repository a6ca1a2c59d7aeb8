"""Writing test signals as 16-bit PCM WAV files, the format the audio tracks read."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

RATE = 16000


def write_pcm16(path: Path, samples: np.ndarray, channels: int = 1, rate: int = RATE) -> Path:
    """`samples` (-1 to 1) as a 16-bit WAV; with channels > 1 they are already interleaved."""
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(channels)
        wf.setsampwidth(2)
        wf.setframerate(rate)
        wf.writeframes(pcm.tobytes())
    return path
