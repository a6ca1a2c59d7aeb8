"""Aspect-ratio maths for reframing: output sizes, the reframe modes, the centre crop and a
crop placed around a point (clamped to the frame). Pure, no I/O.

Dimensions are kept even because H.264 with yuv420p cannot encode odd widths/heights.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class AspectRatio(StrEnum):
    VERTICAL = "9:16"
    SQUARE = "1:1"
    PORTRAIT = "4:5"
    LANDSCAPE = "16:9"

    @property
    def ratio(self) -> tuple[int, int]:
        """(width units, height units), e.g. (9, 16)."""
        w, h = self.value.split(":")
        return int(w), int(h)

    @property
    def output_size(self) -> tuple[int, int]:
        """Pixel size of an exported clip in this aspect (what the platforms expect)."""
        return OUTPUT_SIZES[self]


OUTPUT_SIZES: dict[AspectRatio, tuple[int, int]] = {
    AspectRatio.VERTICAL: (1080, 1920),
    AspectRatio.SQUARE: (1080, 1080),
    AspectRatio.PORTRAIT: (1080, 1350),
    AspectRatio.LANDSCAPE: (1920, 1080),
}

VALID_ASPECT_RATIOS: tuple[str, ...] = tuple(a.value for a in AspectRatio)


def parse_aspect_ratio(value: str | AspectRatio) -> AspectRatio:
    """Parse '9:16' (also '9x16', '9/16', ' 9 : 16 ') or raise ValueError naming valid ones."""
    if isinstance(value, AspectRatio):
        return value
    norm = str(value).strip().replace(" ", "").replace("x", ":").replace("/", ":")
    try:
        return AspectRatio(norm)
    except ValueError:
        raise ValueError(
            f"Unknown aspect ratio {value!r}; valid aspect ratios are: "
            + ", ".join(VALID_ASPECT_RATIOS)
            + "."
        ) from None


@dataclass(frozen=True, slots=True)
class CropBox:
    x: int
    y: int
    w: int
    h: int


def _even(n: int) -> int:
    return n - (n % 2)


def centre_crop(src_w: int, src_h: int, aspect: AspectRatio | str) -> CropBox:
    """Largest even-sized crop of `aspect` that fits in the source, centred."""
    if src_w < 2 or src_h < 2:
        raise ValueError(f"Source size {src_w}x{src_h} is too small to crop.")
    a = parse_aspect_ratio(aspect)
    aw, ah = a.ratio
    if src_w * ah >= src_h * aw:
        # Source is wider than the target: keep full height, trim the sides.
        h = _even(src_h)
        w = _even(h * aw // ah)
    else:
        # Source is taller than the target: keep full width, trim top and bottom.
        w = _even(src_w)
        h = _even(w * ah // aw)
    w, h = max(w, 2), max(h, 2)
    return CropBox(x=_even((src_w - w) // 2), y=_even((src_h - h) // 2), w=w, h=h)


class Reframe(StrEnum):
    """How a source is fitted into an output of another aspect ratio.

    `face` follows the speaker's face (centre when none is found), `center` is a fixed
    centre crop, `fit` shows the whole frame over a blurred, filled copy of itself.
    """

    FACE = "face"
    CENTER = "center"
    FIT = "fit"


DEFAULT_REFRAME = Reframe.FACE
VALID_REFRAMES: tuple[str, ...] = tuple(r.value for r in Reframe)


def parse_reframe(value: str | Reframe) -> Reframe:
    """Parse a reframe mode ('face', 'center' or 'centre', 'fit') or raise ValueError."""
    if isinstance(value, Reframe):
        return value
    norm = str(value).strip().lower()
    if norm == "centre":
        norm = Reframe.CENTER.value
    try:
        return Reframe(norm)
    except ValueError:
        raise ValueError(
            f"Unknown reframe mode {value!r}; valid modes are: {', '.join(VALID_REFRAMES)}."
        ) from None


def clamp_crop_origin(
    centre_x: float, centre_y: float, crop_w: int, crop_h: int, src_w: int, src_h: int
) -> tuple[int, int]:
    """Top-left corner (even, inside the frame) of a `crop_w`×`crop_h` crop centred as
    near (`centre_x`, `centre_y`) as the frame allows."""
    x = min(max(round(centre_x - crop_w / 2), 0), max(src_w - crop_w, 0))
    y = min(max(round(centre_y - crop_h / 2), 0), max(src_h - crop_h, 0))
    return _even(x), _even(y)


def crop_around(
    src_w: int, src_h: int, aspect: AspectRatio | str, centre_x: float, centre_y: float
) -> CropBox:
    """The `centre_crop`-sized box moved to be centred on a point, clamped to the frame."""
    box = centre_crop(src_w, src_h, aspect)
    x, y = clamp_crop_origin(centre_x, centre_y, box.w, box.h, src_w, src_h)
    return CropBox(x=x, y=y, w=box.w, h=box.h)
