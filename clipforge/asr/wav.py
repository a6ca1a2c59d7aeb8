"""Reading the 16 kHz mono 16-bit WAV every engine consumes, in chunks cut at quiet points.

Only one chunk plus a small search window is in memory at a time, so memory stays flat
however long the source is.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clipforge.asr.base import TranscriptionError

SAMPLE_RATE = 16000

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A slice of the source audio and where it starts, in seconds."""

    offset: float
    samples: FloatArray

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def open_wav(path: Path) -> wave.Wave_read:
    """Open a WAV, refusing anything but 16 kHz mono 16-bit PCM with a readable message."""
    try:
        wf = wave.open(str(path), "rb")  # noqa: SIM115 - returned open, closed by caller
    except (wave.Error, EOFError) as exc:
        raise TranscriptionError(f"{path} is not a readable WAV file: {exc}") from exc
    if (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) != (SAMPLE_RATE, 1, 2):
        fmt = f"{wf.getframerate()} Hz, {wf.getnchannels()} ch, {8 * wf.getsampwidth()}-bit"
        wf.close()
        raise TranscriptionError(f"{path} must be 16 kHz mono 16-bit PCM WAV, got {fmt}")
    return wf


def wav_duration(path: Path) -> float:
    """Length of a 16 kHz mono WAV in seconds, from its header."""
    with open_wav(path) as wf:
        return wf.getnframes() / SAMPLE_RATE


def iter_wav_chunks(
    path: Path, chunk_seconds: float, *, search_seconds: float | None = None
) -> Iterator[AudioChunk]:
    """Yield consecutive, non-overlapping chunks of at most `chunk_seconds` + search window.

    Each cut is moved to the quietest 100 ms within `search_seconds` of the nominal boundary,
    so it rarely splits a word.
    """
    chunk = max(1, round(chunk_seconds * SAMPLE_RATE))
    if search_seconds is None:
        search_seconds = min(5.0, chunk_seconds / 4)
    search = round(search_seconds * SAMPLE_RATE)
    with open_wav(path) as wf:
        total = wf.getnframes()
        start = 0
        while start < total:
            remaining = total - start
            if remaining <= chunk + search:
                cut = total
                samples = _read(wf, start, remaining)
            else:
                samples = _read(wf, start, chunk + search)
                cut = start + _quiet_cut(samples, chunk, search)
                samples = samples[: cut - start]
            yield AudioChunk(offset=start / SAMPLE_RATE, samples=samples)
            start = cut


def read_span(path: Path, start: float, end: float) -> AudioChunk:
    """The audio between `start` and `end` seconds (clamped to the file)."""
    with open_wav(path) as wf:
        total = wf.getnframes()
        first = min(total, max(0, round(start * SAMPLE_RATE)))
        last = min(total, max(first, round(end * SAMPLE_RATE)))
        return AudioChunk(offset=first / SAMPLE_RATE, samples=_read(wf, first, last - first))


def encode_wav(samples: FloatArray) -> bytes:
    """A chunk as a standalone 16 kHz mono 16-bit WAV file (for upload to a remote engine)."""
    pcm = np.round(np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        wf.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _read(wf: wave.Wave_read, start: int, frames: int) -> FloatArray:
    wf.setpos(start)
    raw = wf.readframes(frames)
    pcm = np.frombuffer(raw, dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32, copy=False)


def _quiet_cut(samples: FloatArray, nominal: int, search: int) -> int:
    """Index (relative to the chunk) of the quietest 100 ms frame around `nominal`."""
    frame = SAMPLE_RATE // 10
    lo = max(frame, nominal - search)
    hi = min(len(samples) - frame, nominal + search)
    if hi <= lo:
        return nominal
    window = samples[lo:hi]
    n = len(window) // frame
    if n == 0:
        return nominal
    energy = np.square(window[: n * frame].reshape(n, frame)).mean(axis=1)
    centres = lo + np.arange(n) * frame + frame // 2
    # Among frames about as quiet as the quietest, take the one nearest the nominal cut, so
    # silence or steady noise does not pull every cut to the start of the search window.
    quiet = np.flatnonzero(energy <= energy.min() * 1.05 + 1e-9)
    best = quiet[np.argmin(np.abs(centres[quiet] - nominal))]
    return int(centres[best])
