"""Clip export end to end: real ffmpeg renders, checked with PyAV."""

from __future__ import annotations

import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from clipforge.domain.framing import centre_crop
from clipforge.domain.transcript import Word
from clipforge.media import export as export_mod
from clipforge.media.export import ExportRequest, build_export_args, render_clip
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.media.probe import MediaError, MediaInfo, probe_media

WORDS = [
    Word(" Hello", 2.2, 2.6, 0.9),
    Word(" brave", 2.7, 3.0, 0.9),
    Word(" new", 3.05, 3.3, 0.9),
    Word(" world.", 3.35, 3.9, 0.9),
    Word(" Captions", 4.3, 4.9, 0.9),
    Word(" everywhere", 5.0, 5.8, 0.9),
    Word(" {now}", 6.5, 7.5, 0.9),  # starts inside, ends after the clip
]


def make(path: Path, *args: str) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(path)], check=True
    )
    return path


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(
        tmp_path_factory.mktemp("src") / "source.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=1280x720:r=25:d=8",
        "-f", "lavfi", "-i", "sine=f=440:d=8:sample_rate=44100",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "64k", "-shortest",
    )  # fmt: skip


@pytest.fixture(scope="module")
def audio_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(
        tmp_path_factory.mktemp("src") / "talk.m4a",
        "-f", "lavfi", "-i", "sine=f=220:d=8", "-c:a", "aac", "-b:a", "48k",
    )  # fmt: skip


def frame_at(video: Path, t: float) -> np.ndarray:
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= t:
                return frame.to_ndarray(format="gray")
    raise AssertionError(f"no frame at {t}s")


def test_build_export_args_shape(source: Path, tmp_path: Path) -> None:
    info = probe_media(source)
    req = ExportRequest(source, 2.0, 6.0, WORDS, "9:16", "karaoke")
    args = build_export_args(req, info, tmp_path / "c.ass", tmp_path / "o.mp4")
    assert args.index("-ss") < args.index("-i")
    assert args[args.index("-ss") + 1] == "2.000"
    assert args[args.index("-t") + 1] == "4.000"
    vf = args[args.index("-vf") + 1]
    box = centre_crop(1280, 720, "9:16")
    assert vf.startswith(f"crop={box.w}:{box.h}:{box.x}:{box.y},scale=1080:1920")
    assert "ass=filename=" in vf and ":fontsdir=" in vf
    for flag, value in [("-c:v", "libx264"), ("-preset", "veryfast"), ("-crf", "23"),
                        ("-pix_fmt", "yuv420p"), ("-c:a", "aac"), ("-b:a", "128k"),
                        ("-movflags", "+faststart")]:  # fmt: skip
        assert args[args.index(flag) + 1] == value
    assert args[-1] == str(tmp_path / "o.mp4")


def test_build_export_args_audio_only_uses_colour_background(tmp_path: Path) -> None:
    info = MediaInfo(10.0, "mov,mp4", True, False, None, None, None, None, "aac", 1, 0)
    req = ExportRequest(tmp_path / "a.m4a", 1.0, 3.5, WORDS, "1:1", "minimal")
    args = build_export_args(req, info, tmp_path / "c.ass", tmp_path / "o.mp4")
    assert args[:3] == ["-f", "lavfi", "-i"]
    assert "s=1080x1080" in args[3]
    assert args[args.index("1:a:0") - 1 : args.index("1:a:0") + 1] == ["-map", "1:a:0"]


def test_filter_paths_with_special_characters_are_escaped() -> None:
    escaped = export_mod.escape_filter_value("/tmp/a b,c:[d]'e;f")
    for ch in ",:[];'":
        assert f"{ch}" not in escaped.replace(f"\\{ch}", "")


