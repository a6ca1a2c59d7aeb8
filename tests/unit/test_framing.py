"""Aspect-ratio parsing, reframe modes, centre-crop and placed-crop maths."""

from __future__ import annotations

import pytest

from clipforge.domain.framing import (
    OUTPUT_SIZES,
    AspectRatio,
    CropBox,
    Reframe,
    centre_crop,
    clamp_crop_origin,
    crop_around,
    parse_aspect_ratio,
    parse_reframe,
)


@pytest.mark.parametrize(
    ("text", "size"),
    [("9:16", (1080, 1920)), ("1:1", (1080, 1080)), ("4:5", (1080, 1350)), ("16:9", (1920, 1080))],
)
def test_output_sizes(text: str, size: tuple[int, int]) -> None:
    assert parse_aspect_ratio(text).output_size == size


@pytest.mark.parametrize("text", ["9x16", " 9 : 16 ", "9/16"])
def test_parse_accepts_common_spellings(text: str) -> None:
    assert parse_aspect_ratio(text) is AspectRatio.VERTICAL


@pytest.mark.parametrize("text", ["", "3:2", "16:10", "vertical", "9:16:1"])
def test_parse_rejects_unknown_with_valid_list(text: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_aspect_ratio(text)
    for valid in ("9:16", "1:1", "4:5", "16:9"):
        assert valid in str(err.value)


def test_output_sizes_match_their_ratio() -> None:
    for aspect, (w, h) in OUTPUT_SIZES.items():
        aw, ah = aspect.ratio
        assert w * ah == h * aw


def test_vertical_crop_from_landscape_keeps_full_height_centred() -> None:
    box = centre_crop(1920, 1080, "9:16")
    assert box == CropBox(x=656, y=0, w=606, h=1080)


def test_landscape_crop_from_vertical_keeps_full_width() -> None:
    box = centre_crop(1080, 1920, "16:9")
    assert (box.w, box.h) == (1080, 606)
    assert box.x == 0
    assert box.y == (1920 - 606) // 2 - ((1920 - 606) // 2) % 2


def test_same_aspect_is_whole_frame() -> None:
    assert centre_crop(1920, 1080, AspectRatio.LANDSCAPE) == CropBox(0, 0, 1920, 1080)
    assert centre_crop(720, 720, "1:1") == CropBox(0, 0, 720, 720)


@pytest.mark.parametrize("aspect", list(AspectRatio))
@pytest.mark.parametrize(("sw", "sh"), [(1920, 1080), (1281, 719), (640, 480), (333, 777), (3, 5)])
def test_crop_is_even_fits_and_is_centred(aspect: AspectRatio, sw: int, sh: int) -> None:
    box = centre_crop(sw, sh, aspect)
    assert box.w % 2 == 0 and box.h % 2 == 0 and box.x % 2 == 0 and box.y % 2 == 0
    assert box.x >= 0 and box.x + box.w <= sw
    assert box.y >= 0 and box.y + box.h <= sh
    # Centred to within the evening-out of one or two pixels.
    assert abs((sw - box.w) / 2 - box.x) <= 2
    assert abs((sh - box.h) / 2 - box.y) <= 2
    # Largest: one dimension uses (nearly) the whole source.
    assert box.w >= sw - 1 - 2 or box.h >= sh - 1 - 2
    # The aspect is respected to within rounding.
    aw, ah = aspect.ratio
    if box.w > 20 and box.h > 20:
        assert abs(box.w / box.h - aw / ah) < 0.02


def test_crop_rejects_degenerate_source() -> None:
    with pytest.raises(ValueError):
        centre_crop(0, 1080, "9:16")
    with pytest.raises(ValueError):
        centre_crop(1920, 1080, "2:3")


@pytest.mark.parametrize(
    ("text", "mode"),
    [("face", Reframe.FACE), (" Center ", Reframe.CENTER), ("centre", Reframe.CENTER),
     ("FIT", Reframe.FIT), (Reframe.FIT, Reframe.FIT)],
)  # fmt: skip
def test_parse_reframe(text: str, mode: Reframe) -> None:
    assert parse_reframe(text) is mode


def test_parse_reframe_rejects_unknown_with_valid_list() -> None:
    with pytest.raises(ValueError) as err:
        parse_reframe("zoom")
    for valid in ("face", "center", "fit"):
        assert valid in str(err.value)


def test_crop_around_a_point_moves_the_centre_crop_and_clamps() -> None:
    assert crop_around(1920, 1080, "9:16", 300, 540) == CropBox(x=0, y=0, w=606, h=1080)
    assert crop_around(1920, 1080, "9:16", 1000, 540) == CropBox(x=696, y=0, w=606, h=1080)
    assert crop_around(1920, 1080, "9:16", 5000, -5) == CropBox(x=1314, y=0, w=606, h=1080)
    # Portrait source to landscape: the crop moves vertically.
    assert crop_around(1080, 1920, "16:9", 540, 400) == CropBox(x=0, y=96, w=1080, h=606)


@pytest.mark.parametrize(("cx", "cy"), [(-100, -100), (0, 0), (333.3, 77.7), (1e6, 1e6)])
@pytest.mark.parametrize(("sw", "sh"), [(1920, 1080), (1281, 719), (333, 777)])
def test_clamped_origin_is_even_and_keeps_the_crop_inside(
    cx: float, cy: float, sw: int, sh: int
) -> None:
    box = centre_crop(sw, sh, "1:1")
    x, y = clamp_crop_origin(cx, cy, box.w, box.h, sw, sh)
    assert x % 2 == 0 and y % 2 == 0
    assert 0 <= x <= sw - box.w and 0 <= y <= sh - box.h
