"""Per-sentence facts computed once, so scoring thousands of windows stays cheap.

Everything a feature needs about one sentence: its tokens and content stems, questions,
numbers, contrast and intensity words, and how much of it is filler of each kind.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from clipforge.detection import lexicon as lx
from clipforge.detection.sentences import Sentence, ends_sentence
from clipforge.domain.text import tokens

#: Filler kinds whose first line announces an aside that runs on in ordinary words.
ASIDE_KINDS = frozenset({"sponsor", "correction", "notice"})
#: Filler weight at which such a phrase makes a sentence the opening of an aside.
ASIDE_LINE = 0.75
#: How long an aside runs on at most (sponsor reads, corrections and notices are told in
#: half a minute; a longer stretch without a pause is more likely the show going on).
ASIDE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class SentenceInfo:
    """One sentence and what it contains."""

    sentence: Sentence
    tokens: tuple[str, ...]
    stems: tuple[str, ...]  # content-word stems, repeats kept
    normalised: str  # " tok tok tok " for phrase matching
    complete: bool  # ends on terminal punctuation
    question: bool
    exclamation: bool
    numbers: int
    contrast: int
    intensity: int
    insight: bool  # advice, a generalisation or a lesson (see features.insight)
    #: 0-1: how much of this sentence is greeting, housekeeping, sponsor, subscribe,
    #: hesitation or cross-talk, and which kind dominates ("" when none).
    filler: float
    filler_kind: str
    #: Opens on a listener's reaction to what was just said (see `is_reaction`).
    reaction: bool = False

    @property
    def start(self) -> float:
        return self.sentence.start

    @property
    def end(self) -> float:
        return self.sentence.end

    @property
    def text(self) -> str:
        return self.sentence.text

    @property
    def duration(self) -> float:
        return max(0.0, self.sentence.end - self.sentence.start)

    @property
    def word_count(self) -> int:
        return len(self.sentence.words)

    @property
    def first_token(self) -> str:
        return self.tokens[0] if self.tokens else ""


def analyse(sentence: Sentence) -> SentenceInfo:
    toks = tuple(tokens(sentence.text))
    norm = " " + " ".join(toks) + " "
    filler, kind = filler_weight(sentence.text)
    words = sentence.words
    return SentenceInfo(
        sentence=sentence,
        tokens=toks,
        stems=tuple(lx.stem(t) for t in toks if lx.is_content(t) and not t.isdigit()),
        normalised=norm,
        complete=ends_sentence(words[-1]),
        question=sentence.text.rstrip("\"'”’)]").endswith("?"),
        exclamation="!" in sentence.text,
        numbers=sum(1 for t in toks if lx.is_number(t)),
        contrast=sum(1 for t in toks if t in lx.CONTRAST_WORDS),
        intensity=sum(1 for t in toks if t in lx.INTENSITY_WORDS),
        insight=has_insight(toks, norm, sentence.text),
        filler=filler,
        filler_kind=kind,
        reaction=is_reaction(sentence.text),
    )


def asides_run_on(infos: Sequence[SentenceInfo], breaks: Sequence[bool]) -> list[SentenceInfo]:
    """The sentences, with an announced aside's filler carried on to the end of its turn.

    A sponsor read names the sponsor once ("This week's show is supported by ...") and then
    talks about the product in ordinary words ("I've had three vans from them now ...");
    a correction or a notice is announced the same way ("A correction from two episodes
    back.", "Housekeeping for the saleroom, if I may.") and then told in plain sentences.
    The sentences after such a line are the aside too, up to the end of the turn (`breaks[g]`
    says whether the gap after sentence g ends one: a clear pause or another voice; a
    listener's reaction opens another) and for at most ASIDE_SECONDS from its first line.
    """
    if len(breaks) != max(0, len(infos) - 1):
        raise ValueError("breaks must hold one flag per gap between sentences")
    out: list[SentenceInfo] = []
    aside: SentenceInfo | None = None
    for k, info in enumerate(infos):
        if k > 0 and (breaks[k - 1] or info.reaction):
            aside = None
        if aside is not None and info.end - aside.start > ASIDE_SECONDS:
            aside = None
        if info.filler_kind in ASIDE_KINDS and info.filler >= ASIDE_LINE:
            aside = info
        elif aside is not None and info.filler < aside.filler:
            info = replace(info, filler=aside.filler, filler_kind=aside.filler_kind)
        out.append(info)
    return out


def has_insight(toks: Sequence[str], normalised: str, text: str) -> bool:
    """Whether a sentence states a takeaway: an insight phrase, or advice in the imperative
    ("Ask your best customers ...", "Keep the receipts."), which opens on a verb."""
    if lx.phrase_hits(normalised, lx.INSIGHT_PHRASES):
        return True
    opener = toks[0] if toks else ""
    return opener in lx.COMMON_VERBS and not text.rstrip().endswith("?")


def filler_weight(text: str) -> tuple[float, str]:
    """How much of a sentence is filler (0-1) and of which kind.

    A phrase of greeting, housekeeping, sponsorship or a call to subscribe marks the whole
    sentence; hesitation words and phrases count in proportion to the sentence's length; a
    short turn made only of back-channel words ("Yeah. Right.") is cross-talk.
    """
    toks = tokens(text)
    normalised = lx.normalise(text)
    if not toks:
        return 1.0, "cross-talk"
    best, kind = 0.0, ""
    for name, pattern in lx.FILLER_PATTERNS.items():
        hits = len(pattern.findall(normalised))
        if hits:
            # One phrase in a long sentence may be incidental ("this show of force").
            weight = min(1.0, 0.5 + 0.25 * hits + (0.25 if len(toks) <= 14 else 0.0))
            if weight > best:
                best, kind = weight, name
    hesitations = sum(1 for t in toks if t in lx.FILLER_WORDS)
    hesitations += 2 * lx.phrase_hits(normalised, lx.HESITATION_PHRASES)
    hesitations += 2 * len(lx.PARENTHETICAL.findall(text))
    hesitations += lx.phrase_hits(normalised, lx.HEDGES)
    # One "um" in a sentence is ordinary speech; several in a short one is rambling.
    rambling = min(1.0, max(0.0, 3.0 * hesitations / len(toks) - 0.1))
    if rambling > best:
        best, kind = rambling, "rambling"
    if is_backchannel(toks):
        best, kind = 1.0, "cross-talk"
    elif len(toks) <= 3 and best < 0.3 and not any(lx.is_number(t) for t in toks):
        # A turn of a word or two ("Great.", "Is that better?") is often a reaction, but
        # may be a punchline ("It's just missing."): only a little filler.
        best, kind = 0.3, "cross-talk"
    return best, kind


def is_backchannel(toks: Sequence[str]) -> bool:
    """Whether a turn of at most four words is a listener's back-channel ("Yeah, right.",
    "Oh, really?", "That's true."): nothing but back-channel and function words, and not
    about a third person. A listener answers the speaker or what was just said ("you're
    right", "that's true", "I see"); a short line about him or her ("He was right.", "And
    she did.") carries on a story, and is often its last line."""
    if not toks or len(toks) > 4:
        return False
    if any(t in lx.THIRD_PERSON for t in toks) or toks[0] in lx.LINKING_OPENERS:
        return False
    if denies(toks):
        return False
    return all(t in lx.BACKCHANNEL_WORDS or t in lx.STOPWORDS for t in toks)


def denies(toks: Sequence[str]) -> bool:
    """Whether a short line is the speaker's own denial ("It isn't.", "I didn't have one.",
    "I couldn't see anything."): a statement opening on its subject, with a negated verb.
    A listener agrees or judges ("Right.", "That's true."); a denial is a beat of the story
    or argument being told (the claim, then "It isn't."), not a back-channel."""
    return (
        len(toks) >= 2
        and toks[0] in lx.NARRATING_SUBJECTS
        and any(t in lx.NEGATIONS or t.endswith("n't") for t in toks[1:])
    )


#: A reaction is said in a few words; a longer opening clause is the speaker's own statement.
REACTION_MAX_TOKENS = 6
_CLAUSE_BREAK = re.compile(r"[,;:.!?…—–]")


def is_reaction(text: str) -> bool:
    """Whether a sentence opens on a listener's reaction to what was just said: a short
    first clause that judges it ("Wow, ...", "That's so true, ...", "I love that.", "That's a
    really good point, ..."). Reactions begin another speaker's turn. A statement about
    something else ("It was beautiful.", "That is impossible.") is not one: it must open on
    the judging word or on a lead such as "that's", "what a", "I love". An interjection set
    off before it ("Oh, that's awful.") is passed over."""
    clauses = (tokens(c) for c in _CLAUSE_BREAK.split(text))
    clause = next((c for c in clauses if not all(t in lx.INTERJECTIONS for t in c)), [])
    if not clause or len(clause) > REACTION_MAX_TOKENS:
        return False
    if clause[0] not in lx.REACTION_WORDS and clause[0] not in lx.REACTION_LEADS:
        return False
    judging = [t for t in clause if t in lx.REACTION_WORDS]
    rest = [t for t in clause if t not in lx.REACTION_WORDS and t not in lx.REACTION_LEADS]
    return bool(judging) and all(t in lx.STOPWORDS or t in lx.REACTION_NOUNS for t in rest)


#: An echo repeats a few words of the line before it ("At least twice it mattered." "Twice
#: it mattered."); a longer sentence that reuses them is the speaker going on.
ECHO_MAX_TOKENS = 5
#: A line of any length that opens on the closing words of the line before it, this many
#: or more ("Love it a little less often." - "Love it a little less often, and ..."), is an
#: echo too: a listener repeats what struck them before saying their own piece. Fewer words
#: than this are ordinary repetition ("... the same seeds. The same water.").
ECHO_OPENING_TOKENS = 4


def opens_turn(previous: SentenceInfo | None, info: SentenceInfo) -> bool:
    """Whether `info` is a listener's response to `previous`, beginning another speaker's
    turn: a reaction (see `is_reaction`), or an echo, a short line that repeats part of
    the line before it word for word. Speakers do not echo their own last line; listeners
    do, to acknowledge it. (A short line that merely reuses its words, "The bread price is
    everything.", is the speaker summing up.)"""
    if info.reaction:
        return True
    if previous is None or not info.stems:
        return False
    if repeats_close(previous, info):
        return True
    if len(info.tokens) > ECHO_MAX_TOKENS:
        return False
    n, said = len(info.tokens), previous.tokens
    return any(said[k : k + n] == info.tokens for k in range(len(said) - n + 1))


def repeats_close(previous: SentenceInfo, info: SentenceInfo) -> bool:
    """Whether `info` opens on the last `ECHO_OPENING_TOKENS` or more words of `previous`,
    word for word: a listener taking up the line that struck them. A speaker going on
    repeats a sentence's opening (anaphora), not its close."""
    said = previous.tokens
    lengths = range(ECHO_OPENING_TOKENS, len(said) + 1)
    return any(info.tokens[:m] == said[-m:] for m in lengths)


@dataclass(frozen=True, slots=True)
class Corpus:
    """Transcript-wide statistics that features compare a window against."""

    idf: dict[str, float]
    #: Median idf-weighted content per second of speech, over sentences.
    density: float
    #: Median words per second of speech, over sentences.
    pace: float


def corpus_stats(infos: Sequence[SentenceInfo]) -> Corpus:
    """Inverse document frequency of stems (a sentence is a document) and typical rates."""
    n = len(infos)
    df: Counter[str] = Counter()
    for info in infos:
        df.update(set(info.stems))
    idf = {s: math.log((n + 1) / (c + 0.5)) for s, c in df.items()}
    densities = sorted(sum(idf[s] for s in info.stems) / max(info.duration, 0.5) for info in infos)
    paces = sorted(info.word_count / max(info.duration, 0.5) for info in infos)
    return Corpus(
        idf=idf,
        density=max(_median(densities), 0.1),
        pace=max(_median(paces), 0.5),
    )


def _median(values: list[float]) -> float:
    if not values:
        return 0.0
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2
