"""Small text helpers shared by clip scoring and ASR quality checks (pure, stdlib only)."""

from __future__ import annotations

import re

_NUMBER_WORDS = {
    "0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five", "6": "six",
    "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven", "12": "twelve",
    "13": "thirteen", "14": "fourteen", "15": "fifteen", "16": "sixteen", "17": "seventeen",
    "18": "eighteen", "19": "nineteen", "20": "twenty",
}  # fmt: skip

_TOKEN = re.compile(r"[\w'%]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """Lower-case word tokens with punctuation dropped ("Don't!" -> ["don't"])."""
    return [t.strip("'") for t in _TOKEN.findall(text.lower()) if t.strip("'")]


def normalize_for_wer(text: str) -> list[str]:
    """Tokens with small numbers spelled out, so "5" and "five" count as the same word."""
    return [_NUMBER_WORDS.get(t, t) for t in tokens(text)]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, by edit distance.

    An empty reference gives 0.0 for an empty hypothesis and 1.0 otherwise.
    """
    ref = normalize_for_wer(reference)
    hyp = normalize_for_wer(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    prev = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        cur = [i] + [0] * len(hyp)
        for j, h in enumerate(hyp, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (r != h))
        prev = cur
    return prev[-1] / len(ref)
