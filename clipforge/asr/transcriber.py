"""Speech to word-timed transcripts: the Transcriber protocol and its faster-whisper engine.

Transcription is synchronous and CPU-bound; callers run it in a worker thread or process.
Audio is read from a 16 kHz mono WAV in chunks (cut at a quiet point near each boundary) so
memory stays flat however long the source is.
"""

from __future__ import annotations

import logging
import os
import threading
import wave
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from clipforge.asr.bundled_model import ensure_bundled_model
from clipforge.domain.transcript import Segment, Transcript, Word

if TYPE_CHECKING:
    from clipforge.config import Settings

logger = logging.getLogger(__name__)

SAMPLE_RATE = 16000
ENGINE = "faster-whisper"
BUNDLED_MODEL = "base"

#: Languages written without spaces: a word piece without a leading space is normal there, so
#: gluing pieces together would turn a whole sentence into one "word".
_NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "yue", "bo"})

ProgressCallback = Callable[[float], None]
FloatArray = npt.NDArray[np.float32]


class TranscriptionError(RuntimeError):
    """The audio could not be read or the engine failed; carries a human-readable cause."""


@runtime_checkable
class Transcriber(Protocol):
    """Anything that turns an audio file into a word-timed Transcript."""

    name: str
    model: str

    def transcribe(self, audio: Path, *, on_progress: ProgressCallback | None = None) -> Transcript:
        """Transcribe `audio`; `on_progress` receives the fraction of audio covered (0..1)."""
        ...


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A slice of the source audio and where it starts, in seconds."""

    offset: float
    samples: FloatArray

    @property
    def duration(self) -> float:
        return len(self.samples) / SAMPLE_RATE


def resolve_device(device: str) -> str:
    """'auto' means CUDA when CTranslate2 can see a GPU, else CPU."""
    if device != "auto":
        return device
    try:
        import ctranslate2

        return "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    except Exception:  # pragma: no cover - a broken CUDA install must not stop CPU work
        logger.warning("could not query CUDA devices; using CPU", exc_info=True)
        return "cpu"


def resolve_compute_type(compute_type: str, device: str) -> str:
    """'auto' means int8 on CPU (fast, small) and float16 on CUDA."""
    if compute_type != "auto":
        return compute_type
    return "float16" if device == "cuda" else "int8"


class FasterWhisperTranscriber:
    """faster-whisper (CTranslate2) with the bundled Whisper base model by default.

    The model loads lazily, once per instance, under a lock so threads can share it.
    """

    name = ENGINE

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        *,
        data_dir: Path = Path("data"),
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int = 0,
        language: str | None = None,
        beam_size: int = 5,
        chunk_seconds: float = 600.0,
        local_files_only: bool = True,
    ) -> None:
        if chunk_seconds <= 0:
            raise ValueError("chunk_seconds must be positive")
        if beam_size < 1:
            raise ValueError("beam_size must be >= 1")
        self.model = model
        self.data_dir = Path(data_dir)
        self.device = device
        self.compute_type = compute_type
        self.cpu_threads = cpu_threads or (os.cpu_count() or 1)
        self.language = language
        self.beam_size = beam_size
        self.chunk_seconds = chunk_seconds
        # Never fetch from a model hub at run time unless explicitly allowed.
        self.local_files_only = local_files_only
        self._whisper: Any = None
        self._load_lock = threading.Lock()

    # --- model ---------------------------------------------------------------------------

    def _model_path(self) -> str:
        if self.model == BUNDLED_MODEL:
            return str(ensure_bundled_model(self.data_dir))
        return self.model

    def load(self) -> None:
        """Load the model now, e.g. at worker start, so the first job does not pay for it."""
        self._get_model()

    def _get_model(self) -> Any:
        if self._whisper is None:
            with self._load_lock:
                if self._whisper is None:
                    from faster_whisper import WhisperModel

                    device = resolve_device(self.device)
                    compute = resolve_compute_type(self.compute_type, device)
                    path = self._model_path()
                    logger.info(
                        "loading whisper model %s (%s, %s, %d threads)",
                        path,
                        device,
                        compute,
                        self.cpu_threads,
                    )
                    try:
                        self._whisper = WhisperModel(
                            path,
                            device=device,
                            compute_type=compute,
                            cpu_threads=self.cpu_threads,
                            download_root=str(self.data_dir / "models" / "hub"),
                            local_files_only=self.local_files_only,
                        )
                    except Exception as exc:
                        raise TranscriptionError(
                            f"could not load whisper model {self.model!r} from {path}: {exc}"
                        ) from exc
        return self._whisper

    # --- transcription -------------------------------------------------------------------

    def transcribe(self, audio: Path, *, on_progress: ProgressCallback | None = None) -> Transcript:
        """Transcribe a 16 kHz mono WAV chunk by chunk, offsetting times onto the source."""
        audio = Path(audio)
        if not audio.is_file():
            raise TranscriptionError(f"audio file not found: {audio}")
        total = wav_duration(audio)  # validates the format before the model loads
        model = self._get_model()
        language = self.language
        detected: str | None = None
        seen: str | None = None
        segments: list[Segment] = []
        reported = 0.0

        def report(fraction: float) -> None:
            nonlocal reported
            fraction = min(1.0, max(reported, fraction))
            if on_progress is not None and fraction > reported:
                on_progress(fraction)
            reported = fraction

        for chunk in iter_wav_chunks(audio, self.chunk_seconds):
            chunk_end = chunk.offset + chunk.duration
            where = f"{chunk.offset:.1f}s of {audio}"
            try:
                raw_segments, info = model.transcribe(
                    chunk.samples,
                    language=language,
                    beam_size=self.beam_size,
                    word_timestamps=True,
                    vad_filter=True,
                    condition_on_previous_text=False,
                )
            except Exception as exc:
                raise TranscriptionError(f"transcription failed at {where}: {exc}") from exc
            seen = str(info.language)
            chunk_language = language or seen
            # Decoding happens lazily while iterating; engine errors are wrapped there, while
            # an exception from on_progress (e.g. a cancellation) propagates unchanged.
            for raw in _guarded(raw_segments, where):
                segment = _convert_segment(raw, chunk.offset, chunk_end, chunk_language)
                if segment is not None:
                    segments.append(segment)
                if total > 0:
                    report((chunk.offset + float(raw.end)) / total)
            if language is None and detected is None and float(info.language_probability) > 0.5:
                # Keep later chunks in the language detected with confidence; per-chunk
                # detection on a music break could otherwise flip it.
                detected = str(info.language)
                language = detected
            if total > 0:
                report(chunk_end / total)
        report(1.0)
        return Transcript(
            language=language or seen or "en",
            duration=total,
            segments=tuple(_enforce_monotonic(segments)),
            engine=ENGINE,
            model=self.model,
        )


def _guarded(items: Iterable[Any], where: str) -> Iterator[Any]:
    """Iterate the engine's lazy segment generator, turning its failures into ours."""
    iterator = iter(items)
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise TranscriptionError(f"transcription failed at {where}: {exc}") from exc
        yield item


