"""Caption styles and ASS (Advanced SubStation Alpha) documents for burned-in captions.

ASS is what libass (ffmpeg's `ass` filter) renders, and it lets each word be coloured as it
is spoken. Each caption line is emitted as one Dialogue event per word, the line's text
repeated with the current word in the highlight colour, which gives the "karaoke" look
without relying on renderer-specific karaoke tags. Pure, no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.domain.subtitles import (
    HOLD_MAX,
    MIN_CAPTION_SECONDS,
    PAUSE_BREAK,
    caption_times,
    group_captions,
    words_in_range,
)
from clipforge.domain.transcript import Word

#: Family name of the font bundled with ClipForge (kept in step with clipforge.media.fonts).
FONT_NAME = "Open Sans"

#: Sizes in the presets are designed for a 1080-pixel short side and scaled from there.
_REFERENCE_SIDE = 1080

_HEX_COLOUR = re.compile(r"^#?([0-9A-Fa-f]{6})$")


def _bgr(colour: str) -> str:
    m = _HEX_COLOUR.match(colour.strip())
    if not m:
        raise ValueError(f"Colour {colour!r} is not in #RRGGBB form.")
    rgb = m.group(1).upper()
    return rgb[4:6] + rgb[2:4] + rgb[0:2]


#: ASS numpad alignment (centred) for each caption position.
POSITIONS: dict[str, int] = {"bottom": 2, "middle": 5, "top": 8}

#: Share of the output width captions may use (the safe area); the rest is side margin.
SAFE_WIDTH = 0.90

#: How far a caption's font may shrink to fit the safe area before its line is broken.
MIN_FONT_SCALE = 0.75


@dataclass(frozen=True, slots=True)
class FontMetrics:
    """Average glyph advances of a font as fractions of the ASS font size (libass sizes a
    font by its ascent+descent, so these are smaller than em-based advances)."""

    lower: float
    upper: float
    digit: float
    space: float
    punct: float

    def advance(self, ch: str) -> float:
        if ch.isspace():
            return self.space
        if ch.isdigit():
            return self.digit
        if ch.isupper() or ch in "MW":
            return self.upper
        if ch.isalpha():
            return self.lower
        return self.punct


#: Measured by rendering through libass (see docs/captions.md); keyed by lower-case family.
FONT_METRICS: dict[str, FontMetrics] = {
    "open sans": FontMetrics(lower=0.44, upper=0.53, digit=0.45, space=0.21, punct=0.26),
}
#: For fonts we have not measured: wide enough that text estimated to fit does fit.
FALLBACK_METRICS = FontMetrics(lower=0.55, upper=0.68, digit=0.58, space=0.28, punct=0.35)


def font_metrics(font_name: str) -> FontMetrics:
    return FONT_METRICS.get(font_name.strip().lower(), FALLBACK_METRICS)


@dataclass(frozen=True, slots=True)
class CaptionStyle:
    """How captions look and how words are grouped into them.

    Colours are '#RRGGBB'. Sizes (font, outline, shadow, margin) are for a 1080 px short
    side and scale with the output. `position` is top/middle/bottom and `margin_v` the
    distance from that edge on a 1920 px tall frame. `font_file` names a TTF/OTF (a file in
    the bundled fonts folder or an absolute path) that holds `font_name`. With `box`, each
    line sits on an opaque box of `back_colour` (ASS BorderStyle 3, `outline` is the
    padding). `highlight_scale` enlarges the spoken word for its whole duration;
    `pop_scale` makes it start that large and shrink back to 100 % over `pop_ms`.
    """

    name: str
    font_name: str = FONT_NAME
    font_file: str | None = None
    font_size: int = 78
    primary_colour: str = "#FFFFFF"
    highlight_colour: str = "#FFD400"
    outline_colour: str = "#000000"
    back_colour: str = "#000000"
    back_alpha: int = 0x80
    outline: float = 4.0
    shadow: float = 1.5
    box: bool = False
    position: str = "bottom"
    margin_v: int = 360
    uppercase: bool = False
    lowercase: bool = False
    max_words_per_line: int = 4
    max_chars_per_line: int = 32
    lines_per_caption: int = 1
    highlight: bool = True
    highlight_scale: int = 100
    pop_scale: int = 100
    pop_ms: int = 120
    bold: bool = True
    description: str = ""

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise ValueError(
                f"Caption position {self.position!r} is not one of: {', '.join(POSITIONS)}."
            )
        for colour in (
            self.primary_colour,
            self.highlight_colour,
            self.outline_colour,
            self.back_colour,
        ):
            _bgr(colour)
        if not 0 <= self.back_alpha <= 255:
            raise ValueError("back_alpha must be 0..255")
        if self.font_size <= 0 or self.outline < 0 or self.shadow < 0 or self.margin_v < 0:
            raise ValueError("font size must be positive; outline, shadow, margin not negative")
        if min(self.max_words_per_line, self.max_chars_per_line, self.lines_per_caption) < 1:
            raise ValueError("words, characters and lines per caption must be at least 1")
        if self.uppercase and self.lowercase:
            raise ValueError("a caption style cannot be both uppercase and lowercase")
        if self.highlight_scale <= 0 or self.pop_scale <= 0 or self.pop_ms < 0:
            raise ValueError("scales must be positive and pop_ms not negative")

    @property
    def alignment(self) -> int:
        """The ASS numpad alignment of `position` (2 bottom, 5 middle, 8 top, centred)."""
        return POSITIONS[self.position]


CAPTION_STYLES: dict[str, CaptionStyle] = {
    "karaoke": CaptionStyle(
        name="karaoke",
        description="Sentence-case line at the bottom; the spoken word turns yellow.",
    ),
    "bold": CaptionStyle(
        name="bold",
        font_size=92,
        highlight_colour="#39FF14",
        outline=7.0,
        shadow=2.0,
        position="middle",
        margin_v=0,
        uppercase=True,
        max_words_per_line=3,
        max_chars_per_line=30,
        highlight_scale=112,
        description="Big uppercase words mid-frame; the spoken word is green and 12 % larger.",
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
        max_chars_per_line=40,
        highlight=False,
        description="Small lowercase line low in the frame, no highlight.",
    ),
    "pop": CaptionStyle(
        name="pop",
        font_size=84,
        highlight_colour="#FF4FD8",
        outline=5.0,
        shadow=2.0,
        position="middle",
        margin_v=0,
        max_words_per_line=4,
        max_chars_per_line=28,
        pop_scale=115,
        pop_ms=120,
        description="Each word pops in at 115 % and settles to 100 % in 120 ms, in pink.",
    ),
    "boxed": CaptionStyle(
        name="boxed",
        font_size=70,
        primary_colour="#FFFFFF",
        highlight_colour="#FFD400",
        outline_colour="#111111",
        back_colour="#111111",
        back_alpha=0x00,
        outline=14.0,
        shadow=0.0,
        box=True,
        margin_v=300,
        max_words_per_line=5,
        max_chars_per_line=30,
        lines_per_caption=2,
        description="Up to two lines on an opaque dark box; the spoken word turns yellow.",
    ),
    "fast": CaptionStyle(
        name="fast",
        font_size=120,
        highlight_colour="#00E5FF",
        outline=8.0,
        shadow=3.0,
        position="middle",
        margin_v=0,
        uppercase=True,
        max_words_per_line=3,
        max_chars_per_line=16,
        description="Two or three huge uppercase words at a time, mid-frame, for fast cuts.",
    ),
    "outline": CaptionStyle(
        name="outline",
        font_size=96,
        primary_colour="#FFFFFF",
        outline_colour="#000000",
        outline=10.0,
        shadow=0.0,
        margin_v=420,
        uppercase=True,
        max_words_per_line=3,
        max_chars_per_line=22,
        highlight=False,
        description="Heavy black outline around white uppercase text; no highlight.",
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


def _style_scale(width: int, height: int) -> float:
    return min(width, height) / _REFERENCE_SIDE


def text_width(text: str, font_size: float, metrics: FontMetrics) -> float:
    """Estimated rendered width in pixels of `text` at `font_size` (ASS units)."""
    return font_size * sum(metrics.advance(ch) for ch in text)


@dataclass(frozen=True, slots=True)
class FittedCaption:
    """A caption laid out for the frame: its font size and the words (indices) per line."""

    font_size: float
    lines: list[list[int]]


def _line_width(
    tokens: Sequence[str], size: float, metrics: FontMetrics, pad: float, grow: float
) -> float:
    """Width of tokens joined by spaces, plus padding, allowing one word to be `grow` larger."""
    if not tokens:
        return 0.0
    base = text_width(" ".join(tokens), size, metrics)
    widest = max(text_width(t, size, metrics) for t in tokens)
    return base + widest * max(grow - 1.0, 0.0) + 2 * pad


def fit_caption(
    lines: Sequence[Sequence[str]],
    *,
    font_size: float,
    max_width: float,
    metrics: FontMetrics,
    pad: float = 0.0,
    grow: float = 1.0,
    min_scale: float = MIN_FONT_SCALE,
) -> FittedCaption:
    """Keep a caption inside `max_width`: shrink its font, then break its lines.

    Widths are estimated from the characters and the font's average advances; `pad` is
    added on both sides (outline or box) and `grow` allows for the highlighted word being
    scaled up. First the font shrinks, down to `min_scale` of `font_size`; if the widest
    line still does not fit, lines are broken (greedily, at that size) and, as a last
    resort for a single word too wide on its own, the font shrinks further.
    """
    if font_size <= 0 or max_width <= 0:
        raise ValueError("font size and width must be positive")
    index_lines: list[list[int]] = []
    tokens: list[str] = []
    for line in lines:
        idx = []
        for tok in line:
            idx.append(len(tokens))
            tokens.append(tok)
        if idx:
            index_lines.append(idx)

    room = max_width - 2 * pad
    if room <= 0:
        raise ValueError("padding leaves no room for text")

    def widest(ls: list[list[int]], size: float) -> float:
        """Text width (padding excluded) of the widest line; linear in `size`."""
        return max(
            (_line_width([tokens[i] for i in ln], size, metrics, 0.0, grow) for ln in ls),
            default=0.0,
        )

    w = widest(index_lines, font_size)
    if w <= room:
        return FittedCaption(font_size, index_lines)
    size = font_size * room / w
    floor = font_size * min_scale
    if size >= floor:
        return FittedCaption(size, index_lines)
    size = floor
    broken: list[list[int]] = []
    for ln in index_lines:
        current: list[int] = []
        for i in ln:
            candidate = [*current, i]
            fits = _line_width([tokens[k] for k in candidate], size, metrics, 0.0, grow)
            if current and fits > room:
                broken.append(current)
                current = [i]
            else:
                current = candidate
        if current:
            broken.append(current)
    w = widest(broken, size)
    if w > room:
        size *= room / w
    return FittedCaption(size, broken)


def _header(width: int, height: int, style: CaptionStyle) -> str:
    scale = _style_scale(width, height)
    # BorderStyle 3 draws an opaque box in the outline colour (the shadow uses BackColour),
    # so a boxed style paints its box with back_colour.
    outline_colour = (
        ass_colour(style.back_colour, style.back_alpha)
        if style.box
        else (ass_colour(style.outline_colour))
    )
    fields = [
        "Default",
        style.font_name,
        _scaled(style.font_size, scale),
        ass_colour(style.primary_colour),
        ass_colour(style.highlight_colour),
        outline_colour,
        ass_colour(style.back_colour, style.back_alpha),
        "-1" if style.bold else "0",
        "0",
        "0",
        "0",
        "100",
        "100",
        "0",
        "0",
        "3" if style.box else "1",
        _scaled(style.outline, scale),
        _scaled(style.shadow, scale),
        str(style.alignment),
        str(round(width * (1 - SAFE_WIDTH) / 2)),
        str(round(width * (1 - SAFE_WIDTH) / 2)),
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


def _highlight_tags(style: CaptionStyle) -> str:
    tags = f"\\c{ass_override_colour(style.highlight_colour)}"
    if style.pop_scale != 100:
        s = style.pop_scale
        rest = style.highlight_scale
        tags += f"\\fscx{s}\\fscy{s}\\t(0,{style.pop_ms},\\fscx{rest}\\fscy{rest})"
    elif style.highlight_scale != 100:
        tags += f"\\fscx{style.highlight_scale}\\fscy{style.highlight_scale}"
    return tags


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

    Words are grouped into captions by the style's per-line limits (`group_captions`) and
    timed by `caption_times` (readable minimum, held until the next caption up to a cap,
    never across a long pause). Each caption is fitted to the safe area (`fit_caption`):
    a caption that would be too wide gets a smaller `\\fs` or more lines. Times are
    relative to the clip start and clamped to the clip. With `style.highlight`, each
    caption becomes one event per word, the current word in the highlight colour.
    """
    if width <= 0 or height <= 0:
        raise ValueError("width and height must be positive")
    doc = [_header(width, height, style)]
    length = clip_end - clip_start
    if length <= 0:
        return "".join(doc)
    captions = group_captions(
        words_in_range(words, clip_start, clip_end),
        max_words_per_line=style.max_words_per_line,
        max_chars_per_line=style.max_chars_per_line,
        lines_per_caption=style.lines_per_caption,
        pause=PAUSE_BREAK,
    )
    times = caption_times(captions, hold=HOLD_MAX, min_duration=MIN_CAPTION_SECONDS)
    scale = _style_scale(width, height)
    base_size = style.font_size * scale
    metrics = font_metrics(style.font_name)
    grow = max(style.highlight_scale, style.pop_scale, 100) / 100 if style.highlight else 1.0
    hl = _highlight_tags(style)

    def rel(t: float) -> float:
        return min(max(t - clip_start, 0.0), length)

    for cap, (cap_start, cap_end) in zip(captions, times, strict=True):
        flat = [w for line in cap for w in line]
        texts = [_word_text(w, style) for w in flat]
        fitted = fit_caption(
            _split(texts, cap),
            font_size=base_size,
            max_width=width * SAFE_WIDTH,
            metrics=metrics,
            pad=style.outline * scale,
            grow=grow,
        )
        resized = abs(fitted.font_size - base_size) > 0.05
        # Rounded down so the rendered text is never wider than the fitted estimate.
        size = math.floor(fitted.font_size * 10) / 10
        size_tag = f"\\fs{size:.1f}".rstrip("0").rstrip(".") if resized else ""
        prefix = f"{{{size_tag}}}" if size_tag else ""
        reset = f"{{\\r{size_tag}}}"

        if not style.highlight:
            start, end = rel(cap_start), rel(cap_end)
            if end > start:
                doc.append(
                    _dialogue(
                        start, end, prefix + _caption_text(texts, fitted.lines, None, hl, reset)
                    )
                )
            continue
        for j in range(len(flat)):
            start = rel(cap_start if j == 0 else flat[j].start)
            end = rel(flat[j + 1].start if j + 1 < len(flat) else cap_end)
            if end <= start:
                continue
            doc.append(
                _dialogue(start, end, prefix + _caption_text(texts, fitted.lines, j, hl, reset))
            )
    return "".join(doc)


def _caption_text(
    texts: Sequence[str], lines: Sequence[Sequence[int]], current: int | None, hl: str, reset: str
) -> str:
    """The caption's lines joined by ASS hard breaks, word `current` highlighted."""
    return "\\N".join(
        " ".join(f"{{{hl}}}{texts[k]}{reset}" if k == current else texts[k] for k in line)
        for line in lines
    )


def _split(texts: list[str], cap: Sequence[Sequence[Word]]) -> list[list[str]]:
    out: list[list[str]] = []
    i = 0
    for line in cap:
        out.append(texts[i : i + len(line)])
        i += len(line)
    return out
