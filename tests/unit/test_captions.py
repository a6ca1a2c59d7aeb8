"""Caption styles and ASS generation."""

from __future__ import annotations

import re

import pytest

from clipforge.domain.captions import (
    CAPTION_STYLES,
    DEFAULT_CAPTION_STYLE,
    MIN_FONT_SCALE,
    CaptionStyle,
    ass_colour,
    ass_override_colour,
    ass_time,
    build_ass,
    escape_ass_text,
    fit_caption,
    font_metrics,
    get_caption_style,
    text_width,
)
from clipforge.domain.transcript import Word

DIALOGUE = re.compile(
    r"^Dialogue: 0,(\d+:\d\d:\d\d\.\d\d),(\d+:\d\d:\d\d\.\d\d),Default,,0,0,0,,(.*)$"
)


def secs(t: str) -> float:
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def events(doc: str) -> list[tuple[float, float, str]]:
    out = []
    for line in doc.splitlines():
        m = DIALOGUE.match(line)
        if m:
            out.append((secs(m.group(1)), secs(m.group(2)), m.group(3)))
    return out


def plain(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "", text)


WORDS = [
    Word(" Sleep", 10.0, 10.3, 0.9),
    Word(" is", 10.35, 10.5, 0.9),
    Word(" your", 10.55, 10.8, 0.9),
    Word(" superpower.", 10.85, 11.5, 0.9),
    Word(" Really", 13.0, 13.4, 0.9),  # after a 1.5 s pause
    Word(" it", 13.45, 13.6, 0.9),
    Word(" is", 13.65, 13.9, 0.9),
]


def test_colour_formats() -> None:
    assert ass_colour("#FFD400") == "&H0000D4FF"
    assert ass_colour("#102030", alpha=0x80) == "&H80302010"
    assert ass_override_colour("#FFFF00") == "&H00FFFF&"
    with pytest.raises(ValueError):
        ass_colour("yellow")


@pytest.mark.parametrize(
    ("t", "out"),
    [(0, "0:00:00.00"), (61.256, "0:01:01.26"), (3600, "1:00:00.00"), (-1, "0:00:00.00")],
)
def test_ass_time(t: float, out: str) -> None:
    assert ass_time(t) == out


def test_presets_and_lookup() -> None:
    assert {"karaoke", "bold", "minimal"} <= set(CAPTION_STYLES)
    assert get_caption_style("Bold").uppercase
    assert CAPTION_STYLES["karaoke"].highlight
    assert not CAPTION_STYLES["minimal"].highlight
    with pytest.raises(ValueError) as err:
        get_caption_style("comic-sans")
    for name in ("karaoke", "bold", "minimal"):
        assert name in str(err.value)


def test_document_sections_and_play_res() -> None:
    doc = build_ass(
        WORDS,
        clip_start=10.0,
        clip_end=14.0,
        width=1080,
        height=1920,
        style=get_caption_style("karaoke"),
    )
    assert doc.startswith("[Script Info]\n")
    assert "PlayResX: 1080\nPlayResY: 1920\n" in doc
    assert "[V4+ Styles]" in doc and "[Events]" in doc
    style_line = next(ln for ln in doc.splitlines() if ln.startswith("Style: "))
    fields = style_line[len("Style: ") :].split(",")
    assert len(fields) == 23  # matches the Format line
    assert fields[1] == "Open Sans"
    assert fields[3] == "&H00FFFFFF"


