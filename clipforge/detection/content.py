"""Title, description and hashtags for a clip, extracted from what is said in it.

Keyphrases are RAKE-like: runs of content words between stop words, punctuation and numbers,
each word weighted by how often the clip says it (tf) times how rare it is in the whole
transcript (idf), so a clip's tags name what sets it apart from the rest of the show. The
title is the clip's most quotable sentence, trimmed to a clause that fits; the description
is the opening line plus the line that carries the most keyphrases.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.detection import lexicon as lx
from clipforge.detection.analysis import Corpus, SentenceInfo
from clipforge.domain.clips import _TITLE_SKIP as CLIPS_TITLE_SKIP
from clipforge.domain.text import tokens

TITLE_MAX_CHARS = 60
DESCRIPTION_MAX_CHARS = 220
MIN_HASHTAGS = 3
MAX_HASHTAGS = 5
#: Words dropped from the start of a title or description: they only link to what came before.
LEAD_SKIP = CLIPS_TITLE_SKIP | lx.wordset("yeah yes look listen right anyway honestly")
#: A title should not end on these ("the secret of", "we raised the price to").
_BAD_END = lx.STOPWORDS | LEAD_SKIP
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: Words that end a keyphrase though they are not stop words: prepositions, frequency and
#: degree adverbs, numbers. "cancelled within" or "two years" make poor tags.
_PHRASE_BREAK = lx.NUMBER_WORDS | lx.wordset(
    """within without across toward towards onto upon among around through along ahead
    later almost always often usually sometimes ever already yet still quite rather simply
    slightly far less least per via since until till unless whether every each another
    else perhaps probably definitely certainly able around away ago"""
)
_CLAUSE = re.compile(r"[,;:—–]")
_CLAUSE_STARTERS = lx.wordset(
    "and but because which that who when while so or if where after before until since then"
)


@dataclass(frozen=True, slots=True)
class Generated:
    title: str
    description: str
    hashtags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Keyphrase:
    words: tuple[str, ...]  # surface words as spoken, lower case
    stems: tuple[str, ...]
    weight: float


def generate(run: Sequence[SentenceInfo], corpus: Corpus) -> Generated:
    """Title, description and hashtags for the clip made of `run`."""
    phrases = keyphrases(run, corpus)
    return Generated(
        title=title(run, phrases),
        description=description(run, phrases),
        hashtags=hashtags(phrases),
    )


def keyphrases(run: Sequence[SentenceInfo], corpus: Corpus) -> list[Keyphrase]:
    """Candidate phrases of 1-3 content words, best first, one entry per distinct phrase."""
    tf: Counter[str] = Counter(s for info in run for s in info.stems)
    default_idf = max(corpus.idf.values(), default=1.0)
    score = {s: c * corpus.idf.get(s, default_idf) for s, c in tf.items()}
    found: dict[tuple[str, ...], Keyphrase] = {}
    for info in run:
        for chunk in _chunks(info.text):
            for size in (3, 2, 1):
                for k in range(len(chunk) - size + 1):
                    words = tuple(chunk[k : k + size])
                    stems = tuple(lx.stem(w) for w in words)
                    if len(set(stems)) < len(stems):
                        continue
                    # Multi-word phrases get a small bonus: "pricing problem" says more
                    # than "pricing" or "problem" alone.
                    weight = sum(score.get(s, 0.0) for s in stems) * (1 + 0.15 * (size - 1))
                    if words not in found or found[words].weight < weight:
                        found[words] = Keyphrase(words, stems, weight)
    return sorted(found.values(), key=lambda p: (-p.weight, p.words))


def _chunks(text: str) -> list[list[str]]:
    """Runs of content words, broken at stop words, numbers and punctuation."""
    out: list[list[str]] = []
    for piece in re.split(r"[.,;:!?—–()\"“”]", text):
        current: list[str] = []
        for raw in piece.split():
            token = tokens(raw)
            word = token[0] if len(token) == 1 else ""
            if (
                word
                and _WORD.fullmatch(word)
                and lx.is_content(word)
                and "'" not in word
                and word not in _PHRASE_BREAK
                and not word.endswith("ly")
            ):
                current.append(word)
            else:
                if current:
                    out.append(current)
                current = []
        if current:
            out.append(current)
    return out


def hashtags(phrases: Sequence[Keyphrase]) -> tuple[str, ...]:
    """3-5 #CamelCase tags from the best keyphrases, no two sharing a word's stem.

    Fewer than three only when the clip says fewer than three distinct content words.
    """
    tags: list[str] = []
    used: set[str] = set()
    for phrase in phrases:
        if len(tags) == MAX_HASHTAGS:
            break
        if len(phrase.words) > 2 or used & set(phrase.stems):
            continue
        if any(lx.is_verb_like(w) for w in phrase.words) or (
            len(phrase.words) > 1 and phrase.words[-1].endswith(("ed", "ing"))
        ):
            continue  # "prices dropped" is a clause, not a topic
        tag = "#" + "".join(_camel(w) for w in phrase.words)
        low = tag.lower()
        # Stems are light: "experience"/"experienced" must still count as one tag.
        if len(tag) > 2 and not any(
            t.lower().startswith(low) or low.startswith(t.lower()) for t in tags
        ):
            tags.append(tag)
            used.update(phrase.stems)
    return tuple(tags)


def _camel(word: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-'’]", word) if p)


def title(run: Sequence[SentenceInfo], phrases: Sequence[Keyphrase]) -> str:
    """The clip's most quotable sentence, trimmed to a clause of at most 60 characters."""
    best_phrases = {p.stems: p.weight for p in phrases[:8]}

    def appeal(k: int) -> tuple[float, int]:
        info = run[k]
        points = 2.0 * info.question + 1.0 * bool(info.numbers) + 0.7 * bool(info.intensity)
        points += 0.5 * bool(info.contrast)
        stems = set(info.stems)
        points += sum(0.5 for s in best_phrases if set(s) <= stems)
        points += 1.5 if k == 0 else 0.0  # an opening line is usually the hook
        if info.first_token in lx.DANGLING_OPENERS and info.first_token not in LEAD_SKIP:
            points -= 1.5  # "It told us ..." means nothing out of context
        if len(info.tokens) < 4:
            points -= 2.0
        if not fits_cleanly(info.text, TITLE_MAX_CHARS):
            points -= 2.5  # would have to be cut mid-clause
        return points, -k

    k = max(range(len(run)), key=appeal)
    made = shorten(run[k].text, TITLE_MAX_CHARS)
    if len(made.split()) >= 3 or not phrases:
        return made
    return shorten(" ".join(w.capitalize() for w in phrases[0].words), TITLE_MAX_CHARS)


