"""Face-tracking reframes end to end: real ffmpeg renders of a source built from a real
portrait, checked by running the face detector on the exported frames."""

from __future__ import annotations

import functools
import subprocess
import sys
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from clipforge.domain.framing import AspectRatio, CropBox, centre_crop
from clipforge.domain.tracking import Keyframe
from clipforge.media import reframe
from clipforge.media.export import (
    ExportRequest,
    build_export_args,
    escape_filter_value,
    render_clip,
)
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.media.probe import probe_media

#: skimage.data.astronaut() (public domain), 256x256; its face box is about (86, 31, 52, 52).
PORTRAIT = Path(__file__).parent.parent / "fixtures" / "astronaut.jpg"
SRC_W, SRC_H = 1280, 720
#: The portrait is drawn at 448x448, so the face is ~91 px and its centre is (196, 100)
#: from the picture's corner.
FACE_SCALE = 448
FACE_CX, FACE_CY = round(112 * 448 / 256), round(57 * 448 / 256)
PIC_Y = 120
CUT = 4.2
DURATION = 7.0


def pic_x(t: float) -> float:
    """Where the portrait's left edge is at `t`: gliding right, then after a hard cut at
    CUT (new background) standing on the far left."""
    return 40 + 190 * t if t < CUT else 60


def make(path: Path, *args: str) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(path)], check=True
    )
    return path


@pytest.fixture(scope="module")
def talking_head(tmp_path_factory: pytest.TempPathFactory) -> Path:
    rest = DURATION - CUT
    overlay_x = f"if(lt(t\\,{CUT})\\,40+190*t\\,60)"
    return make(
        tmp_path_factory.mktemp("src") / "talk.mp4",
        "-f", "lavfi", "-i", f"color=c=0x203040:s={SRC_W}x{SRC_H}:r=25:d={CUT}",
        "-f", "lavfi", "-i", f"color=c=0xb0a080:s={SRC_W}x{SRC_H}:r=25:d={rest}",
        "-loop", "1", "-framerate", "25", "-i", str(PORTRAIT),
        "-f", "lavfi", "-i", f"sine=f=300:d={DURATION}",
        "-filter_complex",
        f"[0:v][1:v]concat=n=2[bg];[2:v]scale={FACE_SCALE}:{FACE_SCALE}[face];"
        f"[bg][face]overlay=x={overlay_x}:y={PIC_Y}:shortest=1[v]",
        "-map", "[v]", "-map", "3:a", "-t", str(DURATION),
        # An encoder puts a key frame at a scene change (x264 does unless told not to).
        "-force_key_frames", str(CUT),
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
    )  # fmt: skip


@pytest.fixture(scope="module")
def faceless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make(
        tmp_path_factory.mktemp("src") / "faceless.mp4",
        "-f", "lavfi", "-i", f"testsrc2=s={SRC_W}x{SRC_H}:r=25:d=2",
        "-f", "lavfi", "-i", "sine=f=300:d=2",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
        "-shortest",
    )  # fmt: skip


@functools.cache
def cascade() -> Any:
    import cv2

    return cv2.CascadeClassifier(
        str(Path(cv2.data.haarcascades) / "haarcascade_frontalface_default.xml")
    )


def detect(gray: np.ndarray[Any, Any]) -> list[tuple[int, int, int, int]]:
    # The face is ~80 px tall in a half-size 720x1280 frame; skip the far smaller scales.
    boxes = cascade().detectMultiScale(gray, 1.1, 5, minSize=(48, 48))
    return [(int(x), int(y), int(w), int(h)) for x, y, w, h in boxes]


