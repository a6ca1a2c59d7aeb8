"""Probe, audio extraction and the ffmpeg runner, against real files made with ffmpeg."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from clipforge.media.audio import extract_audio
from clipforge.media.ffmpeg import FFmpegError, FFmpegTimeout, ffmpeg_exe, reap, run_ffmpeg
from clipforge.media.probe import MediaError, probe_media


def make(path: Path, *args: str) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(path)], check=True
    )
    return path


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def good_mp4(media_dir: Path) -> Path:
    return make(
        media_dir / "good.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
        "-f", "lavfi", "-i", "sine=f=440:d=3:sample_rate=44100",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="module")
def video_only(media_dir: Path) -> Path:
    return make(
        media_dir / "silent.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
    )  # fmt: skip


def test_probe_good_file(good_mp4: Path) -> None:
    info = probe_media(good_mp4)
    assert info.has_audio and info.has_video
    assert (info.width, info.height) == (320, 240)
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(3.0, abs=0.15)
    assert info.video_codec == "h264" and info.audio_codec == "aac"
    assert info.audio_streams == 1 and info.video_streams == 1
    assert "mp4" in info.format_name


def test_probe_reports_display_size_of_rotated_video(good_mp4: Path, tmp_path: Path) -> None:
    """Phone footage is stored landscape with a rotation flag; crops must use display size."""
    rotated = make(
        tmp_path / "rot.mp4", "-display_rotation", "90", "-i", str(good_mp4), "-c", "copy"
    )
    info = probe_media(rotated)
    assert info.rotation in (90, 270)
    assert (info.width, info.height) == (240, 320)


def test_probe_audio_only(media_dir: Path) -> None:
    wav = make(media_dir / "tone.wav", "-f", "lavfi", "-i", "sine=d=1")
    info = probe_media(wav)
    assert info.has_audio and not info.has_video
    assert info.width is None and info.fps is None and info.video_streams == 0
    assert info.duration == pytest.approx(1.0, abs=0.05)


def test_zero_byte_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "empty.mp4"
    path.touch()
    with pytest.raises(MediaError) as err:
        probe_media(path)
    assert err.value.reason == "empty"
    assert str(err.value) == "The file is empty."


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError) as err:
        probe_media(tmp_path / "nope.mp4")
    assert err.value.reason == "missing"


def test_text_renamed_mp4_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("these are my meeting notes, not a video\n" * 50)
    with pytest.raises(MediaError) as err:
        probe_media(path)
    assert err.value.reason == "unreadable"
    assert "could not be read as video or audio" in str(err.value)


@pytest.mark.parametrize("keep", [0.5, 0.02])
def test_truncated_file_is_rejected(good_mp4: Path, tmp_path: Path, keep: float) -> None:
    data = good_mp4.read_bytes()
    path = tmp_path / "cut.mp4"
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(MediaError) as err:
        probe_media(path)
    assert err.value.reason in {"unreadable", "undecodable"}


def test_truncated_faststart_file_whose_data_is_gone(good_mp4: Path, tmp_path: Path) -> None:
    """Header intact but the media data cut off: only a decode attempt catches this."""
    fast = make(tmp_path / "fast.mp4", "-i", str(good_mp4), "-c", "copy", "-movflags", "+faststart")
    data = fast.read_bytes()
    moov_end = data.index(b"mdat") - 4
    path = tmp_path / "header_only.mp4"
    path.write_bytes(data[: moov_end + 16])
    with pytest.raises(MediaError) as err:
        probe_media(path)
    assert err.value.reason == "undecodable"
    assert "truncated or corrupt" in str(err.value)


def test_video_without_audio_says_so(video_only: Path) -> None:
    with pytest.raises(MediaError) as err:
        probe_media(video_only)
    assert err.value.reason == "no_audio"
    assert str(err.value) == "The file has no audio track, so there is nothing to transcribe."


async def test_extract_audio_is_16k_mono_pcm(good_mp4: Path, tmp_path: Path) -> None:
    dest = tmp_path / "sub" / "audio.wav"
    seen: list[float] = []

    async def progress(f: float) -> None:
        seen.append(f)

    await extract_audio(good_mp4, dest, duration=3.0, on_progress=progress)
    with wave.open(str(dest)) as w:
        assert w.getframerate() == 16000
        assert w.getnchannels() == 1
        assert w.getsampwidth() == 2
        assert w.getnframes() / 16000 == pytest.approx(3.0, abs=0.1)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert not list(dest.parent.glob("*.part"))


async def test_extract_audio_never_writes_more_than_max_seconds(
    good_mp4: Path, tmp_path: Path
) -> None:
    # A file whose header under-states its length must not yield hours of audio.
    dest = tmp_path / "capped.wav"
    await extract_audio(good_mp4, dest, max_seconds=1.5)
    with wave.open(str(dest)) as w:
        assert w.getnframes() / 16000 == pytest.approx(1.5, abs=0.05)


async def test_extract_audio_from_silent_video_fails_without_leftovers(
    video_only: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "audio.wav"
    with pytest.raises(FFmpegError) as err:
        await extract_audio(video_only, dest)
    assert err.value.stderr  # ffmpeg said why
    assert not dest.exists() and not list(tmp_path.glob("*.part"))


async def test_ffmpeg_error_carries_stderr(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError) as err:
        await run_ffmpeg(["-i", str(tmp_path / "does-not-exist.mp4"), str(tmp_path / "o.mp4")])
    assert err.value.returncode not in (0, None)
    assert "does-not-exist.mp4" in err.value.stderr
    assert "No such file" in err.value.stderr
    assert "exit code" in str(err.value)


async def test_progress_fractions_rise_to_one(tmp_path: Path) -> None:
    seen: list[float] = []

    async def progress(f: float) -> None:
        seen.append(f)

    await run_ffmpeg(
        ["-f", "lavfi", "-i", "sine=d=2", "-f", "null", "-"], duration=2.0, on_progress=progress
    )
    assert seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen) and seen == sorted(seen)


def _alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def _ffmpeg_pids() -> set[int]:
    exe = os.path.realpath(ffmpeg_exe())
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.path.realpath(f"/proc/{entry}/exe") == exe and _alive(int(entry)):
                    pids.add(int(entry))
            except OSError:
                continue
    return pids


# An endless real-time source: ffmpeg would run forever unless killed.
ENDLESS = ["-re", "-f", "lavfi", "-i", "sine", "-f", "null", "-"]


async def test_timeout_kills_ffmpeg() -> None:
    before = await _ffmpeg_pids()
    started = time.monotonic()
    with pytest.raises(FFmpegTimeout) as err:
        await run_ffmpeg(ENDLESS, timeout=1.0)
    assert time.monotonic() - started < 5
    assert "timed out" in str(err.value)
    assert await _ffmpeg_pids() <= before  # nothing left running or as a zombie


async def test_cancellation_kills_ffmpeg() -> None:
    before = await _ffmpeg_pids()
    task = asyncio.create_task(run_ffmpeg(ENDLESS))
    await asyncio.sleep(0.8)
    assert await _ffmpeg_pids() - before, "ffmpeg should be running"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _ffmpeg_pids() <= before


async def test_missing_binary_is_ffmpeg_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLIPFORGE_FFMPEG", "/nonexistent/ffmpeg")
    assert ffmpeg_exe() == "/nonexistent/ffmpeg"
    with pytest.raises(FFmpegError, match="could not be started"):
        await run_ffmpeg(["-version"])


async def test_reaping_a_child_whose_unread_output_filled_the_pipe_returns() -> None:
    # A reader stopped early (a frame failed analysis) leaves stdout full and its reading
    # paused; asyncio reports the exit only once every pipe closes, so waiting for the
    # killed child hung forever until reap read the rest away.
    writer = "import sys, time; sys.stdout.buffer.write(b'x' * 4_000_000); time.sleep(60)"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", writer,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        limit=1,  # the reader pauses as soon as more than two bytes wait in its buffer
    )  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    await proc.stdout.readexactly(1)  # data arrived, the rest stays unread: reading paused
    reader = asyncio.create_task(proc.stderr.read())
    async with asyncio.timeout(30):  # the failure this guards against is waiting forever
        await reap(proc, reader)
    assert proc.returncode is not None and proc.returncode < 0  # killed
    assert reader.done()
