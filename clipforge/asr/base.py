"""What every speech engine shares: the Transcriber protocol and its error types."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from clipforge.domain.transcript import Transcript

ProgressCallback = Callable[[float], None]


class TranscriptionError(RuntimeError):
    """The audio could not be read or the engine failed; carries a human-readable cause.

    `retryable` says whether trying again later may help (a busy server, a timeout) or not
    (a rejected key, a wrong URL): the transcribe stage fails at once on the latter.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class TranscriberConfigError(ValueError):
    """The settings do not describe a usable engine (e.g. engine openai without a URL)."""


@runtime_checkable
class Transcriber(Protocol):
    """Anything that turns an audio file into a word-timed Transcript."""

    name: str
    model: str

    def transcribe(
        self,
        audio: Path,
        *,
        on_progress: ProgressCallback | None = None,
        language: str | None = None,
    ) -> Transcript:
        """Transcribe `audio` (16 kHz mono WAV).

        `on_progress` receives the fraction of audio covered (0..1); `language` (an ISO code)
        overrides the engine's configured language for this call; None means configured or
        detected.
        """
        ...