def build_transcriber(settings: Settings) -> Transcriber:
    """The transcriber the settings ask for (today always faster-whisper).

    One model per worker process runs one recognition at a time (CTranslate2's default single
    model worker), so it gets every core: `whisper_threads` 0 means all of them. A model given
    by name (not the bundled base, not a local folder) may be downloaded once into the cache.
    """
    by_name = settings.whisper_model != BUNDLED_MODEL and not Path(settings.whisper_model).exists()
    return FasterWhisperTranscriber(
        settings.whisper_model,
        data_dir=settings.data_dir,
        device=settings.whisper_device,
        compute_type=settings.whisper_compute_type,
        cpu_threads=settings.whisper_threads,
        language=settings.whisper_language,
        local_files_only=not by_name,
    )


# --- audio -------------------------------------------------------------------------------


def _open_wav(path: Path) -> wave.Wave_read:
    try:
        wf = wave.open(str(path), "rb")  # noqa: SIM115 - returned open, closed by caller
    except (wave.Error, EOFError) as exc:
        raise TranscriptionError(f"{path} is not a readable WAV file: {exc}") from exc
    if (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) != (SAMPLE_RATE, 1, 2):
        fmt = f"{wf.getframerate()} Hz, {wf.getnchannels()} ch, {8 * wf.getsampwidth()}-bit"
        wf.close()
        raise TranscriptionError(f"{path} must be 16 kHz mono 16-bit PCM WAV, got {fmt}")
    return wf


def wav_duration(path: Path) -> float:
    """Length of a 16 kHz mono WAV in seconds, from its header."""
    with _open_wav(path) as wf:
        return wf.getnframes() / SAMPLE_RATE


