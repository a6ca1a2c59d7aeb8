"""The caption font shipped inside the package.

A fresh server often has no fonts at all; libass then renders nothing. We ship Open Sans
Bold (Apache-2.0) and point libass at it with `fontsdir`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

#: Family name libass matches against the bundled TTF (use with Bold=-1 in styles).
DEFAULT_FONT_NAME = "Open Sans"
DEFAULT_FONT_FILE = "OpenSans-Bold.ttf"


def fonts_dir() -> Path:
    """Folder holding only the bundled font files (pass as the ass filter `fontsdir`).

    Licences live in its `licenses/` subfolder: libass tries every file here as a font.
    """
    return Path(__file__).resolve().parent.parent / "fonts"


def default_font_path() -> Path:
    """The bundled TTF itself, for filters that take a file (drawtext `fontfile`)."""
    return fonts_dir() / DEFAULT_FONT_FILE


def resolve_font_file(font_file: str) -> Path:
    """A caption style's `font_file`: a file in the bundled fonts folder, or a path."""
    bundled = fonts_dir() / font_file
    if "/" not in font_file and "\\" not in font_file and bundled.is_file():
        return bundled
    path = Path(font_file).expanduser()
    if not path.is_file():
        raise ValueError(f"Caption font file {font_file!r} was not found.")
    if path.suffix.lower() not in {".ttf", ".otf", ".ttc"}:
        raise ValueError(f"Caption font file {font_file!r} is not a TTF/OTF/TTC font.")
    return path


def fonts_dir_with(font_file: str, folder: Path) -> Path:
    """A fonts folder for libass holding the bundled fonts plus `font_file`.

    The bundled folder itself when the file is already in it; otherwise `folder` is filled
    with copies (libass loads every file in `fontsdir`).
    """
    path = resolve_font_file(font_file)
    if path.parent == fonts_dir():
        return fonts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for src in [*sorted(fonts_dir().glob("*.[ot]t[fc]")), path]:
        shutil.copyfile(src, folder / src.name)
    return folder