def fits_cleanly(sentence: str, limit: int) -> bool:
    """Whether `shorten` keeps the sentence whole or cuts it at a clause break."""
    text = " ".join(_strip_lead(sentence.split()))
    if len(text) <= limit:
        return True
    if any(
        len(text[: m.start()].rstrip()) <= limit and len(text[: m.start()].split()) >= 4
        for m in _CLAUSE.finditer(text)
    ):
        return True
    words = text.split()
    return any(
        _key(words[k]) in _CLAUSE_STARTERS and len(" ".join(words[:k])) <= limit
        for k in range(4, len(words))
    )


def _strip_lead(words: list[str]) -> list[str]:
    while len(words) > 3 and _key(words[0]) in LEAD_SKIP:
        words = words[1:]
    return words


def shorten(sentence: str, limit: int) -> str:
    """A sentence without linking openers, cut at a clause break to fit `limit` characters.

    Keeps a question mark or exclamation, drops a full stop; a cut never ends on a stop word.
    """
    text = _capitalise(" ".join(_strip_lead(sentence.split())))
    if len(text) <= limit:
        return text.rstrip(".…,;:—– ") if not text.endswith("...") else text.rstrip(". ")
    # Longest prefix ending at a clause break that fits and keeps at least four words.
    best = ""
    for m in _CLAUSE.finditer(text):
        head = text[: m.start()].rstrip()
        if len(head) <= limit and len(head.split()) >= 4:
            best = head
    if not best:
        # Or just before a conjunction or relative word, where a clause starts unpunctuated.
        words = text.split()
        for k in range(4, len(words)):
            head = " ".join(words[:k])
            if len(head) > limit:
                break
            if _key(words[k]) in _CLAUSE_STARTERS:
                best = head
    if not best:
        cut = text[: limit + 1].rsplit(" ", 1)[0]
        parts = cut.split()
        while len(parts) > 3 and (_key(parts[-1]) in _BAD_END or lx.is_verb_like(_key(parts[-1]))):
            parts.pop()
        best = " ".join(parts)
    return best.rstrip(".…,;:—–- ")[:limit]


def description(run: Sequence[SentenceInfo], phrases: Sequence[Keyphrase]) -> str:
    """The opening sentence and the one carrying the most keyphrases, up to 220 characters."""
    top = [set(p.stems) for p in phrases[:6]]
    opening = _clean_sentence(run[0].text)
    if len(run) == 1:
        return _fit(opening)

    def carried(k: int) -> tuple[int, int]:
        stems = set(run[k].stems)
        return sum(1 for s in top if s <= stems), -k

    k = max(range(1, len(run)), key=carried)
    second = _clean_sentence(run[k].text)
    both = f"{opening} {second}"
    if len(both) <= DESCRIPTION_MAX_CHARS and carried(k)[0] > 0:
        return both
    return _fit(opening)


def _fit(sentence: str) -> str:
    if len(sentence) <= DESCRIPTION_MAX_CHARS:
        return sentence
    return shorten(sentence, DESCRIPTION_MAX_CHARS - 1) + "…"


def _clean_sentence(text: str) -> str:
    return _capitalise(" ".join(_strip_lead(text.split())))


def _key(word: str) -> str:
    found = tokens(word)
    return found[0] if found else ""


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]
