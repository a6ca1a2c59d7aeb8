"""Benchmark: `render_clip` (face tracking, captions, thumbnail) against the bare ffmpeg
command it is built on, the draft preset against real time, and export memory against
source length.

1. Speed. A 30 s clip of a 1920x1080 talking-head source (a real portrait gliding over a
   busy background, with one hard cut) exported to 9:16 1080x1920 with karaoke captions.
   Ours is the whole `render_clip`: probe, face analysis, caption files, the encode, the
   thumbnail choice and still. The baseline is one ffmpeg run of the same arguments (the
   same sendcmd file, filters, forced key frames and encoder settings). The machine may be
   shared, so the two alternate (ABAB...) and medians are compared; CPU seconds (ours:
   this process and every ffmpeg child) are printed too, being far less disturbed by
   other load than wall time.
2. Draft. The same clip with the `draft` preset, ours and bare, against real time.
3. Memory. A face-tracked draft export of 30 s near the end of a 10-minute and of a
   60-minute source, each in a fresh Python process: peak RSS of that process and of its
   largest ffmpeg child (getrusage), and the peak of their sum sampled every 20 ms.

Sources are generated with ffmpeg once and cached (not committed) under
$CLIPFORGE_BENCH_CACHE, default /tmp/clipforge-bench-cache.

    python -m bench.bench_export [--repeats N] [--no-memory]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from clipforge.domain.captions import build_ass, get_caption_style
from clipforge.domain.framing import parse_aspect_ratio
from clipforge.domain.transcript import Word
from clipforge.media.export import (
    ExportRequest,
    build_export_args,
    get_quality_preset,
    output_size,
    render_clip,
    thumbnail_candidates,
)
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.media.probe import probe_media
from clipforge.media.reframe import CropPlan, plan_reframe

ROOT = Path(__file__).resolve().parent.parent
PORTRAIT = ROOT / "tests" / "fixtures" / "astronaut.jpg"
SOURCE_SECONDS = 40
CUT_AT = 22.0
CLIP_START, CLIP_END = 5.0, 35.0
LONG_SOURCES_MINUTES = (10, 60)
MEMORY_CLIP_SECONDS = 30.0

VOCAB = ("the quick brown fox jumps over a lazy dog while everyone watches closely").split()  # noqa: SIM905


def cache_dir() -> Path:
    path = Path(os.environ.get("CLIPFORGE_BENCH_CACHE", "/tmp/clipforge-bench-cache"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def cached(name: str, make: Any) -> Path:
    """`name` in the cache, made by `make(path)` (into a temp name, then renamed) if absent."""
    path = cache_dir() / name
    if not path.exists():
        part = path.with_suffix(".part" + path.suffix)
        started = time.perf_counter()
        make(part)
        part.replace(path)
        print(f"made {path} in {time.perf_counter() - started:.0f} s", flush=True)
    return path


def make_talking_head(path: Path) -> None:
    """40 s 1920x1080: the portrait (face ~200 px) gliding over a detailed moving pattern,
    a hard cut to another pattern and framing at CUT_AT. x264 veryfast (B-frames, key
    frame at the cut), like an edited upload."""
    x = f"if(lt(t\\,{CUT_AT})\\,100+400*(1-cos(t*0.5))\\,1300-40*(t-{CUT_AT}))"
    rest = SOURCE_SECONDS - CUT_AT
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc2=s=480x270:r=25:d={CUT_AT},scale=1920:1080",
        "-f", "lavfi", "-i", f"testsrc=s=480x270:r=25:d={rest},scale=1920:1080",
        "-loop", "1", "-framerate", "25", "-i", str(PORTRAIT),
        "-f", "lavfi", "-i", f"sine=f=330:d={SOURCE_SECONDS}:sample_rate=48000",
        "-filter_complex",
        "[0:v][1:v]concat=n=2[bg];[2:v]scale=960:960[face];"
        f"[bg][face]overlay=x={x}:y=60:shortest=1[v]",
        "-map", "[v]", "-map", "3:a", "-t", str(SOURCE_SECONDS),
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-f", "mp4", str(path),
    )  # fmt: skip


def make_long(minutes: int) -> Any:
    def make(path: Path) -> None:
        seconds = minutes * 60
        ffmpeg(
            "-f", "lavfi", "-i", f"testsrc2=s=320x180:r=25:d={seconds}",
            "-f", "lavfi", "-i", f"sine=f=330:d={seconds}:sample_rate=48000",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "64k", "-shortest", "-f", "mp4", str(path),
        )  # fmt: skip

    return make


def fake_words(start: float, end: float) -> list[Word]:
    words, t, i = [], start, 0
    while t < end:
        text = VOCAB[i % len(VOCAB)] + ("." if i % 9 == 8 else "")
        words.append(Word(f" {text}", t, t + 0.3, 0.9))
        t += 0.4 + (0.8 if i % 9 == 8 else 0.0)
        i += 1
    return words


def bare_command(req: ExportRequest, plan: CropPlan, work: Path) -> list[str]:
    """The export's own ffmpeg arguments, run directly."""
    info = probe_media(req.source)
    ass = work / "bare.ass"
    w, h = output_size(parse_aspect_ratio(req.aspect_ratio), get_quality_preset(req.quality))
    ass.write_text(
        build_ass(
            req.words, clip_start=req.start, clip_end=req.end, width=w, height=h,
            style=get_caption_style(req.caption_style),
        )
    )  # fmt: skip
    keyframes = thumbnail_candidates(req.end - req.start)
    return [ffmpeg_exe(), "-hide_banner", "-nostdin", "-y", "-loglevel", "error",
            *build_export_args(req, info, ass, work / "bare.mp4", keyframes=keyframes,
                               crop=plan)]  # fmt: skip


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and its reaped children so far."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_bare(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one bare ffmpeg run."""
    cpu, started = cpu_seconds(), time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - started, cpu_seconds() - cpu