def iter_wav_chunks(
    path: Path, chunk_seconds: float, *, search_seconds: float | None = None
) -> Iterator[AudioChunk]:
    """Yield consecutive, non-overlapping chunks of about `chunk_seconds`.

    Each cut is moved to the quietest 100 ms within `search_seconds` of the nominal boundary,
    so it rarely splits a word. Only one chunk plus the search window is in memory at a time.
    """
    chunk = max(1, round(chunk_seconds * SAMPLE_RATE))
    if search_seconds is None:
        search_seconds = min(5.0, chunk_seconds / 4)
    search = round(search_seconds * SAMPLE_RATE)
    with _open_wav(path) as wf:
        total = wf.getnframes()
        start = 0
        while start < total:
            remaining = total - start
            if remaining <= chunk + search:
                cut = total
                samples = _read(wf, start, remaining)
            else:
                samples = _read(wf, start, chunk + search)
                cut = start + _quiet_cut(samples, chunk, search)
                samples = samples[: cut - start]
            yield AudioChunk(offset=start / SAMPLE_RATE, samples=samples)
            start = cut


def _read(wf: wave.Wave_read, start: int, frames: int) -> FloatArray:
    wf.setpos(start)
    raw = wf.readframes(frames)
    pcm = np.frombuffer(raw, dtype="<i2")
    return (pcm.astype(np.float32) / 32768.0).astype(np.float32, copy=False)


def _quiet_cut(samples: FloatArray, nominal: int, search: int) -> int:
    """Index (relative to the chunk) of the quietest 100 ms frame around `nominal`."""
    frame = SAMPLE_RATE // 10
    lo = max(frame, nominal - search)
    hi = min(len(samples) - frame, nominal + search)
    if hi <= lo:
        return nominal
    window = samples[lo:hi]
    n = len(window) // frame
    if n == 0:
        return nominal
    energy = np.square(window[: n * frame].reshape(n, frame)).mean(axis=1)
    centres = lo + np.arange(n) * frame + frame // 2
    # Among frames about as quiet as the quietest, take the one nearest the nominal cut, so
    # silence or steady noise does not pull every cut to the start of the search window.
    quiet = np.flatnonzero(energy <= energy.min() * 1.05 + 1e-9)
    best = quiet[np.argmin(np.abs(centres[quiet] - nominal))]
    return int(centres[best])


# --- engine output -----------------------------------------------------------------------


def _convert_segment(raw: Any, offset: float, chunk_end: float, language: str) -> Segment | None:
    """Map one faster-whisper segment into our types, on the source timeline."""
    words = merge_word_pieces(
        [
            Word(
                text=str(w.word),
                start=round(_clamp(offset + float(w.start), offset, chunk_end), 3),
                end=round(_clamp(offset + float(w.end), offset, chunk_end), 3),
                probability=_clamp(float(w.probability), 0.0, 1.0),
            )
            for w in (raw.words or [])
        ],
        language,
    )
    text = str(raw.text).strip()
    if not words or not text:
        return None
    return Segment(text=text, start=words[0].start, end=words[-1].end, words=tuple(words))


def merge_word_pieces(words: list[Word], language: str = "en") -> list[Word]:
    """Glue a piece without a leading space onto the previous word ("don" + "'t").

    The merged word spans both timings and keeps the lower probability (the weakest piece).
    Skipped for languages written without spaces.
    """
    if language in _NO_SPACE_LANGUAGES:
        return [w for w in words if w.text.strip()]
    merged: list[Word] = []
    for word in words:
        if not word.text.strip():
            continue
        if merged and not word.text[:1].isspace():
            prev = merged[-1]
            merged[-1] = Word(
                text=prev.text + word.text,
                start=prev.start,
                end=max(prev.end, word.end),
                probability=min(prev.probability, word.probability),
            )
        else:
            merged.append(word)
    return merged


def _enforce_monotonic(segments: list[Segment]) -> list[Segment]:
    """Make word starts non-decreasing and every end >= its start, across segments."""
    out: list[Segment] = []
    last_start = 0.0
    for seg in segments:
        words = []
        for w in seg.words:
            start = max(w.start, last_start)
            end = max(w.end, start)
            last_start = start
            words.append(Word(w.text, start, end, w.probability))
        out.append(Segment(seg.text, words[0].start, words[-1].end, tuple(words)))
    return out


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, value))
