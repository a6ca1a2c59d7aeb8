"""Render scripted episodes to speech with espeak-ng: 16 kHz WAV, a small MP4 and the labels.

Each sentence is synthesised on its own, resampled to 16 kHz, and espeak's leading/trailing
silence is trimmed, so every part and sentence boundary is known to the sample. Sentences of
one part are joined by 0.25-0.5 s pauses (about espeak's own) and parts by 0.6-1.2 s, drawn
from the episode's seed: re-rendering with the same espeak-ng reproduces the labels exactly.

    python -m eval.render                 # every episode: media + labels
    python -m eval.render 01 02           # episodes whose slug starts with 01 or 02
    python -m eval.render --split heldout # the held-out episodes only
    python -m eval.render --labels-only   # labels only (no MP4)
    python -m eval.render --check         # fail if the committed labels differ

Needs espeak-ng (Debian: `apt-get install -y espeak-ng`); ffmpeg comes with imageio-ffmpeg.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from clipforge.media.ffmpeg import ffmpeg_exe
from eval.episodes import (
    LABELS_DIR,
    MEDIA_DIR,
    SPLITS,
    Episode,
    LabelledPart,
    Labels,
    Span,
    load_episodes,
)

SAMPLE_RATE = 16000
#: Samples quieter than this (about -42 dBFS) count as espeak's padding silence.
_SILENCE = 260
#: Kept either side of the trimmed speech so plosives and fades are not cut.
_MARGIN = int(0.02 * SAMPLE_RATE)
SENTENCE_PAUSE = (0.25, 0.5)
PART_PAUSE = (0.6, 1.2)
LEAD_SECONDS = 0.5
TAIL_SECONDS = 0.8
VIDEO_SIZE = (320, 180)
VIDEO_FPS = 10

Int16Array = npt.NDArray[np.int16]


class RenderError(RuntimeError):
    """espeak-ng or ffmpeg is missing or failed."""


@dataclass(frozen=True, slots=True)
class Rendering:
    audio: Int16Array
    labels: Labels


def synthesise(text: str, voice: str, speed: int, pitch: int) -> Int16Array:
    """One sentence from espeak-ng, at 16 kHz, with its silence trimmed."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RenderError("espeak-ng is required (Debian: apt-get install -y espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "s.wav"
        cmd = [exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), text]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not out.is_file():
            raise RenderError(f"espeak-ng failed for {text[:40]!r}: {proc.stderr.strip()}")
        with wave.open(str(out), "rb") as wf:
            rate = wf.getframerate()
            pcm = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2")
    return trim_silence(resample(pcm, rate, SAMPLE_RATE))