def test_karaoke_one_event_per_word_with_highlight() -> None:
    style = get_caption_style("karaoke")
    doc = build_ass(WORDS, clip_start=10.0, clip_end=14.0, width=1080, height=1920, style=style)
    evs = events(doc)
    assert len(evs) == len(WORDS)
    hl = "{\\c" + ass_override_colour(style.highlight_colour)
    for (start, end, text), word in zip(evs, WORDS, strict=True):
        assert text.count(hl) == 1
        highlighted = re.search(r"\{\\c&H[0-9A-F]{6}&\}([^{]*)\{\\r\}", text)
        assert highlighted is not None and highlighted.group(1) == word.clean
        assert 0.0 <= start < end <= 4.0
    # First line: the four words before the pause, shown together.
    assert plain(evs[0][2]) == "Sleep is your superpower."
    assert plain(evs[4][2]) == "Really it is"
    # Word events of a line are back to back; times are clip-relative.
    assert evs[0][0] == 0.0 and evs[1][0] == pytest.approx(0.35)
    assert evs[0][1] == evs[1][0]
    # The line before the pause is held at most ~1 s after its last word (11.5 + 1 - 10).
    assert evs[3][1] == pytest.approx(2.5)
    # The last line is clamped to the clip end (13.9 + 1 > 14).
    assert evs[-1][1] == pytest.approx(4.0)


def test_no_line_crosses_a_pause() -> None:
    ws = [Word(" a", 0.0, 0.2, 1), Word(" b", 1.0, 1.2, 1), Word(" c", 1.3, 1.5, 1)]
    doc = build_ass(
        ws, clip_start=0, clip_end=3, width=1080, height=1080, style=get_caption_style("karaoke")
    )
    lines = {plain(t) for _, _, t in events(doc)}
    assert lines == {"a", "b c"}


def test_max_words_per_line() -> None:
    ws = [Word(f" w{i}", i * 0.3, i * 0.3 + 0.25, 1) for i in range(10)]
    style = get_caption_style("bold")
    doc = build_ass(ws, clip_start=0, clip_end=5, width=1080, height=1920, style=style)
    for _, _, text in events(doc):
        assert len(plain(text).split()) <= style.max_words_per_line


def test_bold_is_uppercase_and_minimal_lowercase_without_highlight() -> None:
    bold = build_ass(
        WORDS, clip_start=10, clip_end=14, width=1080, height=1920, style=get_caption_style("bold")
    )
    assert "SUPERPOWER." in bold and "superpower" not in bold
    minimal_style = get_caption_style("minimal")
    minimal = build_ass(
        WORDS, clip_start=10, clip_end=14, width=1080, height=1920, style=minimal_style
    )
    evs = events(minimal)
    assert [t for _, _, t in evs] == ["sleep is your superpower.", "really it is"]
    assert "\\c&H" not in minimal.split("[Events]")[1]


def test_words_outside_clip_are_dropped_and_times_clamped() -> None:
    doc = build_ass(
        WORDS,
        clip_start=10.4,
        clip_end=13.5,
        width=1080,
        height=1080,
        style=get_caption_style("karaoke"),
    )
    evs = events(doc)
    text = " ".join(plain(t) for _, _, t in evs)
    assert "Sleep" not in text  # ended at 10.3
    assert "is" in text  # 10.35-10.5 overlaps the start: kept, clamped to 0
    assert evs[0][0] == 0.0
    assert all(0 <= s < e <= 3.1 for s, e, _ in evs)


def test_text_is_escaped() -> None:
    ws = [
        Word(" {\\b1}evil", 0.0, 0.5, 1),
        Word(" back\\Nslash", 0.6, 1.0, 1),
        Word(" new\nline", 1.1, 1.5, 1),
    ]
    doc = build_ass(
        ws, clip_start=0, clip_end=2, width=1080, height=1080, style=get_caption_style("minimal")
    )
    body = events(doc)[0][2]
    assert "{" not in body and "}" not in body and "\\" not in body and "\n" not in body
    assert "evil" in body and "slash" in body
    assert escape_ass_text("a{b}c\\d") == "a(b)c/d"


def test_empty_and_invalid() -> None:
    style = get_caption_style("karaoke")
    assert (
        events(build_ass([], clip_start=0, clip_end=5, width=1080, height=1920, style=style)) == []
    )
    assert (
        events(build_ass(WORDS, clip_start=5, clip_end=5, width=1080, height=1920, style=style))
        == []
    )
    with pytest.raises(ValueError):
        build_ass(WORDS, clip_start=0, clip_end=5, width=0, height=1920, style=style)


