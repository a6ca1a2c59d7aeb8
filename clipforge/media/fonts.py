"""The caption font shipped inside the package.

A fresh server often has no fonts at all; libass then renders nothing. We ship Open Sans
Bold (Apache-2.0) and point libass at it with `fontsdir`.
"""

from __future__ import annotations

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
