"""Camera-path maths for face tracking: cuts, target choice, dead zone, easing, speed
limit, clamping and path simplification."""

from __future__ import annotations

import itertools

import pytest

from clipforge.domain.tracking import (
    Face,
    Keyframe,
    Sample,
    TrackingParams,
    cut_time,
    find_cuts,
    follow,
    pick_face,
    plan_path,
    position_at,
    scene_targets,
    simplify,
)

P = TrackingParams()
FPS = 3.0
SRC_W, SRC_H = 1920, 1080
CROP_W, CROP_H = 606, 1080  # the 9:16 crop of a 1080p frame


def times(n: int) -> list[float]:
    return [i / FPS for i in range(n)]


def face_at(cx: float, cy: float = 400.0, size: float = 200.0) -> Face:
    return Face(cx, cy, size, size)


# --- scene cuts ---------------------------------------------------------------------------


def test_steady_footage_has_no_cuts() -> None:
    assert find_cuts([0.0, 3.1, 2.5, 4.0, 3.3, 2.8, 3.9]) == []


def test_a_spike_is_a_cut_and_the_first_sample_never_is() -> None:
    assert find_cuts([90.0, 3.0, 2.0, 60.0, 3.0, 2.5]) == [3]


def test_a_small_change_is_not_a_cut() -> None:
    assert find_cuts([0.0, 2.0, 2.0, P.cut_threshold - 1, 2.0]) == []


def test_busy_motion_is_not_a_string_of_cuts() -> None:
    # Constant large differences (a waving hand, a pan) are typical here, not cuts.
    assert find_cuts([0.0, 30.0, 34.0, 31.0, 36.0, 33.0, 35.0]) == []
    # ...but a far bigger jump among them still is.
    assert find_cuts([0.0, 30.0, 34.0, 31.0, 120.0, 33.0]) == [4]


def test_cut_time_takes_the_last_key_frame_inside_the_interval() -> None:
    assert cut_time(1.0, 1.333, [0.5, 1.1, 1.2, 1.4]) == 1.2
    assert cut_time(1.0, 1.333, [1.0, 2.0]) == 1.333  # none strictly inside
    assert cut_time(1.0, 1.333, []) == 1.333


# --- which face ---------------------------------------------------------------------------


def test_pick_face_prefers_the_followed_face_over_a_slightly_bigger_one() -> None:
    speaker, other = face_at(300, size=180), face_at(1500, size=200)
    assert pick_face([speaker, other], None, P) is other  # nobody followed yet: largest
    assert pick_face([speaker, other], (320.0, 400.0), P) is speaker
    tiny = face_at(330, size=60)  # far smaller: not a candidate even though nearest
    assert pick_face([tiny, other], (320.0, 400.0), P) is other
    assert pick_face([], (0.0, 0.0), P) is None


def test_scene_targets_fill_gaps_and_drop_one_off_detections() -> None:
    samples = [
        Sample(0.0),
        Sample(0.33, (face_at(500),)),
        Sample(0.67),
        Sample(1.0, (face_at(510),)),
        Sample(1.33, (face_at(1700),)),  # a single false detection far away
        Sample(1.67, (face_at(520),)),
        Sample(2.0, (face_at(525),)),
    ]
    xs = [t[0] if t else None for t in scene_targets(samples, P)]
    assert xs[0] == 500  # before the first detection: already on the face
    assert xs[2] == 500  # a missed detection holds the face
    assert max(x for x in xs if x is not None) < 600  # the outlier never becomes a target


def test_scene_without_faces_has_no_targets() -> None:
    assert scene_targets([Sample(0.0), Sample(0.33)], P) == [None, None]


# --- the camera on one axis ---------------------------------------------------------------


def test_camera_holds_while_the_face_stays_in_the_dead_zone() -> None:
    size = 600.0
    jitter = [960.0 + d for d in (0, 40, -50, 80, -85, 30, 89, -89, 0)]
    assert all(abs(t - 960) <= P.dead_zone * size for t in jitter)
    path = follow(times(len(jitter)), jitter, size, P)
    assert path == [960.0] * len(jitter)


def test_camera_moves_eased_and_speed_limited_when_the_face_leaves() -> None:
    size = 600.0
    targets = [500.0] * 2 + [1400.0] * 28  # the face steps 900 px right
    ts = times(len(targets))
    path = follow(ts, targets, size, P)
    steps = [b - a for a, b in itertools.pairwise(path)]
    dt = 1 / FPS
    assert all(s >= 0 for s in steps)  # never moves the wrong way, never overshoots
    assert max(steps) <= P.max_speed * size * dt + 1e-6  # speed limit
    moving = [s for s in steps if s > 0]
    # Eases in: the first step is limited by the acceleration cap, later ones are larger.
    assert moving[0] <= P.max_accel * size * dt * dt + 1e-6
    assert moving[1] > moving[0]
    # Eases out: the last steps shrink towards the target.
    assert moving[-1] < max(moving)
    # Arrives: ends (and stays) within the settle distance of the face.
    assert abs(path[-1] - 1400) <= P.settle * size
    settled = path.index(path[-1])
    assert path[settled:] == [path[-1]] * (len(path) - settled)


