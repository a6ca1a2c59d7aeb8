"""Where a chosen clip should end and start: on the sentences that close and open the
thought, not one too early or one too late.

Window scoring averages over sentences, so a story's last sentences (short, plain payoffs)
can pull a window's score down and the best-scoring window stops one or more sentences
before the story does; the score can also carry a window on into a tangent, or open it
after the story's first line. Once a window is chosen, its end and then its start are
therefore reconsidered among nearby sentence edges, judged only by how well each *ends* (or
*opens*) a thought:

- **pause**: speakers pause longest where a thought ends (the pause evidence of
  segmentation, relative to the speaker's median pause);
- **boundary strength**: the topic-segmentation strength of the gap, which adds the change
  of vocabulary and register after it;
- **cohesion** (starts only): an opening line names what the clip goes on to speak of,
  not what came before;
- **continuation**: a sentence whose content words mostly come back in the next one, or that
  is followed by "And ...", "Because ...", leaves the thought open;
- **announcement**: a sentence that announces more to come ("here's the thing", "first", a
  question the next sentence answers) cannot end a clip; an opening that leans on what
  came before ("And ...", "It ...") is a poor start;
- **turn**: a sentence followed by another turn (a listener's response, a cue turning
  away) closes the thought.

A different edge is taken only when it is clearly better than the chosen one, always within
the duration range, and never by taking in a filler sentence, a sentence that turns away
("Okay, ...", "Anyway, ..."), a listener's reaction or echo ("Wow.", "That's so true, ...",
"Twice it mattered."), or by crossing a pause as long as the speaker's longest. A clip
that holds a clear pause (one the next line does not carry on from, any as long as the
speaker's longest, or one between a question and its answer) or a cue turning away
("Anyway, ...") is first narrowed to its longest stretch between such breaks, and a clip
that holds a listener's response after its first line is cut back to the line before it:
the story ended there. The chosen clips are refined twice over, so that sentences one clip
gives back when it is narrowed can go to the clip they belong with.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from clipforge.detection import features as ft
from clipforge.detection import lexicon as lx
from clipforge.detection.analysis import SentenceInfo, opens_turn
from clipforge.detection.segmentation import Segmentation

#: How many sentences past the chosen end a story may still run on (about 10-15 s of
#: speech), and how many the chosen end may give back.
AHEAD = 4
#: How far (s) past the chosen end a story may still run on however many sentences that
#: is: a close told in short lines runs past AHEAD sentences in a few seconds.
AHEAD_SECONDS = 12.0
BACK = 2
#: How much better (on the 0-1 scale of `end_quality`) another end must be to replace the
#: chosen one: boundary evidence is noisy, and the window score already chose this end.
MARGIN = 0.12
#: A sentence at least this filler-like (greeting, sponsor read, housekeeping) is never
#: taken in by moving an end: the score kept it out on purpose.
FILLER_LIMIT = 0.5
#: How many sentences before a candidate start are "what came before" for cohesion.
FOLLOW = 2
#: Pause evidence (0-1, against the speaker's own pauses) that an end never moves across:
#: a pause near the longest the speaker makes is where one thing ended and another began.
WALL = 0.75

#: Pause evidence at which a chosen clip is split, keeping its longest stretch: a pause
#: clearly longer than the speaker's usual ones (halfway to the longest). Lower than WALL:
#: an edge is moved only on strong evidence, but a clip of one thing holds no clear pause
#: that the next line does not carry on from.
SPLIT = 0.5

#: Mean word-model probability (`EdgeEvidence.reads_like_highlight`) at or below which a
#: clip's first lines read as a lead-in rather than the story: a listener's letter, the host's
#: prompt, a daily routine told before the story. 0.5: more likely a filler line than not.
LEAD_IN_READING = 0.5
#: The same for a clip's last lines (a recap, a notice). Lower than `LEAD_IN_READING`: a
#: story's own last lines are plain and short, and read less like a highlight than its body.
TAIL_READING = 0.45
#: How many sentences such a lead-in or tail may run to.
TRIM_REACH = 6
#: Pause evidence at the cut: a pause somewhat longer than the speaker's usual ones, where
#: one turn of the talk gives way to the next (without one, a plain line inside a story is
#: no lead-in; on dev 01-128, cross-validated, cutting without a pause doubled the errors).
TRIM_PAUSE = 0.35

#: How much better a sentence ends a clip when the next one is plainly another turn: a
#: listener's response, a sentence turning away ("Okay, ..."), or filler (housekeeping, a
#: greeting). The mirror of the limits on moving an edge: what the clip may never take in
#: also marks where it should stop.
TURN_END = 0.2

#: Pause evidence after a question, before a statement, that makes the statement another
#: speaker's answer: below `SPLIT`, since a speaker asking and answering their own question
#: goes straight on (pause evidence 0 on most such gaps), and a question put to someone
#: else waits for the answer.
ASKED = 0.35
#: Verbs that report a question inside a story ("He stopped me and asked, where's your
#: torch?"): a question told, not put to the listener; the teller may let it hang.
_REPORTING = lx.wordset("asked said wondered told")

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
#: Cue words that, opening a sentence, turn away from the topic at hand (to the room, the
#: show, another subject): discourse cues are among the surest marks of a segment boundary.
SHIFT_CUES = lx.wordset("okay ok anyway sorry alright")
#: A cue word set off from what follows ("Okay, ...", "Anyway." but not "Okay stood for ...").
_CUE = re.compile(r"^\W*(\w+)\s*(?:[,.;:!?…—–-]|$)")
#: A following sentence opening on one of these carries the last one's thought on.
_CARRY_ON = lx.wordset("and but so or because which then also plus though")


def turns_away(info: SentenceInfo) -> bool:
    """Whether a sentence opens on a cue that turns away from the topic ("Okay, ...",
    "Anyway, ...", "Sorry."): a cue word set off by punctuation. The same word running on
    into the sentence is a word like any other ("Okay stood for 'all correct'.")."""
    found = _CUE.match(info.text)
    return found is not None and found.group(1).lower() in SHIFT_CUES


@dataclass(frozen=True, slots=True)
class EdgeEvidence:
    """What end choice reads about every sentence and gap of a transcript."""

    infos: Sequence[SentenceInfo]
    seg: Segmentation
    #: 0-1 per gap between sentences: how much longer its pause is than the median.
    pause: Sequence[float]
    #: 0-1 per sentence: how surely its words are a highlight's (the word model); None when
    #: no model is at hand, and then no edge is moved for it.
    reads_like_highlight: Sequence[float] | None = None

    def responds(self, k: int) -> bool:
        """Whether sentence k is a listener's response to the one before (see
        `analysis.opens_turn`)."""
        return opens_turn(self.infos[k - 1] if k > 0 else None, self.infos[k])

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


def end_quality(ev: EdgeEvidence, i: int, j: int) -> float:
    """How well sentence j closes a clip that starts at sentence i, roughly 0-1.

    (`i` is kept for symmetry with `start_quality`: a closing line is judged by the gap
    after it and what follows, not by how many of the clip's words it repeats, since a
    story's last lines often put its point in new words.)"""
    infos = ev.infos
    last = infos[j]
    following = infos[j + 1] if j + 1 < len(infos) else None
    score = 0.5 * ev.seg.gap(j) + 0.5 * ev.pause_after(j)
    score -= 0.2 * continuation(last, following)
    if announces(last, following):
        score -= 0.3
    if following is not None and hands_over(ev, j + 1):
        score += TURN_END
    return score


def hands_over(ev: EdgeEvidence, k: int) -> bool:
    """Whether sentence k plainly begins another turn, so whatever was being told ended
    before it: a listener's response, a cue turning away, or filler."""
    info = ev.infos[k]
    return turns_away(info) or ev.responds(k)


def refine_end(
    ev: EdgeEvidence,
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
    j = before_reaction(ev, i, j, fits)
    best, best_quality = j, end_quality(ev, i, j) + MARGIN
    for k in range(j + 1, ahead(ev, j)):
        if not _may_take_in(ev, range(j + 1, k + 1), range(j, k)):
            break
        if fits(i, k) and free(i, k):
            quality = end_quality(ev, i, k)
            if quality > best_quality:
                best, best_quality = k, quality
    for k in range(max(i, j - BACK), j):
        if fits(i, k):
            quality = end_quality(ev, i, k)
            if quality > best_quality:
                best, best_quality = k, quality
    return best


def ahead(ev: EdgeEvidence, j: int) -> int:
    """One past the last sentence an end at sentence j may move to: AHEAD sentences on, or
    as many as end within AHEAD_SECONDS, whichever reaches farther (a story's close is often
    a run of short lines: "Fine. Just fine. The road can wait.")."""
    reach = j + AHEAD
    infos = ev.infos
    while reach + 1 < len(infos) and infos[reach + 1].end - infos[j].end <= AHEAD_SECONDS:
        reach += 1
    return min(len(infos), reach + 1)


def before_reaction(ev: EdgeEvidence, i: int, j: int, fits: Callable[[int, int], bool]) -> int:
    """The end of the clip (i, j) cut back to the line before the first listener's reaction
    inside it ("Wow.", "That's so true, ..."), where that still fits the duration range.

    A reaction is another speaker judging what was just said: the thing told ended with the
    line before it, and what follows is the listener's turn (or the next question)."""
    for r in range(i + 1, j + 1):
        if ev.responds(r):
            return r - 1 if fits(i, r - 1) else j
    return j


def within_breaks(
    ev: EdgeEvidence,
    i: int,
    j: int,
    fits: Callable[[int, int], bool],
    value: Callable[[int, int], float] | None = None,
) -> tuple[int, int]:
    """The clip (i, j) narrowed to its best stretch between breaks, where that stretch still
    fits the duration range: the one `value` scores highest, or without it the longest (in
    sentences); the earlier on a tie. A break is a clear pause (`SPLIT`), the gap between a
    question put to someone and its answer (`asked`), or a cue turning away ("Anyway, ...",
    `turns_away`).

    A window chosen by its score can hold such a pause when the thing before or after it (a
    listener's remark, the host's next question, a story's tail that the next turn answers)
    scores well enough to ride along. A pause that the next line carries on from ("... who
    has more at 65? And it does.", or a line repeating most of its words) is a dramatic
    pause inside one thought, and does not split, unless it is wall-like (`WALL`): a pause
    as long as the speaker's longest ends a turn whatever the next line opens on (a
    listener's "Oh, ..." heard as "Or, ...", or "And what happened then?").

    A cue turning away ends what came before it, pause or not: a speaker runs "... I think
    about that van sometimes. Anyway, that's how I got started. Here's the thing nobody
    tells you ..." together, and a window can hold the anecdote, the cue and the point. The
    cue line starts the stretch after it, unless it is filler itself ("Anyway, that's how I
    got started."), when it stands alone and belongs to neither side."""
    splits = [
        g
        for g in range(i, j)
        if ev.pause_after(g) >= WALL
        or (ev.pause_after(g) >= SPLIT and continuation(ev.infos[g], ev.infos[g + 1]) < 0.5)
        or asked(ev, g)
        or turns_away(ev.infos[g + 1])
        or (turns_away(ev.infos[g]) and ev.infos[g].filler >= FILLER_LIMIT)
    ]
    if not splits:
        return i, j
    firsts = [i, *(g + 1 for g in splits)]
    lasts = [*splits, j]
    pieces = [(a, b) for a, b in zip(firsts, lasts, strict=True) if fits(a, b)]
    if not pieces:
        return i, j
    if value is not None:
        return max(pieces, key=lambda p: value(*p))
    return max(pieces, key=lambda p: p[1] - p[0])


def asked(ev: EdgeEvidence, g: int) -> bool:
    """Whether the gap after sentence g lies between a question put to someone else and
    its answer: a question (not one reported in a story), a pause (`ASKED`), then a
    statement. A speaker asking and
    answering their own question goes on without one ("Why don't I sort it alphabetically?
    Because ..."), or after a dramatic pause with a linking word ("... who has more at 65?
    And it does."). The answer is another turn even when it repeats the question's words."""
    if g + 1 >= len(ev.infos):
        return False
    question, answer = ev.infos[g], ev.infos[g + 1]
    return (
        question.question
        and not answer.question
        and answer.first_token not in _CARRY_ON
        and ev.pause_after(g) >= ASKED
        and not (_REPORTING & set(question.tokens))
    )


def _may_take_in(ev: EdgeEvidence, added: range, crossed: range, opening: bool = False) -> bool:
    """Whether an edge may move so that the clip takes in the sentences `added`, crossing
    the gaps `crossed` (and if not, it goes no farther).

    Not across a wall-like pause, a filler sentence, a listener's response or a sentence
    opening on a cue that turns away from the topic ("Okay, ...", "Anyway, ..."; when
    `opening`, the first added sentence may: it becomes the clip's first line). These are
    marks of a turn ending; the vocabulary of the added lines is not asked about: a story's
    closing lines often say its point in new words ("Show up for the dull bits. That's where
    they're watching."), and its opening lines set it up in their own."""
    if any(ev.pause_after(g) >= WALL or asked(ev, g) for g in crossed):
        return False
    infos = [ev.infos[k] for k in added]
    # Going on, a teller's own short beat is taken in; opening, it is left out all the same.
    if any(
        ev.infos[k].filler >= FILLER_LIMIT and (opening or not said_straight_on(ev, k))
        for k in added
    ):
        return False
    if any(map(ev.responds, added)):
        return False
    return not any(map(turns_away, infos[1 if opening else 0 :]))


def said_straight_on(ev: EdgeEvidence, k: int) -> bool:
    """Whether sentence k, a line of a word or two that reads as a listener's back-channel
    ("Just once.", "Sure."), is the speaker's own beat: said in the same voice, with no
    clear pause on either side (pause evidence includes a change of voice). A listener's
    "Sure." comes in another voice; a teller's "Just once." goes straight on."""
    return (
        ev.infos[k].filler_kind == "cross-talk"
        and ev.pause_after(k - 1) < SPLIT
        and ev.pause_after(k) < SPLIT
    )


def _stems(ev: EdgeEvidence, i: int, j: int) -> set[str]:
    out: set[str] = set()
    for info in ev.infos[i : j + 1]:
        out.update(info.stems)
    return out


def opening_shift(ev: EdgeEvidence, i: int, j: int) -> float:
    """-1..1: how much more sentence i shares with the rest of the clip (i+1..j) than with
    the sentences before it (a story's opening line names
    what the story is about; a line still answering what came before shares its words)."""
    first = ev.infos[i]
    return share_in(first.stems, _stems(ev, i + 1, min(j, i + 6))) - share_in(
        first.stems, _stems(ev, max(0, i - FOLLOW), i - 1)
    )


def start_quality(ev: EdgeEvidence, i: int, j: int) -> float:
    """How well sentence i opens a clip that ends at sentence j, roughly 0-1: the mirror of
    `end_quality`. A long pause before it, vocabulary of the clip rather than of what came
    before, and an opening that stands on its own (not "And ...", "It ...", not carrying on
    the previous sentence's words)."""
    first = ev.infos[i]
    previous = ev.infos[i - 1] if i > 0 else None
    score = 0.5 * ev.seg.gap(i - 1) + 0.5 * ev.pause_after(i - 1)
    score += 0.15 * opening_shift(ev, i, j)
    if previous is not None:
        score -= 0.2 * continuation(previous, first)
    score -= 0.2 * (1.0 - ft.self_containedness(first, previous))
    return score


def refine_start(
    ev: EdgeEvidence,
    i: int,
    j: int,
    fits: Callable[[int, int], bool],
    free: Callable[[int, int], bool],
) -> int:
    """The sentence that best opens the clip (i, j): i itself unless another start within
    AHEAD before or BACK after is clearly better (by MARGIN); the mirror of `refine_end`."""
    best, best_quality = i, start_quality(ev, i, j) + MARGIN
    # A clip opening on a cue that turns to something new ("Anyway, ...") starts there at
    # the earliest: what lies before the cue is what it turned away from.
    back = 0 if turns_away(ev.infos[i]) else AHEAD
    for k in range(i - 1, max(-1, i - back - 1), -1):
        if not _may_take_in(ev, range(k, i), range(k, i), opening=True):
            break
        if fits(k, j) and free(k, j):
            quality = start_quality(ev, k, j)
            if quality > best_quality:
                best, best_quality = k, quality
    for k in range(i + 1, min(j, i + BACK) + 1):
        if fits(k, j):
            quality = start_quality(ev, k, j)
            if quality > best_quality:
                best, best_quality = k, quality
    return best


def refine_all(
    ev: EdgeEvidence,
    spans: Sequence[tuple[int, int]],
    fits: Callable[[int, int], bool],
    value: Callable[[int, int], float] | None = None,
) -> list[tuple[int, int]]:
    """Every chosen (i, j), in rank order, narrowed to its best stretch between breaks (by
    `value`, see `within_breaks`) and with its end and then its start refined; a moved edge
    never reaches a sentence another chosen clip holds.

    Two passes: in the first, a clip meets the clips ranked below it as they were chosen,
    before they are narrowed; a lower clip that gives back the opening of a story when its
    own turn comes (cut at a pause or a cue) frees those sentences for the second pass, where
    the clip holding the rest of the story can take them."""
    out = list(spans)
    for n in [*range(len(out)), *range(len(out))]:
        i, j = out[n]

        def free(a: int, b: int, n: int = n) -> bool:
            return all(b < x or a > y for m, (x, y) in enumerate(out) if m != n)

        i, j = within_breaks(ev, i, j, fits, value)
        j = refine_end(ev, i, j, fits, free)
        out[n] = without_lead_in_or_tail(ev, refine_start(ev, i, j, fits, free), j, fits)
    return out


def without_lead_in_or_tail(
    ev: EdgeEvidence, i: int, j: int, fits: Callable[[int, int], bool]
) -> tuple[int, int]:
    """The clip (i, j) without opening lines that read as a lead-in and closing lines that
    read as what follows a story, where the rest still fits.

    The edges chosen so far read how the talk is built (pauses, turns, cues), and a lead-in
    can be built like a story's opening: a listener's letter read out, the host's prompt
    ("Anselm, tell them about the names inside the costumes."), the day's routine before
    the day's story, each followed by only a slightly longer pause; after a story, a recap in
    words no pattern knows ("So, for anyone skipping to the end. Put the worn face up.
    Use the stool."). Their words say what they are: up to `TRIM_REACH` first (last)
    sentences are cut when, together, they read as filler (mean probability at most
    `LEAD_IN_READING`, `TAIL_READING`), the sentence the clip then opens (closes) on reads as
    a highlight's, and a pause (`TRIM_PAUSE`) lies between."""
    reading = ev.reads_like_highlight
    if reading is None:
        return i, j
    first = i
    for k in range(i, min(j, i + TRIM_REACH)):
        lead = reading[i : k + 1]
        if (
            sum(lead) / len(lead) <= LEAD_IN_READING < reading[k + 1]
            and ev.pause_after(k) >= TRIM_PAUSE
            and fits(k + 1, j)
        ):
            first = k + 1
    last = j
    for k in range(j, max(first, j - TRIM_REACH), -1):
        tail = reading[k : j + 1]
        if (
            sum(tail) / len(tail) <= TAIL_READING < reading[k - 1]
            and ev.pause_after(k - 1) >= TRIM_PAUSE
            and fits(first, k - 1)
        ):
            last = k - 1
    return first, last


#: Pause evidence below which two chosen clips that meet are one: a pause no longer than
#: the speaker's usual ones between sentences. On the dev episodes every pair of chosen
#: clips meeting across less than 0.15 was one part cut in two (12 of 12); from 0.2 on,
#: nearly every pair was two parts.
JOIN = 0.15


def joins(
    ev: EdgeEvidence, spans: Sequence[tuple[int, int]], fits: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    """The chosen clips (i, j) in order of time, with any two that meet across no break
    joined into one, where the joined clip still fits.

    Window scores can prefer two halves of one story to the whole, when each half scores
    well on its own (a hook in the first, a payoff in the second). Where they meet the
    speaker went straight on: no pause beyond the usual (`JOIN`), no other voice, no
    question and answer, no listener's response and no cue turning away."""
    out: list[tuple[int, int]] = []
    for i, j in sorted(spans):
        if out and out[-1][1] + 1 == i and _goes_straight_on(ev, i - 1) and fits(out[-1][0], j):
            out[-1] = (out[-1][0], j)
        else:
            out.append((i, j))
    return out


def _goes_straight_on(ev: EdgeEvidence, g: int) -> bool:
    """Whether the speaker went straight on across the gap after sentence g."""
    return (
        ev.pause_after(g) < JOIN
        and not asked(ev, g)
        and not ev.responds(g + 1)
        and not turns_away(ev.infos[g + 1])
    )
