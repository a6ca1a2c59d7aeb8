"""Brand kit and caption font use cases. Every one is scoped to the acting user.

A brand kit (logo, caption colours and font, title cards) and uploaded fonts belong to one
user; another user's font id answers "unknown font" and another user's kit is never read.
Uploads are checked by reading them (logo decoded, font's name table parsed) before they
are stored under generated keys. `export_branding` turns what an export asks for into the
snapshots recorded on the export row.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clipforge.bootstrap import Resources
from clipforge.db.tables import BrandKit, UserFont
from clipforge.domain.brand import (
    BrandSnapshot,
    FontChoice,
    LogoSpec,
    TitleCardSpec,
    normalise_colour,
    styled,
)
from clipforge.domain.captions import get_caption_style
from clipforge.domain.font_file import FontFileError, read_font_info
from clipforge.media.branding import LogoError, read_logo
from clipforge.media.fonts import fonts_dir
from clipforge.services import InvalidRequest, NotFound

log = logging.getLogger(__name__)

#: Uploaded fonts one user may keep.
MAX_FONTS_PER_USER = 50
BUILTIN_PREFIX = "builtin-"


@dataclass(frozen=True, slots=True)
class FontEntry:
    """A font a user may choose: shipped with ClipForge or one of their uploads."""

    id: str
    family: str
    subfamily: str
    full_name: str
    weight: int | None
    format: str
    builtin: bool
    size_bytes: int
    filename: str
    created_at: datetime | None = None
    key: str | None = None

    @property
    def bold(self) -> bool:
        if self.weight is not None:
            return self.weight >= 600
        return "bold" in self.subfamily.lower()

    def choice(self) -> FontChoice:
        return FontChoice(
            id=self.id,
            family=self.family,
            bold=self.bold,
            key=self.key,
            file=self.filename if self.builtin else None,
        )


@functools.cache
def shipped_fonts() -> tuple[FontEntry, ...]:
    """The fonts in the package's fonts folder, read once."""
    entries = []
    for path in sorted(fonts_dir().glob("*.[ot]tf")):
        info = read_font_info(path.read_bytes())
        entries.append(
            FontEntry(
                id=BUILTIN_PREFIX + path.stem.lower(),
                family=info.family,
                subfamily=info.subfamily,
                full_name=info.full_name,
                weight=info.weight,
                format=info.format,
                builtin=True,
                size_bytes=path.stat().st_size,
                filename=path.name,
            )
        )
    return tuple(entries)


def _entry(row: UserFont) -> FontEntry:
    return FontEntry(
        id=row.id,
        family=row.family,
        subfamily=row.subfamily,
        full_name=row.full_name,
        weight=row.weight,
        format=row.format,
        builtin=False,
        size_bytes=row.size_bytes,
        filename=row.filename,
        created_at=row.created_at,
        key=row.file_key,
    )


def _owned_font(session: Session, owner_id: str, font_id: str) -> UserFont | None:
    return session.scalar(
        select(UserFont).where(UserFont.id == font_id, UserFont.owner_id == owner_id)
    )


def find_font(session: Session, owner_id: str, font_id: str) -> FontEntry:
    """A shipped font or one of the owner's, by id; InvalidRequest for anything else."""
    for entry in shipped_fonts():
        if entry.id == font_id:
            return entry
    row = _owned_font(session, owner_id, font_id)
    if row is None:
        raise InvalidRequest(
            f"Unknown font {font_id!r}; choose one listed by GET /v1/fonts or upload it."
        )
    return _entry(row)


def list_fonts(res: Resources, owner_id: str) -> list[FontEntry]:
    with res.sessions() as session:
        rows = session.scalars(
            select(UserFont).where(UserFont.owner_id == owner_id).order_by(UserFont.created_at)
        ).all()
        return [*shipped_fonts(), *(_entry(r) for r in rows)]


def _display_name(name: str | None, fallback: str) -> str:
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    return cleaned[:200] or fallback


