"""What a user asks clip detection for: how long, how many, what about, and where to look.

Pure data, validated on construction so the API, the CLI and stored rows share one set of
rules. Stored on the video as `to_dict()` so a retried or replayed detection sees the same ask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Bounds that keep a request meaningful; the API repeats them in its schema.
MIN_CLIP_SECONDS = 3.0
MAX_CLIP_SECONDS = 600.0
MAX_CLIP_COUNT = 50
MAX_KEYWORDS = 20
MAX_KEYWORD_CHARS = 60


@dataclass(frozen=True, slots=True)
class DetectOptions:
    """Duration range, number of clips, topics to favour and the part of the source to search."""

    min_seconds: float = 15.0
    max_seconds: float = 60.0
    count: int = 5
    keywords: tuple[str, ...] = field(default_factory=tuple)
    #: Only speech inside [search_start, search_end] (seconds of the source) is considered.
    search_start: float | None = None
    search_end: float | None = None

    def __post_init__(self) -> None:
        if not MIN_CLIP_SECONDS <= self.min_seconds <= self.max_seconds <= MAX_CLIP_SECONDS:
            raise ValueError(
                f"clip length must satisfy {MIN_CLIP_SECONDS:g} <= min_seconds <= max_seconds"
                f" <= {MAX_CLIP_SECONDS:g} (got {self.min_seconds:g}-{self.max_seconds:g})"
            )
        if not 1 <= self.count <= MAX_CLIP_COUNT:
            raise ValueError(f"count must be between 1 and {MAX_CLIP_COUNT} (got {self.count})")
        if len(self.keywords) > MAX_KEYWORDS:
            raise ValueError(f"at most {MAX_KEYWORDS} keywords")
        if any(not k.strip() or len(k) > MAX_KEYWORD_CHARS for k in self.keywords):
            raise ValueError(f"keywords must be 1-{MAX_KEYWORD_CHARS} characters")
        start, end = self.search_start, self.search_end
        if (start is not None and start < 0) or (end is not None and end <= 0):
            raise ValueError("the search range must lie within the video (seconds >= 0)")
        if start is not None and end is not None and end - start < self.min_seconds:
            raise ValueError(
                f"the search range ({start:g}-{end:g} s) is shorter than the shortest clip"
                f" ({self.min_seconds:g} s)"
            )

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_seconds": self.min_seconds,
            "max_seconds": self.max_seconds,
            "count": self.count,
            "keywords": list(self.keywords),
            "search_start": self.search_start,
            "search_end": self.search_end,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DetectOptions:
        return cls(
            min_seconds=float(data["min_seconds"]),
            max_seconds=float(data["max_seconds"]),
            count=int(data["count"]),
            keywords=tuple(str(k) for k in data.get("keywords") or ()),
            search_start=_opt_float(data.get("search_start")),
            search_end=_opt_float(data.get("search_end")),
        )


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)
