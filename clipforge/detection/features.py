"""Named clip features, each a plain function returning 0-1 (higher is better for the clip).

Sentence-level features look at the clip's first or last sentence and its neighbour; window
features read `WindowStats`, running totals that grow one sentence at a time so that every
candidate window of an hour-long transcript is scored in linear time. docs/detection.md says
why each feature matters for a short clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.detection import lexicon as lx
from clipforge.detection.analysis import Corpus, SentenceInfo
from clipforge.domain.text import tokens

#: Silence inside a clip that viewers notice as dead air.
DEAD_AIR_SECONDS = 1.5
_CONJUNCTIONS = lx.wordset("and but so or because then also plus anyway besides though")
_PRONOUNS = lx.wordset(
    """that this these those it it's that's he she they them him her his their its there
    which who whom whose"""
)
_REPLIES = lx.wordset("yeah yes no exactly right sure absolutely totally true")
#: Discourse markers that turn to the other speaker or aside ("Actually, ...", "Sorry, ...").
_ASIDES = lx.wordset("actually oh sorry anyway okay ok")


def hook_strength(first: SentenceInfo) -> float:
    """How strongly the opening sentence makes a viewer stay.

    Questions, promise-making openers ("Here's ...", "Most people ..."), numbers, bold or
    contrary claims (strong words, a negation: "X is not Y") and direct address raise it;
    a very short or very long opener, or one that is filler, lowers it.
    """
    if not first.tokens:
        return 0.0
    head = " " + " ".join(first.tokens[:6]) + " "
    score = 0.15
    if first.question:
        score += 0.3
    if first.first_token in lx.HOOK_OPENERS or any(f" {p} " in head for p in lx.HOOK_PHRASES):
        score += 0.25
    if first.numbers:
        score += 0.15
    score += min(0.3, 0.12 * (first.contrast + first.intensity))
    if "you" in first.tokens or "your" in first.tokens:
        score += 0.1
    if not first.question and any(t in lx.NEGATIONS for t in first.tokens[:8]):
        score += 0.15  # a claim against what people believe: "X is not Y"
    n = len(first.tokens)
    if n < 4:
        score -= 0.35
    elif n > 35:
        score -= 0.15
    score *= 1.0 - 0.8 * first.filler
    return clamp(score)


def self_containedness(first: SentenceInfo, previous: SentenceInfo | None) -> float:
    """1 when the clip can be understood without what came before it.

    A clip that opens on a conjunction ("And", "So", "But"), a pronoun or demonstrative
    with no antecedent ("That", "He", "It"), a reply ("Yeah", "Exactly"), an aside
    ("Actually", "Sorry"), an explicit
    back-reference ("as I said") or the second half of a sentence leaves the viewer lost.
    """
    if not first.tokens:
        return 0.0
    score = 1.0
    opener = first.first_token
    if opener in _CONJUNCTIONS:
        score -= 0.5
    elif opener in _PRONOUNS or opener in _REPLIES:
        score -= 0.4
    elif opener in _ASIDES:
        score -= 0.3
    if lx.phrase_hits(" " + " ".join(first.tokens[:6]) + " ", lx.BACK_REFERENCES):
        score -= 0.4
    if previous is not None and not previous.complete:
        score -= 0.5  # the clip starts inside a sentence cut by a pause
    return clamp(score)


def payoff(
    last: SentenceInfo, following: SentenceInfo | None, before: SentenceInfo | None = None
) -> float:
    """How well the clip lands: a complete closing sentence that concludes the thought.

    Conclusion markers ("that's why", "the lesson", "turns out"), an exclamation or a
    concrete number raise it; ending on an open question, on filler, on a hedge ("either
    way", "I think"), just after a question (its answer is still to come), or just before a
    sentence that carries the thought on ("And ...", "Because ...") lowers it. `before` is
    the sentence before `last`, when the clip holds it.
    """
    if not last.tokens:
        return 0.0
    score = 0.4
    if last.complete and not last.question:
        score += 0.2
    elif last.question:
        score -= 0.1
    if lx.phrase_hits(last.normalised, lx.PAYOFF_PHRASES):
        score += 0.3
    if last.exclamation or last.intensity or last.numbers:
        score += 0.1
    if following is not None and following.first_token in _CONJUNCTIONS | {"which", "because"}:
        score -= 0.3
    if lx.phrase_hits(last.normalised, lx.HEDGES):
        score -= 0.2  # a story that fizzles out ("Either way, she enjoyed it.")
    if before is not None and before.question and not last.question:
        score -= 0.2  # a question with a one-line reply: the answer is still to come
    score -= 0.4 * last.filler
    return clamp(score)


@dataclass(slots=True)
class WindowStats:
    """Running totals over a window of consecutive sentences."""

    start: float = 0.0
    end: float = 0.0
    sentences: int = 0
    words: int = 0
    speech: float = 0.0  # seconds inside sentences (not the pauses between them)
    questions: int = 0
    exclamations: int = 0
    numbers: int = 0
    contrast: int = 0
    intensity: int = 0
    idf_mass: float = 0.0
    insight_time: float = 0.0
    filler_time: float = 0.0
    filler_peak: float = 0.0  # the most filler-like sentence
    dead_air: int = 0

    @property
    def duration(self) -> float:
        return max(0.0, self.end - self.start)

    def add(self, info: SentenceInfo, corpus: Corpus) -> None:
        """Extend the window by the next sentence."""
        if self.sentences == 0:
            self.start = info.start
        elif info.start - self.end >= DEAD_AIR_SECONDS:
            self.dead_air += 1
        self.end = info.end
        self.sentences += 1
        self.words += info.word_count
        d = max(info.duration, 0.3)
        self.speech += d
        self.questions += info.question
        self.exclamations += info.exclamation
        self.numbers += info.numbers
        self.contrast += info.contrast
        self.intensity += info.intensity
        self.idf_mass += sum(corpus.idf.get(s, 0.0) for s in info.stems)
        self.filler_time += info.filler * d
        self.filler_peak = max(self.filler_peak, info.filler)
        self.insight_time += info.insight * d

    @classmethod
    def of(cls, run: Sequence[SentenceInfo], corpus: Corpus) -> WindowStats:
        stats = cls()
        for info in run:
            stats.add(info, corpus)
        return stats


def information_density(stats: WindowStats, corpus: Corpus) -> float:
    """Specific content per second: idf-weighted content words against the show's median.

    Rare, concrete words (names, numbers, terms) weigh more than the show's common words,
    so a dense explanation beats small talk; 1.0 at 1.5x the median sentence.
    """
    if stats.speech <= 0:
        return 0.0
    return clamp(stats.idf_mass / stats.speech / (1.5 * corpus.density))


def insight(stats: WindowStats) -> float:
    """Share of the window's speech that states a takeaway (advice, a generalisation, a
    lesson, a reversal of belief); 1.0 from 40%.

    Clips people share have a point; an anecdote that never arrives at one, or small talk
    about someone's routine, has none however specific its words.
    """
    if stats.speech <= 0:
        return 0.0
    return clamp(stats.insight_time / stats.speech / 0.4)


def engagement(stats: WindowStats) -> float:
    """Questions, numbers, contrast, strong words and exclamations per half minute."""
    if stats.duration <= 0:
        return 0.0
    points = (
        1.0 * stats.questions
        + 0.6 * stats.numbers
        + 0.6 * stats.contrast
        + 0.4 * stats.intensity
        + 0.5 * stats.exclamations
    )
    return clamp(points / max(stats.duration / 30.0, 0.5) / 5.0)


def pace(stats: WindowStats, corpus: Corpus) -> float:
    """Words per second against the speaker's median: 0.5 at the median, brisker is higher.

    Slow stretches are usually hesitant or searching for words; a clip needs momentum.
    """
    if stats.speech <= 0:
        return 0.5
    ratio = stats.words / stats.speech / corpus.pace
    return clamp(0.5 + 1.5 * (ratio - 1.0))


def filler_share(stats: WindowStats) -> float:
    """Share of the window's speech (0-1) that is greeting, housekeeping, sponsor read,
    call to subscribe, rambling or cross-talk."""
    if stats.speech <= 0:
        return 0.0
    return clamp(stats.filler_time / stats.speech)


def interruption(stats: WindowStats) -> float:
    """0-1: how clearly the window holds a filler sentence (a sponsor line, "can you hear
    me?", a greeting) at all; 0 below FILLER_SENTENCE. However short, such a sentence breaks
    a clip, which filler share alone, in proportion to time, would barely count."""
    return 0.0 if stats.filler_peak < FILLER_SENTENCE else stats.filler_peak


#: Filler weight from which a single sentence interrupts a clip.
FILLER_SENTENCE = 0.75


def dead_air(stats: WindowStats) -> float:
    """1 with no long silence inside the clip, down by a third for each one."""
    return clamp(1.0 - stats.dead_air / 3.0)


def keyword_match(present: set[str], keywords: Sequence[tuple[str, ...]]) -> float:
    """How well a window covers the best-matching requested keyword (0 when none asked).

    `keywords` holds the stems of each keyword's words (see `keyword_stems`) and `present`
    the keyword stems the window says (see `keyword_hits`). A keyword counts in proportion to
    how many of its words occur, so "pricing strategy" half matches a window saying "price".
    """
    best = 0.0
    for words in keywords:
        if words:
            best = max(best, sum(1 for w in words if w in present) / len(words))
    return best


def keyword_hits(info: SentenceInfo, keywords: Sequence[tuple[str, ...]]) -> set[str]:
    """The keyword stems that occur in one sentence."""
    if not keywords:
        return set()
    said = {lx.stem(t) for t in info.tokens}
    return {w for words in keywords for w in words if w in said}


def keyword_stems(keywords: Sequence[str]) -> list[tuple[str, ...]]:
    """Each keyword as the stems of its words (stop words dropped unless that leaves none)."""
    out: list[tuple[str, ...]] = []
    for keyword in keywords:
        toks = tokens(keyword)
        content = [t for t in toks if lx.is_content(t)] or toks
        if content:
            out.append(tuple(lx.stem(t) for t in content))
    return out


def highlight_language(probabilities: Sequence[float]) -> float:
    """0-1: the mean, over a clip's sentences, of how surely each one's words are a
    highlight's (`language.HighlightLanguage.probability`); 0 for no sentence.

    Per sentence, not per second: a story's short closing line ("It isn't.") counts as
    much as its long middle, as its point often lies there."""
    return sum(probabilities) / len(probabilities) if probabilities else 0.0


def clamp(value: float, lo: float = 0.0, hi: float = 1.0) -> float:
    return lo if value < lo else hi if value > hi else value
