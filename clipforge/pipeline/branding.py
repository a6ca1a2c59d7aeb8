"""Turn an export's recorded caption overrides and brand into render inputs.

Fetches the logo and any uploaded font from storage into the export's work folder and
builds the caption style and title cards from the snapshots on the export row. A logo or
font deleted since the export was requested is left out (logged), not a failed render.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clipforge.domain.brand import BrandSnapshot, FontChoice, TitleCardSpec, styled
from clipforge.domain.captions import CaptionStyle, get_caption_style
from clipforge.media.branding import BrandRender, LogoOverlay, TitleCard
from clipforge.storage import ObjectNotFound, Storage

log = logging.getLogger(__name__)


async def _fetch(storage: Storage, key: str, dest: Path) -> Path | None:
    try:
        await storage.get_file(key, dest)
    except ObjectNotFound:
        log.warning("brand asset %s is gone; rendering without it", key)
        return None
    return dest


def _card(spec: TitleCardSpec | None, style: CaptionStyle) -> TitleCard | None:
    if spec is None:
        return None
    return TitleCard(
        text=spec.text,
        seconds=spec.seconds,
        background=spec.background,
        text_colour=style.primary_colour,
        font_name=style.font_name,
        bold=style.bold,
    )


async def prepare_branding(
    storage: Storage,
    *,
    caption_style: str,
    caption_options: Mapping[str, Any] | None,
    brand: Mapping[str, Any] | None,
    folder: Path,
) -> tuple[CaptionStyle | None, BrandRender | None]:
    """(custom caption style, brand render) for an export; (None, None) for a plain one."""
    if not caption_options and not brand:
        return None, None
    folder.mkdir(parents=True, exist_ok=True)
    snapshot = BrandSnapshot.from_dict(brand) if brand else None
    overrides = dict(caption_options or {})
    fonts = [f for f in (snapshot.font if snapshot else None, overrides.get("font")) if f]
    paths: dict[str, str] = {}
    missing: set[str] = set()
    for font in fonts:
        choice = font if isinstance(font, FontChoice) else FontChoice.from_dict(font)
        if choice.key is None or choice.id in paths:
            continue
        suffix = Path(choice.key).suffix or ".ttf"
        got = await _fetch(storage, choice.key, folder / f"font-{choice.id}{suffix}")
        if got is None:
            missing.add(choice.id)
        else:
            paths[choice.id] = str(got)
    if snapshot is not None and snapshot.font is not None and snapshot.font.id in missing:
        snapshot = dataclasses.replace(snapshot, font=None)
    if isinstance(overrides.get("font"), Mapping) and overrides["font"].get("id") in missing:
        overrides.pop("font")
    style = styled(
        get_caption_style(caption_style), brand=snapshot, overrides=overrides, font_paths=paths
    )
    if snapshot is None:
        return style, None
    logo = None
    if snapshot.logo is not None:
        suffix = Path(snapshot.logo.key).suffix or ".png"
        path = await _fetch(storage, snapshot.logo.key, folder / f"logo{suffix}")
        if path is not None:
            logo = LogoOverlay(
                path, snapshot.logo.position, snapshot.logo.scale, snapshot.logo.opacity
            )
    render = BrandRender(
        logo=logo, intro=_card(snapshot.intro, style), outro=_card(snapshot.outro, style)
    )
    return style, render
