"""Aspect-ratio maths for reframing: output sizes and the centre crop. Pure, no I/O.

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
