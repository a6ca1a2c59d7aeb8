"""Speaker-following reframes: find the face a few times a second, plan a smooth crop path
(`clipforge.domain.tracking`), and hand it to the export's single ffmpeg pass as a
`sendcmd` command file that moves the crop. No frame is ever cropped in Python.

Analysis decodes the clip once with ffmpeg, which drops it to `ANALYSIS_FPS` and scales it
to a small grey copy before piping it to us, so memory and time per clip stay small and do
not depend on the source's length or resolution. Each sampled frame goes through OpenCV's
Haar frontal-face cascade; the difference between consecutive samples marks scene cuts.

The ffmpeg side: the crop filter is named (`crop@reframe`) and its `x`/`y` are replaced at
each keyframe by a command. During a move the command is a linear expression in the
frame time `t`, so one command covers a whole segment and every frame gets its own
interpolated position.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from clipforge.domain.framing import (
    AspectRatio,
    CropBox,
    Reframe,
    centre_crop,
)
from clipforge.domain.tracking import (
    Face,
    Keyframe,
    Sample,
    TrackingParams,
    find_cuts,
    plan_path,
    simplify,
)
from clipforge.media.ffmpeg import ProgressCallback, ffmpeg_exe, reap

logger = logging.getLogger(__name__)

#: Frames analysed per second of clip: enough to follow a speaker, cheap to detect on.
ANALYSIS_FPS = 3.0
#: Short side of the grey copy faces are detected on. A face a fifth of a 16:9 frame's
#: height is still ~48 pixels here, twice the cascade's 24-pixel window.
ANALYSIS_SHORT_SIDE = 240
#: Smallest face searched for, in analysis pixels (the cascade's window is 24).
MIN_FACE = 20
#: Scale step between the cascade's search sizes.
SCALE_STEP = 1.15
#: Samples between looks around the whole frame while a face is being followed. Only a
#: much bigger face would be followed instead (`pick_face` sticks to the speaker), and a
#: cut triggers a full search at once, so this can be rare.
FULL_SEARCH_EVERY = 15
#: Side of the tiny copy whose change between samples marks a scene cut.
_DIFF_SIZE = (32, 18)
#: The crop filter's instance name, which the command file addresses.
CROP_TARGET = "crop@reframe"
#: Haar cascade shipped inside opencv-python(-headless) 4.x.
CASCADE_FILE = "haarcascade_frontalface_default.xml"


@dataclass(frozen=True, slots=True)
class CropPlan:
    """How the export crops: the box (size, and position at the clip start) and, when the
    crop moves, the sendcmd file that moves it."""

    box: CropBox
    commands: Path | None = None
    #: Keyframes the command file was written from (empty for a still crop).
    keyframes: tuple[Keyframe, ...] = ()


def analysis_size(width: int, height: int) -> tuple[int, int]:
    """Even size of the grey analysis copy: short side ANALYSIS_SHORT_SIDE (never upscaled)."""
    factor = min(1.0, ANALYSIS_SHORT_SIDE / min(width, height))
    return max(2, 2 * round(width * factor / 2)), max(2, 2 * round(height * factor / 2))


def analysis_args(
    source: Path,
    start: float,
    duration: float,
    size: tuple[int, int],
    fps: float,
    threads: int = 1,
) -> list[str]:
    """ffmpeg arguments that pipe `fps` grey frames a second of [start, start+duration].

    `fps` runs before `scale`, so only the sampled frames are scaled. The decoder may cut
    corners a face detector never notices: it skips frames no other frame refers to
    (sampling picks the nearest decoded one), the deblocking filter, and exactness.
    `threads` decoder threads (see `decoder_threads`).
    """
    w, h = size
    return [
        ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error",
        "-threads", str(threads),
        "-skip_frame", "noref", "-skip_loop_filter", "all", "-flags2", "+fast",
        "-ss", f"{start:.3f}", "-i", str(source),
        "-t", f"{duration:.3f}",
        "-map", "0:v:0", "-an", "-sn", "-dn",
        "-vf", f"fps={fps:g},scale={w}:{h}:flags=area,format=gray",
        "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1",
    ]  # fmt: skip


def decoder_threads() -> int:
    """Half the cores for the analysis decoder: face detection runs beside it, and on a
    small machine one thread avoids frame threading's own overhead."""
    return max(1, (os.cpu_count() or 2) // 2)


_per_thread = threading.local()
_opencv_import = threading.Lock()


def _opencv() -> Any:
    """The cv2 module, imported on first use: only exports that track faces pay for loading
    OpenCV. Its package swaps itself in `sys.modules` while it initialises, so two threads
    importing it at once can see a half-made module ("module 'cv2' has no attribute
    'data'", seen when two exports started together): the first import is serialised."""
    with _opencv_import:
        import cv2

    return cv2


def _cascade() -> Any:
    """This thread's cascade: a CascadeClassifier keeps per-image state while detecting,
    so concurrent exports must not share one; each thread loads its own once."""
    cascade = getattr(_per_thread, "cascade", None)
    if cascade is None:
        cv2 = _opencv()
        folder = cv2.data.haarcascades
        cascade = cv2.CascadeClassifier(str(Path(folder) / CASCADE_FILE))
        if cascade.empty():
            raise RuntimeError(f"OpenCV could not load {CASCADE_FILE}")
        _per_thread.cascade = cascade
    return cascade


def detect_faces(
    gray: np.ndarray[Any, Any],
    *,
    min_side: int = MIN_FACE,
    max_side: int = 0,
    offset: tuple[int, int] = (0, 0),
) -> list[tuple[int, int, int, int]]:
    """Frontal faces (x, y, w, h) in a grey frame; `offset` is added to the positions (for a
    window cut out of a larger frame). `max_side` 0 means no upper limit."""
    if min(gray.shape) < min_side:
        return []
    boxes = _cascade().detectMultiScale(
        gray,
        scaleFactor=SCALE_STEP,
        minNeighbors=5,
        minSize=(min_side, min_side),
        maxSize=(max_side, max_side) if max_side else (0, 0),
    )
    ox, oy = offset
    return [(int(x) + ox, int(y) + oy, int(w), int(h)) for x, y, w, h in boxes]


class FaceSampler:
    """Finds faces in consecutive analysis frames, cheaply.

    A full-frame search costs tens of milliseconds on a busy background, so it runs only on
    the first frame, after a likely cut and whenever the face is lost; every
    `FULL_SEARCH_EVERY` samples the whole frame is searched for faces at least about as big
    as the followed one (a new speaker). Otherwise only a window around the last face is
    searched, at scales near its size, which is an order of magnitude cheaper.
    """

    def __init__(self, size: tuple[int, int], scale: float, cut_diff: float) -> None:
        self._size = size
        self._scale = scale
        self._cut_diff = cut_diff
        self._thumb: np.ndarray[Any, Any] | None = None
        self._last: tuple[int, int, int, int] | None = None
        self._since_full = 0
        self.full_searches = 0

    def analyse(self, buf: bytes, t: float) -> Sample:
        w, h = self._size
        gray = np.frombuffer(buf, dtype=np.uint8).reshape(h, w)
        thumb = _thumb(gray)
        diff = float(np.abs(thumb - self._thumb).mean()) if self._thumb is not None else 0.0
        self._thumb = thumb
        boxes: list[tuple[int, int, int, int]] = []
        self._since_full += 1
        last = self._last if diff <= self._cut_diff else None  # a cut: start afresh
        if last is not None and self._since_full < FULL_SEARCH_EVERY:
            boxes = self._search_near(gray, last)
        elif last is not None:
            # The periodic look around: only for faces about the followed one's size or
            # bigger (smaller ones would not be chosen), which skips the costly small scales.
            boxes = detect_faces(gray, min_side=max(MIN_FACE, int(last[2] * 0.7)))
            self._since_full = 0
        if not boxes:
            boxes = detect_faces(gray)
            self._since_full = 0
            self.full_searches += 1
        if boxes:
            # Keep following the face nearest the last one (else the largest).
            self._last = self._nearest(boxes)
        else:
            self._last = None
        s = self._scale
        faces = tuple(
            Face(cx=(x + bw / 2) * s, cy=(y + bh / 2) * s, w=bw * s, h=bh * s)
            for x, y, bw, bh in boxes
        )
        return Sample(t=t, faces=faces, diff=diff)

    def _search_near(
        self, gray: np.ndarray[Any, Any], face: tuple[int, int, int, int]
    ) -> list[tuple[int, int, int, int]]:
        x, y, fw, fh = face
        margin = fw * 3 // 4  # a face rarely moves further between samples
        x0, y0 = max(0, x - margin), max(0, y - margin)
        x1, y1 = min(gray.shape[1], x + fw + margin), min(gray.shape[0], y + fh + margin)
        window = gray[y0:y1, x0:x1]
        return detect_faces(
            window,
            min_side=max(MIN_FACE, int(fw * 0.8)),
            max_side=int(fw * 1.25) + 1,
            offset=(x0, y0),
        )

    def _nearest(self, boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
        if self._last is None:
            return max(boxes, key=lambda b: b[2] * b[3])
        lx, ly = self._last[0] + self._last[2] / 2, self._last[1] + self._last[3] / 2
        return min(boxes, key=lambda b: (b[0] + b[2] / 2 - lx) ** 2 + (b[1] + b[3] / 2 - ly) ** 2)


def _thumb(gray: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    cv2 = _opencv()
    return np.asarray(cv2.resize(gray, _DIFF_SIZE, interpolation=cv2.INTER_AREA), np.float32)


async def sample_faces(
    source: Path,
    start: float,
    duration: float,
    width: int,
    height: int,
    *,
    fps: float = ANALYSIS_FPS,
    on_progress: ProgressCallback | None = None,
) -> list[Sample]:
    """Faces and scene differences at `fps` samples a second (times from the clip start).

    Streams: one small grey frame is held at a time. Raises RuntimeError if ffmpeg fails;
    on cancellation the ffmpeg child is killed and reaped. (`run_ffmpeg` keeps stdout for
    progress, so this reads its raw frames itself, cleaning up with the same `reap`.)
    """
    size = analysis_size(width, height)
    frame_bytes = size[0] * size[1]
    sampler = FaceSampler(size, width / size[0], TrackingParams().cut_threshold)
    expected = max(1, int(duration * fps))
    proc = await asyncio.create_subprocess_exec(
        *analysis_args(source, start, duration, size, fps, decoder_threads()),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    stderr_task = asyncio.create_task(proc.stderr.read())
    samples: list[Sample] = []
    try:
        while True:
            try:
                buf = await proc.stdout.readexactly(frame_bytes)
            except asyncio.IncompleteReadError:
                break
            sample = await asyncio.to_thread(sampler.analyse, buf, len(samples) / fps)
            samples.append(sample)
            if on_progress is not None:
                await on_progress(min(len(samples) / expected, 1.0))
        returncode = await proc.wait()
        stderr = (await stderr_task).decode("utf-8", errors="replace").strip()
    finally:
        await reap(proc, stderr_task)
    if returncode != 0:
        raise RuntimeError(f"frame sampling failed ({returncode}): {stderr[-500:]}")
    return samples


def key_frame_times(source: Path, start: float, duration: float) -> list[float]:
    """Times (from the clip start) of the source's video key frames in the clip: read from
    packet flags, nothing is decoded. Scene cuts are usually key frames (`cut_time`)."""
    times: list[float] = []
    with av.open(str(source)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        if tb is None:
            return times
        # ffmpeg's -ss counts from the container's start time; so does the export's clock.
        origin = (container.start_time or 0) / av.time_base
        container.seek(int((origin + start) * av.time_base), backward=True)
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            t = float(packet.pts * tb) - origin - start
            if t > duration:
                break
            if packet.is_keyframe and t > 0:
                times.append(round(t, 3))
    return sorted(times)


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def _segment_expr(a: float, b: float, t0: float, t1: float) -> str:
    """`a` at t0 to `b` at t1, linearly in the frame time `t`; no spaces or commas, which
    separate tokens and commands in a sendcmd file."""
    if a == b:
        return str(int(a))
    return f"{_num(a)}+({_num(b - a)})*(t-{_num(t0)})/{_num(t1 - t0)}"


def sendcmd_script(keyframes: Sequence[Keyframe], target: str = CROP_TARGET) -> str:
    """sendcmd text that moves `target`'s x/y along `keyframes` (see `tracking.Keyframe`)."""
    lines: list[str] = []
    last: dict[str, str] = {}
    for i, kf in enumerate(keyframes):
        nxt = keyframes[i + 1] if i + 1 < len(keyframes) else None
        for axis in ("x", "y"):
            here = float(getattr(kf, axis))
            if nxt is None or nxt.cut:
                expr = str(int(here))
            else:
                expr = _segment_expr(here, float(getattr(nxt, axis)), kf.t, nxt.t)
            if last.get(axis) != expr:
                lines.append(f"{_num(kf.t)} {target} {axis} {expr};")
                last[axis] = expr
    return "\n".join(lines) + "\n"


async def plan_reframe(
    source: Path,
    width: int,
    height: int,
    start: float,
    duration: float,
    aspect: AspectRatio,
    work_dir: Path,
    *,
    params: TrackingParams | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
) -> CropPlan:
    """The crop for a face-tracking export of [start, start+duration].

    A still centre crop when the crop already covers the frame, when no face is found, or
    when the analysis itself fails or takes longer than `timeout` seconds (the export then
    goes on, centred, rather than failing over an optional nicety); otherwise the first
    position plus a command file.
    """
    box = centre_crop(width, height, aspect)
    if box.w >= width - 1 and box.h >= height - 1:
        return CropPlan(box)
    try:
        async with asyncio.timeout(timeout):
            samples = await sample_faces(
                source, start, duration, width, height, on_progress=on_progress
            )
    except (RuntimeError, OSError, TimeoutError) as exc:
        logger.warning("face analysis of %s failed, cropping centred: %s", source, exc)
        return CropPlan(box)
    found = sum(1 for s in samples if s.faces)
    logger.info("face analysis: %d of %d samples have a face", found, len(samples))
    if not found:
        return CropPlan(box)
    hints: list[float] = []
    if find_cuts([s.diff for s in samples], params):
        hints = await asyncio.to_thread(key_frame_times, source, start, duration)
    keyframes = simplify(plan_path(samples, width, height, box.w, box.h, params, hints))
    first = CropBox(x=keyframes[0].x, y=keyframes[0].y, w=box.w, h=box.h)
    if len({(k.x, k.y) for k in keyframes}) == 1:
        return CropPlan(first, keyframes=tuple(keyframes))
    work_dir.mkdir(parents=True, exist_ok=True)
    commands = work_dir / "reframe.cmd"
    commands.write_text(sendcmd_script(keyframes), encoding="utf-8")
    return CropPlan(first, commands, tuple(keyframes))


def video_filter(
    src_w: int,
    src_h: int,
    aspect: AspectRatio,
    out_size: tuple[int, int],
    mode: Reframe,
    plan: CropPlan | None = None,
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """The reframing part of the export's video filter chain, ending at the output size.

    `center`, and `face` without a plan: a still centre crop. `face` with a plan: its
    crop, moved by its command file. `fit`: the whole frame scaled to fit, over a copy
    scaled to fill, shrunk, blurred and enlarged again (blurring a small copy is cheap).
    `escape` quotes the command file's path for the filtergraph.
    """
    out_w, out_h = out_size
    scale = f"scale={out_w}:{out_h}:flags=lanczos,setsar=1"
    if mode is Reframe.FIT:
        bw, bh = max(2, out_w // 8 // 2 * 2), max(2, out_h // 8 // 2 * 2)
        return (
            "split=2[rf_bg][rf_fg];"
            f"[rf_bg]scale={bw}:{bh}:force_original_aspect_ratio=increase,crop={bw}:{bh},"
            f"boxblur=8:2,scale={out_w}:{out_h}:flags=bilinear,setsar=1[rf_back];"
            f"[rf_fg]scale={out_w}:{out_h}:force_original_aspect_ratio=decrease"
            ":force_divisible_by=2:flags=lanczos,setsar=1[rf_front];"
            "[rf_back][rf_front]overlay=(W-w)/2:(H-h)/2"
        )
    if mode is Reframe.FACE and plan is not None:
        b = plan.box
        crop = f"{CROP_TARGET}={b.w}:{b.h}:{b.x}:{b.y}"
        if plan.commands is not None:
            path = escape(str(plan.commands)) if escape else str(plan.commands)
            return f"sendcmd=f={path},{crop},{scale}"
        return f"{crop},{scale}"
    b = centre_crop(src_w, src_h, aspect)
    return f"crop={b.w}:{b.h}:{b.x}:{b.y},{scale}"