async def upload_font(
    res: Resources, owner_id: str, temp_file: Path, filename: str | None
) -> FontEntry:
    """Check the file is a TTF/OTF by parsing it, then store it for this user."""
    data = await asyncio.to_thread(temp_file.read_bytes)
    try:
        info = read_font_info(data)
    except FontFileError as exc:
        raise InvalidRequest(str(exc)) from exc

    def count() -> int:
        with res.sessions() as session:
            return int(
                session.scalar(
                    select(func.count()).select_from(UserFont).where(UserFont.owner_id == owner_id)
                )
                or 0
            )

    if await asyncio.to_thread(count) >= MAX_FONTS_PER_USER:
        raise InvalidRequest(
            f"You have {MAX_FONTS_PER_USER} fonts, the most one account may keep; delete one first."
        )
    font_id = uuid4().hex
    key = f"fonts/{owner_id}/{font_id}.{info.format}"
    await res.storage.put_bytes(key, data, "font/" + info.format)
    row = UserFont(
        id=font_id,
        owner_id=owner_id,
        family=info.family,
        subfamily=info.subfamily,
        full_name=info.full_name,
        weight=info.weight,
        format=info.format,
        file_key=key,
        size_bytes=len(data),
        filename=_display_name(filename, f"{info.full_name}.{info.format}"),
    )

    def insert() -> FontEntry:
        with res.sessions.begin() as session:
            session.add(row)
            session.flush()
            return _entry(row)

    try:
        return await asyncio.to_thread(insert)
    except BaseException:
        await res.storage.delete(key)
        raise


async def delete_font(res: Resources, owner_id: str, font_id: str) -> None:
    """Delete an uploaded font; a brand kit using it falls back to its caption preset's."""
    if font_id.startswith(BUILTIN_PREFIX):
        raise InvalidRequest("Fonts shipped with ClipForge cannot be deleted.")

    def remove() -> str:
        with res.sessions.begin() as session:
            row = _owned_font(session, owner_id, font_id)
            if row is None:
                raise NotFound(f"font {font_id} not found")
            kit = session.get(BrandKit, owner_id)
            if kit is not None and kit.font_id == font_id:
                kit.font_id = None
            session.delete(row)
            return row.file_key

    key = await asyncio.to_thread(remove)
    # Exports already queued with this font render with the style's default font instead.
    await res.storage.delete(key)


# --------------------------------------------------------------------------- brand kit


@dataclass(frozen=True, slots=True)
class BrandKitView:
    """The kit as the API shows it; `kit` is None while the user has not set one up."""

    kit: BrandKit | None
    font: FontEntry | None


@dataclass(frozen=True, slots=True)
class BrandKitSettings:
    """Everything about a kit except its logo file (which has its own upload)."""

    logo_position: str = "top-right"
    logo_scale: float = 0.15
    logo_opacity: float = 0.9
    primary_colour: str | None = None
    highlight_colour: str | None = None
    outline_colour: str | None = None
    font_id: str | None = None
    intro: Mapping[str, Any] | None = None
    outro: Mapping[str, Any] | None = None


def _kit_font(session: Session, owner_id: str, kit: BrandKit) -> FontEntry | None:
    """The kit's font; None when it has none or the font is no longer there."""
    if not kit.font_id:
        return None
    try:
        return find_font(session, owner_id, kit.font_id)
    except InvalidRequest:
        return None


def _view(session: Session, owner_id: str) -> BrandKitView:
    kit = session.get(BrandKit, owner_id)
    return BrandKitView(kit, _kit_font(session, owner_id, kit) if kit is not None else None)


def get_brand_kit(res: Resources, owner_id: str) -> BrandKitView:
    with res.sessions() as session:
        return _view(session, owner_id)


def _card(data: Mapping[str, Any] | None, which: str) -> dict[str, Any] | None:
    if not data:
        return None
    try:
        return TitleCardSpec(
            text=str(data["text"]).strip(),
            seconds=float(data["seconds"]),
            background=normalise_colour(str(data.get("background") or "#000000")),
        ).to_dict()
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(f"The {which} card: {exc}") from exc