def sampled_frames(video: Path, every: float) -> list[tuple[float, np.ndarray[Any, Any]]]:
    """(time, grey frame at half size) every `every` seconds of `video`."""
    out: list[tuple[float, np.ndarray[Any, Any]]] = []
    next_t = 0.0
    with av.open(str(video)) as c:
        for frame in c.decode(video=0):
            if frame.time is not None and frame.time + 1e-3 >= next_t:
                small = frame.reformat(width=frame.width // 2, height=frame.height // 2)
                out.append((frame.time, small.to_ndarray(format="gray")))
                next_t += every
    return out


@pytest.mark.slow
async def test_vertical_export_keeps_the_moving_face_in_every_frame(
    talking_head: Path, tmp_path: Path
) -> None:
    # A still centre crop could not do it: the face's centre travels from x=236 to ~1030
    # and then jumps back to 256, while a 9:16 crop of 1280x720 is 404 px wide.
    box = centre_crop(SRC_W, SRC_H, "9:16")
    face_xs = [pic_x(t / 10) + FACE_CX for t in range(int(DURATION * 10))]
    assert min(face_xs) < box.x and max(face_xs) > box.x + box.w

    # A work folder whose name would break an unescaped filtergraph (the command file is
    # written there).
    work = tmp_path / "out, [x]'s: clip;y"
    result = await render_clip(
        ExportRequest(talking_head, 0.0, DURATION, [], "9:16", "minimal", quality="draft"), work
    )
    assert (result.width, result.height) == (720, 1280)
    assert "crop@reframe x" in (work / "reframe.cmd").read_text()

    frames = sampled_frames(result.video, 0.2)
    assert len(frames) >= DURATION / 0.2 - 1
    # Include the frames right after the cut: the crop must already be on the new face.
    assert any(CUT <= t < CUT + 0.2 for t, _ in frames)
    for t, gray in frames:
        faces = detect(gray)
        assert faces, f"no face in the exported frame at {t:.2f} s"
        h, w = gray.shape
        x, y, fw, fh = max(faces, key=lambda b: b[2] * b[3])
        # Whole face inside the frame, and kept away from the side edges.
        assert x > 0 and x + fw < w and y > 0 and y + fh < h, (t, faces)
        assert 0.15 * w < x + fw / 2 < 0.85 * w, (t, faces)


@pytest.mark.slow
async def test_source_without_a_face_falls_back_to_the_centre(
    faceless: Path, tmp_path: Path
) -> None:
    plan = await reframe.plan_reframe(
        faceless, SRC_W, SRC_H, 0.0, 2.0, AspectRatio.VERTICAL, tmp_path / "plan"
    )
    assert plan.box == centre_crop(SRC_W, SRC_H, "9:16") and plan.commands is None
    result = await render_clip(
        ExportRequest(faceless, 0.5, 1.5, [], "9:16", "minimal", quality="draft"), tmp_path / "w"
    )
    assert (result.width, result.height) == (720, 1280)
    assert not (tmp_path / "w" / "reframe.cmd").exists()


async def test_analysis_failure_falls_back_to_the_centre(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video" * 100)
    plan = await reframe.plan_reframe(junk, 1920, 1080, 0.0, 3.0, AspectRatio.SQUARE, tmp_path)
    assert plan == reframe.CropPlan(centre_crop(1920, 1080, "1:1"))


async def test_analysis_past_its_time_limit_falls_back_to_the_centre(
    talking_head: Path, tmp_path: Path
) -> None:
    plan = await reframe.plan_reframe(
        talking_head, SRC_W, SRC_H, 0.0, DURATION, AspectRatio.VERTICAL, tmp_path,
        timeout=0.001,
    )  # fmt: skip
    assert plan == reframe.CropPlan(centre_crop(SRC_W, SRC_H, "9:16"))


async def test_same_aspect_needs_no_analysis(tmp_path: Path) -> None:
    # The crop is the whole frame: nothing to follow, and the (missing) file is never read.
    plan = await reframe.plan_reframe(
        tmp_path / "absent.mp4", 1920, 1080, 0.0, 3.0, AspectRatio.LANDSCAPE, tmp_path
    )
    assert plan.box == CropBox(0, 0, 1920, 1080) and plan.commands is None


@pytest.mark.slow
async def test_fit_shows_the_whole_frame_over_a_blurred_fill(
    faceless: Path, tmp_path: Path
) -> None:
    result = await render_clip(
        ExportRequest(faceless, 0.0, 1.0, [], "9:16", "minimal", quality="draft", reframe="fit"),
        tmp_path / "w",
    )
    assert (result.width, result.height) == (720, 1280)
    with av.open(str(result.video)) as c:
        gray = next(c.decode(video=0)).to_ndarray(format="gray")
    # The 16:9 picture fills the width in the middle band (720x404 at y=438); above and
    # below it is the blurred copy: much less detail, but not black.
    middle, top = gray[460:820].astype(int), gray[40:400].astype(int)

    def detail(img: np.ndarray[Any, Any]) -> float:
        return float(np.abs(np.diff(img, axis=1)).mean() + np.abs(np.diff(img, axis=0)).mean())

    assert detail(middle) > 4 * detail(top)
    assert top.mean() > 20


def test_sendcmd_script_moves_linearly_and_jumps_at_cuts() -> None:
    script = reframe.sendcmd_script(
        [
            Keyframe(0.0, 100, 0),
            Keyframe(1.0, 300, 0),
            Keyframe(2.0, 300, 0),
            Keyframe(2.5, 800, 40, cut=True),
        ]
    )
    assert script.splitlines() == [
        "0 crop@reframe x 100+(200)*(t-0)/1;",
        "0 crop@reframe y 0;",
        "1 crop@reframe x 300;",  # hold, and no pan into the cut
        "2.5 crop@reframe x 800;",
        "2.5 crop@reframe y 40;",
    ]
    # Commands are space-separated tokens: expressions must not contain spaces or commas.
    for line in script.splitlines():
        assert len(line.rstrip(";").split(" ")) == 4 and "," not in line


def test_export_args_carry_the_command_file_and_named_crop(
    talking_head: Path, tmp_path: Path
) -> None:
    info = probe_media(talking_head)
    commands = tmp_path / "odd, [dir]" / "reframe.cmd"
    plan = reframe.CropPlan(CropBox(100, 0, 404, 720), commands)
    req = ExportRequest(talking_head, 1.0, 3.0, [], "9:16", "minimal")
    args = build_export_args(req, info, tmp_path / "c.ass", tmp_path / "o.mp4", crop=plan)
    vf = args[args.index("-vf") + 1]
    assert vf.startswith("sendcmd=f=") and "crop@reframe=404:720:100:0,scale=1080:1920" in vf
    assert f"sendcmd=f={escape_filter_value(str(commands))}," in vf  # escaped for the graph
    centre = build_export_args(
        ExportRequest(talking_head, 1.0, 3.0, [], "9:16", "minimal", reframe="center"),
        info, tmp_path / "c.ass", tmp_path / "o.mp4", crop=plan,
    )  # fmt: skip
    box = centre_crop(SRC_W, SRC_H, "9:16")
    assert centre[centre.index("-vf") + 1].startswith(f"crop={box.w}:{box.h}:{box.x}:0,")


async def test_unknown_reframe_mode_is_refused(talking_head: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="face, center, fit"):
        await render_clip(
            ExportRequest(talking_head, 0.0, 1.0, [], "9:16", "minimal", reframe="zoom"),
            tmp_path,
        )


_RACE = """
import threading
from clipforge.media import reframe

barrier = threading.Barrier(4)
errors = []

def first_detection():
    barrier.wait()
    try:
        reframe._cascade()
    except Exception as exc:
        errors.append(repr(exc))

threads = [threading.Thread(target=first_detection) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(errors)
"""


@pytest.mark.slow
def test_exports_starting_together_each_load_opencv() -> None:
    # OpenCV's package swaps itself in sys.modules while it initialises; unguarded, one of
    # several threads importing it at once sometimes saw "module 'cv2' has no attribute
    # 'data'" (about one process in eight here). Each run is a fresh interpreter.
    for _ in range(24):
        done = subprocess.run(
            [sys.executable, "-c", _RACE], capture_output=True, text=True, timeout=60, check=True
        )
        assert done.stdout.strip() == "[]", done.stdout + done.stderr
