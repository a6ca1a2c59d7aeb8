"""Probe and validate an uploaded media file with PyAV.

Import calls this before storing anything, so a bad upload fails fast with a sentence the
user can act on instead of a cryptic ffmpeg error three stages later. Besides reading the
header it decodes a little audio (and the first video frame) because truncated or garbage
files often have a plausible header.

With `MediaLimits`, files that are too long, have frames too large or carry too many streams
are refused from their headers alone, before any frame of them is decoded by us; the frame
size limit is also handed to ffmpeg's decoders while the header is read, so a "decompression
bomb" (a tiny file that declares an enormous frame) is never allocated.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error

logger = logging.getLogger(__name__)

#: Packets to read while looking for a decodable audio frame / first video frame.
_MAX_PROBE_PACKETS = 400

_UNREADABLE = (
    "The file could not be read as video or audio (it may be corrupt or not a media file)."
)


@dataclass(frozen=True, slots=True)
class MediaLimits:
    """What a file may declare in its header; anything beyond is refused before decoding."""

    max_duration_seconds: float
    #: Width × height of the largest video frame (8K is 7680 × 4320).
    max_pixels: int
    #: Streams of any kind (video, audio, subtitles, data) in the container.
    max_streams: int


class MediaError(Exception):
    """A media file ClipForge cannot use. str() is a user-facing sentence; `reason` a code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class MediaInfo:
    duration: float
    format_name: str
    has_audio: bool
    has_video: bool
    width: int | None
    height: int | None
    fps: float | None
    video_codec: str | None
    audio_codec: str | None
    audio_streams: int
    video_streams: int
    #: Display rotation of the video in degrees (phone footage); width/height already
    #: account for it, matching the frames ffmpeg's autorotation hands to filters.
    rotation: int = 0


def _is_cover_art(stream: Any) -> bool:
    """Embedded album art is a 'video' stream of one picture; it is not video for us."""
    try:
        return bool(stream.disposition & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError):
        return False


def _duration(container: Any, streams: list[Any]) -> float:
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / av.time_base
    best = 0.0
    for s in streams:
        if s.duration is not None and s.time_base is not None:
            best = max(best, float(s.duration * s.time_base))
    return best


def _check_decodes(container: Any, audio: Any, video: Any | None) -> int:
    """Decode until we have one audio frame and (if any) one video frame, or give up.

    Returns the first video frame's display rotation in degrees (0 without video).
    """
    got_audio = False
    got_video = video is None
    rotation = 0
    streams = [audio] if video is None else [audio, video]
    for n, packet in enumerate(container.demux(streams)):
        if n >= _MAX_PROBE_PACKETS:
            break
        for frame in packet.decode():
            if packet.stream.index == audio.index and frame is not None:
                got_audio = True
            elif video is not None and packet.stream.index == video.index and not got_video:
                got_video = True
                rotation = round(float(getattr(frame, "rotation", 0) or 0)) % 360
        if got_audio and got_video:
            return rotation
    if not got_audio:
        raise MediaError(
            "The audio track could not be decoded (the file may be truncated or corrupt).",
            reason="undecodable",
        )
    raise MediaError(
        "The video track could not be decoded (the file may be truncated or corrupt).",
        reason="undecodable",
    )


#: Names people know for common frame-size limits.
_FRAME_NAMES = {
    7680 * 4320: "8K (7680×4320)",
    3840 * 2160: "4K (3840×2160)",
    2560 * 1440: "1440p (2560×1440)",
    1920 * 1080: "1080p (1920×1080)",
    1280 * 720: "720p (1280×720)",
}


def _hms(seconds: float, *, exact: bool = False) -> str:
    """'5 h 12 min', '3 min 20 s', '4.5 s'; `exact` keeps the seconds of long durations."""
    if seconds < 60:
        text = f"{seconds:.1f}".rstrip("0").rstrip(".")
        return f"{text} s"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} h")
    if minutes:
        parts.append(f"{minutes} min")
    if secs and (exact or not hours):
        parts.append(f"{secs} s")
    return " ".join(parts)


def format_duration(seconds: float, limit: float) -> tuple[str, str]:
    """`seconds` and `limit` in words, never the same words for different values."""
    shown, allowed = _hms(seconds), _hms(limit)
    if shown == allowed:
        shown, allowed = _hms(seconds, exact=True), _hms(limit, exact=True)
    return shown, allowed


def _frame_limit_name(max_pixels: int) -> str:
    return _FRAME_NAMES.get(max_pixels, f"{max_pixels:,} pixels per frame")


