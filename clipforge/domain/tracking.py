"""Camera path for face-tracking reframes: which face to follow, where scenes cut, and a
smooth crop path over a few samples a second. Pure maths, standard library only.

The path behaves like a patient camera operator. While the face stays inside a dead zone
around the middle of the crop the camera holds still (no jitter from detection noise or a
nodding head). When the face leaves it, the camera moves: it accelerates gently (a capped
acceleration), never faster than a speed limit, and slows down as it arrives (its speed is
proportional to the remaining distance), then holds again once the face is re-centred. At a
scene cut it jumps to the new framing at once: panning across a cut looks like a mistake.

Coordinates are source pixels; times are seconds from the clip start.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.domain.framing import clamp_crop_origin


@dataclass(frozen=True, slots=True)
class Face:
    """A detected face: its box's centre and size."""

    cx: float
    cy: float
    w: float
    h: float

    @property
    def area(self) -> float:
        return self.w * self.h


@dataclass(frozen=True, slots=True)
class Sample:
    """One analysed frame: its time, the faces found, and how different it looks from the
    previous sample (mean absolute difference of small grey copies, 0..255)."""

    t: float
    faces: tuple[Face, ...] = ()
    diff: float = 0.0


@dataclass(frozen=True, slots=True)
class Keyframe:
    """The crop's top-left corner at `t`. Between two keyframes the crop moves linearly,
    except into a `cut` keyframe: the crop holds until `t`, then jumps there."""

    t: float
    x: int
    y: int
    cut: bool = False


@dataclass(frozen=True, slots=True)
class TrackingParams:
    #: Half-width of the dead zone around the crop's centre, as a share of the crop size:
    #: 0.15 lets the face's centre wander over the middle 30 % without moving the camera.
    dead_zone: float = 0.15
    #: Once moving, the camera stops when the face is this close to its place (share of crop).
    settle: float = 0.03
    #: Speed limit, in crop widths (or heights) per second.
    max_speed: float = 0.8
    #: Acceleration limit, in crop sizes per second squared (eases the start of a move).
    max_accel: float = 1.2
    #: Seconds to close the remaining distance at the current speed (eases the arrival).
    ease_time: float = 0.35
    #: Where the face sits vertically in the crop (share of the crop height from the top);
    #: a little above the middle leaves room for shoulders and captions.
    anchor_y: float = 0.42
    #: A sample starts a new scene when it differs from the previous one by more than this
    #: (0..255) and by `cut_ratio` times the recent typical difference.
    cut_threshold: float = 24.0
    cut_ratio: float = 3.0
    #: Other faces at least this share of the largest one's area may be followed instead of
    #: it when they are nearer the face being followed (keeps the camera on one speaker).
    similar_area: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.settle < self.dead_zone < 0.5:
            raise ValueError("Need 0 <= settle < dead_zone < 0.5.")
        if self.max_speed <= 0 or self.max_accel <= 0 or self.ease_time <= 0:
            raise ValueError("Speed, acceleration and ease time must be positive.")
        if not 0 < self.anchor_y < 1:
            raise ValueError("anchor_y must be between 0 and 1.")


def find_cuts(diffs: Sequence[float], params: TrackingParams | None = None) -> list[int]:
    """Indexes of samples that start a new scene, from consecutive-sample differences.

    A cut needs an absolute jump (`cut_threshold`) and a jump relative to the typical
    difference around it (`cut_ratio` × the median of up to three samples either side), so
    steady motion (a waving hand, a slow pan) does not read as a string of cuts. The whole
    clip is known before the path is planned, so the samples after a jump count too.
    Index 0 is never a cut (its difference has nothing before it).
    """
    p = params or TrackingParams()
    cuts: list[int] = []
    for i in range(1, len(diffs)):
        around = [*diffs[max(1, i - 3) : i], *diffs[i + 1 : i + 4]]
        typical = statistics.median(around) if around else 0.0
        if diffs[i] > p.cut_threshold and diffs[i] > p.cut_ratio * typical:
            cuts.append(i)
    return cuts


