"""Caption styles and ASS generation."""

from __future__ import annotations

import re

import pytest

from clipforge.domain.captions import (
    CAPTION_STYLES,
    ass_colour,
    ass_override_colour,
    ass_time,
    build_ass,
    escape_ass_text,
    get_caption_style,
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
