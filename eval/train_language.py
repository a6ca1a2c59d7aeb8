"""Train the highlight word model (clipforge/detection/language.py) on the dev episodes, and
measure it honestly by cross-validation over writing rounds.

    python -m eval.train_language                  # train on dev, write the shipped model
    python -m eval.train_language --cross-validate # leave one writing round out at a time

Only dev episodes are read: the held-out split stays unseen, and the model file records the
episodes it was trained on (a unit test checks that none is held out). Sentences are the
detector's own (`split_sentences` over the committed base transcripts, tokens from
`analyse`); a sentence is a highlight sentence when its middle lies inside a labelled
highlight.

Cross-validation holds out one writing round at a time (01-14, then each six written
together: 15-20, 21-26, ...), trains on the others, and runs detection on the round with
that model: a round's writer shares phrasing across its six episodes, so holding out single
episodes would flatter the model.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from clipforge.detection import detect_highlights
from clipforge.detection.analysis import analyse
from clipforge.detection.language import MODEL_FILE, HighlightLanguage, train
from clipforge.detection.sentences import split_sentences
from clipforge.domain.detect_options import DetectOptions
from eval.episodes import Span, episode_number
from eval.run import (
    DEFAULT_COUNT,
    MAX_SECONDS,
    MIN_SECONDS,
    Case,
    EpisodeScore,
    load_cases,
    score_episode,
    summarise,
)

MODEL_PATH = (
    Path(__file__).resolve().parent.parent / "clipforge" / "detection" / "data" / MODEL_FILE
)
#: Damping of summed word evidence: naive Bayes counts correlated words as independent.
SCALE = 0.3
#: Episodes 01-14 were written together; from 15 on, rounds of six.
FIRST_ROUND_LAST = 14
ROUND_SIZE = 6
#: A sentence belongs to a highlight when its middle lies within this of one (seconds).
MIDDLE_SLACK = 0.3


def writing_round(slug: str) -> int:
    """0 for episodes 01-14, then 1 for 15-20, 2 for 21-26, ..."""
    number = episode_number(slug)
    return 0 if number <= FIRST_ROUND_LAST else (number - FIRST_ROUND_LAST - 1) // ROUND_SIZE + 1


def labelled_sentences(case: Case) -> Iterator[tuple[tuple[str, ...], bool, str]]:
    """(tokens, is_highlight, episode) for each of the detector's sentences."""
    for sentence in split_sentences(case.transcript):
        middle = (sentence.start + sentence.end) / 2
        inside = any(
            h.start - MIDDLE_SLACK <= middle <= h.end + MIDDLE_SLACK for h in case.labels.highlights
        )
        yield analyse(sentence).tokens, inside, case.labels.slug


def train_on(cases: Sequence[Case]) -> HighlightLanguage:
    return train(
        (item for case in cases for item in labelled_sentences(case)),
        scale=SCALE,
    )


@dataclass(frozen=True, slots=True)
class FoldResult:
    round: int
    #: The held-out episodes' numbers, first and last ("15-20").
    span: str
    episodes: int
    without: list[EpisodeScore]
    with_model: list[EpisodeScore]


def _detect(case: Case, model: HighlightLanguage) -> list[Span]:
    options = DetectOptions(min_seconds=MIN_SECONDS, max_seconds=MAX_SECONDS, count=DEFAULT_COUNT)
    clips = detect_highlights(case.transcript, options, model)
    return [Span(c.start, c.end) for c in clips]


def cross_validate(cases: Sequence[Case]) -> list[FoldResult]:
    """Each writing round scored by a model trained on the others, and by a model that
    knows no words (every clip's language the same, so the order is the features' own)."""
    blank = HighlightLanguage(prior=0.0, scale=SCALE, weights={})
    results = []
    for held in sorted({writing_round(c.labels.slug) for c in cases}):
        inside = [c for c in cases if writing_round(c.labels.slug) == held]
        model = train_on([c for c in cases if writing_round(c.labels.slug) != held])
        results.append(
            FoldResult(
                round=held,
                span="-".join(c.labels.slug.split("_")[0] for c in (inside[0], inside[-1])),
                episodes=len(inside),
                without=[score_episode(c, _detect(c, blank), 0.0) for c in inside],
                with_model=[score_episode(c, _detect(c, model), 0.0) for c in inside],
            )
        )
    return results


def _line(name: str, scores: Sequence[EpisodeScore]) -> str:
    s = summarise(scores)
    return (
        f"{name:22} P@5 {s['precision_at_5']:.3f}  R@8 {s['recall']:.3f}  "
        f"start {s['start_error']:.2f} s  end {s['end_error']:.2f} s"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--cross-validate", action="store_true", help="leave one writing round out at a time"
    )
    args = parser.parse_args(argv)
    cases = load_cases(split="dev")
    if not cases:
        print("no dev episodes with transcripts", file=sys.stderr)
        return 1
    if args.cross_validate:
        folds = cross_validate(cases)
        for fold in folds:
            print(f"episodes {fold.span} ({fold.episodes})")
            print("  " + _line("features only", fold.without))
            print("  " + _line("with the word model", fold.with_model))
        print("all rounds")
        print("  " + _line("features only", [s for f in folds for s in f.without]))
        print("  " + _line("with the word model", [s for f in folds for s in f.with_model]))
        return 0
    model = train_on(cases)
    slugs = [c.labels.slug for c in cases]
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(
        json.dumps(model.to_dict(episodes=slugs), indent=0, sort_keys=False) + "\n",
        encoding="utf-8",
    )
    print(f"{len(model.weights)} words and pairs from {len(slugs)} dev episodes -> {MODEL_PATH}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