def test_font_size_scales_with_output() -> None:
    style = get_caption_style("karaoke")
    small = build_ass([], clip_start=0, clip_end=1, width=540, height=960, style=style)
    size = next(ln for ln in small.splitlines() if ln.startswith("Style:")).split(",")[2]
    assert float(size) == pytest.approx(style.font_size / 2)


# --- presets, custom fields and the safe area ---------------------------------------------


def style_fields(doc: str) -> list[str]:
    line = next(ln for ln in doc.splitlines() if ln.startswith("Style: "))
    return line[len("Style: ") :].split(",")


def test_at_least_six_presets_with_descriptions_karaoke_default() -> None:
    assert {"karaoke", "bold", "minimal", "pop", "boxed", "fast", "outline"} <= set(CAPTION_STYLES)
    assert DEFAULT_CAPTION_STYLE == "karaoke"
    for name, style in CAPTION_STYLES.items():
        assert style.name == name and style.description


@pytest.mark.parametrize("name", sorted(CAPTION_STYLES))
def test_every_preset_renders_inside_the_clip(name: str) -> None:
    doc = build_ass(
        WORDS, clip_start=10, clip_end=14, width=1080, height=1920, style=CAPTION_STYLES[name]
    )
    evs = events(doc)
    assert evs and all(0 <= s < e <= 4.0 for s, e, _ in evs)
    assert len(style_fields(doc)) == 23


def test_pop_scales_the_spoken_word_up_then_back_in_120_ms() -> None:
    style = get_caption_style("pop")
    evs = events(build_ass(WORDS, clip_start=10, clip_end=14, width=1080, height=1920, style=style))
    for _, _, text in evs:
        assert text.count("\\fscx115\\fscy115\\t(0,120,\\fscx100\\fscy100)") == 1
        assert ass_override_colour(style.highlight_colour) in text


def test_boxed_uses_an_opaque_box_in_the_back_colour() -> None:
    style = get_caption_style("boxed")
    fields = style_fields(
        build_ass([], clip_start=0, clip_end=1, width=1080, height=1920, style=style)
    )
    assert fields[15] == "3"  # BorderStyle: opaque box
    assert fields[5] == fields[6] == ass_colour(style.back_colour, 0)  # opaque box colour
    assert style.lines_per_caption == 2


def test_boxed_captions_have_two_lines() -> None:
    ws = [Word(f" word{i}", i * 0.3, i * 0.3 + 0.25, 1) for i in range(8)]
    evs = events(
        build_ass(
            ws, clip_start=0, clip_end=5, width=1080, height=1920, style=get_caption_style("boxed")
        )
    )
    assert plain(evs[0][2]).count("\\N") == 1


def test_fast_shows_at_most_three_uppercase_words_on_one_line() -> None:
    ws = [Word(f" word{i}", i * 0.3, i * 0.3 + 0.25, 1) for i in range(10)]
    style = get_caption_style("fast")
    evs = events(build_ass(ws, clip_start=0, clip_end=5, width=1080, height=1920, style=style))
    for _, _, text in evs:
        shown = plain(text)
        assert "\\N" not in shown and shown == shown.upper()
        assert 1 <= len(shown.split()) <= 3
    assert style.font_size > CAPTION_STYLES["karaoke"].font_size


def test_position_and_margins() -> None:
    assert CAPTION_STYLES["karaoke"].alignment == 2
    assert CAPTION_STYLES["pop"].alignment == 5
    top = CaptionStyle(name="custom", position="top", margin_v=100)
    fields = style_fields(
        build_ass([], clip_start=0, clip_end=1, width=1080, height=1920, style=top)
    )
    assert fields[18] == "8"
    assert fields[19] == fields[20] == "54"  # 5 % side margins: the 90 % safe area
    assert fields[21] == "100"


def test_custom_style_fields_are_validated() -> None:
    CaptionStyle(name="x", font_file="OpenSans-Bold.ttf", back_colour="#123456")
    with pytest.raises(ValueError, match="position"):
        CaptionStyle(name="x", position="left")
    with pytest.raises(ValueError, match="RRGGBB"):
        CaptionStyle(name="x", back_colour="red")
    with pytest.raises(ValueError):
        CaptionStyle(name="x", lines_per_caption=0)
    with pytest.raises(ValueError):
        CaptionStyle(name="x", uppercase=True, lowercase=True)


