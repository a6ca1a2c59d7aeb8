"""16-bit PCM WAV files read a block at a time as mono samples, for the audio tracks.

The loudness envelope and the pitch track each stream a whole recording: reading it in
blocks keeps memory flat for any length. Channels are averaged.
"""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import numpy as np


class Pcm16Reader:
    """An open 16-bit PCM WAV; use as a context manager. Only 16-bit PCM is accepted (what
    `extract_audio` writes)."""

    def __init__(self, path: Path) -> None:
        try:
            self._wf = wave.open(str(path), "rb")  # noqa: SIM115 - closed by close()
        except (wave.Error, EOFError) as exc:
            raise ValueError(f"{path} is not a readable WAV file: {exc}") from exc
        if self._wf.getsampwidth() != 2:
            width = 8 * self._wf.getsampwidth()
            self._wf.close()
            raise ValueError(f"{path}: expected 16-bit PCM, got {width}-bit")
        self.rate = self._wf.getframerate()
        self.frames = self._wf.getnframes()
        self._channels = self._wf.getnchannels()

    def blocks(self, frames: int) -> Iterator[np.ndarray]:
        """Mono float32 samples (-1 to 1), `frames` at a time; the last block may be shorter."""
        while True:
            raw = self._wf.readframes(frames)
            if not raw:
                return
            samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
            if self._channels > 1:
                samples = samples[: len(samples) // self._channels * self._channels]
                samples = samples.reshape(-1, self._channels).mean(axis=1)
            yield samples

    def close(self) -> None:
        self._wf.close()

    def __enter__(self) -> Pcm16Reader:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
