"""Loudness envelope of a PCM WAV: dBFS per fixed hop, for silence checks and energy features.

Streaming: the file is read a block of hops at a time, so memory stays flat for any length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipforge.media.pcm import Pcm16Reader

#: Level reported for digital silence (log of zero); far below any real recording's noise.
FLOOR_DBFS = -100.0

#: Hops read at a time: 32 s of audio at the default hop, ~1 MB of PCM.
_HOPS_PER_BLOCK = 64


def loudness_envelope(wav_path: Path, hop_seconds: float = 0.5) -> list[float]:
    """RMS level of each hop in dBFS (0 dB: a full-scale square wave; a full-scale sine is -3).

    The last, shorter hop is included when the length is not a multiple of the hop. Channels
    are averaged. Only 16-bit PCM is accepted (what `extract_audio` writes).
    """
    if hop_seconds <= 0:
        raise ValueError("hop_seconds must be positive")
    levels: list[float] = []
    with Pcm16Reader(wav_path) as reader:
        hop = max(1, round(hop_seconds * reader.rate))
        for samples in reader.blocks(hop * _HOPS_PER_BLOCK):
            levels.extend(_hop_levels(samples, hop))
    return levels


def _hop_levels(samples: np.ndarray, hop: int) -> list[float]:
    full = len(samples) // hop
    squares = np.square(samples)
    # Sums in float64: a float32 running sum over 8000 samples loses the quiet hops' digits.
    means = [
        float(m) for m in squares[: full * hop].reshape(full, hop).mean(axis=1, dtype=np.float64)
    ]
    if len(samples) > full * hop:
        means.append(float(squares[full * hop :].mean(dtype=np.float64)))
    return [_dbfs(m) for m in means]


def _dbfs(mean_square: float) -> float:
    if mean_square <= 0.0:
        return FLOOR_DBFS
    return max(FLOOR_DBFS, 10.0 * float(np.log10(mean_square)))
