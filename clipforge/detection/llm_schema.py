"""The JSON a language model must answer with, validated item by item.

A model's reply is untrusted input: every moment or pick is checked on its own, so one bad
item (a sentence number outside the window, a score of "high", a missing reason) is dropped
while the rest are kept. Text fields are normalised (whitespace, length, hashtag shape) rather
than rejected, because a slightly long title is still a useful title.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

#: Each breakdown feature is scored out of this, so the four add up to a 0-100 score.
FEATURE_MAX = 25
BREAKDOWN_KEYS = ("hook", "flow", "value", "shareability")
MAX_TITLE_CHARS = 60
MAX_REASON_CHARS = 300
MAX_DESCRIPTION_CHARS = 500
MAX_HASHTAGS = 5
MAX_HASHTAG_CHARS = 40

_SPACES = re.compile(r"\s+")
_NOT_TAG = re.compile(r"[^\w]+")


class SchemaError(ValueError):
    """The reply as a whole has the wrong shape (not an object, no list where one is due)."""


def _whole_number(value: Any) -> Any:
    """Numbers only (a float is rounded); a string or a bool is a wrong type, not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return round(value)


Number = Annotated[int, BeforeValidator(_whole_number)]
Feature = Annotated[int, BeforeValidator(_whole_number), Field(ge=0, le=FEATURE_MAX)]


def one_line(value: str, limit: int) -> str:
    """Whitespace collapsed to single spaces; cut at a word and marked "…" past `limit`."""
    text = _SPACES.sub(" ", value).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-—–") + "…"


class Breakdown(BaseModel):
    model_config = ConfigDict(extra="ignore")

    hook: Feature
    flow: Feature
    value: Feature
    shareability: Feature

    def as_dict(self) -> dict[str, int]:
        return {key: int(getattr(self, key)) for key in BREAKDOWN_KEYS}


class Scored(BaseModel):
    """What both passes report for a clip: the model's score, its parts and why."""

    model_config = ConfigDict(extra="ignore")

    score: Annotated[Number, Field(ge=0, le=100)]
    breakdown: Breakdown
    reason: str = Field(min_length=1)

    @field_validator("reason", mode="after")
    @classmethod
    def _reason_one_line(cls, value: str) -> str:
        text = one_line(value, MAX_REASON_CHARS)
        if not text:
            raise ValueError("empty reason")
        return text


class Moment(Scored):
    """Pass 1: a run of sentences, `first` to `last` inclusive, as numbered in the prompt."""

    first: Number
    last: Number


class Pick(Scored):
    """Pass 2: a chosen candidate (numbered from 1 in the prompt) and its copy."""

    candidate: Number
    title: str
    description: str = ""
    hashtags: list[str] = Field(default_factory=list)

    @field_validator("title", mode="after")
    @classmethod
    def _title(cls, value: str) -> str:
        text = one_line(_SPACES.sub(" ", value).strip("\"'“”‘’ "), MAX_TITLE_CHARS)
        if not text:
            raise ValueError("empty title")
        return text

    @field_validator("description", mode="after")
    @classmethod
    def _description(cls, value: str) -> str:
        return one_line(value, MAX_DESCRIPTION_CHARS)

    @field_validator("hashtags", mode="after")
    @classmethod
    def _hashtags(cls, value: list[str]) -> list[str]:
        return normalise_hashtags(value)


def normalise_hashtags(raw: Sequence[str]) -> list[str]:
    """Each tag as one '#Token': '#Sleep Science' and 'sleep-science' become '#SleepScience'.

    Duplicates (ignoring case) and empty tags go; at most MAX_HASHTAGS stay.
    """
    out: list[str] = []
    seen: set[str] = set()
    for tag in raw:
        words = [w for w in _NOT_TAG.split(tag.replace("_", " ")) if w]
        body = "".join(w[:1].upper() + w[1:] if len(words) > 1 else w for w in words)
        body = body[:MAX_HASHTAG_CHARS]
        if body and body.lower() not in seen:
            seen.add(body.lower())
            out.append("#" + body)
        if len(out) == MAX_HASHTAGS:
            break
    return out


def _items(data: Any, key: str) -> list[Any]:
    if not isinstance(data, dict):
        raise SchemaError(f"expected a JSON object with {key!r}, got {type(data).__name__}")
    items = data.get(key)
    if not isinstance(items, list):
        raise SchemaError(f"expected {key!r} to be a list")
    return items


def parse_moments(data: Any, first: int, last: int) -> tuple[list[Moment], int]:
    """Valid moments whose sentences all lie in [first, last], and how many were dropped."""
    kept: list[Moment] = []
    items = _items(data, "moments")
    for item in items:
        try:
            moment = Moment.model_validate(item)
        except ValidationError:
            continue
        if first <= moment.first <= moment.last <= last:
            kept.append(moment)
    return kept, len(items) - len(kept)


def parse_picks(data: Any, candidates: int) -> tuple[list[Pick], int]:
    """Valid picks of candidates 1..`candidates`, each once, and how many were dropped."""
    kept: list[Pick] = []
    seen: set[int] = set()
    items = _items(data, "clips")
    for item in items:
        try:
            pick = Pick.model_validate(item)
        except ValidationError:
            continue
        if 1 <= pick.candidate <= candidates and pick.candidate not in seen:
            seen.add(pick.candidate)
            kept.append(pick)
    return kept, len(items) - len(kept)