def run_ours(req: ExportRequest, work: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds: ours and all our ffmpeg children) of one render_clip."""
    shutil.rmtree(work, ignore_errors=True)
    cpu, started = cpu_seconds(), time.perf_counter()
    asyncio.run(render_clip(req, work))
    return time.perf_counter() - started, cpu_seconds() - cpu


Runs = list[tuple[float, float]]


def alternate(req: ExportRequest, work: Path, repeats: int) -> tuple[Runs, Runs]:
    plan = asyncio.run(
        plan_reframe(
            req.source, 1920, 1080, req.start, req.end - req.start,
            parse_aspect_ratio(req.aspect_ratio), work / "plan",
        )
    )  # fmt: skip
    if plan.commands is None:
        raise RuntimeError("the talking-head source should give a moving crop")
    cmd = bare_command(req, plan, work)
    bare: Runs = []
    ours: Runs = []
    for i in range(repeats):
        # Swap who goes first each round so neither always runs on a warmer cache.
        for name in ("bare", "ours") if i % 2 == 0 else ("ours", "bare"):
            if name == "bare":
                bare.append(run_bare(cmd))
            else:
                ours.append(run_ours(req, work / "ours"))
        print(
            f"  round {i + 1}: bare ffmpeg {bare[-1][0]:.2f} s (cpu {bare[-1][1]:.2f} s), "
            f"render_clip {ours[-1][0]:.2f} s (cpu {ours[-1][1]:.2f} s)",
            flush=True,
        )
    return bare, ours


def report(bare: Runs, ours: Runs, clip: float, target: str) -> None:
    b, o = statistics.median(r[0] for r in bare), statistics.median(r[0] for r in ours)
    bc, oc = statistics.median(r[1] for r in bare), statistics.median(r[1] for r in ours)
    print(f"  bare ffmpeg  median {b:.2f} s ({clip / b:.2f}x real time), cpu {bc:.2f} s")
    print(f"  render_clip  median {o:.2f} s ({clip / o:.2f}x real time), cpu {oc:.2f} s")
    print(f"  ratio render_clip / bare: wall {o / b:.3f}, cpu {oc / bc:.3f} ({target})")


def speed(repeats: int) -> None:
    source = cached("talking-head-1080p-40s.mp4", make_talking_head)
    clip = CLIP_END - CLIP_START
    req = ExportRequest(
        source, CLIP_START, CLIP_END, fake_words(CLIP_START, CLIP_END), "9:16", "karaoke"
    )
    with tempfile.TemporaryDirectory(prefix="clipforge-bench-") as tmp:
        work = Path(tmp)
        # Analysis alone, for the record (it is inside every `render_clip` timing below).
        started = time.perf_counter()
        plan = asyncio.run(
            plan_reframe(source, 1920, 1080, CLIP_START, clip, parse_aspect_ratio("9:16"), work)
        )
        analysis = time.perf_counter() - started
        print(f"face analysis of the {clip:.0f} s clip: {analysis:.2f} s, "
              f"{len(plan.keyframes)} keyframes")  # fmt: skip

        print(f"standard 1080x1920, karaoke captions, face tracking; {repeats} rounds ABAB/BABA")
        bare, ours = alternate(req, work / "std", repeats)
        report(bare, ours, clip, "target <= 1.10")

        draft_repeats = max(2, repeats // 2)
        print(f"draft 720x1280 (ultrafast, crf 26); {draft_repeats} rounds")
        draft = ExportRequest(
            source, CLIP_START, CLIP_END, req.words, "9:16", "karaoke", quality="draft"
        )
        bare_d, ours_d = alternate(draft, work / "draft", draft_repeats)
        report(bare_d, ours_d, clip, "target: render_clip faster than real time")


def memory_run(source: Path, start: float, end: float) -> None:
    """One face-tracked draft export; prints peak memory figures as JSON (child mode)."""
    import psutil

    me = psutil.Process()
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            total = 0
            for proc in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):  # it may have just exited
                    total += proc.memory_info().rss
            peak[0] = max(peak[0], total)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory(prefix="clipforge-bench-mem-") as tmp:
        req = ExportRequest(
            source, start, end, fake_words(start, end), "9:16", "karaoke", quality="draft"
        )
        started = time.perf_counter()
        asyncio.run(render_clip(req, Path(tmp)))
        took = time.perf_counter() - started
    done.set()
    sampler.join()
    kib = 1024  # Linux reports ru_maxrss in KiB
    print(
        json.dumps(
            {
                "seconds": took,
                "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / kib,
                "child_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / kib,
                "sampled_sum_mib": peak[0] / 2**20,
            }
        )
    )


def memory() -> None:
    print(f"memory: face-tracked draft export of a {MEMORY_CLIP_SECONDS:.0f} s clip ending 30 s "
          "before the end of a long 320x180 source, fresh process each")  # fmt: skip
    for minutes in LONG_SOURCES_MINUTES:
        source = cached(f"testsrc-320x180-{minutes}min.mp4", make_long(minutes))
        end = minutes * 60 - 30.0
        out = subprocess.run(
            [sys.executable, "-m", "bench.bench_export", "--memory-run", str(source),
             str(end - MEMORY_CLIP_SECONDS), str(end)],
            check=True, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        m = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"  {minutes:>3d} min source: export {m['seconds']:.1f} s; peak RSS: python "
            f"{m['self_mib']:.0f} MiB, largest ffmpeg {m['child_mib']:.0f} MiB, "
            f"sum {m['self_mib'] + m['child_mib']:.0f} MiB "
            f"(sampled together: {m['sampled_sum_mib']:.0f} MiB)",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=4, help="rounds of bare + ours")
    parser.add_argument("--no-memory", action="store_true", help="skip the long sources")
    parser.add_argument("--no-speed", action="store_true", help="only the memory figures")
    parser.add_argument("--memory-run", nargs=3, metavar=("SOURCE", "START", "END"))
    args = parser.parse_args()
    if args.memory_run:
        src, start, end = args.memory_run
        memory_run(Path(src), float(start), float(end))
        return
    if not args.no_speed:
        speed(args.repeats)
    if not args.no_memory:
        memory()


if __name__ == "__main__":
    main()
