"""Render one clip: cut, reframe to the aspect ratio (following the speaker's face, see
`clipforge.media.reframe`), burn in captions, normalise the loudness, encode H.264/AAC,
all in one ffmpeg pass.

The ffmpeg command is built by a pure function (`build_export_args`) so it can be tested
and benchmarked on its own; `render_clip` adds the files around it (ASS, SRT, VTT and a
thumbnail taken from the clip's sharpest candidate frame).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from clipforge.domain.captions import CaptionStyle, build_ass, get_caption_style
from clipforge.domain.framing import (
    DEFAULT_REFRAME,
    AspectRatio,
    Reframe,
    parse_aspect_ratio,
    parse_reframe,
)
from clipforge.domain.subtitles import clip_cues, to_srt, to_vtt
from clipforge.domain.transcript import Word
from clipforge.media.branding import BrandRender, branded_graph, write_title_cards
from clipforge.media.ffmpeg import ProgressCallback, run_ffmpeg
from clipforge.media.fonts import fonts_dir, fonts_dir_with
from clipforge.media.probe import MediaInfo, probe_media
from clipforge.media.reframe import CropPlan, plan_reframe, video_filter

logger = logging.getLogger(__name__)

#: Background colour and frame rate used when the source has no video.
AUDIO_ONLY_BACKGROUND = "0x101418"
AUDIO_ONLY_FPS = 30

#: Share of progress given to the main encode; the thumbnail takes the rest.
_ENCODE_SHARE = 0.95
#: Share of progress (taken from the encode's) given to face analysis before it.
_ANALYSIS_SHARE = 0.05

#: Loudness target: -14 LUFS integrated (what the big platforms normalise to), true peak
#: -1.5 dBTP. Single-pass (dynamic) loudnorm, inside the one export command.
LOUDNORM_FILTER = "loudnorm=I=-14:TP=-1.5:LRA=11"

#: How many frames are scored to choose the thumbnail, and the width they are scored at.
THUMBNAIL_CANDIDATES = 5
_SCORE_WIDTH = 144


@dataclass(frozen=True, slots=True)
class QualityPreset:
    """Output size class and x264 settings. `short_side` is the output's shorter side."""

    name: str
    short_side: int
    x264_preset: str
    crf: int


QUALITY_PRESETS: dict[str, QualityPreset] = {
    "draft": QualityPreset("draft", 720, "ultrafast", 26),
    "standard": QualityPreset("standard", 1080, "veryfast", 23),
    "high": QualityPreset("high", 1080, "slow", 19),
}
DEFAULT_QUALITY = "standard"


def get_quality_preset(name: str) -> QualityPreset:
    """The quality preset called `name` (case-insensitive) or ValueError listing the names."""
    try:
        return QUALITY_PRESETS[name.strip().lower()]
    except KeyError:
        raise ValueError(
            f"Unknown quality {name!r}; valid qualities are: {', '.join(QUALITY_PRESETS)}."
        ) from None


def output_size(aspect: AspectRatio, quality: QualityPreset) -> tuple[int, int]:
    """The aspect's output size scaled so its short side is the preset's (kept even)."""
    w, h = aspect.output_size
    factor = quality.short_side / min(w, h)
    return 2 * round(w * factor / 2), 2 * round(h * factor / 2)


@dataclass(frozen=True, slots=True)
class ExportRequest:
    source: Path
    start: float
    end: float
    words: Sequence[Word]
    aspect_ratio: str
    caption_style: str
    #: A name from QUALITY_PRESETS.
    quality: str = DEFAULT_QUALITY
    #: A custom caption style; when set it is used instead of the preset `caption_style`.
    custom_style: CaptionStyle | None = None
    #: Logo and title cards (clipforge.media.branding); None: the clip alone.
    brand: BrandRender | None = None
    #: How the source fits the aspect ratio: 'face' (follow the speaker), 'center', 'fit'.
    reframe: str = DEFAULT_REFRAME.value


@dataclass(frozen=True, slots=True)
class ExportResult:
    video: Path
    thumbnail: Path
    srt: Path
    ass: Path
    duration: float
    width: int
    height: int
    vtt: Path | None = None
    #: Clip-relative time (seconds) the thumbnail was taken at.
    thumbnail_time: float = 0.0


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


def thumbnail_candidates(duration: float, count: int = THUMBNAIL_CANDIDATES) -> list[float]:
    """Evenly spread times inside a clip (the middle of `count` equal slices)."""
    if duration <= 0 or count < 1:
        return []
    return [round(duration * (i + 0.5) / count, 3) for i in range(count)]