def test_metrics_estimate_measured_libass_widths() -> None:
    m = font_metrics("Open Sans")
    # Open Sans Bold through libass at size 40: 26 lowercase letters measured 432 px wide.
    assert text_width("abcdefghijklmnopqrstuvwxyz", 40, m) == pytest.approx(432, rel=0.08)
    assert font_metrics("Unknown Font").lower > m.lower  # unmeasured fonts err wide


def test_fit_caption_keeps_lines_that_fit() -> None:
    m = font_metrics("Open Sans")
    fitted = fit_caption([["short", "line"]], font_size=78, max_width=972, metrics=m)
    assert fitted.font_size == 78 and fitted.lines == [[0, 1]]


def test_fit_caption_shrinks_the_font_a_little() -> None:
    m = font_metrics("Open Sans")
    tokens = ["ABCDEFGHIJ", "KLMNOPQRST"]
    natural = text_width("ABCDEFGHIJ KLMNOPQRST", 100, m)
    fitted = fit_caption([tokens], font_size=100, max_width=natural * 0.9, metrics=m)
    assert fitted.lines == [[0, 1]]
    assert fitted.font_size == pytest.approx(90, rel=0.01)


def test_fit_caption_breaks_the_line_when_shrinking_is_not_enough() -> None:
    m = font_metrics("Open Sans")
    tokens = ["SUPERCALIFRAGILISTIC", "EXPIALIDOCIOUS", "INDEED"]
    fitted = fit_caption([tokens], font_size=120, max_width=972, metrics=m)
    assert fitted.font_size == pytest.approx(120 * MIN_FONT_SCALE)
    assert len(fitted.lines) > 1 and [i for ln in fitted.lines for i in ln] == [0, 1, 2]
    for line in fitted.lines:
        text = " ".join(tokens[i] for i in line)
        assert text_width(text, fitted.font_size, m) <= 972


def test_fit_caption_single_huge_word_shrinks_below_the_floor() -> None:
    m = font_metrics("Open Sans")
    word = "W" * 40
    fitted = fit_caption([[word]], font_size=120, max_width=972, metrics=m, pad=8)
    assert fitted.font_size < 120 * MIN_FONT_SCALE
    assert text_width(word, fitted.font_size, m) + 16 <= 972 + 1e-6


def test_fit_caption_allows_for_the_popped_word() -> None:
    m = font_metrics("Open Sans")
    tokens = ["AAAA", "BBBB"]
    width = text_width("AAAA BBBB", 100, m)
    assert fit_caption([tokens], font_size=100, max_width=width, metrics=m).font_size == 100
    assert (
        fit_caption([tokens], font_size=100, max_width=width, metrics=m, grow=1.15).font_size < 100
    )


def test_build_ass_keeps_every_line_in_the_safe_area() -> None:
    ws = [
        Word(" Incomprehensibilities", 0.0, 0.8, 1),
        Word(" notwithstanding", 0.9, 1.5, 1),
        Word(" everything", 1.6, 2.0, 1),
    ]
    style = get_caption_style("fast")
    doc = build_ass(ws, clip_start=0, clip_end=3, width=720, height=1280, style=style)
    base = style.font_size * 720 / 1080
    m = font_metrics(style.font_name)
    sizes = []
    for _, _, text in events(doc):
        size_tag = re.match(r"\{\\fs([\d.]+)\}", text)
        size = float(size_tag.group(1)) if size_tag else base
        sizes.append(size)
        for line in plain(text).split("\\N"):
            assert text_width(line, size, m) + 2 * style.outline * 720 / 1080 <= 720 * 0.9
    assert min(sizes) < base and max(sizes) == base  # only the long words shrank
    # The highlight reset keeps the fitted size.
    assert "{\\r\\fs" in doc
