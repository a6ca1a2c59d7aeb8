"""Benchmark: `render_clip` against the bare ffmpeg command it is built on.

Shows what our wrapper costs on top of the encode (probe, ASS/SRT/VTT writing, progress
parsing, thumbnail choice). Runs alternately so machine noise hits both sides alike. Then
times the draft preset on the same 30 s clip, and reports the ffmpeg child's peak RSS
(from `os.wait4`, so it is that one process) for a draft export of a short and a
10x longer source, to show memory does not grow with source length.

    python -m bench.bench_export
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from clipforge.domain.captions import build_ass, get_caption_style
from clipforge.domain.framing import parse_aspect_ratio
from clipforge.domain.transcript import Word
from clipforge.media.export import (
    ExportRequest,
    build_export_args,
    get_quality_preset,
    output_size,
    render_clip,
)
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.media.probe import probe_media

SOURCE_SECONDS = 40
CLIP_START, CLIP_END = 5.0, 35.0
REPEATS = 2
#: Whole-source draft exports of this and SOURCE_SECONDS are compared for memory.
SHORT_SOURCE_SECONDS = 4

VOCAB = ("the quick brown fox jumps over a lazy dog while everyone watches closely").split()  # noqa: SIM905


def make_source(path: Path, seconds: int = SOURCE_SECONDS) -> None:
    subprocess.run(
        [
            ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            # Pattern drawn small and upscaled: cheap to generate, still a 1080p source.
            "-f", "lavfi", "-i", f"testsrc2=s=480x270:r=25:d={seconds},scale=1920:1080",
            "-f", "lavfi", "-i", f"sine=f=330:d={seconds}:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", str(path),
        ],
        check=True,
    )  # fmt: skip


def fake_words() -> list[Word]:
    words, t, i = [], 0.0, 0
    while t < SOURCE_SECONDS:
        text = VOCAB[i % len(VOCAB)] + ("." if i % 9 == 8 else "")
        words.append(Word(f" {text}", t, t + 0.3, 0.9))
        t += 0.4 + (0.8 if i % 9 == 8 else 0.0)
        i += 1
    return words


def bare_command(req: ExportRequest, work: Path) -> list[str]:
    info = probe_media(req.source)
    ass = work / "bare.ass"
    w, h = output_size(parse_aspect_ratio(req.aspect_ratio), get_quality_preset(req.quality))
    ass.write_text(
        build_ass(
            req.words, clip_start=req.start, clip_end=req.end, width=w, height=h,
            style=get_caption_style(req.caption_style),
        )
    )  # fmt: skip
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            *build_export_args(req, info, ass, work / "bare.mp4")]  # fmt: skip


def run_bare(req: ExportRequest, work: Path) -> float:
    cmd = bare_command(req, work)
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - started


def run_measured(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one ffmpeg child, its own rusage via os.wait4."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg failed with {proc.returncode}")
    return elapsed, usage.ru_maxrss / 1024  # Linux reports KiB


def run_ours(req: ExportRequest, work: Path) -> float:
    started = time.perf_counter()
    asyncio.run(render_clip(req, work / "ours"))
    return time.perf_counter() - started


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="clipforge-bench-") as tmp:
        work = Path(tmp)
        source = work / "source.mp4"
        t0 = time.perf_counter()
        make_source(source)
        print(f"source: {SOURCE_SECONDS} s 1920x1080 made in {time.perf_counter() - t0:.1f} s")
        req = ExportRequest(source, CLIP_START, CLIP_END, fake_words(), "9:16", "karaoke")
        bare: list[float] = []
        ours: list[float] = []
        for i in range(REPEATS):
            bare.append(run_bare(req, work))
            ours.append(run_ours(req, work))
            print(f"run {i + 1}: bare ffmpeg {bare[-1]:.2f} s, render_clip {ours[-1]:.2f} s")
        b, o = statistics.median(bare), statistics.median(ours)
        clip = CLIP_END - CLIP_START
        print(f"clip: {clip:.0f} s at 1080x1920, captions 'karaoke'")
        print(f"bare ffmpeg (median): {b:.2f} s ({clip / b:.2f}x real time)")
        print(f"render_clip (median): {o:.2f} s ({clip / o:.2f}x real time)")
        print(f"ratio render_clip / bare: {o / b:.3f}")

        draft = dataclasses.replace(req, quality="draft")
        t_draft, rss = run_measured(bare_command(draft, work))
        t_ours = run_ours(draft, work)
        print(
            f"draft 720x1280 (ultrafast, crf 26): bare ffmpeg {t_draft:.2f} s "
            f"({clip / t_draft:.2f}x real time), render_clip {t_ours:.2f} s "
            f"({clip / t_ours:.2f}x real time); ffmpeg peak RSS {rss:.0f} MiB"
        )

        short = work / "short.mp4"
        make_source(short, SHORT_SOURCE_SECONDS)
        for src, seconds in ((short, SHORT_SOURCE_SECONDS), (source, SOURCE_SECONDS)):
            whole = ExportRequest(
                src, 0.0, float(seconds), fake_words(), "9:16", "karaoke", quality="draft"
            )
            took, rss = run_measured(bare_command(whole, work))
            print(
                f"memory: draft export of a whole {seconds:>3d} s source: {took:.1f} s, "
                f"ffmpeg peak RSS {rss:.0f} MiB"
            )


if __name__ == "__main__":
    main()