def resample(pcm: Int16Array, rate: int, target: int) -> Int16Array:
    """Band-limited resampling by truncating the spectrum; the length is round(n * target/rate).

    Done here (not by ffmpeg) so the sample counts, and hence the labels, do not depend on
    an ffmpeg build. espeak's output starts and ends in silence, so the FFT's wrap-around is
    harmless.
    """
    if rate == target or len(pcm) == 0:
        return pcm.astype(np.int16)
    n = len(pcm)
    m = max(1, round(n * target / rate))
    spectrum = np.fft.rfft(pcm.astype(np.float64))
    out = np.fft.irfft(spectrum[: m // 2 + 1], m) * (m / n)
    return np.clip(np.round(out), -32768, 32767).astype(np.int16)


def trim_silence(pcm: Int16Array) -> Int16Array:
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > _SILENCE)
    if len(loud) == 0:
        return pcm[:0]
    lo = max(0, int(loud[0]) - _MARGIN)
    hi = min(len(pcm), int(loud[-1]) + 1 + _MARGIN)
    return pcm[lo:hi]


def render_episode(episode: Episode) -> Rendering:
    """The episode's audio and labels; times are sample positions / 16 000, to the ms."""
    rng = random.Random(episode.seed)
    chunks: list[Int16Array] = [_silence(LEAD_SECONDS)]
    pos = len(chunks[0])
    parts: list[LabelledPart] = []
    for k, part in enumerate(episode.parts):
        if k:
            gap = _silence(rng.uniform(*PART_PAUSE))
            chunks.append(gap)
            pos += len(gap)
        voice = episode.speakers[part.speaker]
        spans: list[Span] = []
        for j, sentence in enumerate(part.sentences):
            if j:
                gap = _silence(rng.uniform(*SENTENCE_PAUSE))
                chunks.append(gap)
                pos += len(gap)
            speech = synthesise(sentence, voice.voice, voice.speed, voice.pitch)
            chunks.append(speech)
            spans.append(Span(_seconds(pos), _seconds(pos + len(speech))))
            pos += len(speech)
        parts.append(
            LabelledPart(
                kind=part.kind,
                speaker=part.speaker,
                start=spans[0].start,
                end=spans[-1].end,
                text=" ".join(part.text.split()),
                sentences=tuple(spans),
            )
        )
    chunks.append(_silence(TAIL_SECONDS))
    audio = np.concatenate(chunks)
    labels = Labels(slug=episode.slug, duration=_seconds(len(audio)), parts=tuple(parts))
    return Rendering(audio=audio, labels=labels)


def _silence(seconds: float) -> Int16Array:
    return np.zeros(round(seconds * SAMPLE_RATE), dtype=np.int16)


def _seconds(samples: int) -> float:
    return round(samples / SAMPLE_RATE, 3)


def write_wav(path: Path, audio: Int16Array) -> None:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(SAMPLE_RATE)
        wf.writeframes(audio.astype("<i2").tobytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue())


def write_labels(labels: Labels, directory: Path = LABELS_DIR) -> Path:
    path = directory / f"{labels.slug}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(labels.to_dict(), indent=1) + "\n", encoding="utf-8")
    return path


def write_video(path: Path, wav: Path, episode: Episode, labels: Labels) -> None:
    """A 320x180, 10 fps MP4: a colour card for whoever is speaking, with AAC audio."""
    width, height = VIDEO_SIZE
    frames = int(np.ceil(labels.duration * VIDEO_FPS))
    cards = {
        name: np.full((height, width, 3), _rgb(v.colour), dtype=np.uint8).tobytes()
        for name, v in episode.speakers.items()
    }
    cmd = [
        ffmpeg_exe(),
        "-y",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{width}x{height}",
        "-r",
        str(VIDEO_FPS),
        "-i",
        "-",
        "-i",
        str(wav),
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        "32",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-b:a",
        "64k",
        "-shortest",
        "-map_metadata",
        "-1",
        str(path),
    ]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdin is not None
    speaker = labels.parts[0].speaker
    for f in range(frames):
        t = f / VIDEO_FPS
        # The card stays on the last speaker through a pause until the next one starts.
        for part in labels.parts:
            if part.start <= t:
                speaker = part.speaker
        proc.stdin.write(cards[speaker])
    proc.stdin.close()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise RenderError(f"ffmpeg failed for {path.name}: {err[-2000:]}")


def _rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


def select(
    episodes: list[Episode], prefixes: Sequence[str], split: str | None = None
) -> list[Episode]:
    """Episodes whose slug starts with one of `prefixes` (all when none) and in `split`."""
    return [
        e
        for e in episodes
        if (not prefixes or any(e.slug.startswith(p) for p in prefixes))
        and (split is None or e.split == split)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.render", description=__doc__)
    parser.add_argument("episodes", nargs="*", help="slug prefixes (default: all)")
    parser.add_argument("--split", choices=SPLITS, help="only episodes of this split")
    parser.add_argument("--labels-only", action="store_true", help="write labels, no media")
    parser.add_argument("--check", action="store_true", help="compare with committed labels")
    args = parser.parse_args(argv)
    mismatched = []
    for episode in select(load_episodes(), args.episodes, args.split):
        rendering = render_episode(episode)
        labels = rendering.labels
        if args.check:
            committed = json.loads((LABELS_DIR / f"{episode.slug}.json").read_text())
            same = committed == json.loads(json.dumps(labels.to_dict()))
            print(f"{episode.slug}: {'same' if same else 'DIFFERENT'}")
            if not same:
                mismatched.append(episode.slug)
            continue
        write_labels(labels)
        if not args.labels_only:
            wav = MEDIA_DIR / f"{episode.slug}.wav"
            write_wav(wav, rendering.audio)
            write_video(MEDIA_DIR / f"{episode.slug}.mp4", wav, episode, labels)
        spoken = sum(p.end - p.start for p in labels.parts)
        print(
            f"{episode.slug}: {labels.duration:.1f}s ({spoken:.1f}s speech), "
            f"{len(labels.highlights)} highlights"
        )
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