def pick_face(
    faces: Sequence[Face], near: tuple[float, float] | None, params: TrackingParams
) -> Face | None:
    """The face to follow: the largest, or, when following someone already, the one
    nearest them among faces of similar size (so a second person does not steal focus)."""
    if not faces:
        return None
    largest = max(faces, key=lambda f: f.area)
    if near is None:
        return largest
    candidates = [f for f in faces if f.area >= params.similar_area * largest.area]
    return min(candidates, key=lambda f: (f.cx - near[0]) ** 2 + (f.cy - near[1]) ** 2)


def scene_targets(
    samples: Sequence[Sample], params: TrackingParams
) -> list[tuple[float, float] | None]:
    """Face centres to follow in one scene, one per sample; all None when it has no face.

    Samples without a detection hold the last face (detectors miss a frame now and then);
    samples before the first detection take it, so the scene opens already framed. A
    three-sample median removes one-off false detections.
    """
    picked: list[tuple[float, float] | None] = []
    near: tuple[float, float] | None = None
    for s in samples:
        face = pick_face(s.faces, near, params)
        if face is not None:
            near = (face.cx, face.cy)
        picked.append(near)
    first = next((p for p in picked if p is not None), None)
    if first is None:
        return [None] * len(samples)
    filled = [p if p is not None else first for p in picked]
    if len(filled) < 3:
        return list(filled)
    out: list[tuple[float, float] | None] = [filled[0]]
    for i in range(1, len(filled) - 1):
        xs = sorted(p[0] for p in filled[i - 1 : i + 2])
        ys = sorted(p[1] for p in filled[i - 1 : i + 2])
        out.append((xs[1], ys[1]))
    out.append(filled[-1])
    return out


def follow(
    times: Sequence[float], targets: Sequence[float], size: float, params: TrackingParams
) -> list[float]:
    """One axis of the camera: where the crop's centre is at each sample time.

    `targets` are where the crop's centre should be for the face to sit in its place;
    `size` is the crop's length on this axis (dead zone, speeds and acceleration scale with
    it). Starts on the first target; clamping to the frame is the caller's job.
    """
    if not targets:
        return []
    dead, settle = params.dead_zone * size, params.settle * size
    max_speed, max_accel = params.max_speed * size, params.max_accel * size
    pos, vel, moving = float(targets[0]), 0.0, False
    path = [pos]
    for i in range(1, len(targets)):
        dt = max(times[i] - times[i - 1], 1e-6)
        err = targets[i] - pos
        if not moving and abs(err) > dead:
            moving = True
        if moving:
            wanted = max(-max_speed, min(max_speed, err / params.ease_time))
            step = max_accel * dt
            vel = max(vel - step, min(vel + step, wanted))
            move = vel * dt
            # Never overshoot the target in one step.
            pos = targets[i] if abs(move) >= abs(err) else pos + move
            if abs(targets[i] - pos) <= settle:
                moving, vel = False, 0.0
        path.append(pos)
    return path


