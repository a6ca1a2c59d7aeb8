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
from clipforge.domain.clips import STOPWORDS as CLIPS_STOPWORDS
from clipforge.domain.clips import TITLE_SKIP as CLIPS_TITLE_SKIP
from clipforge.domain.text import tokens

TITLE_MAX_CHARS = 60
DESCRIPTION_MAX_CHARS = 220
MIN_HASHTAGS = 3
MAX_HASHTAGS = 5
#: Words dropped from the start of a title or description: they only link to what came before.
LEAD_SKIP = CLIPS_TITLE_SKIP | lx.wordset("yeah yes look listen right anyway honestly")
#: A title should not end on these ("the secret of", "we raised the price to").
_BAD_END = CLIPS_STOPWORDS | LEAD_SKIP
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: Words that end a keyphrase though they are not stop words: prepositions, frequency and
#: degree adverbs, numbers. "cancelled within" or "two years" make poor tags.
_PHRASE_BREAK = lx.NUMBER_WORDS | lx.wordset(
    """within without across toward towards onto upon among around through along ahead
    later almost always often usually sometimes ever already yet still quite rather simply
    slightly far less least per via since until till unless whether every each another
    else perhaps probably definitely certainly able around away ago people everyone
    everybody nobody someone somebody anybody anyone everything nothing something"""
)
_CLAUSE = re.compile(r"[,;:—–]")
#: Openers of a dependent clause: "If you chase soreness," is not a title on its own.
_DEPENDENT = lx.wordset(
    "if when whenever before after while because although though since unless until once whether"
)
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
        hashtags=hashtags(phrases, run),
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


def hashtags(phrases: Sequence[Keyphrase], run: Sequence[SentenceInfo] = ()) -> tuple[str, ...]:
    """3-5 #CamelCase tags from the best keyphrases, no two sharing a word's stem.

    First topics proper: phrases of two words, or single words the clip says more than once
    or as a name (capitalised mid-sentence); then, to reach three, any single content word.
    Clauses ("prices dropped") and evaluative words ("amazing") are never tags. Fewer than
    three only when the clip says fewer than three distinct content words.
    """
    said = Counter(t for info in run for t in info.tokens)
    names = {w.lower() for info in run for w in re.findall(r"(?<=[\w,;] )([A-Z][a-z]+)", info.text)}
    usable = [p for p in phrases if len(p.words) <= 2 and not _clause_like(p.words)]
    tags: list[str] = []
    used: set[str] = set()
    for strict in (True, False):
        for phrase in usable:
            if len(tags) >= (MAX_HASHTAGS if strict else MIN_HASHTAGS):
                break
            single = len(phrase.words) == 1
            if strict and single and said[phrase.words[0]] < 2 and phrase.words[0] not in names:
                continue
            if used & set(phrase.stems):
                continue
            tag = "#" + "".join(_camel(w) for w in phrase.words)
            low = tag.lower()
            # Stems are light: "experience"/"experienced" must still count as one tag.
            if len(tag) > 2 and not any(
                t.lower().startswith(low) or low.startswith(t.lower()) for t in tags
            ):
                tags.append(tag)
                used.update(phrase.stems)
    return tuple(tags)


def _clause_like(words: tuple[str, ...]) -> bool:
    """A verb, a past form or an evaluative word: a comment, not a topic."""
    if any(lx.is_verb_like(w) for w in words):
        return True
    if len(words) > 1 and words[-1].endswith(("ed", "ing")):
        return True
    return len(words) == 1 and (words[0] in lx.INTENSITY_WORDS or words[0] in lx.CONTRAST_WORDS)


def _camel(word: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[-'’]", word) if p)


def title(run: Sequence[SentenceInfo], phrases: Sequence[Keyphrase]) -> str:
    """The clip's most quotable sentence, trimmed to a clause of at most 60 characters."""
    best_phrases = {p.stems: p.weight for p in phrases[:8]}

    def appeal(k: int) -> tuple[float, int]:
        info = run[k]
        points = 2.0 * info.question + 1.0 * bool(info.numbers) + 0.7 * bool(info.intensity)
        points += 0.5 * bool(info.contrast) + 0.7 * info.insight
        stems = set(info.stems)
        points += sum(0.5 for s in best_phrases if set(s) <= stems)
        points += 1.5 if k == 0 else 0.0  # an opening line is usually the hook
        if info.first_token in lx.DANGLING_OPENERS and info.first_token not in LEAD_SKIP:
            points -= 1.5  # "It told us ..." means nothing out of context
        if len(info.tokens) < 4:
            points -= 2.0
        if not fits_cleanly(info.text, TITLE_MAX_CHARS):
            points -= 4.0  # would have to be cut mid-clause
        return points, -k

    k = max(range(len(run)), key=appeal)
    made = shorten(run[k].text, TITLE_MAX_CHARS)
    if len(made.split()) >= 3 or not phrases:
        return made
    return shorten(" ".join(w.capitalize() for w in phrases[0].words), TITLE_MAX_CHARS)


def fits_cleanly(sentence: str, limit: int) -> bool:
    """Whether `shorten` keeps the sentence whole or cuts it at a clause boundary."""
    text = " ".join(_strip_lead(sentence.split()))
    return len(text) <= limit or bool(_clause_heads(text, limit))


def _strip_lead(words: list[str]) -> list[str]:
    while len(words) > 3 and _key(words[0]) in LEAD_SKIP:
        words = words[1:]
    return words


def _clause_heads(text: str, limit: int) -> list[str]:
    """Prefixes of `text` that end a clause and fit: at punctuation (",", ";", a dash) or
    just before a conjunction or relative word, five words or more (shorter ones are mostly
    adverbials: "A few years ago,"), not ending on a stop word, an adverb or a verb. None
    for a sentence that opens with a dependent clause ("If you ...,"), whose first clause is
    not a phrase on its own."""
    words = text.split()
    if not words or _key(words[0]) in _DEPENDENT:
        return []
    heads = [text[: m.start()].rstrip() for m in _CLAUSE.finditer(text)]
    heads += [
        " ".join(words[:k]) for k in range(4, len(words)) if _key(words[k]) in _CLAUSE_STARTERS
    ]
    return [
        h for h in heads if len(h) <= limit and len(h.split()) >= 4 and not _weak_end(h.split()[-1])
    ]


def _weak_end(word: str) -> bool:
    key = _key(word)
    return key in _BAD_END or lx.is_verb_like(key)


def shorten(sentence: str, limit: int) -> str:
    """A sentence without linking openers, cut at a clause boundary to fit `limit` characters.

    Keeps a question mark or exclamation, drops a full stop; a cut never ends on a stop word
    or a verb. Without a clause boundary that fits, the words that fit, so trimmed.
    """
    text = _capitalise(" ".join(_strip_lead(sentence.split())))
    if len(text) <= limit:
        return text.rstrip(".…,;:—– ") if not text.endswith("...") else text.rstrip(". ")
    heads = _clause_heads(text, limit)
    if heads:
        best = max(heads, key=len)
    else:
        parts = text[: limit + 1].rsplit(" ", 1)[0].split()
        while len(parts) > 3 and _weak_end(parts[-1]):
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
