"""Brand kits and per-export caption overrides: what was asked for, as plain data.

An export records two JSON snapshots taken when it is requested: the brand it applies
(logo, colours, font, title cards) and the caption overrides it was given. The worker
renders from those snapshots, so a kit edited while an export waits in the queue does not
change it, and the export row says exactly what it carried. Pure, no I/O.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clipforge.domain.captions import POSITIONS, CaptionStyle

LOGO_POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
#: Logo width as a share of the frame width.
LOGO_SCALE_RANGE = (0.03, 0.5)
LOGO_OPACITY_RANGE = (0.05, 1.0)
TITLE_SECONDS_RANGE = (0.5, 10.0)
TITLE_MAX_CHARS = 120

_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def normalise_colour(value: str) -> str:
    """'#rrggbb' -> '#RRGGBB', or ValueError naming the value."""
    value = value.strip()
    if not _COLOUR.match(value):
        raise ValueError(f"Colour {value!r} is not in #RRGGBB form (e.g. #FFD400).")
    return value.upper()


@dataclass(frozen=True, slots=True)
class FontChoice:
    """A font a style may use: one shipped with ClipForge or one a user uploaded."""

    id: str
    family: str
    bold: bool
    #: Storage key of an uploaded font; None for a shipped one.
    key: str | None = None
    #: File name inside the shipped fonts folder; None for an uploaded one.
    file: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FontChoice:
        return cls(
            id=str(data["id"]),
            family=str(data["family"]),
            bold=bool(data["bold"]),
            key=data.get("key"),
            file=data.get("file"),
        )


@dataclass(frozen=True, slots=True)
class TitleCardSpec:
    """A full-frame card of text before or after the clip."""

    text: str
    seconds: float
    background: str

    def __post_init__(self) -> None:
        if not self.text.strip() or len(self.text) > TITLE_MAX_CHARS:
            raise ValueError(f"Title card text must be 1 to {TITLE_MAX_CHARS} characters.")
        lo, hi = TITLE_SECONDS_RANGE
        if not lo <= self.seconds <= hi:
            raise ValueError(f"Title card seconds must be between {lo} and {hi}.")
        normalise_colour(self.background)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> TitleCardSpec | None:
        if not data:
            return None
        return cls(str(data["text"]), float(data["seconds"]), str(data["background"]))


@dataclass(frozen=True, slots=True)
class LogoSpec:
    key: str
    position: str
    scale: float
    opacity: float

    def __post_init__(self) -> None:
        if self.position not in LOGO_POSITIONS:
            raise ValueError(f"Logo position must be one of: {', '.join(LOGO_POSITIONS)}.")
        if not LOGO_SCALE_RANGE[0] <= self.scale <= LOGO_SCALE_RANGE[1]:
            raise ValueError("Logo scale is a share of the frame width, 0.03 to 0.5.")
        if not LOGO_OPACITY_RANGE[0] <= self.opacity <= LOGO_OPACITY_RANGE[1]:
            raise ValueError("Logo opacity must be between 0.05 and 1.")


@dataclass(frozen=True, slots=True)
class BrandSnapshot:
    """The brand an export applies, as recorded on its row."""

    logo: LogoSpec | None = None
    primary_colour: str | None = None
    highlight_colour: str | None = None
    outline_colour: str | None = None
    font: FontChoice | None = None
    intro: TitleCardSpec | None = None
    outro: TitleCardSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "logo": dataclasses.asdict(self.logo) if self.logo else None,
            "primary_colour": self.primary_colour,
            "highlight_colour": self.highlight_colour,
            "outline_colour": self.outline_colour,
            "font": self.font.to_dict() if self.font else None,
            "intro": self.intro.to_dict() if self.intro else None,
            "outro": self.outro.to_dict() if self.outro else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BrandSnapshot:
        logo = data.get("logo")
        font = data.get("font")
        return cls(
            logo=LogoSpec(**logo) if logo else None,
            primary_colour=data.get("primary_colour"),
            highlight_colour=data.get("highlight_colour"),
            outline_colour=data.get("outline_colour"),
            font=FontChoice.from_dict(font) if font else None,
            intro=TitleCardSpec.from_dict(data.get("intro")),
            outro=TitleCardSpec.from_dict(data.get("outro")),
        )


#: Caption fields an export may override, mapped to CaptionStyle attributes.
CAPTION_FIELDS: dict[str, str] = {
    "font_size": "font_size",
    "primary_colour": "primary_colour",
    "highlight_colour": "highlight_colour",
    "outline_colour": "outline_colour",
    "back_colour": "back_colour",
    "outline": "outline",
    "shadow": "shadow",
    "box": "box",
    "position": "position",
    "margin": "margin_v",
    "uppercase": "uppercase",
    "lowercase": "lowercase",
    "highlight": "highlight",
    "max_words_per_line": "max_words_per_line",
    "max_chars_per_line": "max_chars_per_line",
    "lines_per_caption": "lines_per_caption",
}
_COLOUR_FIELDS = {"primary_colour", "highlight_colour", "outline_colour", "back_colour"}


def _with_font(style: CaptionStyle, font: FontChoice, font_path: str | None) -> CaptionStyle:
    return dataclasses.replace(
        style, font_name=font.family, font_file=font_path or font.file, bold=font.bold
    )


def styled(
    base: CaptionStyle,
    *,
    brand: BrandSnapshot | None,
    overrides: Mapping[str, Any] | None,
    font_paths: Mapping[str, str] | None = None,
) -> CaptionStyle:
    """The caption style an export renders with: preset, then brand, then the overrides.

    `overrides` holds CAPTION_FIELDS keys plus an optional `font` (FontChoice dict);
    `font_paths` maps an uploaded font's id to the local file it was fetched to. Setting
    `uppercase` clears `lowercase` and the reverse, so an override never contradicts the
    preset it starts from. Raises ValueError for a value CaptionStyle refuses.
    """
    paths = font_paths or {}
    style = base
    if brand is not None:
        colours = {
            k: getattr(brand, k)
            for k in ("primary_colour", "highlight_colour", "outline_colour")
            if getattr(brand, k)
        }
        style = dataclasses.replace(style, **colours)
        if brand.font is not None:
            style = _with_font(style, brand.font, paths.get(brand.font.id))
    if overrides:
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            if key == "font" or value is None:
                continue
            if key not in CAPTION_FIELDS:
                raise ValueError(f"Unknown caption field {key!r}.")
            if key in _COLOUR_FIELDS:
                value = normalise_colour(str(value))
            changes[CAPTION_FIELDS[key]] = value
        if changes.get("uppercase"):
            changes.setdefault("lowercase", False)
        if changes.get("lowercase"):
            changes.setdefault("uppercase", False)
        if changes.get("position") and changes["position"] not in POSITIONS:
            raise ValueError(f"Caption position must be one of: {', '.join(POSITIONS)}.")
        style = dataclasses.replace(style, **changes)
        font = overrides.get("font")
        if font:
            choice = FontChoice.from_dict(font)
            style = _with_font(style, choice, paths.get(choice.id))
    if style is not base:
        style = dataclasses.replace(style, name="custom")
    return style
