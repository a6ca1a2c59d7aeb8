"""Caption styles and ASS (Advanced SubStation Alpha) documents for burned-in captions.

ASS is what libass (ffmpeg's `ass` filter) renders, and it lets each word be coloured as it
is spoken. Each caption line is emitted as one Dialogue event per word, the line's text
repeated with the current word in the highlight colour, which gives the "karaoke" look
without relying on renderer-specific karaoke tags. Pure, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.domain.subtitles import HOLD_MAX, PAUSE_BREAK, group_words, words_in_range
from clipforge.domain.transcript import Word

#: Family name of the font bundled with ClipForge (kept in step with clipforge.media.fonts).
FONT_NAME = "Open Sans"

#: Sizes in the presets are designed for a 1080-pixel short side and scaled from there.
_REFERENCE_SIDE = 1080

_HEX_COLOUR = re.compile(r"^#?([0-9A-Fa-f]{6})$")


@dataclass(frozen=True, slots=True)
class CaptionStyle:
    """How captions look. Colours are '#RRGGBB'; `alignment` is the ASS numpad position
    (2 bottom centre, 5 middle centre, 8 top centre); sizes are for a 1080 px short side."""

    name: str
    font_name: str = FONT_NAME
    font_size: int = 78
    primary_colour: str = "#FFFFFF"
    highlight_colour: str = "#FFD400"
    outline_colour: str = "#000000"
    outline: float = 4.0
    shadow: float = 1.5
    alignment: int = 2
    margin_v: int = 360
    uppercase: bool = False
    lowercase: bool = False
    max_words_per_line: int = 4
    highlight: bool = True
    highlight_scale: int = 100
    bold: bool = True


CAPTION_STYLES: dict[str, CaptionStyle] = {
    "karaoke": CaptionStyle(name="karaoke"),
    "bold": CaptionStyle(
        name="bold",
        font_size=92,
        highlight_colour="#39FF14",
        outline=7.0,
        shadow=2.0,
        alignment=5,
        margin_v=0,
        uppercase=True,
        max_words_per_line=3,
        highlight_scale=112,
    ),
    "minimal": CaptionStyle(
        name="minimal",
        font_size=60,
        highlight_colour="#FFFFFF",
        outline=2.5,
        shadow=0.0,
        margin_v=220,
        lowercase=True,
        max_words_per_line=6,
        highlight=False,
    ),
}

DEFAULT_CAPTION_STYLE = "karaoke"


def get_caption_style(name: str) -> CaptionStyle:
    """The preset called `name` (case-insensitive) or ValueError listing the valid names."""
    key = name.strip().lower()
    try:
        return CAPTION_STYLES[key]
    except KeyError:
        raise ValueError(
            f"Unknown caption style {name!r}; valid caption styles are: "
            + ", ".join(sorted(CAPTION_STYLES))
            + "."
        ) from None


def _bgr(colour: str) -> str:
    m = _HEX_COLOUR.match(colour.strip())
    if not m:
        raise ValueError(f"Colour {colour!r} is not in #RRGGBB form.")
    rgb = m.group(1).upper()
    return rgb[4:6] + rgb[2:4] + rgb[0:2]


def ass_colour(colour: str, alpha: int = 0) -> str:
    """'#RRGGBB' -> '&HAABBGGRR' as used in the [V4+ Styles] section (alpha 0 = opaque)."""
    if not 0 <= alpha <= 255:
        raise ValueError("alpha must be 0..255")
    return f"&H{alpha:02X}{_bgr(colour)}"


def ass_override_colour(colour: str) -> str:
    """'#RRGGBB' -> '&HBBGGRR&' as used in `{\\c...}` override tags."""
    return f"&H{_bgr(colour)}&"


def ass_time(seconds: float) -> str:
    """ASS time `H:MM:SS.cc` (centiseconds), clamped at zero."""
    cs = max(0, round(seconds * 100))
    h, rem = divmod(cs, 360_000)
    m, rem = divmod(rem, 6000)
    s, cs = divmod(rem, 100)
    return f"{h:d}:{m:02d}:{s:02d}.{cs:02d}"


def escape_ass_text(text: str) -> str:
    """Make transcript text inert in an ASS event.

    ASS has no escape for braces (an override block) or for backslash sequences like
    `\\N`, so they are replaced with look-alikes the bundled font has; line breaks become
    spaces because our caption lines are single lines by design.
    """
    text = text.replace("\\", "/").replace("{", "(").replace("}", ")")
    return " ".join(text.split())


def _word_text(word: Word, style: CaptionStyle) -> str:
    text = word.clean
    if style.uppercase:
        text = text.upper()
    elif style.lowercase:
        text = text.lower()
    return escape_ass_text(text)


def _scaled(value: float, scale: float) -> str:
    return f"{value * scale:.1f}".rstrip("0").rstrip(".")


def _header(width: int, height: int, style: CaptionStyle) -> str:
    scale = min(width, height) / _REFERENCE_SIDE
    fields = [
        "Default",
        style.font_name,
        _scaled(style.font_size, scale),
        ass_colour(style.primary_colour),
        ass_colour(style.highlight_colour),
        ass_colour(style.outline_colour),
        ass_colour(style.outline_colour, alpha=0x80),
        "-1" if style.bold else "0",
        "0",
        "0",
        "0",
        "100",
        "100",
        "0",
        "0",
        "1",
        _scaled(style.outline, scale),
        _scaled(style.shadow, scale),
        str(style.alignment),
        str(round(60 * scale)),
        str(round(60 * scale)),
        str(round(style.margin_v * height / 1920)),
        "1",
    ]
    return (
        "[Script Info]\n"
        "; Generated by ClipForge\n"
        "ScriptType: v4.00+\n"
        f"PlayResX: {width}\n"
        f"PlayResY: {height}\n"
        "WrapStyle: 0\n"
        "ScaledBorderAndShadow: yes\n"
        "YCbCr Matrix: TV.709\n"
        "\n"
        "[V4+ Styles]\n"
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding\n"
        f"Style: {','.join(fields)}\n"
        "\n"
        "[Events]\n"
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
    )


def _dialogue(start: float, end: float, text: str) -> str:
    return f"Dialogue: 0,{ass_time(start)},{ass_time(end)},Default,,0,0,0,,{text}\n"


def build_ass(
    words: Sequence[Word],
    *,
    clip_start: float,
    clip_end: float,
    width: int,
    height: int,
    style: CaptionStyle,
) -> str:
    """A complete ASS document captioning the words spoken in [clip_start, clip_end).

    Times are relative to the clip start and clamped to the clip. With `style.highlight`,
    each line becomes one event per word, the current word in the highlight colour.
    """
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    doc = [_header(width, height, style)]
    length = clip_end - clip_start
    if length <= 0:
        return "".join(doc)
    lines = group_words(
        words_in_range(words, clip_start, clip_end),
        max_words=style.max_words_per_line,
        max_chars=10 * style.max_words_per_line,
        pause=PAUSE_BREAK,
    )
    hl = ass_override_colour(style.highlight_colour)
    scale_tag = (
        f"\\fscx{style.highlight_scale}\\fscy{style.highlight_scale}"
        if style.highlight_scale != 100
        else ""
    )

    def rel(t: float) -> float:
        return min(max(t - clip_start, 0.0), length)

    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        line_stop = line[-1].end + HOLD_MAX
        if nxt is not None:
            line_stop = min(line_stop, nxt[0].start)
        line_stop = max(line_stop, line[0].start)
        texts = [_word_text(w, style) for w in line]
        if not style.highlight:
            start, end = rel(line[0].start), rel(line_stop)
            if end > start:
                doc.append(_dialogue(start, end, " ".join(texts)))
            continue
        for j in range(len(line)):
            start = rel(line[0].start if j == 0 else line[j].start)
            end = rel(line[j + 1].start if j + 1 < len(line) else line_stop)
            if end <= start:
                continue
            parts = [
                f"{{\\c{hl}{scale_tag}}}{t}{{\\r}}" if k == j else t for k, t in enumerate(texts)
            ]
            doc.append(_dialogue(start, end, " ".join(parts)))
    return "".join(doc)
