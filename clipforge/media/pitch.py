"""Voice pitch track of a PCM WAV: the fundamental frequency per fixed hop, 0 where unvoiced.

Clip detection reads it to hear where one voice stops and another starts: a speaker's
typical pitch stays within a few semitones from one sentence to the next, while two people
usually differ by more (men and women by about an octave). It is kept on the transcript
beside the loudness track (`extra["pitch"]`).

Method: normalised autocorrelation of 40 ms frames, every 10 ms, searched between 60 and
400 Hz (the range of speaking voices); a frame is voiced when its best correlation is
strong and it is not quiet. Each hop reports the median of its voiced frames. Streaming, a
block at a time, so memory stays flat for any length.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipforge.media.pcm import Pcm16Reader

LOWEST_HZ = 60.0
HIGHEST_HZ = 400.0
FRAME_SECONDS = 0.04
STEP_SECONDS = 0.01
#: A frame is voiced when its autocorrelation peak holds this share of its energy.
VOICED_CORRELATION = 0.5
#: Frames quieter than this (dB under the loudest frames of their block) are not voiced.
QUIET_DB = 35.0
#: Steps analysed per block read from the file (about 40 s).
_STEPS_PER_BLOCK = 4096


def pitch_track(wav_path: Path, hop_seconds: float = 0.1) -> list[float]:
    """Median pitch (Hz) of the voiced frames in each hop, 0.0 where a hop has none.

    Only 16-bit PCM is accepted (what `extract_audio` writes); channels are averaged.
    """
    if hop_seconds < STEP_SECONDS:
        raise ValueError(f"hop_seconds must be at least {STEP_SECONDS}")
    with Pcm16Reader(wav_path) as reader:
        rate, total = reader.rate, reader.frames
        step = max(1, round(STEP_SECONDS * rate))
        size = round(FRAME_SECONDS * rate)
        frame_pitch: list[np.ndarray] = []
        carry = np.zeros(0, dtype=np.float32)
        for block in reader.blocks(step * _STEPS_PER_BLOCK):
            samples = np.concatenate([carry, block])
            count = max(0, (len(samples) - size) // step + 1)
            if count:
                frame_pitch.append(_frame_pitch(samples, rate, step, size, count))
            # Keep what the next frame still needs: frames overlap by size - step samples.
            carry = samples[count * step :]
    pitches = np.concatenate(frame_pitch) if frame_pitch else np.zeros(0)
    per_hop = max(1, round(hop_seconds / (step / rate)))
    hops = int(np.ceil(total / rate / hop_seconds)) if total else 0
    track: list[float] = []
    for h in range(hops):
        chunk = pitches[h * per_hop : (h + 1) * per_hop]
        voiced = chunk[chunk > 0]
        track.append(float(np.median(voiced)) if len(voiced) else 0.0)
    return track


def _frame_pitch(samples: np.ndarray, rate: int, step: int, size: int, count: int) -> np.ndarray:
    """Pitch (Hz) of `count` frames of `size` samples every `step`, 0 for unvoiced ones."""
    framed = samples[step * np.arange(count)[:, None] + np.arange(size)[None, :]]
    framed = framed - framed.mean(axis=1, keepdims=True)
    energy = np.sum(np.square(framed, dtype=np.float64), axis=1)
    n_fft = 1 << (2 * size - 1).bit_length()
    spectrum = np.fft.rfft(framed, n_fft)
    correlation = np.fft.irfft(np.abs(spectrum) ** 2, n_fft)[:, :size]
    shortest = max(1, int(rate / HIGHEST_HZ))
    longest = min(size - 1, int(rate / LOWEST_HZ))
    # Normalise each lag by the energy of the overlapping part, so longer lags (fewer
    # overlapping samples) are not penalised: the first peak at the period wins.
    overlap = (size - np.arange(shortest, longest + 1)) / size
    window = correlation[:, shortest : longest + 1] / np.maximum(energy[:, None] * overlap, 1e-12)
    best = window.max(axis=1)
    # Multiples of the period correlate almost as well as the period itself: take the
    # shortest lag that comes close to the best, or a voice reads an octave too low; then
    # the top of that peak (within a quarter of its lag, well short of the next multiple).
    first = np.argmax(window >= 0.9 * best[:, None], axis=1)
    lags = np.arange(window.shape[1])[None, :]
    near = (lags >= first[:, None]) & (lags + shortest <= 1.25 * (first[:, None] + shortest))
    lag = np.argmax(np.where(near, window, -np.inf), axis=1)
    peak = window[np.arange(count), lag]
    # A peak at the shortest lag is no period at all: a hum below the range, or noise.
    is_peak = lag > 0
    loud_enough = 10 * np.log10(np.maximum(energy, 1e-12)) > (
        10 * np.log10(max(float(energy.max(initial=0.0)), 1e-12)) - QUIET_DB
    )
    voiced = (peak >= VOICED_CORRELATION) & is_peak & loud_enough
    return np.where(voiced, rate / (lag + shortest), 0.0)
