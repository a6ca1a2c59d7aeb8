"""Probe and validate an uploaded media file with PyAV.

Import calls this before storing anything, so a bad upload fails fast with a sentence the
user can act on instead of a cryptic ffmpeg error three stages later. Besides reading the
header it decodes a little audio (and the first video frame) because truncated or garbage
files often have a plausible header.
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


def probe_media(path: Path) -> MediaInfo:
    """Read `path`'s streams and prove it is usable, or raise MediaError saying why.

    Synchronous (PyAV blocks); async callers should use `asyncio.to_thread`.
    """
    if not path.is_file():
        raise MediaError("The file does not exist.", reason="missing")
    if path.stat().st_size == 0:
        raise MediaError("The file is empty.", reason="empty")
    try:
        container = av.open(str(path), mode="r", metadata_errors="ignore")
    except (av.error.FFmpegError, OSError, ValueError, UnicodeDecodeError) as exc:
        logger.info("unreadable media %s: %s", path, exc)
        raise MediaError(_UNREADABLE, reason="unreadable") from exc
    try:
        audio_streams = list(container.streams.audio)
        video_streams = [s for s in container.streams.video if not _is_cover_art(s)]
        if not audio_streams and not video_streams:
            raise MediaError(_UNREADABLE, reason="unreadable")
        if not audio_streams:
            raise MediaError(
                "The file has no audio track, so there is nothing to transcribe.",
                reason="no_audio",
            )
        duration = _duration(container, audio_streams + video_streams)
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
