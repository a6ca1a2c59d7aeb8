"""Clip export end to end: real ffmpeg renders, checked with PyAV."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from clipforge.domain.captions import CaptionStyle
from clipforge.domain.framing import centre_crop, parse_aspect_ratio
from clipforge.domain.transcript import Word
from clipforge.media import export as export_mod
from clipforge.media.export import ExportRequest, build_export_args, render_clip
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.media.fonts import default_font_path
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


# --- export studio: loudness, quality presets, VTT, thumbnail, styles ---------------------


def integrated_loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of `path`'s audio, measured by ffmpeg's ebur128 filter."""
    proc = subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
         "-af", "ebur128", "-f", "null", "-"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    summary = proc.stderr[proc.stderr.rindex("Summary:") :]
    return float(summary.split("I:")[1].split("LUFS")[0])


@pytest.fixture(scope="module")
def quiet_noise_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small picture, pink noise far below the target loudness (about -35 LUFS)."""
    return make(
        tmp_path_factory.mktemp("src") / "quiet.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=6",
        "-f", "lavfi", "-i", "anoisesrc=color=pink:amplitude=0.02:d=6:sample_rate=48000",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", "96k", "-shortest",
    )  # fmt: skip


def test_quality_presets_and_lookup() -> None:
    assert set(export_mod.QUALITY_PRESETS) == {"draft", "standard", "high"}
    assert export_mod.get_quality_preset("Draft").short_side == 720
    std, high = export_mod.QUALITY_PRESETS["standard"], export_mod.QUALITY_PRESETS["high"]
    assert (std.x264_preset, std.crf) == ("veryfast", 23) and high.crf < std.crf
    with pytest.raises(ValueError) as err:
        export_mod.get_quality_preset("ultra")
    assert all(n in str(err.value) for n in ("draft", "standard", "high"))
    draft = export_mod.QUALITY_PRESETS["draft"]
    assert export_mod.output_size(parse_aspect_ratio("9:16"), draft) == (720, 1280)
    assert export_mod.output_size(parse_aspect_ratio("4:5"), draft) == (720, 900)
    assert export_mod.output_size(parse_aspect_ratio("16:9"), std) == (1920, 1080)


def test_export_args_carry_loudnorm_keyframes_and_draft_settings(
    source: Path, tmp_path: Path
) -> None:
    info = probe_media(source)
    req = ExportRequest(source, 2.0, 6.0, WORDS, "9:16", "pop", quality="draft")
    args = build_export_args(
        req, info, tmp_path / "c.ass", tmp_path / "o.mp4", keyframes=[0.4, 2.0]
    )
    assert args[args.index("-af") + 1] == "loudnorm=I=-14:TP=-1.5:LRA=11"
    assert args[args.index("-preset") + 1] == "ultrafast"
    assert args[args.index("-crf") + 1] == "26"
    assert args[args.index("-force_key_frames") + 1] == "0.400,2.000"
    assert "scale=720:1280" in args[args.index("-vf") + 1]
    assert args[args.index("-movflags") + 1] == "+faststart"


def test_frame_score_prefers_detail_over_flat_frames() -> None:
    flat = np.full((90, 160), 128, dtype=np.uint8)
    rng = np.random.default_rng(0)
    detailed = rng.integers(0, 255, size=(90, 160), dtype=np.uint8)
    blurred = np.clip(flat + np.linspace(0, 40, 160), 0, 255).astype(np.uint8)
    assert export_mod.frame_score(detailed) > export_mod.frame_score(blurred)
    assert export_mod.frame_score(blurred) > export_mod.frame_score(flat) == 0.0
    assert export_mod.thumbnail_candidates(10.0) == [1.0, 3.0, 5.0, 7.0, 9.0]


@pytest.mark.slow
async def test_draft_export_normalises_loudness_and_writes_vtt(
    quiet_noise_source: Path, tmp_path: Path
) -> None:
    assert integrated_loudness(quiet_noise_source) < -25  # the input is far too quiet
    result = await render_clip(
        ExportRequest(quiet_noise_source, 0.5, 5.5, WORDS, "9:16", "boxed", quality="draft"),
        tmp_path / "w",
    )
    info = probe_media(result.video)
    assert (info.width, info.height) == (720, 1280) == (result.width, result.height)
    assert abs(integrated_loudness(result.video) - (-14.0)) <= 2.0
    assert result.vtt is not None and result.vtt.exists()
    vtt = result.vtt.read_text()
    assert vtt.startswith("WEBVTT\n\n")
    timing = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$", re.M)
    assert len(timing.findall(vtt)) == vtt.count("-->") >= 2
    assert "00:00:01.700 --> " in vtt  # 'Hello' at 2.2 s is 1.7 s into the clip
    # The thumbnail is a JPEG of the clip at one of the candidate times.
    assert result.thumbnail.read_bytes()[:3] == b"\xff\xd8\xff"
    assert result.thumbnail_time in export_mod.thumbnail_candidates(5.0)
    with av.open(str(result.thumbnail)) as c:
        thumb = next(c.decode(video=0))
        assert (thumb.width, thumb.height) == (720, 1280)


@pytest.mark.slow
async def test_thumbnail_is_the_sharpest_candidate(tmp_path: Path) -> None:
    """A clip that is blank except for a detailed stretch gets its thumbnail from there."""
    src = make(
        tmp_path / "mostly_blank.mp4",
        "-f", "lavfi", "-i", "color=c=gray:s=320x180:r=25:d=5",
        "-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=5",
        "-f", "lavfi", "-i", "sine=d=5",
        "-filter_complex", "[0][1]overlay=enable='between(t,2.2,2.8)'[v]",
        "-map", "[v]", "-map", "2:a", "-c:v", "libx264", "-preset", "ultrafast",
        "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
    )  # fmt: skip
    result = await render_clip(
        ExportRequest(src, 0.0, 5.0, [], "16:9", "minimal", quality="draft"), tmp_path / "w"
    )
    assert result.thumbnail_time == pytest.approx(2.5)  # candidates 0.5, 1.5, 2.5, 3.5, 4.5
    with av.open(str(result.thumbnail)) as c:
        gray = next(c.decode(video=0)).to_ndarray(format="gray")
    assert float(gray.std()) > 20  # the detailed test pattern, not the flat grey


@pytest.mark.slow
async def test_long_words_stay_inside_the_frame(audio_source: Path, tmp_path: Path) -> None:
    """Measured on the rendered frame: the 'fast' style's huge text shrinks to fit."""
    words = [Word(" Incomprehensibilities", 0.0, 2.0, 1.0)]
    result = await render_clip(
        ExportRequest(audio_source, 0.0, 2.0, words, "9:16", "fast", quality="draft"),
        tmp_path / "w",
    )
    gray = frame_at(result.video, 1.0)
    cols = np.where((gray > 100).any(axis=0))[0]
    assert cols.size > 0, "caption should be drawn"
    width = gray.shape[1]
    assert cols[0] >= 0.04 * width and cols[-1] <= 0.96 * width


@pytest.mark.slow
async def test_custom_style_with_font_file(audio_source: Path, tmp_path: Path) -> None:
    font = tmp_path / "fonts-elsewhere" / "MyFont.ttf"
    font.parent.mkdir()
    font.write_bytes(default_font_path().read_bytes())
    style = CaptionStyle(
        name="custom", font_file=str(font), position="top", margin_v=80,
        primary_colour="#FF0000", highlight=False, uppercase=True, lines_per_caption=2,
    )  # fmt: skip
    result = await render_clip(
        ExportRequest(audio_source, 2.0, 4.0, WORDS, "1:1", "karaoke", "draft", style),
        tmp_path / "w",
    )
    assert (result.width, result.height) == (720, 720)
    assert "Style: Default,Open Sans" in result.ass.read_text()
    assert (tmp_path / "w" / "fonts" / "MyFont.ttf").exists()
    with av.open(str(result.video)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time >= 0.5:
                rgb = frame.to_ndarray(format="rgb24")
                break
    red = (rgb[..., 0] > 180) & (rgb[..., 1] < 80)
    rows = np.where(red.any(axis=1))[0]
    assert rows.size > 0 and rows.max() < 720 // 2  # red text drawn in the top half