def test_velocity_changes_are_bounded() -> None:
    size = 600.0
    targets = [0.0, 2000.0, 2000.0, -1000.0, -1000.0, -1000.0, 500.0] + [500.0] * 10
    path = follow(times(len(targets)), targets, size, P)
    dt = 1 / FPS
    vel = [(b - a) / dt for a, b in itertools.pairwise(path)]
    for a, b in itertools.pairwise(vel):
        # Either the acceleration cap, or the camera settled/arrived (stopping is allowed).
        assert abs(b - a) <= P.max_accel * size * dt + 1e-6 or b == 0 or abs(b) < abs(a)


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        TrackingParams(dead_zone=0.01, settle=0.05)
    with pytest.raises(ValueError):
        TrackingParams(max_speed=0)
    with pytest.raises(ValueError):
        TrackingParams(anchor_y=1.5)


# --- whole paths --------------------------------------------------------------------------


def test_cut_jumps_at_once_to_the_new_face() -> None:
    samples = [Sample(t, (face_at(400),), 2.0) for t in times(6)]
    samples += [Sample(t, (face_at(1500),), 2.0) for t in times(12)[6:]]
    samples[6] = Sample(samples[6].t, samples[6].faces, 100.0)  # the cut
    path = plan_path(samples, SRC_W, SRC_H, CROP_W, CROP_H, cut_hints=[1.9])
    cut = next(k for k in path if k.cut)
    assert cut.t == pytest.approx(1.9)  # snapped to the key frame before the sample at 2.0
    # Right before the cut the old face is framed, right after it the new one: no pan.
    old_x, _ = position_at(path, 1.89)
    new_x, _ = position_at(path, 1.9)
    assert old_x <= 400 <= old_x + CROP_W
    assert new_x <= 1500 <= new_x + CROP_W
    assert position_at(path, 3.5)[0] == new_x  # and holds there


def test_without_a_cut_a_far_face_is_panned_to_not_jumped() -> None:
    samples = [Sample(t, (face_at(400),), 2.0) for t in times(3)]
    samples += [Sample(t, (face_at(1500),), 2.0) for t in times(30)[3:]]
    path = plan_path(samples, SRC_W, SRC_H, CROP_W, CROP_H)
    assert not any(k.cut for k in path)
    xs = [k.x for k in path]
    assert max(b - a for a, b in itertools.pairwise(xs)) <= P.max_speed * CROP_W / FPS + 2


def test_scene_without_faces_is_centred() -> None:
    samples = [Sample(t) for t in times(5)]
    path = plan_path(samples, SRC_W, SRC_H, CROP_W, CROP_H)
    assert {(k.x, k.y) for k in path} == {((SRC_W - CROP_W) // 2 // 2 * 2, 0)}
    assert plan_path([], SRC_W, SRC_H, CROP_W, CROP_H) == []


@pytest.mark.parametrize("cx", [0.0, 10.0, 1910.0, 1920.0])
def test_crop_is_clamped_inside_the_frame_and_even(cx: float) -> None:
    samples = [Sample(t, (face_at(cx, cy=-50),), 1.0) for t in times(4)]
    for k in plan_path(samples, SRC_W, SRC_H, CROP_W, CROP_H):
        assert 0 <= k.x <= SRC_W - CROP_W and k.x % 2 == 0
        assert k.y == 0


def test_vertical_axis_follows_with_the_face_above_the_middle() -> None:
    # A portrait source (1080x1920) cropped 16:9: the crop slides up and down.
    crop_w, crop_h = 1080, 606
    samples = [Sample(t, (face_at(540, cy=1200),), 1.0) for t in times(4)]
    path = plan_path(samples, 1080, 1920, crop_w, crop_h)
    k = path[0]
    assert k.x == 0
    # The face sits `anchor_y` of the way down the crop.
    assert (1200 - k.y) / crop_h == pytest.approx(P.anchor_y, abs=0.01)


def test_simplify_keeps_shape_and_cuts() -> None:
    hold = [Keyframe(t, 100, 0) for t in times(10)]
    assert simplify(hold) == [hold[0], hold[-1]]
    pan = [Keyframe(t, 100 + 30 * i, 0) for i, t in enumerate(times(10))]
    assert simplify(pan) == [pan[0], pan[-1]]
    eased = [Keyframe(t, round(100 + 5 * i * i), 0) for i, t in enumerate(times(10))]
    eased += [Keyframe(4.0, 900, 0, cut=True), Keyframe(4.5, 900, 0)]
    slim = simplify(eased)
    assert any(k.cut for k in slim)
    for t in [i / 30 for i in range(140)]:
        a, b = position_at(eased, t), position_at(slim, t)
        assert abs(a[0] - b[0]) <= 1.0 + 1e-9 and a[1] == b[1]


def test_position_at_holds_before_a_cut_and_clamps_the_ends() -> None:
    path = [Keyframe(0.0, 0, 0), Keyframe(1.0, 100, 0), Keyframe(2.0, 800, 0, cut=True)]
    assert position_at(path, -1.0) == (0.0, 0.0)
    assert position_at(path, 0.5) == (50.0, 0.0)
    assert position_at(path, 1.5) == (100.0, 0.0)  # holds into the cut, no pan
    assert position_at(path, 2.0) == (800.0, 0.0)
    assert position_at(path, 9.0) == (800.0, 0.0)
    with pytest.raises(ValueError):
        position_at([], 0.0)
