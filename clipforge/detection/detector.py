"""Highlight detection: the pipeline from a transcript to ranked, captioned clip proposals.

sentences -> per-sentence facts -> topic segmentation -> every sentence-aligned window in the
duration range (plus topic segments repaired into it) -> named features -> score -> the best
non-overlapping windows -> padded edges, title, description, hashtags and reason.
Pure and deterministic: the same transcript and options always give the same clips.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from clipforge.detection import content
from clipforge.detection import features as ft
from clipforge.detection.analysis import (
    Corpus,
    SentenceInfo,
    analyse,
    asides_run_on,
    corpus_stats,
)
from clipforge.detection.edges import (
    SPLIT,
    EdgeEvidence,
    joins,
    refine_all,
    within_breaks,
    without_lead_in_or_tail,
)
from clipforge.detection.energy import LoudnessProfile, speech_energy
from clipforge.detection.language import HighlightLanguage, shipped
from clipforge.detection.pauses import (
    LOOK_SECONDS,
    Silences,
    offset,
    onset,
    sentence_pause,
    split_run_ons,
)
from clipforge.detection.scoring import Features, breakdown, rank_value, reason, topic_fit
from clipforge.detection.segmentation import Segmentation, pause_evidence, segment
from clipforge.detection.sentences import Sentence, split_sentences
from clipforge.detection.voices import PitchTrack, voice_changes
from clipforge.detection.windows import Ranked, fit_units, pad, remove_overlaps, repair, span
from clipforge.domain.clips import ClipCandidate
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Transcript, Word

#: Margin kept around an edge word's middle (seconds), more than the rounding of clip edges.
MID_MARGIN = 0.01
#: The widest gap (s) between two sentences' word timings that, with no silence heard in it
#: and no change of voice, is a full stop the recogniser put inside one spoken sentence
#: ("Welcome to Weekend People. The panel show about ..."). On the dev episodes 100 of the
#: 142 breaks the script does not have were such gaps, against 8 of 9,040 real ones.
GLUE_SECONDS = 0.4
#: Pause evidence that ends an announced aside's run-on (`analysis.asides_run_on`): a pause
#: somewhat longer than the speaker's usual ones. Below `SPLIT`: a speaker going from a
#: correction or a notice into a story of their own pauses no longer than that, and the
#: aside ran on into the story's opening lines (dev 1-116: start error 1.05 -> 0.99 s).
ASIDE_PAUSE = 0.35
#: Share of the gaps between sentences that must show a pause before a gap showing none is
#: read as glued: under music or noise the track shows few pauses anywhere, and then the
#: absence of one says nothing (on the dev episodes, 92% of sentence ends show one).
CONFIRMED_SHARE = 0.5


def detect_highlights(
    transcript: Transcript,
    options: DetectOptions,
    language: HighlightLanguage | None = None,
) -> list[ClipCandidate]:
    """The best `options.count` non-overlapping clips, highest score first.

    Clips start on a sentence's first word and end on a sentence's last word, last between
    min_seconds and max_seconds of speech, lie inside the search range and are padded a
    little without reaching into a neighbouring word. Speech shorter than min_seconds yields
    one clip of all of it; no speech yields [].

    The windows are found and their edges refined by the named features; the chosen clips
    are then scored again with how much their words read like a highlight's (`language`,
    the model shipped with the package unless another is given), which orders them.
    """
    silences = Silences.from_extra(transcript.extra)
    everything = split_sentences(transcript)
    if silences is not None:
        everything = split_run_ons(everything, silences)
    if not everything:
        return []
    lower = options.search_start if options.search_start is not None else 0.0
    # An engine may time the last word a little past the reported duration: keep it.
    upper = max(transcript.duration, everything[-1].end)
    if options.search_end is not None:
        upper = min(upper, options.search_end)
    sentences = [s for s in everything if s.start >= lower and s.end <= upper]
    if not sentences:
        return []
    units = fit_units(sentences, options.max_seconds)
    ctx = _Context.build(transcript, units, options, lower, upper, language or shipped(), silences)
    total = span(units, 0, len(units) - 1)
    if total < options.min_seconds:
        note = (
            f"Short video: all {total:.0f}s of speech (under the {options.min_seconds:g}s minimum)"
        )
        return [ctx.clip(_score(ctx, 0, len(units) - 1), note)]
    shortest = options.min_seconds
    ranked = _rank(ctx, shortest)
    note = ""
    if not ranked:
        # Enough speech overall, but broken by long silences: offer the best shorter runs.
        shortest = 0.0
        ranked = _rank(ctx, shortest)
        note = f"Under the {options.min_seconds:g}s minimum (no longer continuous stretch)"
    chosen = _choose(ctx, ranked, options.count, shortest)
    clips = [ctx.clip(r, note) for r in chosen]
    return sorted(clips, key=lambda c: -c.score)


@dataclass(frozen=True, slots=True)
class _Gaps:
    """What the audio says about each gap between consecutive sentences."""

    #: The silence heard there (seconds), from the loudness track.
    heard: list[float] | None
    #: Whether the audio shows sound through most of the words' gap (speech left out).
    spoken: list[bool] | None
    #: 0-1: how surely another voice speaks after it, from the pitch track.
    voices: list[float] | None

    @classmethod
    def of(
        cls,
        transcript: Transcript,
        units: Sequence[Sentence],
        infos: Sequence[SentenceInfo],
        silences: Silences | None,
    ) -> _Gaps:
        pairs = list(itertools.pairwise(units))
        pitch = PitchTrack.from_extra(transcript.extra)
        return cls(
            heard=(
                [sentence_pause(silences, a.words[-1].start, b.words[0].end) for a, b in pairs]
                if silences is not None
                else None
            ),
            spoken=(
                [silences.voiced(a.end, b.start) for a, b in pairs]
                if silences is not None
                else None
            ),
            voices=voice_changes(pitch, infos) if pitch is not None else None,
        )

    def edge_pauses(self, infos: Sequence[SentenceInfo]) -> list[float]:
        """The pause evidence edge choice reads. A gap in the word timings that the audio
        shows full of sound is speech the recogniser dropped, not a pause (segmentation keeps
        the plain evidence: there the same reading moved starts on the dev episodes 15-20 from
        0.98 to 1.89 s). Where another voice takes over, one turn ended: as final as the
        longest pause."""
        pauses = pause_evidence(infos, self.heard, self.spoken)
        if self.voices is None:
            return pauses
        return [max(p, v) for p, v in zip(pauses, self.voices, strict=True)]

    def glued(self, units: Sequence[Sentence]) -> list[bool]:
        """Whether each gap is a break the audio does not confirm: no silence heard, the words
        (nearly) touching and the same voice going on. A clip never starts or ends there; a
        cut with no pause at all is mid-sentence, or sounds like it."""
        unglued = [False] * max(0, len(units) - 1)
        if self.heard is None or not self.heard:
            return unglued
        if sum(1 for h in self.heard if h > 0) < CONFIRMED_SHARE * len(self.heard):
            return unglued
        voices = self.voices or [0.0] * len(self.heard)
        return [
            heard <= 0 and b.start - a.end <= GLUE_SECONDS and voice < SPLIT
            for heard, voice, (a, b) in zip(
                self.heard, voices, itertools.pairwise(units), strict=True
            )
        ]

    def turn_breaks(self, infos: Sequence[SentenceInfo]) -> list[bool]:
        """Whether each gap ends a turn: a pause longer than usual or another voice. The
        pause is the longer of the words' gap and the silence heard (as segmentation reads
        it), so that a track showing no silence at all, under music, does not run a turn on."""
        pauses = pause_evidence(infos, self.heard)
        voices = self.voices or [0.0] * len(pauses)
        return [p >= ASIDE_PAUSE or v >= SPLIT for p, v in zip(pauses, voices, strict=True)]


@dataclass(frozen=True, slots=True)
class _Context:
    """Everything computed once per transcript that window scoring reads."""

    units: list[Sentence]
    infos: list[SentenceInfo]
    corpus: Corpus
    seg: Segmentation
    words: list[Word]
    word_index: dict[int, int]
    loudness: LoudnessProfile | None
    silences: Silences | None
    keywords: list[tuple[str, ...]]
    options: DetectOptions
    lower: float
    upper: float
    hooks: list[float]
    contained: list[float]
    payoffs: list[float]
    ends: EdgeEvidence
    #: 0-1 per sentence: how surely its words are a highlight's.
    language: list[float]
    #: Per gap between units: a break the audio does not confirm (`_Gaps.glued`).
    glued: list[bool]

    @classmethod
    def build(
        cls,
        transcript: Transcript,
        units: list[Sentence],
        options: DetectOptions,
        lower: float,
        upper: float,
        language: HighlightLanguage,
        silences: Silences | None,
    ) -> _Context:
        infos = [analyse(u) for u in units]
        words = [w for w in transcript.words if w.clean]
        n = len(infos)
        gaps = _Gaps.of(transcript, units, infos, silences)
        pauses = gaps.edge_pauses(infos)
        infos = asides_run_on(infos, gaps.turn_breaks(infos))
        seg = segment(infos, gaps.heard, gaps.voices)
        reading = [language.probability(i.tokens) for i in infos]
        return cls(
            units=units,
            infos=infos,
            corpus=corpus_stats(infos),
            seg=seg,
            words=words,
            word_index={id(w): k for k, w in enumerate(words)},
            loudness=LoudnessProfile.from_extra(transcript.extra),
            silences=silences,
            keywords=ft.keyword_stems(options.keywords),
            options=options,
            lower=lower,
            upper=upper,
            hooks=[ft.hook_strength(i) for i in infos],
            contained=[
                ft.self_containedness(infos[k], infos[k - 1] if k else None) for k in range(n)
            ],
            payoffs=[
                ft.payoff(
                    infos[k], infos[k + 1] if k + 1 < n else None, infos[k - 1] if k else None
                )
                for k in range(n)
            ],
            ends=EdgeEvidence(infos, seg, pauses, reading),
            language=reading,
            glued=gaps.glued(units),
        )

    def cuttable(self, i: int, j: int) -> bool:
        """Whether a clip may run from unit i to unit j: it starts and ends where the audio
        confirms a break (or at the transcript's edges)."""
        return (i == 0 or not self.glued[i - 1]) and (j + 1 >= len(self.units) or not self.glued[j])

    def clip(self, scored: _Scored, note: str) -> ClipCandidate:
        i, j = scored.i, scored.j
        run = self.infos[i : j + 1]
        first, last = self.units[i].words[0], self.units[j].words[-1]
        a, b = self.word_index[id(first)], self.word_index[id(last)]
        before = self.words[a - 1] if a > 0 else None
        after = self.words[b + 1] if b + 1 < len(self.words) else None
        longest = max(self.options.max_seconds, last.end - first.start)
        start, end = pad(first, last, before, after, self.lower, self.upper, longest)
        if self.silences is not None:
            start, end = self._in_silence(start, end, first, last, before, after, longest)
        features = replace(
            scored.features, language=ft.highlight_language(self.language[i : j + 1])
        )
        parts = breakdown(features)
        why = reason(features, parts, run, self.options.keywords)
        text = " ".join(info.text for info in run)
        made = content.generate(run, self.corpus)
        return ClipCandidate(
            start=start,
            end=end,
            score=max(0, min(100, sum(parts.values()))),
            breakdown=parts,
            title=made.title,
            reason=f"{note}. {why}" if note else why,
            text=text,
            description=made.description,
            hashtags=made.hashtags,
        )

    def _in_silence(
        self,
        start: float,
        end: float,
        first: Word,
        last: Word,
        before: Word | None,
        after: Word | None,
        longest: float,
    ) -> tuple[float, float]:
        """Edges moved to the pauses the audio shows around the clip's words, where it shows
        them: word timings are stretched over pauses, the loudness track is not. The padded
        word edges stay where the audio shows no pause or the clip would grow too long."""
        assert self.silences is not None
        lo = max(self.lower, before.start if before is not None else first.start - LOOK_SECONDS)
        hi = min(self.upper, after.end if after is not None else last.end + LOOK_SECONDS)
        heard_start = onset(self.silences, lo, first.end)
        heard_end = offset(self.silences, last.start, hi)
        # Never past the middle of an edge word: captions and players place a word by its
        # timing, and a word whose middle lies outside the clip would be dropped from it.
        first_mid = (first.start + first.end) / 2 - MID_MARGIN
        last_mid = (last.start + last.end) / 2 + MID_MARGIN
        new_start = start if heard_start is None else max(self.lower, min(heard_start, first_mid))
        new_end = end if heard_end is None else min(self.upper, max(heard_end, last_mid))
        if new_end - new_start > longest or new_end <= new_start:
            return start, end
        return round(new_start, 3), round(new_end, 3)


@dataclass(frozen=True, slots=True)
class _Scored(Ranked):
    features: Features


def _score(ctx: _Context, i: int, j: int) -> _Scored:
    stats = ft.WindowStats.of(ctx.infos[i : j + 1], ctx.corpus)
    internal = max(ctx.seg.strength[i:j], default=0.0)
    hits: set[str] = set()
    for info in ctx.infos[i : j + 1]:
        hits |= ft.keyword_hits(info, ctx.keywords)
    return _scored(ctx, i, j, stats, internal, hits)


def _scored(
    ctx: _Context, i: int, j: int, stats: ft.WindowStats, internal: float, hits: set[str]
) -> _Scored:
    f = Features(
        hook=ctx.hooks[i],
        self_contained=ctx.contained[i],
        payoff=ctx.payoffs[j],
        topic_fit=topic_fit(ctx.seg, i, j, internal),
        density=ft.information_density(stats, ctx.corpus),
        insight=ft.insight(stats),
        engagement=ft.engagement(stats),
        energy=speech_energy(ctx.loudness, stats.start, stats.end),
        pace=ft.pace(stats, ctx.corpus),
        filler=ft.filler_share(stats),
        interruption=ft.interruption(stats),
        dead_air=ft.dead_air(stats),
        keywords=ft.keyword_match(hits, ctx.keywords) if ctx.keywords else None,
    )
    return _Scored(
        score=rank_value(f),
        i=i,
        j=j,
        start=ctx.units[i].start,
        end=ctx.units[j].end,
        features=f,
    )


def _choose(ctx: _Context, ranked: list[_Scored], count: int, min_seconds: float) -> list[_Scored]:
    """The best `count` non-overlapping windows with refined edges, where two of them that
    meet across no pause at all are one clip (`edges.joins`), and the slot that frees goes
    to the next best window."""
    chosen = _refine_ends(ctx, remove_overlaps(ranked, count), min_seconds)
    units, longest = ctx.units, ctx.options.max_seconds
    spans = joins(ctx.ends, [(c.i, c.j) for c in chosen], lambda i, j: span(units, i, j) <= longest)
    if len(spans) == len(chosen):
        return chosen
    held = {(c.i, c.j) for c in chosen}
    kept = [c for c in chosen if (c.i, c.j) in spans]
    # A joined clip is narrowed like any other: a half too short to be split on its own
    # (a listener's question before the answer, say) is now a piece that can be left out,
    # and so is a lead-in or a tail that reads as filler.
    fits = _fits(ctx, min_seconds)
    ends, value = ctx.ends, _value(ctx)

    def narrowed(i: int, j: int) -> tuple[int, int]:
        return without_lead_in_or_tail(ends, *within_breaks(ends, i, j, fits, value), fits)

    joined = [_score(ctx, *narrowed(i, j)) for i, j in spans if (i, j) not in held]
    clear = [r for r in ranked if all(r.j < i or r.i > j for i, j in spans)]
    more = remove_overlaps(clear, count - len(spans))
    return [*kept, *joined, *_refine_ends(ctx, more, min_seconds)]


def _refine_ends(ctx: _Context, chosen: list[_Scored], min_seconds: float) -> list[_Scored]:
    """The chosen windows with each end moved to the sentence that best closes its thought
    (see edges.py); a window whose end moved is scored again as the clip it now is."""
    spans = refine_all(ctx.ends, [(c.i, c.j) for c in chosen], _fits(ctx, min_seconds), _value(ctx))
    return [c if (c.i, c.j) == s else _score(ctx, *s) for c, s in zip(chosen, spans, strict=True)]


def _fits(ctx: _Context, min_seconds: float) -> Callable[[int, int], bool]:
    """Whether a clip from unit i to unit j may be proposed: within the duration range, with
    edges the audio confirms."""
    units, longest = ctx.units, ctx.options.max_seconds

    def fits(i: int, j: int) -> bool:
        return min_seconds <= span(units, i, j) <= longest and ctx.cuttable(i, j)

    return fits


def _value(ctx: _Context) -> Callable[[int, int], float]:
    """How good a clip from unit i to unit j is: its window score."""
    return lambda i, j: _score(ctx, i, j).score


def _rank(ctx: _Context, min_seconds: float) -> list[_Scored]:
    """Every window in range, scored, plus the topic segments repaired into range.

    Running totals grow with the window's end, so each window costs O(1) beyond its edges.
    """
    units, infos, options = ctx.units, ctx.infos, ctx.options
    seen: dict[tuple[int, int], _Scored] = {}
    for i in range(len(units)):
        if i > 0 and ctx.glued[i - 1]:
            continue
        stats = ft.WindowStats()
        internal = 0.0
        hits: set[str] = set()
        for j in range(i, len(units)):
            if span(units, i, j) > options.max_seconds:
                break
            if j > i:
                internal = max(internal, ctx.seg.strength[j - 1])
            stats.add(infos[j], ctx.corpus)
            if ctx.keywords:
                hits |= ft.keyword_hits(infos[j], ctx.keywords)
            if span(units, i, j) >= min_seconds and ctx.cuttable(i, j):
                seen[(i, j)] = _scored(ctx, i, j, stats, internal, set(hits))
    for first, last in _seeds(ctx.seg):
        fixed = repair(units, first, last, min_seconds, options.max_seconds, ctx.seg.gap)
        if fixed is not None and fixed not in seen and ctx.cuttable(*fixed):
            seen[fixed] = _score(ctx, *fixed)
    return list(seen.values())


def _seeds(seg: Segmentation) -> Sequence[tuple[int, int]]:
    """Topic segments, alone and with a neighbour, as starting points for repair."""
    segs = list(seg.segments)
    pairs = [(a[0], b[1]) for a, b in itertools.pairwise(segs)]
    return segs + pairs
