"""Clip detection: find the stretches of a transcript most worth cutting into short clips.

A transparent heuristic rather than a model: every candidate is a run of whole sentences,
scored 0-100 from four named features (hook, flow, value, engagement, 25 points each), so a
user can see *why* a clip ranked where it did. Pure and deterministic.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from clipforge.domain.text import tokens
from clipforge.domain.transcript import Transcript, Word

#: Silence added around a clip so the first and last syllables are not clipped.
PAD_SECONDS = 0.25
#: Pause inside a clip long enough to feel like dead air.
#: Pause between words that reads as dead air or a change of topic inside a clip.
PAUSE_SECONDS = 1.0
LONG_PAUSE_SECONDS = 2.0
#: Silence that ends a sentence even without punctuation.
SENTENCE_BREAK_PAUSE = 3.0

FEATURES = ("hook", "value", "engagement", "flow")
FEATURE_MAX = 25

SENTENCE_END = re.compile(r"[.?!…。？！][\"'”’)\]]*$")
SOFT_BREAK = re.compile(r"[,;:—–-][\"'”’)\]]*$")


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


STOPWORDS = _wordset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just let me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves i'm you're it's that's don't can't won't we're they're i've you've i'll gonna
    wanna got get gets really thing things going yeah okay oh well also"""
)
FILLERS = _wordset("um umm uh uhh uhm erm er ah ahh hmm mm mhm basically literally kinda sorta")
CONTRAST = _wordset(
    """but however actually instead although though yet surprisingly truth secret mistake
    wrong myth nobody never unless except"""
)
#: Openers that promise a payoff: single words, and two-word phrases.
_OPENERS = _wordset("why how what imagine here's stop never nobody everyone everybody")
_OPENER_PHRASES = frozenset(
    {"the secret", "the truth", "the problem", "most people", "if you", "here is", "you need"}
)
#: Words that add nothing at either end of a title.
TITLE_SKIP = _wordset("so and but or um uh well okay now instead actually even like also then")
#: Openers that mean the clip starts mid-thought.
_WEAK_OPENERS = _wordset("and but so or um uh like because then also")
NUMBER_WORDS = _wordset(
    """one two three four five six seven eight nine ten eleven twelve fifteen twenty thirty
    forty fifty hundred thousand million billion percent half double triple first second
    third"""
)


