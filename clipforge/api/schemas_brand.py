"""Request and response models for the brand kit, caption fonts and caption overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from clipforge.domain.brand import (
    LOGO_OPACITY_RANGE,
    LOGO_SCALE_RANGE,
    TITLE_MAX_CHARS,
    TITLE_SECONDS_RANGE,
    normalise_colour,
)

#: '#RRGGBB'; anything else is a 422 whose message names the value.
Colour = Annotated[
    str,
    AfterValidator(normalise_colour),
    Field(max_length=16, examples=["#FFD400"], description="A colour as #RRGGBB."),
]
FontId = Annotated[
    str, Field(min_length=1, max_length=64, description="A font id from GET /v1/fonts.")
]
LogoPosition = Literal["top-left", "top-right", "bottom-left", "bottom-right"]


class TitleCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=TITLE_MAX_CHARS)
    seconds: float = Field(ge=TITLE_SECONDS_RANGE[0], le=TITLE_SECONDS_RANGE[1])
    background: Colour = "#000000"


class BrandKitIn(BaseModel):
    """The whole kit except the logo file (PUT /v1/brand-kit/logo); omitted: default."""

    model_config = ConfigDict(extra="forbid")

    logo_position: LogoPosition = "top-right"
    logo_scale: float = Field(
        default=0.15,
        ge=LOGO_SCALE_RANGE[0],
        le=LOGO_SCALE_RANGE[1],
        description="Logo width as a share of the frame width.",
    )
    logo_opacity: float = Field(default=0.9, ge=LOGO_OPACITY_RANGE[0], le=LOGO_OPACITY_RANGE[1])
    primary_colour: Colour | None = Field(default=None, description="Caption text colour.")
    highlight_colour: Colour | None = Field(default=None, description="The spoken word.")
    outline_colour: Colour | None = None
    font: FontId | None = Field(default=None, description="Caption and title card font.")
    intro: TitleCard | None = Field(default=None, description="A card before the clip.")
    outro: TitleCard | None = Field(default=None, description="A card after the clip.")


class FontOut(BaseModel):
    id: str
    family: str = Field(description="The family name read from the font's name table.")
    style: str
    full_name: str
    weight: int | None
    format: Literal["ttf", "otf"]
    builtin: bool = Field(description="Shipped with ClipForge (cannot be deleted).")
    size_bytes: int
    filename: str
    created_at: datetime | None


class FontList(BaseModel):
    items: list[FontOut]


class LogoOut(BaseModel):
    url: str
    content_type: str
    width: int
    height: int


class BrandKitOut(BaseModel):
    configured: bool = Field(description="False until the user saves a kit or a logo.")
    logo: LogoOut | None
    logo_position: LogoPosition
    logo_scale: float
    logo_opacity: float
    primary_colour: str | None
    highlight_colour: str | None
    outline_colour: str | None
    font: FontOut | None
    intro: TitleCard | None
    outro: TitleCard | None
    updated_at: datetime | None


class CaptionOptionsIn(BaseModel):
    """Caption overrides for one export, applied over the preset and the brand kit."""

    model_config = ConfigDict(extra="forbid")

    font: FontId | None = None
    font_size: int | None = Field(default=None, ge=20, le=200, description="At 1080 px.")
    primary_colour: Colour | None = None
    highlight_colour: Colour | None = None
    outline_colour: Colour | None = None
    back_colour: Colour | None = Field(default=None, description="Shadow or box colour.")
    outline: float | None = Field(default=None, ge=0, le=20)
    shadow: float | None = Field(default=None, ge=0, le=10)
    box: bool | None = Field(default=None, description="Lines on an opaque box.")
    position: Literal["top", "middle", "bottom"] | None = None
    margin: int | None = Field(
        default=None, ge=0, le=900, description="From the position's edge, at 1920 px tall."
    )
    uppercase: bool | None = None
    lowercase: bool | None = None
    highlight: bool | None = Field(default=None, description="Colour the spoken word.")
    max_words_per_line: int | None = Field(default=None, ge=1, le=12)
    max_chars_per_line: int | None = Field(default=None, ge=8, le=80)
    lines_per_caption: int | None = Field(default=None, ge=1, le=3)
