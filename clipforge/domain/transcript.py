"""Transcript types shared by every stage: words with timings, grouped into segments.

Pure data with JSON round-tripping; no I/O. Times are seconds from the start of the source.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word. `text` keeps its leading space and punctuation as the engine gave it."""

    text: str
    start: float
    end: float
    probability: float

    @property
    def clean(self) -> str:
        return self.text.strip()


@dataclass(frozen=True, slots=True)
class Segment:
    """A punctuated span of speech (roughly a sentence or clause) and its words."""

    text: str
    start: float
    end: float
    words: tuple[Word, ...]


@dataclass(frozen=True, slots=True)
class Transcript:
    language: str
    duration: float
    segments: tuple[Segment, ...]
    engine: str = "faster-whisper"
    model: str = "base"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = tuple(
            Segment(
                text=s["text"],
                start=float(s["start"]),
                end=float(s["end"]),
                words=tuple(
                    Word(
                        text=w["text"],
                        start=float(w["start"]),
                        end=float(w["end"]),
                        probability=float(w["probability"]),
                    )
                    for w in s["words"]
                ),
            )
            for s in data["segments"]
        )
        return cls(
            language=data["language"],
            duration=float(data["duration"]),
            segments=segments,
            engine=data.get("engine", "faster-whisper"),
            model=data.get("model", "base"),
            extra=dict(data.get("extra", {})),
        )
