"""Read what a TTF/OTF file says about itself: a minimal, bounds-checked sfnt parser.

An uploaded "font" is checked here before it is stored or handed to libass: the magic
number must be TrueType or CFF OpenType, the table directory must lie inside the file, the
tables libass needs to select and draw a face (`name`, `cmap`, `head`) must be present, and
the `name` table must give a family name, which is what caption styles refer to. Pure,
standard library only; every offset is checked, so hostile bytes raise FontFileError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

#: sfnt versions we accept: TrueType outlines (two spellings) and CFF outlines ('OTTO').
_MAGIC = {b"\x00\x01\x00\x00": "ttf", b"true": "ttf", b"OTTO": "otf"}
#: Containers we recognise only to name them in the error.
_OTHER = {b"ttcf": "a font collection (TTC)", b"wOFF": "WOFF", b"wOF2": "WOFF2"}
_REQUIRED_TABLES = (b"name", b"cmap", b"head")
_MAX_TABLES = 256
#: Name ids: family, subfamily, full name, typographic family/subfamily.
_FAMILY, _SUBFAMILY, _FULL, _TYPO_FAMILY, _TYPO_SUBFAMILY = 1, 2, 4, 16, 17
_MAX_NAME = 200


class FontFileError(ValueError):
    """The bytes are not a usable TTF/OTF font; the message says why."""


@dataclass(frozen=True, slots=True)
class FontInfo:
    #: 'ttf' or 'otf' (the file extension to store it under).
    format: str
    #: Family name (name id 1), the name libass matches a style's Fontname against.
    family: str
    #: Subfamily (name id 2), e.g. 'Regular', 'Bold Italic'.
    subfamily: str
    full_name: str
    #: OS/2 usWeightClass (400 regular, 700 bold); None without an OS/2 table.
    weight: int | None

    @property
    def is_bold(self) -> bool:
        """Whether to ask libass for the bold weight (so it never fakes bold on top)."""
        if self.weight is not None:
            return self.weight >= 600
        return "bold" in self.subfamily.lower() or "black" in self.subfamily.lower()


def _u16(data: bytes, offset: int) -> int:
    if offset < 0 or offset + 2 > len(data):
        raise FontFileError("The font file is truncated.")
    return int(struct.unpack_from(">H", data, offset)[0])


def _tables(data: bytes) -> dict[bytes, tuple[int, int]]:
    count = _u16(data, 4)
    if not 1 <= count <= _MAX_TABLES:
        raise FontFileError(f"The font's table directory has {count} tables.")
    if 12 + 16 * count > len(data):
        raise FontFileError("The font file is truncated inside its table directory.")
    tables: dict[bytes, tuple[int, int]] = {}
    for i in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * i)
        if offset + length > len(data):
            raise FontFileError(f"The font's {tag.decode('latin-1')!r} table lies past its end.")
        tables[tag] = (offset, length)
    return tables


def _decode(raw: bytes, platform: int, encoding: int) -> str | None:
    if platform == 0 or (platform == 3 and encoding in (0, 1, 10)):
        text = raw.decode("utf-16-be", "replace")
    elif platform == 1 and encoding == 0:
        text = raw.decode("mac_roman", "replace")
    else:
        return None
    cleaned = "".join(ch for ch in text if ch.isprintable()).strip()
    return cleaned[:_MAX_NAME] or None


def _names(data: bytes, offset: int, length: int) -> dict[int, str]:
    """Name records, preferring Windows English, then any Unicode, then Mac Roman."""
    end = offset + length
    count = _u16(data, offset + 2)
    strings = offset + _u16(data, offset + 4)
    if offset + 6 + 12 * count > end:
        raise FontFileError("The font's name table is truncated.")
    found: dict[int, tuple[int, str]] = {}
    for i in range(count):
        platform, encoding, language, name_id, size, at = struct.unpack_from(
            ">HHHHHH", data, offset + 6 + 12 * i
        )
        if name_id not in (_FAMILY, _SUBFAMILY, _FULL, _TYPO_FAMILY, _TYPO_SUBFAMILY):
            continue
        start = strings + at
        if start + size > end:
            raise FontFileError("A name in the font's name table lies past the table's end.")
        text = _decode(data[start : start + size], platform, encoding)
        if text is None:
            continue
        rank = 0 if (platform == 3 and language == 0x409) else 1 if platform in (0, 3) else 2
        if name_id not in found or rank < found[name_id][0]:
            found[name_id] = (rank, text)
    return {k: v for k, (_, v) in found.items()}


def read_font_info(data: bytes) -> FontInfo:
    """Check `data` is a TTF/OTF font and read its names, or raise FontFileError."""
    magic = data[:4]
    if magic in _OTHER:
        raise FontFileError(f"This is {_OTHER[magic]}; upload a single TTF or OTF font.")
    if magic not in _MAGIC or len(data) < 12:
        raise FontFileError("This is not a TTF or OTF font file.")
    tables = _tables(data)
    missing = [t.decode() for t in _REQUIRED_TABLES if t not in tables]
    if missing:
        raise FontFileError(f"The font has no {', '.join(missing)} table.")
    names = _names(data, *tables[b"name"])
    family = names.get(_FAMILY) or names.get(_TYPO_FAMILY)
    if not family:
        raise FontFileError("The font's name table gives no family name.")
    subfamily = names.get(_SUBFAMILY) or names.get(_TYPO_SUBFAMILY) or "Regular"
    weight = None
    if b"OS/2" in tables:
        os2, os2_len = tables[b"OS/2"]
        if os2_len >= 6:
            weight = _u16(data, os2 + 4)
    return FontInfo(
        format=_MAGIC[magic],
        family=family,
        subfamily=subfamily,
        full_name=names.get(_FULL) or f"{family} {subfamily}",
        weight=weight,
    )