def plan_path(
    samples: Sequence[Sample],
    src_w: int,
    src_h: int,
    crop_w: int,
    crop_h: int,
    params: TrackingParams | None = None,
    cut_hints: Sequence[float] = (),
) -> list[Keyframe]:
    """Crop positions (top-left, even, inside the frame) at the sample times.

    Scenes are split at `find_cuts`; each scene is followed on its own and opens with a
    `cut` keyframe (except the first), placed by `cut_time` with `cut_hints` (the source's
    key frame times). A scene without any face is framed at the centre. Returns [] when
    there are no samples.
    """
    p = params or TrackingParams()
    if not samples:
        return []
    cuts = find_cuts([s.diff for s in samples], p)
    bounds = [0, *cuts, len(samples)]
    # Face centre -> crop centre: centred across, `anchor_y` down.
    y_offset = (0.5 - p.anchor_y) * crop_h
    keyframes: list[Keyframe] = []
    for start, end in itertools.pairwise(bounds):
        scene = samples[start:end]
        times = [s.t for s in scene]
        targets = scene_targets(scene, p)
        if any(t is None for t in targets):
            xs = [src_w / 2] * len(scene)
            ys = [src_h / 2] * len(scene)
        else:
            face_xs = [clamp_axis(t[0], crop_w, src_w) for t in targets if t is not None]
            face_ys = [clamp_axis(t[1] + y_offset, crop_h, src_h) for t in targets if t is not None]
            xs = follow(times, face_xs, crop_w, p)
            ys = follow(times, face_ys, crop_h, p)
        for j, (t, cx, cy) in enumerate(zip(times, xs, ys, strict=True)):
            x, y = clamp_crop_origin(cx, cy, crop_w, crop_h, src_w, src_h)
            if j == 0 and start > 0:
                at = cut_time(samples[start - 1].t, t, cut_hints)
                keyframes.append(Keyframe(at, x, y, cut=True))
                if at < t:
                    keyframes.append(Keyframe(t, x, y))
            else:
                keyframes.append(Keyframe(t, x, y))
    return keyframes


def cut_time(before: float, after: float, hints: Sequence[float]) -> float:
    """When a cut seen between the samples at `before` and `after` happened.

    Samples only say it lies in (before, after]. Encoders put a key frame at a scene
    change, so the last source key frame in that interval is taken as the cut; without one,
    `after` (the new scene may then show the old framing for up to one sample interval,
    but the old scene is never reframed early).
    """
    inside = [h for h in hints if before < h <= after]
    return max(inside) if inside else after


def clamp_axis(centre: float, size: int, extent: int) -> float:
    """A crop centre on one axis moved inside the frame (so the camera never chases a
    position it cannot reach and then takes time to come back)."""
    half = size / 2
    return min(max(centre, half), max(extent - half, half))


def simplify(keyframes: Sequence[Keyframe], tolerance: float = 1.0) -> list[Keyframe]:
    """Drop keyframes that lie (within `tolerance` pixels) on the line between their
    neighbours, so a hold is two keyframes and a steady pan a handful. Cut keyframes and the
    ones just before them are kept, since they bound a jump."""
    if len(keyframes) <= 2:
        return list(keyframes)
    out = [keyframes[0]]
    anchor = 0  # index of out[-1] in keyframes
    for i in range(1, len(keyframes) - 1):
        cur, nxt = keyframes[i], keyframes[i + 1]
        if cur.cut or nxt.cut or not _on_line(keyframes, anchor, i + 1, tolerance):
            out.append(cur)
            anchor = i
    out.append(keyframes[-1])
    return out


def _on_line(keyframes: Sequence[Keyframe], first: int, last: int, tolerance: float) -> bool:
    """Whether every keyframe strictly between `first` and `last` lies on their line."""
    a, b = keyframes[first], keyframes[last]
    span = b.t - a.t
    if span <= 0:
        return False
    for k in keyframes[first + 1 : last]:
        f = (k.t - a.t) / span
        if (
            abs(a.x + (b.x - a.x) * f - k.x) > tolerance
            or abs(a.y + (b.y - a.y) * f - k.y) > tolerance
        ):
            return False
    return True


def position_at(keyframes: Sequence[Keyframe], t: float) -> tuple[float, float]:
    """Where the crop's top-left corner is at `t` (how the renderer interpolates)."""
    if not keyframes:
        raise ValueError("No keyframes.")
    if t <= keyframes[0].t:
        return float(keyframes[0].x), float(keyframes[0].y)
    for a, b in itertools.pairwise(keyframes):
        if a.t <= t < b.t:
            if b.cut:
                return float(a.x), float(a.y)
            f = (t - a.t) / (b.t - a.t)
            return a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f
    return float(keyframes[-1].x), float(keyframes[-1].y)