def build_export_args(
    req: ExportRequest,
    source_info: MediaInfo,
    ass_path: Path,
    out_path: Path,
    *,
    fonts: Path | None = None,
    keyframes: Sequence[float] = (),
    crop: CropPlan | None = None,
) -> list[str]:
    """The ffmpeg arguments (after the binary and global flags) that render `req`.

    `-ss` before `-i` seeks fast and, because we re-encode, frame-accurately; `-t` is an
    output option so the result is exactly end-start long. Sources without video get a
    solid background of the output size so audio-only uploads can still be exported;
    sources without audio get silence. The audio is loudness-normalised in the same pass.
    `keyframes` (clip-relative seconds) are forced as key frames, which makes seeking to
    them for the thumbnail cost a single frame decode. `fonts` overrides the fonts folder.
    `crop` is a face-tracking plan (`plan_reframe`); without one, `face` crops centred.
    """
    aspect = parse_aspect_ratio(req.aspect_ratio)
    quality = get_quality_preset(req.quality)
    out_w, out_h = output_size(aspect, quality)
    duration = req.end - req.start
    if duration <= 0:
        raise ValueError("The clip end must be after its start.")
    ass_filter = (
        f"ass=filename={escape_filter_value(str(ass_path))}"
        f":fontsdir={escape_filter_value(str(fonts or fonts_dir()))}"
    )
    args: list[str] = []
    if source_info.has_video and source_info.width and source_info.height:
        reframe = video_filter(
            source_info.width, source_info.height, aspect, (out_w, out_h),
            parse_reframe(req.reframe), crop, escape=escape_filter_value,
        )  # fmt: skip
        vf = f"{reframe},{ass_filter},format=yuv420p"
        args += ["-ss", _fmt(req.start), "-i", str(req.source)]
        video_map, audio_map = "0:v:0", "0:a:0"
        next_input = 1
    else:
        vf = f"{ass_filter},format=yuv420p"
        args += [
            "-f", "lavfi",
            "-i", f"color=c={AUDIO_ONLY_BACKGROUND}:s={out_w}x{out_h}:r={AUDIO_ONLY_FPS}",
            "-ss", _fmt(req.start), "-i", str(req.source),
        ]  # fmt: skip
        video_map, audio_map = "0:v:0", "1:a:0"
        next_input = 2
    audio_filter = ["-af", LOUDNORM_FILTER]
    if not source_info.has_audio:
        args += ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
        audio_map = f"{next_input}:a:0"
        audio_filter = []
    filter_args, total = ["-vf", vf, *audio_filter], duration
    if req.brand is not None and req.brand.active:
        # Logo and title cards need a filter graph; the clip's own chain goes inside it.
        graph = branded_graph(
            req.brand, args, source=str(req.source), video_in=video_map, audio_in=audio_map,
            video_chain=vf, audio_chain=audio_filter[1] if audio_filter else None,
            size=(out_w, out_h), fps=source_info.fps or AUDIO_ONLY_FPS, duration=duration,
            fonts=fonts or fonts_dir(), escape=escape_filter_value,
        )  # fmt: skip
        args, filter_args, total = graph.inputs, graph.filter_args, graph.total
        video_map, audio_map = graph.video_map, graph.audio_map
    keyframe_args = ["-force_key_frames", ",".join(_fmt(t) for t in keyframes)] if keyframes else []
    args += [
        "-t", _fmt(total),
        "-map", video_map,
        "-map", audio_map,
        *filter_args,
        "-c:v", "libx264",
        "-preset", quality.x264_preset,
        "-crf", str(quality.crf),
        "-pix_fmt", "yuv420p",
        *keyframe_args,
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


def frame_score(gray: npt.NDArray[np.generic]) -> float:
    """How crisp and contrasty a (downscaled, grayscale) frame is: the variance of its
    Laplacian (edges, focus) plus its standard deviation (contrast). Blank, dark or
    blurred frames score low."""
    img = np.asarray(gray, dtype=np.float32)
    if img.ndim != 2 or img.shape[0] < 3 or img.shape[1] < 3:
        return 0.0
    lap = img[:-2, 1:-1] + img[2:, 1:-1] + img[1:-1, :-2] + img[1:-1, 2:] - 4 * img[1:-1, 1:-1]
    return float(lap.var()) + float(img.std())


def pick_thumbnail_time(video: Path, candidates: Sequence[float]) -> float:
    """The candidate time whose frame scores highest (`frame_score`), decoded small.

    Each candidate is reached by a seek; when the export forced key frames at the
    candidates that costs one frame decode each. Falls back to the first candidate.
    """
    if not candidates:
        return 0.0
    best_t, best_score = candidates[0], -1.0
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        tb = stream.time_base
        for t in candidates:
            if tb is None:
                break
            container.seek(int(t / tb), stream=stream, backward=True)
            for n, frame in enumerate(container.decode(stream)):
                if (frame.time is not None and frame.time + 0.02 >= t) or n >= 60:
                    height = max(2, round(_SCORE_WIDTH * frame.height / frame.width / 2) * 2)
                    small = frame.reformat(width=_SCORE_WIDTH, height=height, format="gray")
                    score = frame_score(small.to_ndarray())
                    if score > best_score:
                        best_t, best_score = t, score
                    break
    return best_t


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
    """Render `req` into `work_dir` (clip.mp4, thumbnail.jpg, captions.srt/.vtt/.ass).

    The clip end is clamped to the source duration. The MP4 is written under a temporary
    name and renamed when complete, so a crash never leaves a plausible half-file.
    """
    aspect = parse_aspect_ratio(req.aspect_ratio)
    style = req.custom_style or get_caption_style(req.caption_style)
    quality = get_quality_preset(req.quality)
    reframe = parse_reframe(req.reframe)
    if req.start < 0 or req.end <= req.start:
        raise ValueError(f"Invalid clip range {req.start:.3f}–{req.end:.3f} s.")
    info = await asyncio.to_thread(probe_media, req.source)
    end = min(req.end, info.duration)
    if end - req.start <= 0.05:
        raise ValueError(
            f"The clip starts at {req.start:.1f} s but the source is only "
            f"{info.duration:.1f} s long."
        )
    req = dataclasses.replace(
        req, end=end, aspect_ratio=aspect.value, caption_style=style.name, quality=quality.name
    )
    out_w, out_h = output_size(aspect, quality)
    work_dir.mkdir(parents=True, exist_ok=True)
    video = work_dir / "clip.mp4"
    partial = work_dir / "clip.part.mp4"
    thumb = work_dir / "thumbnail.jpg"
    srt = work_dir / "captions.srt"
    vtt = work_dir / "captions.vtt"
    ass = work_dir / "captions.ass"
    fonts = fonts_dir_with(style.font_file, work_dir / "fonts") if style.font_file else None
    lead = 0.0
    if req.brand is not None and req.brand.active:
        brand = write_title_cards(req.brand, work_dir, out_w, out_h)
        req, lead = dataclasses.replace(req, brand=brand), brand.lead_seconds

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
    # Subtitle files follow the output's clock, which an intro card shifts.
    cues = [
        dataclasses.replace(c, start=c.start + lead, end=c.end + lead)
        for c in clip_cues(req.words, req.start, req.end)
    ]
    srt.write_text(to_srt(cues), encoding="utf-8")
    vtt.write_text(to_vtt(cues), encoding="utf-8")

    duration = req.end - req.start
    candidates = [lead + t for t in thumbnail_candidates(duration)]
    total = req.brand.total_seconds(duration) if req.brand is not None else duration

    async def analysis_progress(fraction: float) -> None:
        if on_progress is not None:
            await on_progress(fraction * _ANALYSIS_SHARE)

    async def encode_progress(fraction: float) -> None:
        if on_progress is not None:
            await on_progress(_ANALYSIS_SHARE + fraction * (_ENCODE_SHARE - _ANALYSIS_SHARE))

    crop: CropPlan | None = None
    if reframe is Reframe.FACE and info.has_video and info.width and info.height:
        crop = await plan_reframe(
            req.source, info.width, info.height, req.start, duration, aspect, work_dir,
            on_progress=analysis_progress, timeout=timeout,
        )  # fmt: skip

    logger.info(
        "rendering %s [%.2f-%.2f] as %s/%s/%s",
        req.source,
        req.start,
        req.end,
        aspect,
        style.name,
        quality.name,
    )
    try:
        await run_ffmpeg(
            build_export_args(
                req, info, ass, partial, fonts=fonts, keyframes=candidates, crop=crop
            ),
            duration=total,
            on_progress=encode_progress,
            timeout=timeout,
        )
        partial.replace(video)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
    at = await asyncio.to_thread(pick_thumbnail_time, video, candidates)
    await run_ffmpeg(thumbnail_args(video, at, thumb), timeout=timeout)
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
        vtt=vtt,
        thumbnail_time=at,
    )
