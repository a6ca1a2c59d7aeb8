"""Where a chosen clip should end: the sentence that closes the thought, not one too early
or one too late.

Window scoring averages over sentences, so a story's last sentences (short, plain payoffs)
can pull a window's score down and the best-scoring window stops one or more sentences
before the story does; the score can also carry a window on into a tangent. Once a window is
chosen, its end is therefore reconsidered among nearby sentence ends, judged only by how
well each *ends a thought*:

- **pause**: speakers pause longest where a thought ends (the pause evidence of
  segmentation, relative to the speaker's median pause);
- **boundary strength**: the topic-segmentation strength of the gap, which adds the change
  of vocabulary and register after it;
- **cohesion**: a closing sentence repeats the clip's words and shares few with what
  follows (a topic shift follows a payoff);
- **continuation**: a sentence whose content words mostly come back in the next one, or that
  is followed by "And ...", "Because ...", leaves the thought open;
- **announcement**: a sentence that announces more to come ("here's the thing", "first", a
  question the next sentence answers) cannot end a clip.

A different end is taken only when it is clearly better than the chosen one, never by adding
filler sentences, and always within the duration range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clipforge.detection import lexicon as lx
from clipforge.detection.analysis import SentenceInfo
from clipforge.detection.segmentation import Segmentation

#: How many sentences past the chosen end a story may still run on (about 10-15 s of
#: speech), and how many the chosen end may give back.
AHEAD = 4
BACK = 2
#: How much better (on the 0-1 scale of `end_quality`) another end must be to replace the
#: chosen one: boundary evidence is noisy, and the window score already chose this end.
MARGIN = 0.12
#: A sentence at least this filler-like (greeting, sponsor read, housekeeping) is never
#: taken in by moving an end: the score kept it out on purpose.
FILLER_LIMIT = 0.5
#: How many sentences after a candidate end are "what follows" for cohesion.
FOLLOW = 2
#: Pause evidence (0-1, against the speaker's own pauses) that an end never moves across:
#: a pause near the longest the speaker makes is where one thing ended and another began.
WALL = 0.75

#: Phrases that announce more to come: a clip ending on one stops before its point.
ANNOUNCEMENTS: tuple[str, ...] = (
    "here's the thing",
    "here is the thing",
    "here's what",
    "here is what",
    "here's why",
    "here's how",
    "let me tell you",
    "let me explain",
    "let me give you",
    "i'll tell you",
    "i'll explain",
    "guess what",
    "listen to this",
    "the reason is",
    "the question is",
    "first of all",
    "for example",
    "for instance",
    "two things",
    "three things",
    "a few things",
)
#: Words that, as a sentence's first token, announce a list that has only begun.
_LIST_OPENERS = lx.wordset("first firstly one")
#: A following sentence opening on one of these carries the last one's thought on.
_CARRY_ON = lx.wordset("and but so or because which then also plus though")


@dataclass(frozen=True, slots=True)
class EndEvidence:
    """What end choice reads about every sentence and gap of a transcript."""

    infos: Sequence[SentenceInfo]
    seg: Segmentation
    #: 0-1 per gap between sentences: how much longer its pause is than the median.
    pause: Sequence[float]

    def pause_after(self, j: int) -> float:
        """The pause evidence after sentence j; the transcript's end is a full stop."""
        return self.pause[j] if 0 <= j < len(self.pause) else 1.0


def share_in(stems: Sequence[str], other: set[str]) -> float:
    """Share of the distinct stems of `stems` that occur in `other` (0 when it has none)."""
    mine = set(stems)
    return len(mine & other) / len(mine) if mine else 0.0


def announces(last: SentenceInfo, following: SentenceInfo | None) -> bool:
    """Whether `last` announces more to come: a promise of what follows, a list's first
    item, a colon, or a question that the next sentence (a statement) answers."""
    if lx.phrase_hits(last.normalised, ANNOUNCEMENTS):
        return True
    if last.first_token in _LIST_OPENERS and not last.numbers:
        return True
    if last.text.rstrip().endswith(":"):
        return True
    return last.question and following is not None and not following.question