@pytest.mark.slow
@pytest.mark.parametrize(("aspect", "size"), [("9:16", (1080, 1920)), ("1:1", (1080, 1080))])
async def test_render_clip(
    source: Path, tmp_path: Path, aspect: str, size: tuple[int, int]
) -> None:
    # A work folder whose name would break an unescaped filtergraph.
    work = tmp_path / "out, [x]'s: clip"
    seen: list[float] = []

    async def progress(f: float) -> None:
        seen.append(f)

    result = await render_clip(
        ExportRequest(source, 2.0, 6.0, WORDS, aspect, "karaoke"), work, on_progress=progress
    )
    info = probe_media(result.video)
    assert (info.width, info.height) == size == (result.width, result.height)
    assert info.has_audio and info.audio_codec == "aac" and info.video_codec == "h264"
    assert abs(info.duration - 4.0) <= 0.1
    with av.open(str(result.video)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == "yuv420p"
    assert result.thumbnail.read_bytes()[:3] == b"\xff\xd8\xff"  # JPEG magic
    with av.open(str(result.thumbnail)) as c:
        thumb = next(c.decode(video=0))
        assert (thumb.width, thumb.height) == size
    srt = result.srt.read_text()
    assert "00:00:00,200 --> " in srt  # 'Hello' at 2.2 s is 0.2 s into the clip
    for word in ("Hello", "brave", "world.", "everywhere"):
        assert word in srt
    ass = result.ass.read_text()
    assert "{\\c&H" in ass and "{\\r}" in ass
    assert f"PlayResX: {size[0]}\nPlayResY: {size[1]}" in ass
    assert "{now}" not in ass  # escaped
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert not list(work.glob("*.part.mp4"))


@pytest.mark.slow
async def test_rotated_phone_video_is_cropped_in_display_orientation(
    source: Path, tmp_path: Path
) -> None:
    rotated = make(
        tmp_path / "phone.mp4", "-display_rotation", "90", "-i", str(source), "-c", "copy"
    )
    result = await render_clip(
        ExportRequest(rotated, 1.0, 2.0, WORDS, "16:9", "minimal"), tmp_path / "w"
    )
    info = probe_media(result.video)
    assert (info.width, info.height) == (1920, 1080)
    assert abs(info.duration - 1.0) <= 0.1


@pytest.mark.slow
async def test_audio_only_source_exports(audio_source: Path, tmp_path: Path) -> None:
    result = await render_clip(
        ExportRequest(audio_source, 1.0, 4.0, WORDS, "4:5", "bold"), tmp_path / "w"
    )
    info = probe_media(result.video)
    assert (info.width, info.height) == (1080, 1350)
    assert info.has_audio and info.has_video
    assert abs(info.duration - 3.0) <= 0.1
    assert result.thumbnail.stat().st_size > 0


@pytest.mark.slow
async def test_captions_render_with_no_system_fonts(
    audio_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With fontconfig seeing no fonts at all, the bundled font still draws captions."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><fontconfig>'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir></fontconfig>"
    )
    monkeypatch.setenv("FONTCONFIG_FILE", str(conf))
    req = ExportRequest(audio_source, 2.0, 4.0, WORDS, "1:1", "karaoke")
    with_font = await render_clip(req, tmp_path / "with")
    lit = int((frame_at(with_font.video, 0.5) > 128).sum())
    assert lit > 500, "caption text should be drawn over the dark background"

    # Control: the same render with an empty fonts folder draws nothing, which proves the
    # check above depends on the bundled font.
    empty = tmp_path / "nofonts"
    empty.mkdir()
    monkeypatch.setattr(export_mod, "fonts_dir", lambda: empty)
    without = await render_clip(req, tmp_path / "without")
    assert int((frame_at(without.video, 0.5) > 128).sum()) < lit // 10


async def test_render_rejects_bad_requests(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="valid aspect ratios"):
        await render_clip(ExportRequest(source, 0, 2, WORDS, "3:2", "karaoke"), tmp_path)
    with pytest.raises(ValueError, match="valid caption styles"):
        await render_clip(ExportRequest(source, 0, 2, WORDS, "9:16", "fancy"), tmp_path)
    with pytest.raises(ValueError, match="Invalid clip range"):
        await render_clip(ExportRequest(source, 3, 2, WORDS, "9:16", "karaoke"), tmp_path)
    with pytest.raises(ValueError, match="only"):
        await render_clip(ExportRequest(source, 9, 12, WORDS, "9:16", "karaoke"), tmp_path)
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    with pytest.raises(MediaError):
        await render_clip(ExportRequest(junk, 0, 2, WORDS, "9:16", "karaoke"), tmp_path)
    assert not (tmp_path / "clip.mp4").exists()
