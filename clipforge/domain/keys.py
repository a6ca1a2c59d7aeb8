"""Storage keys. Always built from ids the service generated, never from user file names."""

from __future__ import annotations


def original_key(video_id: str) -> str:
    return f"videos/{video_id}/original"


def audio_key(video_id: str) -> str:
    return f"videos/{video_id}/audio.wav"


def poster_key(video_id: str) -> str:
    """A small still of the source, for the library."""
    return f"videos/{video_id}/poster.jpg"


def video_prefix(video_id: str) -> str:
    return f"videos/{video_id}/"


def export_video_key(export_id: str) -> str:
    return f"exports/{export_id}/clip.mp4"


def export_thumbnail_key(export_id: str) -> str:
    return f"exports/{export_id}/thumbnail.jpg"


def export_srt_key(export_id: str) -> str:
    return f"exports/{export_id}/captions.srt"


def export_vtt_key(export_id: str) -> str:
    return f"exports/{export_id}/captions.vtt"
