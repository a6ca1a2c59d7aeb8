"""Scripted episodes of the clip-detection evaluation set, and their committed labels.

An episode is a list of parts, each spoken by one speaker and labelled `highlight` (a
self-contained moment worth clipping) or `filler` (greetings, housekeeping, sponsor reads,
rambling, cross-talk). Every speaker has an espeak-ng voice. Labels are what rendering
measured: where each part and each sentence lies in the audio, in seconds.

Episodes belong to a split. `dev` ones may be looked at while detection is developed;
`heldout` ones (the script's `"split": "heldout"`) were written apart from the detector and
must not be used to tune it, so their figures are the ones to believe.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

EVAL_DIR = Path(__file__).resolve().parent
EPISODES_DIR = EVAL_DIR / "episodes"
LABELS_DIR = EVAL_DIR / "labels"
TRANSCRIPTS_DIR = EVAL_DIR / "transcripts"
MEDIA_DIR = EVAL_DIR / "media"

Kind = Literal["highlight", "filler"]
KINDS: tuple[Kind, ...] = ("highlight", "filler")
Split = Literal["dev", "heldout"]
SPLITS: tuple[Split, ...] = ("dev", "heldout")

#: A sentence ends at . ? or ! followed by white space; scripts avoid abbreviations so this
#: rule is exact for them.
_SENTENCE_BREAK = re.compile(r"(?<=[.?!])\s+")


def split_sentences(text: str) -> list[str]:
    """The sentences of one part's script, in order, with surrounding space removed."""
    return [s.strip() for s in _SENTENCE_BREAK.split(text.strip()) if s.strip()]


@dataclass(frozen=True, slots=True)
class Voice:
    """How espeak-ng speaks for one speaker, and the colour of their card in the video."""

    voice: str
    speed: int
    pitch: int
    colour: str


@dataclass(frozen=True, slots=True)
class Part:
    kind: Kind
    speaker: str
    text: str

    @property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)


@dataclass(frozen=True, slots=True)
class Episode:
    slug: str  # "NN_name", the file stem
    title: str
    format: str  # interview | solo | panel
    topic: str
    seed: int
    speakers: dict[str, Voice]
    parts: tuple[Part, ...]
    split: Split = "dev"

    @property
    def highlights(self) -> list[int]:
        """Indices of the highlight parts."""
        return [i for i, p in enumerate(self.parts) if p.kind == "highlight"]

    @property
    def script(self) -> str:
        return " ".join(p.text.strip() for p in self.parts)

    @classmethod
    def from_dict(cls, slug: str, data: dict[str, Any]) -> Episode:
        speakers = {
            name: Voice(
                voice=str(v["voice"]),
                speed=int(v["speed"]),
                pitch=int(v.get("pitch", 50)),
                colour=str(v["colour"]),
            )
            for name, v in data["speakers"].items()
        }
        parts = tuple(
            Part(kind=p["kind"], speaker=str(p["speaker"]), text=str(p["text"]))
            for p in data["parts"]
        )
        for i, part in enumerate(parts):
            if part.kind not in KINDS:
                raise ValueError(f"{slug}: part {i} has unknown kind {part.kind!r}")
            if part.speaker not in speakers:
                raise ValueError(f"{slug}: part {i} names unknown speaker {part.speaker!r}")
            if not part.sentences:
                raise ValueError(f"{slug}: part {i} has no text")
        split = data.get("split", "dev")
        if split not in SPLITS:
            raise ValueError(f"{slug}: unknown split {split!r}")
        return cls(
            slug=slug,
            title=str(data["title"]),
            format=str(data["format"]),
            topic=str(data["topic"]),
            seed=int(data["seed"]),
            speakers=speakers,
            parts=parts,
            split=split,
        )


#: An episode's file stem: its number (two digits or more) and a name.
_SLUG = re.compile(r"^(\d{2,})_\w+$")


def episode_number(slug: str) -> int:
    """The number an episode's slug starts with ("07_sleep" -> 7, "104_x" -> 104)."""
    found = _SLUG.match(slug)
    if found is None:
        raise ValueError(f"{slug!r} is not an episode slug (NN_name)")
    return int(found.group(1))


def episode_paths(directory: Path = EPISODES_DIR) -> list[Path]:
    """Episode scripts in order of their number (99 before 100)."""
    paths = [p for p in directory.glob("[0-9][0-9]*_*.json") if _SLUG.match(p.stem)]
    return sorted(paths, key=lambda p: episode_number(p.stem))


def load_episode(path: Path) -> Episode:
    return Episode.from_dict(path.stem, json.loads(path.read_text(encoding="utf-8")))


def load_episodes(directory: Path = EPISODES_DIR) -> list[Episode]:
    return [load_episode(p) for p in episode_paths(directory)]


# --- labels ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class LabelledPart:
    kind: Kind
    speaker: str
    start: float
    end: float
    text: str
    sentences: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Labels:
    slug: str
    duration: float
    parts: tuple[LabelledPart, ...]

    @property
    def highlights(self) -> list[Span]:
        return [Span(p.start, p.end) for p in self.parts if p.kind == "highlight"]

    @property
    def sentences(self) -> list[Span]:
        return [s for p in self.parts for s in p.sentences]

    @property
    def sentence_texts(self) -> list[str]:
        """The script's sentences, one per span of `sentences`."""
        return [t for p in self.parts for t in split_sentences(p.text)]

    @property
    def script(self) -> str:
        return " ".join(p.text for p in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "episode": self.slug,
            "duration": self.duration,
            "highlights": [[h.start, h.end] for h in self.highlights],
            "script": self.script,
            "parts": [
                {
                    "kind": p.kind,
                    "speaker": p.speaker,
                    "start": p.start,
                    "end": p.end,
                    "sentences": [[s.start, s.end] for s in p.sentences],
                    "text": p.text,
                }
                for p in self.parts
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Labels:
        return cls(
            slug=str(data["episode"]),
            duration=float(data["duration"]),
            parts=tuple(
                LabelledPart(
                    kind=p["kind"],
                    speaker=str(p["speaker"]),
                    start=float(p["start"]),
                    end=float(p["end"]),
                    text=str(p["text"]),
                    sentences=tuple(Span(float(a), float(b)) for a, b in p["sentences"]),
                )
                for p in data["parts"]
            ),
        )


def load_labels(slug: str, directory: Path = LABELS_DIR) -> Labels:
    path = directory / f"{slug}.json"
    return Labels.from_dict(json.loads(path.read_text(encoding="utf-8")))
