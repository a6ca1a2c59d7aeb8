"""Subtitle cues from transcripts and clips, and SRT/VTT text. Pure, no I/O.

Whole-transcript subtitles follow the broadcast convention (about 42 characters a line, at
most two lines); clip captions are short lines of a few words because they are read on a
phone while the clip plays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.domain.transcript import Segment, Transcript, Word

#: Characters per subtitle line, and lines per cue, for whole-transcript subtitles.
LINE_CHARS = 42
MAX_LINES = 2

#: Clip captions: words per line, characters per line, and the pause that ends a line.
CLIP_MAX_WORDS = 6
CLIP_MAX_CHARS = 32
PAUSE_BREAK = 0.7
#: How long a caption line may stay up after its last word when nobody speaks next.
HOLD_MAX = 1.0
#: The shortest time a caption stays on screen (a flash shorter than this cannot be read).
MIN_CAPTION_SECONDS = 0.5

_SENTENCE_END = (".", "!", "?", "…")


@dataclass(frozen=True, slots=True)
class Cue:
    start: float
    end: float
    text: str


def _clean(text: str) -> str:
    return " ".join(text.split())


def wrap_lines(text: str, width: int = LINE_CHARS) -> list[str]:
    """Split text into lines of at most `width` characters where possible (words kept whole).

    Two-line text is balanced (the split point nearest the middle) because it reads better
    than a full line over a stub.
    """
    text = _clean(text)
    if len(text) <= width:
        return [text] if text else []
    words = text.split(" ")
    if len(text) <= 2 * width:
        best: tuple[int, int] | None = None
        for i in range(1, len(words)):
            a, b = " ".join(words[:i]), " ".join(words[i:])
            if len(a) <= width and len(b) <= width:
                score = abs(len(a) - len(b))
                if best is None or score < best[0]:
                    best = (score, i)
        if best is not None:
            i = best[1]
            return [" ".join(words[:i]), " ".join(words[i:])]
    lines: list[str] = []
    current = ""
    for w in words:
        candidate = f"{current} {w}" if current else w
        if current and len(candidate) > width:
            lines.append(current)
            current = w
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def _chunk_words(words: Sequence[Word], limit: int) -> list[list[Word]]:
    """Greedy runs of words whose joined text fits in `limit` characters."""
    chunks: list[list[Word]] = []
    current: list[Word] = []
    length = 0
    for w in words:
        token = w.clean
        if not token:
            continue
        add = len(token) + (1 if current else 0)
        if current and length + add > limit:
            chunks.append(current)
            current, length = [], 0
            add = len(token)
        current.append(w)
        length += add
    if current:
        chunks.append(current)
    return chunks


def _segment_cues(seg: Segment) -> list[Cue]:
    text = _clean(seg.text)
    if not text or seg.end <= seg.start:
        return []
    limit = LINE_CHARS * MAX_LINES
    if len(text) <= limit:
        return [Cue(seg.start, seg.end, "\n".join(wrap_lines(text)))]
    if seg.words:
        chunks = _chunk_words(seg.words, limit)
        cues = []
        for i, chunk in enumerate(chunks):
            start = seg.start if i == 0 else chunk[0].start
            end = seg.end if i == len(chunks) - 1 else chunks[i + 1][0].start
            body = " ".join(w.clean for w in chunk)
            cues.append(Cue(start, max(end, start), "\n".join(wrap_lines(body))))
        return cues
    # No word timings: share the segment's time out in proportion to characters.
    pieces = wrap_lines(text)
    groups = [pieces[i : i + MAX_LINES] for i in range(0, len(pieces), MAX_LINES)]
    total = sum(len(" ".join(g)) for g in groups)
    cues, t = [], seg.start
    for g in groups:
        span = (seg.end - seg.start) * len(" ".join(g)) / total
        cues.append(Cue(t, t + span, "\n".join(g)))
        t += span
    return cues


def transcript_cues(transcript: Transcript) -> list[Cue]:
    """One cue per segment; long segments split into cues of ≤2 lines of ~42 characters."""
    return [cue for seg in transcript.segments for cue in _segment_cues(seg)]


def words_in_range(words: Sequence[Word], start: float, end: float) -> list[Word]:
    """Words that overlap [start, end) and have visible text, in time order."""
    return sorted(
        (w for w in words if w.end > start and w.start < end and w.clean),
        key=lambda w: (w.start, w.end),
    )


def group_words(
    words: Sequence[Word],
    *,
    max_words: int = CLIP_MAX_WORDS,
    max_chars: int = CLIP_MAX_CHARS,
    pause: float = PAUSE_BREAK,
) -> list[list[Word]]:
    """Group words into caption lines.

    A line ends at `max_words`, before it would pass `max_chars`, at a pause longer than
    `pause` seconds, or after a sentence-ending word — so a line never straddles a pause
    or two sentences.
    """
    lines: list[list[Word]] = []
    current: list[Word] = []
    length = 0
    for w in words:
        token = w.clean
        if not token:
            continue
        if current:
            gap = w.start - current[-1].end
            too_long = length + 1 + len(token) > max_chars
            if len(current) >= max_words or too_long or gap > pause:
                lines.append(current)
                current, length = [], 0
        current.append(w)
        length += len(token) + (1 if length else 0)
        if token.endswith(_SENTENCE_END):
            lines.append(current)
            current, length = [], 0
    if current:
        lines.append(current)
    return lines


def group_captions(
    words: Sequence[Word],
    *,
    max_words_per_line: int = CLIP_MAX_WORDS,
    max_chars_per_line: int = CLIP_MAX_CHARS,
    lines_per_caption: int = 1,
    pause: float = PAUSE_BREAK,
) -> list[list[list[Word]]]:
    """Group words into captions of up to `lines_per_caption` lines.

    A line holds at most `max_words_per_line` words and `max_chars_per_line` characters (a
    single longer word gets a line of its own); when a caption's lines are full the next
    word starts a new caption. A caption never spans a pause longer than `pause` seconds
    and ends after a sentence-ending word.
    """
    if max_words_per_line < 1 or max_chars_per_line < 1 or lines_per_caption < 1:
        raise ValueError("words, characters and lines per caption must be at least 1")
    captions: list[list[list[Word]]] = []
    lines: list[list[Word]] = []
    line: list[Word] = []
    length = 0
    last: Word | None = None

    def close() -> None:
        nonlocal lines, line, length
        if line:
            lines.append(line)
        if lines:
            captions.append(lines)
        lines, line, length = [], [], 0

    for w in words:
        token = w.clean
        if not token:
            continue
        if last is not None and w.start - last.end > pause:
            close()
        if line and (
            len(line) >= max_words_per_line or length + 1 + len(token) > max_chars_per_line
        ):
            lines.append(line)
            line, length = [], 0
            if len(lines) >= lines_per_caption:
                close()
        line.append(w)
        length += len(token) + (1 if length else 0)
        last = w
        if token.endswith(_SENTENCE_END):
            close()
    close()
    return captions


def caption_times(
    captions: Sequence[Sequence[Word]] | Sequence[Sequence[Sequence[Word]]],
    *,
    hold: float = HOLD_MAX,
    min_duration: float = MIN_CAPTION_SECONDS,
) -> list[tuple[float, float]]:
    """(start, end) of each caption, in source seconds.

    A caption starts with its first word. It stays up after its last word until the next
    caption starts (no flicker between captions) but at most `hold` seconds, so it never
    lingers through a long pause. A caption shorter than `min_duration` is extended into
    the following gap, never past the start of the next caption.
    """
    firsts: list[Word] = []
    lasts: list[Word] = []
    for cap in captions:
        flat = _flatten(cap)
        if not flat:
            raise ValueError("a caption needs at least one word")
        firsts.append(flat[0])
        lasts.append(max(flat, key=lambda w: w.end))
    times: list[tuple[float, float]] = []
    for i, (first, last) in enumerate(zip(firsts, lasts, strict=True)):
        start = first.start
        next_start = firsts[i + 1].start if i + 1 < len(firsts) else float("inf")
        end = min(last.end + hold, next_start)
        end = max(end, min(start + min_duration, next_start))
        times.append((start, max(end, start)))
    return times


def _flatten(cap: Sequence[Word] | Sequence[Sequence[Word]]) -> list[Word]:
    out: list[Word] = []
    for item in cap:
        if isinstance(item, Word):
            out.append(item)
        else:
            out.extend(item)
    return out


def line_end(line: Sequence[Word], next_line: Sequence[Word] | None, hold: float) -> float:
    """When a caption line leaves the screen: when the next starts, held at most `hold` s."""
    end = line[-1].end + hold
    if next_line:
        end = min(end, next_line[0].start)
    return max(end, line[0].start)


def clip_cues(
    words: Sequence[Word],
    clip_start: float,
    clip_end: float,
    *,
    max_words: int = CLIP_MAX_WORDS,
    max_chars: int = CLIP_MAX_CHARS,
    lines_per_caption: int = 1,
    hold: float = HOLD_MAX,
    min_duration: float = MIN_CAPTION_SECONDS,
) -> list[Cue]:
    """Short caption cues for a clip, timed from the clip start and clamped to the clip.

    Grouping follows `group_captions` and timing `caption_times` (readable minimum, held
    until the next cue up to `hold`, never across a long pause). `max_words`/`max_chars`
    are per line; a cue has up to `lines_per_caption` lines joined by newlines.
    """
    if clip_end <= clip_start:
        return []
    length = clip_end - clip_start
    captions = group_captions(
        words_in_range(words, clip_start, clip_end),
        max_words_per_line=max_words,
        max_chars_per_line=max_chars,
        lines_per_caption=lines_per_caption,
    )
    cues: list[Cue] = []
    times = caption_times(captions, hold=hold, min_duration=min_duration)
    for lines, (t0, t1) in zip(captions, times, strict=True):
        start = min(max(t0 - clip_start, 0.0), length)
        end = min(max(t1 - clip_start, 0.0), length)
        if end > start:
            text = "\n".join(" ".join(w.clean for w in line) for line in lines)
            cues.append(Cue(start, end, text))
    return cues


def _timestamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def srt_timestamp(seconds: float) -> str:
    """`HH:MM:SS,mmm`, the SRT format (comma before milliseconds)."""
    return _timestamp(seconds, ",")


def vtt_timestamp(seconds: float) -> str:
    """`HH:MM:SS.mmm`, the WebVTT format (dot before milliseconds)."""
    return _timestamp(seconds, ".")


def _cue_body(text: str) -> str:
    # A blank line would end the cue early in both formats.
    return "\n".join(line for line in text.splitlines() if line.strip())


def to_srt(cues: Sequence[Cue]) -> str:
    """SRT document: numbered cues separated by blank lines."""
    blocks = []
    for n, cue in enumerate(c for c in cues if _cue_body(c.text)):
        blocks.append(
            f"{n + 1}\n{srt_timestamp(cue.start)} --> {srt_timestamp(cue.end)}\n"
            f"{_cue_body(cue.text)}\n"
        )
    return "\n".join(blocks)


def to_vtt(cues: Sequence[Cue]) -> str:
    """WebVTT document. `-->` inside text is replaced because it would end the timing line."""
    blocks = ["WEBVTT\n"]
    for cue in cues:
        body = _cue_body(cue.text).replace("-->", "→")
        body = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if body:
            blocks.append(f"{vtt_timestamp(cue.start)} --> {vtt_timestamp(cue.end)}\n{body}\n")
    return "\n".join(blocks)
