"""Evaluate clip detection on the scripted episodes: precision, recall, boundaries, speed.

Runs every detector on every episode's committed Whisper base transcript and scores the
proposals against the labelled highlights (definitions in eval/metrics.py). Precision is
over the top 5 proposals, recall and the other clip metrics over the top `--count` (8).
Also reports each cached engine's WER and real-time factor, and how long each detector
takes on a 60-minute transcript made by joining episode transcripts end to end.

Figures are reported per split: `dev` (the episodes detection was developed on, so its
figures there are optimistic), `heldout` (episodes written apart from the detector and never
used to tune it: the honest figures) and both together.

    python -m eval.run                     # from committed transcripts, in seconds
    python -m eval.run --json out.json     # also write the figures
    python -m eval.run --retranscribe      # render missing media, transcribe again first
    python -m eval.run --split dev         # only the dev episodes (figures, WER and all)
    python -m eval.run 0 1 20              # only episodes whose slug starts with 0, 1 or 20
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipforge.domain.clips import detect_clips
from clipforge.domain.text import word_error_rate
from clipforge.domain.transcript import Segment, Transcript, Word
from eval.episodes import (
    MEDIA_DIR,
    SPLITS,
    TRANSCRIPTS_DIR,
    Episode,
    LabelledPart,
    Labels,
    Span,
    Split,
    load_episodes,
    load_labels,
)
from eval.metrics import (
    SentenceEdges,
    boundary_error,
    is_tight_match,
    match,
    mid_sentence_share,
    precision_at,
    sentence_edges,
)
from eval.transcribe import DEFAULT_ENGINE, load_transcript

if TYPE_CHECKING:
    from clipforge.config import Settings

PRECISION_K = 5
#: Largest difference (s) between a transcript's and its labels' durations that is not stale.
STALE_TOLERANCE = 0.01
DEFAULT_COUNT = 8
MIN_SECONDS = 15.0
MAX_SECONDS = 60.0
LONG_MINUTES = 60
#: Clips asked for on the joined hour: about a quarter of its highlights, so a detector that
#: ranks well across episodes can fill every slot with a real one.
LONG_COUNT = 20
#: Seeds averaged for the chance reference column.
CHANCE_DRAWS = 20
#: The group of every episode, reported beside the splits.
ALL = "all"
#: How each group's summary is introduced in the report.
GROUP_NOTES = {
    "dev": "dev split: the episodes detection was developed on; optimistic for it",
    "heldout": "held-out split: never used to tune detection; the honest figures",
    ALL: "all episodes",
}

#: A detector takes a transcript and how many clips to propose; it returns them ranked.
Detect = Callable[[Transcript, int], list[Span]]


@dataclass(frozen=True, slots=True)
class Detector:
    name: str
    detect: Detect


def baseline_detector() -> Detector:
    """The Phase 1 heuristic in clipforge.domain.clips."""

    def detect(transcript: Transcript, count: int) -> list[Span]:
        clips = detect_clips(
            transcript, min_seconds=MIN_SECONDS, max_seconds=MAX_SECONDS, count=count
        )
        return [Span(c.start, c.end) for c in clips]

    return Detector("heuristic", detect)


def new_detector() -> Detector | None:
    """clipforge.detection.detect_highlights, or None when it cannot be imported."""
    try:
        from clipforge.detection import detect_highlights
        from clipforge.domain.detect_options import DetectOptions
    except ImportError as exc:
        print(f"new detector not available ({exc}); evaluating the baseline only")
        return None

    def detect(transcript: Transcript, count: int) -> list[Span]:
        options = DetectOptions(min_seconds=MIN_SECONDS, max_seconds=MAX_SECONDS, count=count)
        return [Span(c.start, c.end) for c in detect_highlights(transcript, options)]

    return Detector("detection", detect)


def available_detectors() -> list[Detector]:
    found = [baseline_detector()]
    extra = new_detector()
    if extra is not None:
        found.append(extra)
    return found


def chance_detector(seed: int) -> Detector:
    """Random non-overlapping clips of 15-60 s: the floor the other figures should clear.

    Highlights fill much of each episode's speech, so chance is far from zero; reading the
    detectors against it says how much of their score is ranking rather than luck.
    """

    def detect(transcript: Transcript, count: int) -> list[Span]:
        rng = random.Random(f"{seed}:{transcript.duration}")
        chosen: list[Span] = []
        for _ in range(50 * count):
            if len(chosen) == count:
                break
            length = rng.uniform(MIN_SECONDS, MAX_SECONDS)
            start = rng.uniform(0.0, max(0.0, transcript.duration - length))
            clip = Span(start, start + length)
            if all(clip.end <= c.start or clip.start >= c.end for c in chosen):
                chosen.append(clip)
        return chosen

    return Detector(f"chance-{seed}", detect)


def chance_summary(
    cases: Sequence[Case], joined: Case, count: int, draws: int = CHANCE_DRAWS
) -> dict[str, float | None]:
    """Summary figures of the chance detector, averaged over `draws` seeds."""
    totals: dict[str, list[float]] = {}
    for seed in range(draws):
        detector = chance_detector(seed)
        summary = summarise(evaluate_detection(detector, cases, count))
        long = evaluate_long(detector, joined)
        summary["long_precision"] = long.precision
        summary["long_mid_sentence"] = long.mid_sentence
        for key, value in summary.items():
            if value is not None and key != "detect_seconds_mean":
                totals.setdefault(key, []).append(value)
    return {key: sum(v) / len(v) for key, v in totals.items()}


# --- detection ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Case:
    """One episode ready to score: its labels, a transcript of its audio, and which of the
    transcript's words begin and end the script's sentences."""

    labels: Labels
    transcript: Transcript
    edges: SentenceEdges
    split: Split = "dev"

    @classmethod
    def build(cls, labels: Labels, transcript: Transcript, split: Split = "dev") -> Case:
        words = transcript.words
        edges = sentence_edges(
            words,
            labels.sentences,
            word_texts=[w.text for w in words],
            sentence_texts=labels.sentence_texts,
        )
        return cls(labels, transcript, edges, split)


@dataclass(frozen=True, slots=True)
class EpisodeScore:
    episode: str
    precision_at_5: float
    tight_precision_at_5: float
    recall: float
    matched: int
    highlights: int
    start_error: float | None
    end_error: float | None
    mid_sentence: float | None
    clips: int
    seconds: float
    #: Summed absolute boundary offsets, so the summary can pool pairs across episodes.
    start_error_sum: float
    end_error_sum: float
    mid_sentence_clips: int
    split: Split = "dev"


def selected(
    episodes: Sequence[Episode], prefixes: Sequence[str] = (), split: Split | None = None
) -> list[Episode]:
    """Episodes whose slug starts with one of `prefixes` (all when none) and in `split`.

    Selecting before anything is loaded keeps the other episodes' transcripts, labels and
    figures out of the run entirely (a held-out episode is not even read).
    """
    return [
        e
        for e in episodes
        if (not prefixes or any(e.slug.startswith(p) for p in prefixes))
        and (split is None or e.split == split)
    ]


def load_cases(
    engine: str = DEFAULT_ENGINE,
    slugs: Sequence[str] | None = None,
    split: Split | None = None,
    prefixes: Sequence[str] = (),
) -> list[Case]:
    """Committed labels with cached transcripts; episodes without a transcript are skipped."""
    cases = []
    for episode in selected(load_episodes(), prefixes, split):
        if slugs is not None and episode.slug not in slugs:
            continue
        transcript = load_transcript(episode.slug, engine)
        if transcript is None:
            continue
        labels = load_labels(episode.slug)
        if abs(transcript.duration - labels.duration) > STALE_TOLERANCE:
            # Labels were re-rendered after this transcript was made: their times disagree.
            print(f"{episode.slug}: transcript is stale (rendering changed), skipped")
            continue
        cases.append(Case.build(labels, transcript, episode.split))
    return cases


def group_cases(cases: Sequence[Case]) -> dict[str, list[Case]]:
    """The cases of each split that has any, then all of them together, in report order."""
    groups: dict[str, list[Case]] = {}
    for split in SPLITS:
        members = [c for c in cases if c.split == split]
        if members:
            groups[split] = members
    groups[ALL] = list(cases)
    return groups


def score_episode(case: Case, clips: list[Span], seconds: float) -> EpisodeScore:
    highlights = case.labels.highlights
    pairs = match(clips, highlights)
    err = boundary_error(clips, highlights)
    share = mid_sentence_share(clips, case.transcript.words, case.edges)
    return EpisodeScore(
        episode=case.labels.slug,
        precision_at_5=precision_at(clips, highlights, PRECISION_K),
        tight_precision_at_5=precision_at(clips, highlights, PRECISION_K, is_tight_match),
        recall=len(pairs) / len(highlights),
        matched=len(pairs),
        highlights=len(highlights),
        start_error=err.start if err else None,
        end_error=err.end if err else None,
        mid_sentence=share,
        clips=len(clips),
        seconds=seconds,
        start_error_sum=err.start * err.pairs if err else 0.0,
        end_error_sum=err.end * err.pairs if err else 0.0,
        mid_sentence_clips=round(share * len(clips)) if share is not None else 0,
        split=case.split,
    )


def evaluate_detection(
    detector: Detector, cases: Sequence[Case], count: int = DEFAULT_COUNT
) -> list[EpisodeScore]:
    """Run the detector on every case and score its top `count` proposals."""
    scores = []
    for case in cases:
        started = time.perf_counter()
        clips = detector.detect(case.transcript, count)
        elapsed = time.perf_counter() - started
        scores.append(score_episode(case, clips[:count], elapsed))
    return scores


def summarise(scores: Sequence[EpisodeScore]) -> dict[str, float | None]:
    """Precision averaged over episodes; recall, boundaries and mid-sentence pooled."""
    if not scores:
        return {}
    pairs = sum(s.matched for s in scores)
    clips = sum(s.clips for s in scores)
    return {
        "precision_at_5": sum(s.precision_at_5 for s in scores) / len(scores),
        "tight_precision_at_5": sum(s.tight_precision_at_5 for s in scores) / len(scores),
        "recall": pairs / sum(s.highlights for s in scores),
        "start_error": sum(s.start_error_sum for s in scores) / pairs if pairs else None,
        "end_error": sum(s.end_error_sum for s in scores) / pairs if pairs else None,
        "mid_sentence": sum(s.mid_sentence_clips for s in scores) / clips if clips else None,
        "detect_seconds_mean": sum(s.seconds for s in scores) / len(scores),
    }


# --- speed on a long transcript ----------------------------------------------------------


def join_cases(cases: Sequence[Case], minutes: float = LONG_MINUTES) -> Case:
    """Episodes joined end to end (transcript and labels shifted alike) until `minutes` long."""
    # A split shorter than `minutes` repeats its episodes; each copy's highlights still count.
    usable = [c for c in cases if c.transcript.duration > 0]
    if not usable:
        raise ValueError("need at least one transcript with a duration")
    segments: list[Segment] = []
    parts: list[LabelledPart] = []
    starts: set[int] = set()
    ends: set[int] = set()
    unplaced: set[int] = set()
    offset = 0.0
    words = 0
    k = 0
    while offset < minutes * 60:
        case = usable[k % len(usable)]
        k += 1
        segments.extend(_shift_segment(s, offset) for s in case.transcript.segments)
        parts.extend(_shift_part(p, offset) for p in case.labels.parts)
        # Each episode's own alignment, shifted: aligning an hour of text at once is slow.
        edges = case.edges.shifted(words)
        starts |= edges.starts
        ends |= edges.ends
        unplaced |= edges.unplaced
        words += len(case.transcript.words)
        offset += case.transcript.duration
    duration = round(offset, 3)
    return Case(
        labels=Labels(slug=f"joined-{k}", duration=duration, parts=tuple(parts)),
        transcript=Transcript(language="en", duration=duration, segments=tuple(segments)),
        edges=SentenceEdges(frozenset(starts), frozenset(ends), frozenset(unplaced)),
    )


def _shift_segment(segment: Segment, by: float) -> Segment:
    words = tuple(
        Word(w.text, round(w.start + by, 3), round(w.end + by, 3), w.probability)
        for w in segment.words
    )
    return Segment(segment.text, round(segment.start + by, 3), round(segment.end + by, 3), words)


def _shift_part(part: LabelledPart, by: float) -> LabelledPart:
    return replace(
        part,
        start=round(part.start + by, 3),
        end=round(part.end + by, 3),
        sentences=tuple(Span(round(s.start + by, 3), round(s.end + by, 3)) for s in part.sentences),
    )


@dataclass(frozen=True, slots=True)
class LongScore:
    """One run on the joined transcript: its speed, and precision of its top `count`."""

    minutes: float
    count: int
    seconds: float
    precision: float
    mid_sentence: float | None


def evaluate_long(detector: Detector, joined: Case, count: int = LONG_COUNT) -> LongScore:
    """Time the detector on the joined transcript and score its whole ranking there.

    Every hit must be a real highlight among all the episodes' filler, so this also tests
    that scores are comparable across an hour of speech, not only within one episode.
    """
    started = time.perf_counter()
    clips = detector.detect(joined.transcript, count)[:count]
    elapsed = time.perf_counter() - started
    return LongScore(
        minutes=joined.transcript.duration / 60,
        count=count,
        seconds=elapsed,
        precision=precision_at(clips, joined.labels.highlights, count),
        mid_sentence=mid_sentence_share(clips, joined.transcript.words, joined.edges),
    )


# --- speech recognition ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EngineScore:
    engine: str
    episodes: int
    wer: float
    rtf: float | None


def asr_scores(
    directory: Path = TRANSCRIPTS_DIR, episodes: Sequence[Episode] | None = None
) -> list[EngineScore]:
    """WER against the scripts and mean real-time factor of every cached engine, over
    `episodes` (all when None)."""
    by_engine: dict[str, list[tuple[float, float | None]]] = {}
    for episode in load_episodes() if episodes is None else episodes:
        for path in sorted(directory.glob(f"{episode.slug}.*.json")):
            engine = path.name[len(episode.slug) + 1 : -len(".json")]
            transcript = load_transcript(episode.slug, engine)
            if transcript is None:
                continue
            wer = word_error_rate(load_labels(episode.slug).script, transcript.text)
            rtf = (transcript.extra.get("eval") or {}).get("rtf")
            by_engine.setdefault(engine, []).append((wer, rtf))
    out = []
    for engine, rows in sorted(by_engine.items()):
        rtfs = [r for _, r in rows if r is not None]
        out.append(
            EngineScore(
                engine=engine,
                episodes=len(rows),
                wer=sum(w for w, _ in rows) / len(rows),
                rtf=sum(rtfs) / len(rtfs) if rtfs else None,
            )
        )
    return out


def engine_settings(models: Sequence[str]) -> list[Settings]:
    """Every engine to transcribe with: the bundled base, the one the environment configures
    (CLIPFORGE_TRANSCRIBER_ENGINE, CLIPFORGE_WHISPER_MODEL...) when that is another, and each
    extra Whisper model named on the command line. One per engine label."""
    from clipforge.config import Settings
    from eval.transcribe import engine_label

    configured = Settings()
    candidates = [
        configured.model_copy(update={"transcriber_engine": "whisper", "whisper_model": "base"}),
        configured,
        *(
            configured.model_copy(update={"transcriber_engine": "whisper", "whisper_model": m})
            for m in models
        ),
    ]
    chosen: dict[str, Settings] = {}
    for settings in candidates:
        chosen.setdefault(engine_label(settings), settings)
    return list(chosen.values())


def retranscribe(models: Sequence[str], episodes: Sequence[Episode] | None = None) -> None:
    """Render any missing audio, then transcribe every episode (of `episodes`, all when
    None) with every engine."""
    from eval.render import render_episode, write_wav
    from eval.transcribe import engine_label, transcribe_episode

    engines = engine_settings(models)
    for episode in load_episodes() if episodes is None else episodes:
        wav = MEDIA_DIR / f"{episode.slug}.wav"
        if not wav.is_file():
            rendering = render_episode(episode)
            if rendering.labels != load_labels(episode.slug):
                print(f"{episode.slug}: WARNING rendering differs from the committed labels")
            write_wav(wav, rendering.audio)
        for settings in engines:
            t = transcribe_episode(episode.slug, settings)
            rtf = t.extra["eval"]["rtf"]
            print(f"{episode.slug}: {engine_label(settings)} rtf {rtf}", flush=True)


def interleave(groups: dict[str, list[Case]]) -> list[Case]:
    """The splits' cases taken in turn, so an hour joined from all of them holds every split
    (in file order the dev episodes alone fill the hour)."""
    splits = [members for name, members in groups.items() if name != ALL]
    out: list[Case] = []
    for k in range(max((len(m) for m in splits), default=0)):
        out.extend(m[k] for m in splits if k < len(m))
    return out


def evaluate_groups(groups: dict[str, list[Case]], count: int) -> dict[str, Any]:
    """Every detector on every episode, summarised per group with its own chance column.

    Detection runs once per episode; each group's summary pools the scores of its episodes,
    and its 60-minute run joins only its own episodes, so no group borrows another's figures.
    Prints each detector's per-episode table; returns the JSON report.
    """
    cases = groups[ALL]
    joined = {
        name: join_cases(interleave(groups) if name == ALL else members)
        for name, members in groups.items()
    }
    report: dict[str, Any] = {
        "count": count,
        "k": PRECISION_K,
        "episodes": len(cases),
        "detectors": {},
        "splits": {},
    }
    summaries: dict[str, dict[str, dict[str, float | None]]] = {name: {} for name in groups}
    for detector in available_detectors():
        try:
            scores = evaluate_detection(detector, cases, count)
            longs = {name: evaluate_long(detector, j) for name, j in joined.items()}
        except Exception:
            print(f"[{detector.name}] failed:\n{traceback.format_exc()}")
            report["detectors"][detector.name] = {"error": traceback.format_exc(limit=3)}
            continue
        for name, members in groups.items():
            slugs = {c.labels.slug for c in members}
            summary = summarise([s for s in scores if s.episode in slugs])
            summary["long_precision"] = longs[name].precision
            summary["long_mid_sentence"] = longs[name].mid_sentence
            summary["detect_seconds_60min"] = longs[name].seconds
            summaries[name][detector.name] = summary
        report["detectors"][detector.name] = {
            "summary": summaries[ALL][detector.name],
            "episodes": [asdict(s) for s in scores],
            "long": asdict(longs[ALL]),
        }
        print(episode_table(detector.name, scores, count) + "\n")
    if not report["detectors"] or all("error" in d for d in report["detectors"].values()):
        return report
    for name, members in groups.items():
        summaries[name]["chance"] = chance_summary(members, joined[name], count)
        report["splits"][name] = {
            "note": GROUP_NOTES[name],
            "episodes": len(members),
            "highlights": sum(len(c.labels.highlights) for c in members),
            "long_minutes": joined[name].transcript.duration / 60,
            "summaries": summaries[name],
        }
    report["chance"] = {"draws": CHANCE_DRAWS, "summary": summaries[ALL]["chance"]}
    return report


# --- report ------------------------------------------------------------------------------


def _fmt(value: float | None, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def episode_table(name: str, scores: Sequence[EpisodeScore], count: int) -> str:
    head = (
        f"{'episode':<26} {'split':<7} {'P@5':>5} {'tP@5':>5} {f'R@{count}':>5} {'start':>6}"
        f" {'end':>6} {'mid':>5}"
    )
    lines = [f"[{name}]", head, "-" * len(head)]
    for s in scores:
        lines.append(
            f"{s.episode:<26} {s.split:<7} {s.precision_at_5:>5.2f} "
            f"{s.tight_precision_at_5:>5.2f} "
            f"{s.recall:>5.2f} "
            f"{_fmt(s.start_error, '{:.1f}'):>6} {_fmt(s.end_error, '{:.1f}'):>6} "
            f"{_fmt(s.mid_sentence):>5}"
        )
    return "\n".join(lines)


SUMMARY_ROWS = (
    ("precision_at_5", "precision@5", "{:.3f}"),
    ("tight_precision_at_5", "tight precision@5 (IoU)", "{:.3f}"),
    ("recall", "recall@{count}", "{:.3f}"),
    ("start_error", "start error (s)", "{:.2f}"),
    ("end_error", "end error (s)", "{:.2f}"),
    ("mid_sentence", "mid-sentence share", "{:.3f}"),
    ("detect_seconds_mean", "detect time/episode (s)", "{:.3f}"),
    ("long_precision", "precision@{long} on 60 min", "{:.3f}"),
    ("long_mid_sentence", "mid-sentence on 60 min", "{:.3f}"),
    ("detect_seconds_60min", "detect time, 60 min (s)", "{:.2f}"),
)


def summary_table(summaries: dict[str, dict[str, float | None]], count: int) -> str:
    names = list(summaries)
    head = f"{'metric':<26}" + "".join(f"{n:>12}" for n in names)
    lines = [head, "-" * len(head)]
    for key, label, pattern in SUMMARY_ROWS:
        cells = "".join(f"{_fmt(summaries[n].get(key), pattern):>12}" for n in names)
        lines.append(f"{label.format(count=count, long=LONG_COUNT):<26}{cells}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.run", description=__doc__)
    parser.add_argument("--count", type=int, default=DEFAULT_COUNT, help="clips per episode")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--retranscribe", action="store_true", help="transcribe again first")
    parser.add_argument(
        "--model",
        action="append",
        help="extra Whisper model for --retranscribe (repeatable; the bundled base and the"
        " engine the environment configures are always used)",
    )
    parser.add_argument(
        "episodes", nargs="*", metavar="PREFIX", help="slug prefixes to run (default: all)"
    )
    parser.add_argument("--split", choices=SPLITS, help="only episodes of this split")
    args = parser.parse_args(argv)
    if args.count < PRECISION_K:
        parser.error(f"--count must be at least {PRECISION_K}")
    episodes = selected(load_episodes(), args.episodes, args.split)
    if not episodes:
        print("no episodes match the selection")
        return 1
    if args.retranscribe:
        retranscribe(args.model or [], episodes)

    cases = load_cases(split=args.split, prefixes=args.episodes)
    if not cases:
        print(f"no transcripts in {TRANSCRIPTS_DIR}; run with --retranscribe")
        return 1
    groups = group_cases(cases)
    print(
        f"{len(cases)} episodes ("
        + ", ".join(f"{name} {len(members)}" for name, members in groups.items() if name != ALL)
        + f"), {sum(len(c.labels.highlights) for c in cases)} highlights; "
        f"precision over the top {PRECISION_K}, other clip metrics over the top {args.count} "
        f"({MIN_SECONDS:g}-{MAX_SECONDS:g} s clips)\n"
    )
    report = evaluate_groups(groups, args.count)
    for name, group in report["splits"].items():
        print(
            f"Summary, {GROUP_NOTES[name]} ({group['episodes']} episodes, "
            f"{group['highlights']} highlights; '60 min': {group['long_minutes']:.0f} minutes "
            "of them joined end to end)"
        )
        print(summary_table(group["summaries"], args.count) + "\n")
    if report["splits"]:
        print(
            f"(chance: random 15-60 s clips, mean of {CHANCE_DRAWS} draws. Only the held-out "
            "figures are an independent result: detection was tuned on the dev episodes.)\n"
        )

    engines = asr_scores(episodes=episodes)
    report["asr"] = [asdict(e) for e in engines]
    print(f"{'engine':<12} {'episodes':>8} {'WER':>7} {'RTF':>7}")
    for e in engines:
        print(f"{e.engine:<12} {e.episodes:>8} {e.wer:>7.3f} {_fmt(e.rtf, '{:.3f}'):>7}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
