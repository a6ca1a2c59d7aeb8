"""How much a sentence's words read like a highlight's: a word model learned from labelled
episodes, used to order the chosen clips.

The hand-written features find where stories are and where they begin and end, but they
rank a vivid anecdote that goes nowhere about as high as a story with a point: both are
one speaker, concrete, on topic. The words differ in ways no short list captures: a
highlight says what someone learned, what turned out, what people get wrong, what is most
dangerous; filler talks about the show, the week, the listeners, the weather on the way in.

The model is naive Bayes over a sentence's words and word pairs: each word or pair carries
the log-odds of a highlight sentence over a filler one, learned from the labelled evaluation
episodes (`python -m eval.train_language`). Only words and pairs seen in several episodes
are kept, so a topic's own vocabulary (bees, stamps) carries nothing. Summed log-odds
overstate the evidence (the words of a sentence are not independent), so the sum is damped
by `scale` before it becomes a probability.

Pure and deterministic; the weights ship with the package (`data/highlight_language.json`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

#: The weights shipped with the package.
MODEL_FILE = "highlight_language.json"
#: How far a sum of log-odds may push a probability (beyond this it is 0 or 1 to a float).
_LIMIT = 30.0


def grams(tokens: Sequence[str]) -> set[str]:
    """The words of a sentence and its consecutive word pairs ("turned_out"), each once."""
    return set(tokens) | {f"{a}_{b}" for a, b in pairwise(tokens)}


@dataclass(frozen=True, slots=True)
class HighlightLanguage:
    """Log-odds weights of highlight over filler per word or word pair."""

    #: Log-odds of a highlight sentence before any word is read.
    prior: float
    #: Damping of the summed word evidence (0-1).
    scale: float
    weights: Mapping[str, float]

    def probability(self, tokens: Sequence[str]) -> float:
        """0-1: how surely a sentence of these tokens belongs to a highlight."""
        evidence = sum(self.weights.get(g, 0.0) for g in grams(tokens))
        logit = max(-_LIMIT, min(_LIMIT, self.prior + self.scale * evidence))
        return 1.0 / (1.0 + math.exp(-logit))

    def to_dict(self, **about: Any) -> dict[str, Any]:
        """The model as stored: rounded, sorted, with what it was trained on in `about`."""
        return {
            "about": about,
            "prior": round(self.prior, 4),
            "scale": self.scale,
            "weights": {g: round(w, 3) for g, w in sorted(self.weights.items())},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> HighlightLanguage:
        weights = data.get("weights")
        if not isinstance(weights, dict):
            raise ValueError("a highlight language model needs a 'weights' mapping")
        scale = float(data["scale"])
        if not 0.0 < scale <= 1.0:
            raise ValueError(f"scale must lie in (0, 1], not {scale}")
        return cls(
            prior=float(data["prior"]),
            scale=scale,
            weights={str(g): float(w) for g, w in weights.items()},
        )


@cache
def shipped() -> HighlightLanguage:
    """The model that ships with the package (read once)."""
    text = resources.files("clipforge.detection").joinpath("data", MODEL_FILE).read_text("utf-8")
    return HighlightLanguage.from_dict(json.loads(text))


def train(
    sentences: Iterable[tuple[Sequence[str], bool, str]],
    *,
    scale: float,
    min_count: int = 3,
    min_episodes: int = 5,
    smoothing: float = 1.0,
) -> HighlightLanguage:
    """Naive Bayes (Bernoulli-style counts of sentences holding each gram) from
    (tokens, is_highlight, episode) triples. A gram is kept when at least `min_count`
    sentences and `min_episodes` episodes hold it: rarer ones are a topic's or a script's
    own words, not the language of highlights."""
    highlight: dict[str, int] = {}
    filler: dict[str, int] = {}
    episodes: dict[str, set[str]] = {}
    n_highlight = n_filler = 0
    for tokens, is_highlight, episode in sentences:
        counts = highlight if is_highlight else filler
        if is_highlight:
            n_highlight += 1
        else:
            n_filler += 1
        for g in grams(tokens):
            counts[g] = counts.get(g, 0) + 1
            episodes.setdefault(g, set()).add(episode)
    if not n_highlight or not n_filler:
        raise ValueError("training needs both highlight and filler sentences")
    weights = {}
    for g, seen_in in episodes.items():
        h, f = highlight.get(g, 0), filler.get(g, 0)
        if h + f < min_count or len(seen_in) < min_episodes:
            continue
        weights[g] = math.log((h + smoothing) / (n_highlight + 2 * smoothing)) - math.log(
            (f + smoothing) / (n_filler + 2 * smoothing)
        )
    return HighlightLanguage(prior=math.log(n_highlight / n_filler), scale=scale, weights=weights)
