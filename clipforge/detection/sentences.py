"""Split a transcript into sentences with exact word-level boundaries.

Speech engines punctuate, but their segments often end mid-sentence and sometimes a
sentence runs across several segments, so sentences are rebuilt from the words: a word that
ends in terminal punctuation closes a sentence, and so does a long silence (speech that was
never punctuated still gets boundaries). A sentence never ends inside a word: a word piece
glued to the previous one (no leading space, e.g. "'s" or ".5") stays with it, and an
abbreviation or a decimal point is not a full stop. Pure, deterministic, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from clipforge.domain.clips import SENTENCE_END
from clipforge.domain.transcript import Transcript, Word

#: Silence that ends a sentence even when the engine wrote no punctuation. Long enough that
#: a speaker's breath or hesitation mid-sentence (typically well under a second) is not one.
PAUSE_BREAK_SECONDS = 2.0
#: For a transcript with hardly any punctuation, pauses are the only evidence left, so a
#: shorter silence already counts as a boundary.
UNPUNCTUATED_PAUSE_BREAK_SECONDS = 0.8
#: Terminal marks per word under which a transcript counts as unpunctuated (one per 40 words;
#: spoken sentences average 10-20 words).
PUNCTUATED_MIN_RATE = 1 / 40

_ELLIPSIS = re.compile(r"(?:…|\.\.\.)[\"'”’)\]]*$")
#: Abbreviations whose full stop does not end a sentence (compared lower-case, with the dot).
_ABBREVIATIONS = frozenset(
    {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "etc.", "e.g.", "i.e.", "inc.", "ltd.",
     "jr.", "sr.", "no.", "approx.", "dept.", "est.", "fig.", "mt.", "u.s.", "u.k."}
)  # fmt: skip
#: Share of capitalised sentence starts from which a transcript counts as cased.
CASED_SHARE = 0.8
_DECIMAL_HEAD = re.compile(r"\d\.$")
#: Engines sometimes write a decimal number as two words ("65." "5"); they follow each other
#: without a pause, unlike a number that ends a sentence and one that starts the next.
DECIMAL_GAP_SECONDS = 0.05
_INITIALISM = re.compile(r"^(?:[a-z]\.){2,}$", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    """Consecutive words forming one sentence; `start`/`end` are its first/last word's edges."""

    words: tuple[Word, ...]
    start: float
    end: float
    text: str


def split_sentences(transcript: Transcript) -> list[Sentence]:
    """The transcript's words regrouped into sentences, in order, every word in exactly one.

    Words with no text are dropped. Boundaries: terminal punctuation (not abbreviations,
    initialisms, an ellipsis the speaker continues on anything but a capital, or, in a
    transcript that capitalises its sentences, a full stop the speaker continues in lower
    case without a long pause), or a silence of PAUSE_BREAK_SECONDS
    (UNPUNCTUATED_PAUSE_BREAK_SECONDS for a transcript that is barely punctuated). Never
    between a word and a piece glued to it.
    """
    words = [w for w in transcript.words if w.clean]
    if not words:
        return []
    terminals = sum(1 for w in words if SENTENCE_END.search(w.clean))
    pause_break = (
        PAUSE_BREAK_SECONDS
        if terminals >= PUNCTUATED_MIN_RATE * len(words)
        else UNPUNCTUATED_PAUSE_BREAK_SECONDS
    )
    # Engines that space words write each word with a leading space; there, a word without
    # one is a piece of the previous word. Otherwise only a leading apostrophe, dot or the
    # like marks a piece.
    spaced = _is_spaced(words)
    cased = _is_cased(words)
    sentences: list[Sentence] = []
    current: list[Word] = [words[0]]
    for prev, word in pairwise(words):
        same = _glued(word, spaced) or (cased and _continues_in_lower_case(prev, word, pause_break))
        if not same and _is_boundary(prev, word, pause_break):
            sentences.append(make_sentence(current))
            current = []
        current.append(word)
    sentences.append(make_sentence(current))
    return sentences


def _is_cased(words: list[Word]) -> bool:
    """Whether the engine capitalises sentences: most words after a full stop start upper
    case. Only then does a lower-case word after a full stop say the sentence goes on."""
    after = [b.clean[0] for a, b in pairwise(words) if ends_sentence(a) and b.clean[0].isalpha()]
    return bool(after) and sum(ch.isupper() for ch in after) >= CASED_SHARE * len(after)


def _continues_in_lower_case(prev: Word, word: Word, pause_break: float) -> bool:
    """A full stop followed, without a long pause, by a lower-case word ("not the sound.
    it's the pattern"): the engine cut one sentence in two."""
    first = word.clean[0]
    return (
        ends_sentence(prev)
        and first.isalpha()
        and first.islower()
        and word.start - prev.end < pause_break
    )


def make_sentence(words: list[Word] | tuple[Word, ...]) -> Sentence:
    """A Sentence over `words` (non-empty), its text rebuilt as the engine spaced it."""
    if not words:
        raise ValueError("a sentence needs at least one word")
    return Sentence(
        words=tuple(words), start=words[0].start, end=words[-1].end, text=join_words(words)
    )


def join_words(words: list[Word] | tuple[Word, ...]) -> str:
    """Words' text as spoken: kept as the engine spaced it, or spaced here if it did not."""
    if _is_spaced(words):
        return "".join(w.text for w in words).strip()
    parts: list[str] = []
    for w in words:
        if parts and w.text[:1] not in _PIECE_STARTS:
            parts.append(" ")
        parts.append(w.text.strip())
    return "".join(parts)


def _is_spaced(words: list[Word] | tuple[Word, ...]) -> bool:
    return sum(1 for w in words if w.text[:1].isspace()) * 2 > len(words)


def ends_sentence(word: Word) -> bool:
    """Whether the word carries sentence-ending punctuation (abbreviations excluded)."""
    clean = word.clean
    if not SENTENCE_END.search(clean):
        return False
    bare = clean.lower().strip("\"'”’)](")
    return not (bare in _ABBREVIATIONS or _INITIALISM.match(bare))


def _is_boundary(prev: Word, word: Word, pause_break: float) -> bool:
    if word.start - prev.end >= pause_break:
        return True
    if not ends_sentence(prev):
        return False
    if (
        _DECIMAL_HEAD.search(prev.clean)
        and word.clean[:1].isdigit()
        and (word.start - prev.end < DECIMAL_GAP_SECONDS)
    ):
        return False  # "65." + "5" spoken without a pause is one number, 65.5
    # "well... you know" trails on in lower case, "then I'd... 20 minutes" on a number: a
    # hesitation, not the end of a sentence. Only a capital after an ellipsis starts anew.
    return not (_ELLIPSIS.search(prev.clean) and not word.clean[:1].isupper())


def _glued(word: Word, spaced: bool) -> bool:
    """Whether the word continues the previous one, so no boundary may fall before it."""
    first = word.text[:1]
    if spaced:
        return not first.isspace()
    return first in _PIECE_STARTS


_PIECE_STARTS = frozenset("'’.,-%")