def _check_limits(
    container: Any, video_streams: list[Any], duration: float, limits: MediaLimits
) -> None:
    """Refuse from the header alone: nothing has been decoded by us when this runs."""
    streams = len(container.streams)
    if streams > limits.max_streams:
        raise MediaError(
            f"The file has {streams} streams; at most {limits.max_streams} are supported.",
            reason="too_many_streams",
        )
    for stream in video_streams:
        width = int(stream.codec_context.width or 0)
        height = int(stream.codec_context.height or 0)
        if width * height > limits.max_pixels:
            raise MediaError(
                f"The video frame is {width}×{height} pixels; the largest supported is "
                f"{_frame_limit_name(limits.max_pixels)}.",
                reason="too_large_frame",
            )
    if duration > limits.max_duration_seconds:
        shown, allowed = format_duration(duration, limits.max_duration_seconds)
        what = "video" if video_streams else "recording"
        raise MediaError(f"The {what} is {shown} long; the limit is {allowed}.", reason="too_long")


#: Reading a header makes ffmpeg open each stream's decoder and decode a few frames to fill
#: in missing parameters. With no codec allowed, it gets the parameters from the container
#: and the parsers alone, so nothing is decoded (or allocated) while the limits are checked.
_NO_DECODERS = {"codec_whitelist": "none"}


def _check_header(path: Path, limits: MediaLimits) -> None:
    """Check `limits` against what the header declares, with every decoder disabled."""
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore", options=_NO_DECODERS)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError):
        return  # the real open below says why, in the same words as without limits
    try:
        streams = list(container.streams.audio)
        video = [s for s in container.streams.video if not _is_cover_art(s)]
        _check_limits(container, video, _duration(container, streams + video), limits)
    finally:
        container.close()


def probe_media(path: Path, *, limits: MediaLimits | None = None) -> MediaInfo:
    """Read `path`'s streams and prove it is usable, or raise MediaError saying why.

    With `limits`, a file beyond them is refused from its header, before any decoding.
    Synchronous (PyAV blocks); async callers should use `asyncio.to_thread`.
    """
    if not path.is_file():
        raise MediaError("The file does not exist.", reason="missing")
    if path.stat().st_size == 0:
        raise MediaError("The file is empty.", reason="empty")
    # Then open for real. Decoders get the frame-size limit as well, so a frame larger than
    # the header declared is refused by ffmpeg instead of allocated.
    options: dict[str, str] | None = None
    if limits is not None:
        _check_header(path, limits)
        options = {"max_pixels": str(limits.max_pixels)}
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore", options=options)
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        logger.info("unreadable media %s: %s", path, exc)
        raise MediaError(_UNREADABLE, reason="unreadable") from exc
    try:
        audio_streams = list(container.streams.audio)
        video_streams = [s for s in container.streams.video if not _is_cover_art(s)]
        if not audio_streams and not video_streams:
            raise MediaError(_UNREADABLE, reason="unreadable")
        duration = _duration(container, audio_streams + video_streams)
        if limits is not None:
            _check_limits(container, video_streams, duration, limits)
        if not audio_streams:
            raise MediaError(
                "The file has no audio track, so there is nothing to transcribe.",
                reason="no_audio",
            )
        if duration <= 0:
            raise MediaError("The media has zero duration.", reason="zero_duration")
        audio = audio_streams[0]
        video = video_streams[0] if video_streams else None
        try:
            rotation = _check_decodes(container, audio, video)
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            logger.info("undecodable media %s: %s", path, exc)
            raise MediaError(
                "The file could not be decoded (it may be truncated or corrupt).",
                reason="undecodable",
            ) from exc
        fps: float | None = None
        width = height = None
        video_codec = None
        if video is not None:
            rate = video.average_rate or video.guessed_rate
            fps = float(rate) if rate else None
            width = int(video.codec_context.width) or None
            height = int(video.codec_context.height) or None
            video_codec = str(video.codec_context.name)
            if rotation % 180 == 90:
                width, height = height, width
        return MediaInfo(
            duration=duration,
            format_name=str(container.format.name),
            has_audio=True,
            has_video=video is not None,
            width=width,
            height=height,
            fps=fps,
            video_codec=video_codec,
            audio_codec=str(audio.codec_context.name),
            audio_streams=len(audio_streams),
            video_streams=len(video_streams),
            rotation=rotation,
        )
    finally:
        container.close()