@dataclass(frozen=True)
class ClipCandidate:
    """A proposed clip: where it is, how it scored and why, and what is said in it."""

    start: float
    end: float
    score: int
    breakdown: dict[str, int]
    title: str
    reason: str
    text: str
    description: str = ""
    hashtags: tuple[str, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence (or a piece of an over-long one) with its features precomputed."""

    words: tuple[Word, ...]
    complete: bool  # ends on sentence-ending punctuation
    tokens: tuple[str, ...]
    question: bool
    exclamation: bool
    numbers: int
    contrast: int
    fillers: int
    content: frozenset[str]

    @property
    def start(self) -> float:
        return self.words[0].start

    @property
    def end(self) -> float:
        return self.words[-1].end

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words).strip()


def detect_clips(
    transcript: Transcript,
    *,
    min_seconds: float = 15,
    max_seconds: float = 60,
    count: int = 5,
) -> list[ClipCandidate]:
    """The best `count` non-overlapping clips, highest score first.

    Clips start on a sentence's first word and end on a sentence's last word, lie within
    [min_seconds, max_seconds] and never cut into a neighbouring word. A transcript whose
    speech is shorter than `min_seconds` yields one clip of all of it; no speech yields [].
    """
    if min_seconds <= 0 or max_seconds < min_seconds:
        raise ValueError("need 0 < min_seconds <= max_seconds")
    if count < 1:
        raise ValueError("count must be >= 1")
    words = [w for w in transcript.words if w.clean]
    if not words:
        return []
    sentences = _split_sentences(transcript, max_seconds)
    if not sentences:
        return []
    limit = transcript.duration if transcript.duration > 0 else words[-1].end
    timeline = _Timeline(words, {id(w): k for k, w in enumerate(words)}, limit, max_seconds)
    speech = sentences[-1].end - sentences[0].start
    if speech < min_seconds:
        clip = _make_clip(sentences, 0, len(sentences) - 1, timeline)
        note = (
            f"Short video: the whole {speech:.0f}s of speech (under the {min_seconds:g}s minimum)"
        )
        return [_with_reason_prefix(clip, note)]

    candidates = _candidates(sentences, timeline, min_seconds)
    note = ""
    if not candidates:
        # Speech is long enough overall but broken by long gaps: offer the best short runs.
        candidates = _candidates(sentences, timeline, 0.0)
        note = f"Under the {min_seconds:g}s minimum (no longer continuous stretch)"
    chosen: list[ClipCandidate] = []
    for cand in sorted(candidates, key=lambda c: (-c.score, c.start, -c.duration)):
        if all(cand.end <= c.start or cand.start >= c.end for c in chosen):
            chosen.append(cand)
            if len(chosen) == count:
                break
    if note:
        chosen = [_with_reason_prefix(c, note) for c in chosen]
    return chosen


# --- sentences ---------------------------------------------------------------------------


def _split_sentences(transcript: Transcript, max_seconds: float) -> list[_Sentence]:
    """Words regrouped at sentence-ending punctuation, then over-long sentences cut at commas.

    Engine segments often end mid-sentence, so a sentence may span segments; a long silence
    also ends one (marked incomplete), so unpunctuated speech still gets boundaries.
    """
    groups: list[tuple[list[Word], bool]] = []
    current: list[Word] = []
    for word in (w for w in transcript.words if w.clean):
        if current and word.start - current[-1].end >= SENTENCE_BREAK_PAUSE:
            groups.append((current, False))
            current = []
        current.append(word)
        if SENTENCE_END.search(word.clean):
            groups.append((current, True))
            current = []
    if current:
        groups.append((current, False))
    out: list[_Sentence] = []
    for group, complete in groups:
        for piece, whole in _split_long(group, max_seconds):
            out.append(_analyse(piece, complete and whole))
    return out


def _split_long(words: list[Word], max_seconds: float) -> list[tuple[list[Word], bool]]:
    """Cut a sentence longer than max_seconds, preferring a comma, so every clip can fit.

    The bool says whether the piece is the sentence's true ending.
    """
    pieces: list[tuple[list[Word], bool]] = []
    rest = words
    while rest and rest[-1].end - rest[0].start > max_seconds:
        fit = 1
        while fit < len(rest) and rest[fit].end - rest[0].start <= max_seconds:
            fit += 1
        cut = fit
        for k in range(fit - 1, 0, -1):
            if SOFT_BREAK.search(rest[k - 1].clean):
                cut = k
                break
        pieces.append((rest[:cut], False))
        rest = rest[cut:]
    if rest:
        pieces.append((rest, True))
    return pieces


def _analyse(words: list[Word], complete: bool) -> _Sentence:
    text = "".join(w.text for w in words)
    toks = tuple(tokens(text))
    return _Sentence(
        words=tuple(words),
        complete=complete,
        tokens=toks,
        question="?" in text,
        exclamation="!" in text,
        numbers=sum(1 for t in toks if _is_number(t)),
        contrast=sum(1 for t in toks if t in CONTRAST),
        fillers=sum(1 for t in toks if t in FILLERS),
        content=frozenset(t for t in toks if len(t) > 2 and t not in STOPWORDS),
    )


def _is_number(token: str) -> bool:
    return any(ch.isdigit() for ch in token) or token in NUMBER_WORDS


# --- candidates and scoring --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Timeline:
    """All words in order, for finding a clip's neighbours, plus the clip limits."""

    words: list[Word]
    index: dict[int, int]  # id(word) -> position in words
    limit: float  # transcript duration: no clip ends after it
    max_seconds: float


def _candidates(
    sentences: list[_Sentence], timeline: _Timeline, min_seconds: float
) -> list[ClipCandidate]:
    """Every run of consecutive sentences lasting between min_seconds and max_seconds."""
    out: list[ClipCandidate] = []
    for i in range(len(sentences)):
        for j in range(i, len(sentences)):
            length = sentences[j].end - sentences[i].start
            if length > timeline.max_seconds:
                break
            if length >= min_seconds:
                out.append(_make_clip(sentences, i, j, timeline))
    return out


def _make_clip(sentences: list[_Sentence], i: int, j: int, timeline: _Timeline) -> ClipCandidate:
    run = sentences[i : j + 1]
    start, end = _padded(run[0].words[0], run[-1].words[-1], timeline)
    breakdown = _score(run, i == 0 or sentences[i - 1].complete)
    return ClipCandidate(
        start=start,
        end=end,
        score=max(0, min(100, sum(breakdown.values()))),
        breakdown=breakdown,
        title=_title(run),
        reason=_reason(run, breakdown),
        text=" ".join(s.text for s in run),
    )


def _padded(first: Word, last: Word, timeline: _Timeline) -> tuple[float, float]:
    """Widen by up to PAD_SECONDS each side, never into a neighbour or past max_seconds."""
    words = timeline.words
    pad = max(0.0, min(PAD_SECONDS, (timeline.max_seconds - (last.end - first.start)) / 2))
    idx_first = timeline.index[id(first)]
    idx_last = timeline.index[id(last)]
    floor = words[idx_first - 1].end if idx_first > 0 else 0.0
    if idx_last + 1 < len(words):
        ceiling = words[idx_last + 1].start
    else:
        ceiling = max(timeline.limit, last.end)
    start = max(first.start - pad, min(floor, first.start), 0.0)
    end = min(last.end + pad, max(ceiling, last.end))
    return round(start, 3), round(end, 3)


def _score(run: list[_Sentence], starts_clean: bool) -> dict[str, int]:
    """Four features, 0-25 each. Weights are plain and documented, not learned."""
    opener = run[0]
    duration = max(1.0, run[-1].end - run[0].start)
    toks = [t for s in run for t in s.tokens]

    # hook: does the first sentence make you stay?
    hook = 0
    if opener.question:
        hook += 15
    if opener.numbers:
        hook += 6
    first_tok = opener.tokens[0] if opener.tokens else ""
    first_two = " ".join(opener.tokens[:2])
    if first_tok in _OPENERS or first_two in _OPENER_PHRASES:
        hook += 7
    if first_tok in _WEAK_OPENERS:
        hook -= 5
    if opener.contrast:
        hook += 3

    # flow: does it start and end cleanly, without filler or dead air?
    flow = 0
    if run[-1].complete:
        flow += 10
    if starts_clean:
        flow += 5
    filler_ratio = sum(s.fillers for s in run) / max(1, len(toks))
    flow += round(10 * (1 - min(1.0, filler_ratio * 10)))
    all_words = [w for s in run for w in s.words]
    for a, b in pairwise(all_words):
        gap = b.start - a.end
        if gap > LONG_PAUSE_SECONDS:
            flow -= 8
        elif gap > PAUSE_SECONDS:
            flow -= 5

    # value: distinct content words per second of clip.
    content: set[str] = set()
    for s in run:
        content |= s.content
    value = round(FEATURE_MAX * min(1.0, len(content) / duration / 1.5))

    # engagement: questions, numbers, contrast and exclamations per minute.
    points = sum(3 * s.question + 2 * s.exclamation + 2 * s.numbers + 2 * s.contrast for s in run)
    engagement = round(FEATURE_MAX * min(1.0, points / (duration / 60) / 20))

    return {
        name: max(0, min(FEATURE_MAX, v))
        for name, v in (
            ("hook", hook),
            ("value", value),
            ("engagement", engagement),
            ("flow", flow),
        )
    }


# --- title and reason --------------------------------------------------------------------


def _strength(s: _Sentence) -> float:
    """How quotable a sentence is; content words are capped so long sentences don't win."""
    points = 3 * s.question + 2 * s.exclamation + 2 * s.numbers + 2 * s.contrast
    return points + min(len(s.content), 5)


def _title(run: list[_Sentence], max_words: int = 8) -> str:
    """First ~8 words of the strongest sentence, trimmed and capitalised."""
    # The opener gets a head start: a hook line usually makes the best title.
    best = max(run, key=lambda s: (_strength(s) + 2 * (s is run[0]), -run.index(s)))
    parts = best.text.split()
    # Drop discourse openers ("So,", "Instead,", "And") that mean nothing out of context.
    while len(parts) > 3 and _key(parts[0]) in TITLE_SKIP:
        parts.pop(0)
    if len(parts) <= max_words:
        return _capitalise(" ".join(parts).rstrip(",;:—–-"))
    head = parts[:max_words]
    if _is_number(_key(head[-1])):  # "cost 3" reads wrong without "euros"
        head = parts[: max_words + 1]
    for k in range(len(head) - 1, 4, -1):  # end at a clause break when there is one
        if head[k - 1][-1] in ",;:—–":
            head = head[:k]
            break
    while len(head) > 3 and _key(head[-1]) in STOPWORDS | TITLE_SKIP:
        head.pop()
    return _capitalise(" ".join(head).rstrip(",;:—–-.!?…"))


def _key(word: str) -> str:
    found = tokens(word)
    return found[0] if found else ""


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _quote(run: list[_Sentence], n: int = 5) -> str:
    parts = run[0].text.split()
    return " ".join(parts[:n]) + (" ..." if len(parts) > n else "")


def _reason(run: list[_Sentence], breakdown: dict[str, int]) -> str:
    """One line: the strongest feature, made concrete, and the clip's opening words.

    Flow is a quality bar most clips clear, not a reason to watch, so it is named only when
    nothing else stands out; a question opener is named first, as the surest short-form hook.
    """
    opener = run[0]
    top = max(FEATURES[:3], key=lambda f: (breakdown[f], -FEATURES.index(f)))
    if opener.question and breakdown["hook"] >= 15:
        top = "hook"
    elif breakdown[top] < 8:
        top = "flow"
    quote = f'"{_quote(run)}"'
    if top == "hook":
        if opener.question:
            what = "opens with a question"
        elif opener.numbers:
            what = "opens with a number"
        else:
            what = "opens with a strong line"
        return f"Strong hook: {what} — {quote}"
    if top == "value":
        n = len(set().union(*(s.content for s in run)))
        return f"Dense with ideas: {n} distinct key words — {quote}"
    if top == "engagement":
        counts = {
            "question": sum(s.question for s in run),
            "number": sum(s.numbers for s in run),
            "contrast": sum(s.contrast for s in run),
            "exclamation": sum(s.exclamation for s in run),
        }
        named = ", ".join(f"{v} {k}{'s' if v > 1 else ''}" for k, v in counts.items() if v)
        return f"Engaging: {named or 'lively delivery'} — {quote}"
    return f"Clean flow: complete sentences, little filler — {quote}"


def _with_reason_prefix(clip: ClipCandidate, note: str) -> ClipCandidate:
    return ClipCandidate(
        start=clip.start,
        end=clip.end,
        score=clip.score,
        breakdown=clip.breakdown,
        title=clip.title,
        reason=f"{note}. {clip.reason}",
        text=clip.text,
    )
