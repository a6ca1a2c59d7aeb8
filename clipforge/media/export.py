"""Render one clip: cut, centre-crop to the aspect ratio, burn in captions, encode H.264/AAC.

The ffmpeg command is built by a pure function (`build_export_args`) so it can be tested
and benchmarked on its own; `render_clip` adds the files around it (ASS, SRT, thumbnail).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from clipforge.domain.captions import build_ass, get_caption_style
from clipforge.domain.framing import centre_crop, parse_aspect_ratio
from clipforge.domain.subtitles import clip_cues, to_srt
from clipforge.domain.transcript import Word
from clipforge.media.ffmpeg import ProgressCallback, run_ffmpeg
from clipforge.media.fonts import fonts_dir
from clipforge.media.probe import MediaInfo, probe_media

logger = logging.getLogger(__name__)

#: Background colour and frame rate used when the source has no video.
AUDIO_ONLY_BACKGROUND = "0x101418"
AUDIO_ONLY_FPS = 30

#: Share of progress given to the main encode; the thumbnail takes the rest.
_ENCODE_SHARE = 0.95


@dataclass(frozen=True, slots=True)
class ExportRequest:
    source: Path
    start: float
    end: float
    words: Sequence[Word]
    aspect_ratio: str
    caption_style: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    video: Path
    thumbnail: Path
    srt: Path
    ass: Path
    duration: float
    width: int
    height: int


def escape_filter_value(value: str) -> str:
    """Escape a value for a filter option inside a filtergraph (two escaping levels).

    Paths with ':', ',', quotes or brackets would otherwise split the filtergraph.
    """
    for ch in ("\\", "'", ":"):
        value = value.replace(ch, "\\" + ch)
    for ch in ("\\", "'", "[", "]", ",", ";"):
        value = value.replace(ch, "\\" + ch)
    return value


def _fmt(seconds: float) -> str:
    return f"{seconds:.3f}"


def build_export_args(
    req: ExportRequest, source_info: MediaInfo, ass_path: Path, out_path: Path
) -> list[str]:
    """The ffmpeg arguments (after the binary and global flags) that render `req`.

    `-ss` before `-i` seeks fast and, because we re-encode, frame-accurately; `-t` is an
    output option so the result is exactly end-start long. Sources without video get a
    solid background of the output size so audio-only uploads can still be exported.
    """
    aspect = parse_aspect_ratio(req.aspect_ratio)
    out_w, out_h = aspect.output_size
    duration = req.end - req.start
    if duration <= 0:
        raise ValueError("The clip end must be after its start.")
    ass_filter = (
        f"ass=filename={escape_filter_value(str(ass_path))}"
        f":fontsdir={escape_filter_value(str(fonts_dir()))}"
    )
    args: list[str] = []
    if source_info.has_video and source_info.width and source_info.height:
        box = centre_crop(source_info.width, source_info.height, aspect)
        vf = (
            f"crop={box.w}:{box.h}:{box.x}:{box.y},"
            f"scale={out_w}:{out_h}:flags=lanczos,setsar=1,{ass_filter},format=yuv420p"
        )
        args += ["-ss", _fmt(req.start), "-i", str(req.source)]
        video_map, audio_map = "0:v:0", "0:a:0"
    else:
        vf = f"{ass_filter},format=yuv420p"
        args += [
            "-f", "lavfi",
            "-i", f"color=c={AUDIO_ONLY_BACKGROUND}:s={out_w}x{out_h}:r={AUDIO_ONLY_FPS}",
            "-ss", _fmt(req.start), "-i", str(req.source),
        ]  # fmt: skip
        video_map, audio_map = "0:v:0", "1:a:0"
    args += [
        "-t", _fmt(duration),
        "-map", video_map,
        "-map", audio_map,
        "-vf", vf,
        "-c:v", "libx264",
        "-preset", "veryfast",
        "-crf", "23",
        "-pix_fmt", "yuv420p",
        "-c:a", "aac",
        "-b:a", "128k",
        "-ar", "48000",
        "-ac", "2",
        "-sn", "-dn",
        "-map_metadata", "-1",
        "-movflags", "+faststart",
        "-f", "mp4",
        str(out_path),
    ]  # fmt: skip
    return args


def thumbnail_args(video: Path, at: float, out_path: Path) -> list[str]:
    """One JPEG frame from `video` at `at` seconds."""
    return [
        "-ss", _fmt(max(at, 0.0)),
        "-i", str(video),
        "-frames:v", "1",
        "-q:v", "3",
        "-f", "image2",
        "-c:v", "mjpeg",
        str(out_path),
    ]  # fmt: skip


async def render_clip(
    req: ExportRequest,
    work_dir: Path,
    *,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
) -> ExportResult:
    """Render `req` into `work_dir` (clip.mp4, thumbnail.jpg, captions.srt, captions.ass).

    The clip end is clamped to the source duration. The MP4 is written under a temporary
    name and renamed when complete, so a crash never leaves a plausible half-file.
    """
    aspect = parse_aspect_ratio(req.aspect_ratio)
    style = get_caption_style(req.caption_style)
    if req.start < 0 or req.end <= req.start:
        raise ValueError(f"Invalid clip range {req.start:.3f}–{req.end:.3f} s.")
    info = await asyncio.to_thread(probe_media, req.source)
    end = min(req.end, info.duration)
    if end - req.start <= 0.05:
        raise ValueError(
            f"The clip starts at {req.start:.1f} s but the source is only "
            f"{info.duration:.1f} s long."
        )
    req = ExportRequest(req.source, req.start, end, req.words, aspect.value, style.name)
    out_w, out_h = aspect.output_size
    work_dir.mkdir(parents=True, exist_ok=True)
    video = work_dir / "clip.mp4"
    partial = work_dir / "clip.part.mp4"
    thumb = work_dir / "thumbnail.jpg"
    srt = work_dir / "captions.srt"
    ass = work_dir / "captions.ass"

    ass.write_text(
        build_ass(
            req.words,
            clip_start=req.start,
            clip_end=req.end,
            width=out_w,
            height=out_h,
            style=style,
        ),
        encoding="utf-8",
    )
    srt.write_text(to_srt(clip_cues(req.words, req.start, req.end)), encoding="utf-8")

    duration = req.end - req.start

    async def encode_progress(fraction: float) -> None:
        if on_progress is not None:
            await on_progress(fraction * _ENCODE_SHARE)

    logger.info(
        "rendering %s [%.2f-%.2f] as %s/%s", req.source, req.start, req.end, aspect, style.name
    )
    try:
        await run_ffmpeg(
            build_export_args(req, info, ass, partial),
            duration=duration,
            on_progress=encode_progress,
            timeout=timeout,
        )
        partial.replace(video)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    await run_ffmpeg(thumbnail_args(video, duration / 2, thumb), timeout=timeout)
    if on_progress is not None:
        await on_progress(1.0)
    out_info = await asyncio.to_thread(probe_media, video)
    return ExportResult(
        video=video,
        thumbnail=thumb,
        srt=srt,
        ass=ass,
        duration=out_info.duration,
        width=out_info.width or out_w,
        height=out_info.height or out_h,
    )