def continuation(last: SentenceInfo, following: SentenceInfo | None) -> float:
    """0-1: how strongly the next sentence carries `last`'s thought on.

    1 when it opens on a linking word ("And ...", "Because ..."); otherwise the share of
    `last`'s content words that it repeats, counted from half of them (one shared word is
    ordinary cohesion, most of them means the same thought goes on).
    """
    if following is None:
        return 0.0
    if following.first_token in _CARRY_ON:
        return 1.0
    shared = share_in(last.stems, set(following.stems))
    return max(0.0, min(1.0, 2.0 * shared - 1.0))


def cohesion_shift(ev: EndEvidence, i: int, j: int) -> float:
    """-1..1: how much more sentence j shares with the clip body (i..j-1) than with the
    sentences that follow it. A payoff echoes its story; a sentence that opens the next
    story already shares its words with what comes after."""
    last = ev.infos[j]
    body: set[str] = set()
    for info in ev.infos[max(i, j - 6) : j]:
        body.update(info.stems)
    after: set[str] = set()
    for info in ev.infos[j + 1 : j + 1 + FOLLOW]:
        after.update(info.stems)
    return share_in(last.stems, body) - share_in(last.stems, after)


def end_quality(ev: EndEvidence, i: int, j: int) -> float:
    """How well sentence j closes a clip that starts at sentence i, roughly 0-1."""
    infos = ev.infos
    last = infos[j]
    following = infos[j + 1] if j + 1 < len(infos) else None
    score = 0.5 * ev.seg.gap(j) + 0.5 * ev.pause_after(j)
    score += 0.15 * cohesion_shift(ev, i, j)
    score -= 0.2 * continuation(last, following)
    if announces(last, following):
        score -= 0.3
    return score


def refine_end(
    ev: EndEvidence,
    i: int,
    j: int,
    fits: Callable[[int, int], bool],
    free: Callable[[int, int], bool],
) -> int:
    """The sentence that best ends the clip (i, j): j itself unless another end within
    BACK before or AHEAD after is clearly better (by MARGIN).

    `fits(i, k)` says whether (i, k) lasts within the duration range, `free(i, k)` whether
    it stays clear of the other chosen clips. Moving the end later never takes in a filler
    sentence.
    """
    best, best_quality = j, end_quality(ev, i, j) + MARGIN
    body: set[str] = set()
    for info in ev.infos[i : j + 1]:
        body.update(info.stems)
    for k in range(max(i, j - BACK), min(len(ev.infos), j + AHEAD + 1)):
        if k == j:
            continue
        if k > j and not _may_cross(ev, j, k):
            break
        if not (fits(i, k) and free(i, k)) or (k > j and not _on_topic(ev, j, k, body)):
            continue
        quality = end_quality(ev, i, k)
        if quality > best_quality:
            best, best_quality = k, quality
    return best


def _may_cross(ev: EndEvidence, j: int, k: int) -> bool:
    """Whether the end may move from sentence j on to sentence k (k > j): not across a
    wall-like pause and not over a filler sentence."""
    if any(ev.pause_after(g) >= WALL for g in range(j, k)):
        return False
    return all(info.filler < FILLER_LIMIT for info in ev.infos[j + 1 : k + 1])


def _on_topic(ev: EndEvidence, j: int, k: int, body: set[str]) -> bool:
    """Whether sentences j+1..k speak of what the clip speaks of (a content word of theirs
    occurs in it): the rest of a story repeats its words, an aside about the room does not.
    Deliberately lenient: a story's closing lines often say its point in new words."""
    return any(set(info.stems) & body for info in ev.infos[j + 1 : k + 1])


def refine_all(
    ev: EndEvidence,
    spans: Sequence[tuple[int, int]],
    fits: Callable[[int, int], bool],
) -> list[tuple[int, int]]:
    """Every chosen (i, j), in rank order, with its end refined; a moved end never reaches a
    sentence another chosen clip holds."""
    out = list(spans)
    for n, (i, j) in enumerate(out):

        def free(a: int, b: int, n: int = n) -> bool:
            return all(b < x or a > y for m, (x, y) in enumerate(out) if m != n)

        out[n] = (i, refine_end(ev, i, j, fits, free))
    return out