def _colour(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise_colour(value)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc


def put_brand_kit(res: Resources, owner_id: str, settings: BrandKitSettings) -> BrandKitView:
    """Create or replace the kit's settings; the logo file, if any, is kept."""
    try:
        LogoSpec("check", settings.logo_position, settings.logo_scale, settings.logo_opacity)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc
    values: dict[str, Any] = {
        "logo_position": settings.logo_position,
        "logo_scale": settings.logo_scale,
        "logo_opacity": settings.logo_opacity,
        "primary_colour": _colour(settings.primary_colour),
        "highlight_colour": _colour(settings.highlight_colour),
        "outline_colour": _colour(settings.outline_colour),
        "font_id": settings.font_id,
        "intro": _card(settings.intro, "intro"),
        "outro": _card(settings.outro, "outro"),
    }
    with res.sessions.begin() as session:
        if settings.font_id is not None:
            find_font(session, owner_id, settings.font_id)
        kit = session.get(BrandKit, owner_id)
        if kit is None:
            kit = BrandKit(owner_id=owner_id)
            session.add(kit)
        for name, value in values.items():
            setattr(kit, name, value)
        session.flush()
        return _view(session, owner_id)


def _new_kit(owner_id: str) -> BrandKit:
    defaults = BrandKitSettings()
    return BrandKit(
        owner_id=owner_id,
        logo_position=defaults.logo_position,
        logo_scale=defaults.logo_scale,
        logo_opacity=defaults.logo_opacity,
    )


async def set_logo(res: Resources, owner_id: str, temp_file: Path) -> BrandKitView:
    """Check the upload decodes as a PNG/JPEG picture, store it, make it the kit's logo."""
    try:
        image = await asyncio.to_thread(read_logo, temp_file)
    except LogoError as exc:
        raise InvalidRequest(str(exc)) from exc
    # A new key per upload: exports already queued keep the logo they were requested with.
    key = f"brand/{owner_id}/logo-{uuid4().hex}.{image.extension}"
    await res.storage.put_file(key, temp_file, image.content_type)

    def save() -> tuple[BrandKitView, str | None]:
        with res.sessions.begin() as session:
            kit = session.get(BrandKit, owner_id)
            if kit is None:
                kit = _new_kit(owner_id)
                session.add(kit)
            old = kit.logo_key
            kit.logo_key = key
            kit.logo_content_type = image.content_type
            kit.logo_width, kit.logo_height = image.width, image.height
            session.flush()
            return _view(session, owner_id), old

    try:
        view, old = await asyncio.to_thread(save)
    except BaseException:
        await res.storage.delete(key)
        raise
    if old:
        await res.storage.delete(old)
    return view


async def delete_logo(res: Resources, owner_id: str) -> BrandKitView:
    def clear() -> tuple[BrandKitView, str]:
        with res.sessions.begin() as session:
            kit = session.get(BrandKit, owner_id)
            if kit is None or not kit.logo_key:
                raise NotFound("Your brand kit has no logo.")
            old = kit.logo_key
            kit.logo_key = kit.logo_content_type = None
            kit.logo_width = kit.logo_height = None
            session.flush()
            return _view(session, owner_id), old

    view, old = await asyncio.to_thread(clear)
    await res.storage.delete(old)
    return view


async def delete_brand_kit(res: Resources, owner_id: str) -> None:
    def remove() -> str | None:
        with res.sessions.begin() as session:
            kit = session.get(BrandKit, owner_id)
            if kit is None:
                raise NotFound("You have no brand kit.")
            session.delete(kit)
            return kit.logo_key

    old = await asyncio.to_thread(remove)
    if old:
        await res.storage.delete(old)


# --------------------------------------------------------------------------- exports


def _snapshot(session: Session, owner_id: str, kit: BrandKit) -> BrandSnapshot:
    font = _kit_font(session, owner_id, kit)
    return BrandSnapshot(
        logo=(
            LogoSpec(kit.logo_key, kit.logo_position, kit.logo_scale, kit.logo_opacity)
            if kit.logo_key
            else None
        ),
        primary_colour=kit.primary_colour,
        highlight_colour=kit.highlight_colour,
        outline_colour=kit.outline_colour,
        font=font.choice() if font is not None else None,
        intro=TitleCardSpec.from_dict(kit.intro),
        outro=TitleCardSpec.from_dict(kit.outro),
    )


def export_branding(
    res: Resources,
    owner_id: str,
    caption_style: str,
    caption: Mapping[str, Any] | None,
    brand: bool | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The (caption overrides, brand) snapshots an export records.

    `brand` None applies the owner's kit when there is one; True without a kit is refused.
    The overrides are checked by building the style they produce, so a bad combination is
    a 400 now rather than a failed render later.
    """
    overrides = {k: v for k, v in (caption or {}).items() if v is not None}
    with res.sessions() as session:
        kit = session.get(BrandKit, owner_id) if brand is not False else None
        if brand is True and kit is None:
            raise InvalidRequest("You have no brand kit yet; set one up or omit 'brand'.")
        snapshot = _snapshot(session, owner_id, kit) if kit is not None else None
        if "font" in overrides:
            choice = find_font(session, owner_id, str(overrides["font"])).choice()
            overrides["font"] = choice.to_dict()
    try:
        styled(get_caption_style(caption_style), brand=snapshot, overrides=overrides)
    except ValueError as exc:
        raise InvalidRequest(f"Caption style: {exc}") from exc
    return (overrides or None), (snapshot.to_dict() if snapshot is not None else None)
