"""Speech to word-timed transcripts: the engines behind the Transcriber protocol.

`FasterWhisperTranscriber` runs Whisper locally (the bundled base model by default, or any
faster-whisper model by name or folder); `OpenAICompatibleTranscriber` (openai_engine.py)
sends the audio to an OpenAI-compatible endpoint. `build_transcriber` picks one from the
settings. Transcription is synchronous and CPU-bound; callers run it in a worker thread.
Audio is read from a 16 kHz mono WAV in chunks (cut at a quiet point near each boundary) so
memory stays flat however long the source is. Every engine's output goes through the same
clean-up (cleanup.py) before it is returned.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clipforge.asr.base import (
    ProgressCallback,
    Transcriber,
    TranscriberConfigError,
    TranscriptionError,
)
from clipforge.asr.bundled_model import ensure_bundled_model
from clipforge.asr.cleanup import Silence, merge_word_pieces
from clipforge.asr.openai_engine import OpenAICompatibleTranscriber
from clipforge.asr.postprocess import finish_transcript, loudness_extra
from clipforge.asr.refill import Recognise, refill
from clipforge.asr.wav import (
    SAMPLE_RATE,
    AudioChunk,
    FloatArray,
    iter_wav_chunks,
    read_span,
    wav_duration,
)
from clipforge.domain.transcript import Segment, Transcript, Word

if TYPE_CHECKING:
    from clipforge.config import Settings

__all__ = [
    "BUNDLED_MODEL",
    "ENGINE",
    "SAMPLE_RATE",
    "AudioChunk",
    "FasterWhisperTranscriber",
    "OpenAICompatibleTranscriber",
    "ProgressCallback",
    "Transcriber",
    "TranscriberConfigError",
    "TranscriptionError",
    "build_transcriber",
    "iter_wav_chunks",
    "merge_word_pieces",
    "resolve_compute_type",
    "resolve_device",
    "wav_duration",
]

logger = logging.getLogger(__name__)

ENGINE = "faster-whisper"
BUNDLED_MODEL = "base"

#: Best compute type first, per device: int8 is the fast small choice on CPU; float16 on GPUs
#: (older GPUs without fast float16 fall back to int8 with float32 activations, then float32).
_PREFERRED_COMPUTE = {
    "cpu": ("int8", "int8_float32", "float32"),
    "cuda": ("float16", "int8_float16", "int8_float32", "float32"),
}


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


def resolve_compute_type(
    compute_type: str, device: str, supported: Collection[str] | None = None
) -> str:
    """'auto' means the best type the device supports: int8 on CPU, float16 on CUDA.

    `supported` defaults to what CTranslate2 reports for the device; when it cannot tell
    (no such device here), the device's first preference is returned.
    """
    if compute_type != "auto":
        return compute_type
    preferred = _PREFERRED_COMPUTE.get(device, ("default",))
    if supported is None:
        supported = _supported_compute_types(device)
    for candidate in preferred:
        if candidate in supported:
            return candidate
    return preferred[0]


def _supported_compute_types(device: str) -> Collection[str]:
    try:
        import ctranslate2

        return set(ctranslate2.get_supported_compute_types(device))
    except Exception:  # no CUDA runtime, or an unknown device: let the loader say so
        return ()


def known_model_names() -> list[str]:
    """The model names faster-whisper can fetch by name (tiny … large-v3, distil-*, turbo)."""
    from faster_whisper.utils import available_models

    return list(available_models())


def model_source(model: str) -> tuple[str, str]:
    """How a model setting is loaded: ("bundled" | "path" | "name" | "hub", label).

    The label is what a transcript records: the name as given, or a folder's name (never a
    server's file system path).
    """
    if model == BUNDLED_MODEL:
        return "bundled", model
    path = Path(model).expanduser()
    looks_like_path = model.startswith((".", "/", "~")) or "\\" in model or model.count("/") > 1
    if path.exists() or looks_like_path:
        return "path", path.name or model
    if model in known_model_names():
        return "name", model
    if model.count("/") == 1 and all(model.split("/")):
        return "hub", model  # an "org/repo" CTranslate2 model on the Hugging Face hub
    raise TranscriberConfigError(
        f"unknown whisper model {model!r}: use 'base' (bundled), a model folder, an "
        f"'org/repo' hub id, or one of {', '.join(known_model_names())}"
    )


class FasterWhisperTranscriber:
    """faster-whisper (CTranslate2) with the bundled Whisper base model by default.

    `model` is "base" (bundled, verified), a faster-whisper name (tiny … large-v3, distil-*,
    turbo), an "org/repo" hub id, or a local CTranslate2 folder. Device and compute type
    default to the best available: CUDA float16 when a GPU is visible, else CPU int8. The
    model loads lazily, once per instance, under a lock so threads can share it.
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
        self.resolved_device: str | None = None
        self.resolved_compute_type: str | None = None
        self._whisper: Any = None
        self._load_lock = threading.Lock()

    @property
    def model_label(self) -> str:
        """The model as transcripts record it: its name, or a local folder's name."""
        try:
            return model_source(self.model)[1]
        except TranscriberConfigError:
            return self.model

    # --- model ---------------------------------------------------------------------------

    def _model_path(self) -> str:
        kind, _ = model_source(self.model)
        if kind == "bundled":
            return str(ensure_bundled_model(self.data_dir))
        if kind == "path":
            path = Path(self.model).expanduser()
            if not (path / "model.bin").is_file():
                raise TranscriptionError(
                    f"whisper model folder {path} has no model.bin (a CTranslate2 conversion "
                    "is needed)",
                    retryable=False,
                )
            return str(path)
        return self.model

    def load(self) -> None:
        """Load the model now, e.g. at worker start, so the first job does not pay for it."""
        self._get_model()

    def _get_model(self) -> Any:
        if self._whisper is None:
            with self._load_lock:
                if self._whisper is None:
                    self._whisper = self._load()
        return self._whisper

    def _load(self) -> Any:
        from faster_whisper import WhisperModel

        device = resolve_device(self.device)
        compute = resolve_compute_type(self.compute_type, device)
        try:
            path = self._model_path()
        except TranscriberConfigError as exc:
            raise TranscriptionError(
                f"could not load whisper model {self.model!r}: {exc}", retryable=False
            ) from exc
        logger.info(
            "loading whisper model %s (%s, %s, %d threads)", path, device, compute, self.cpu_threads
        )
        try:
            whisper = WhisperModel(
                path,
                device=device,
                compute_type=compute,
                cpu_threads=self.cpu_threads,
                download_root=str(self.data_dir / "models" / "hub"),
                local_files_only=self.local_files_only,
            )
        except Exception as exc:
            raise TranscriptionError(
                f"could not load whisper model {self.model!r} from {path} "
                f"({device}, {compute}): {exc}"
            ) from exc
        self.resolved_device, self.resolved_compute_type = device, compute
        return whisper

    # --- transcription -------------------------------------------------------------------

    def transcribe(
        self,
        audio: Path,
        *,
        on_progress: ProgressCallback | None = None,
        language: str | None = None,
    ) -> Transcript:
        """Transcribe a 16 kHz mono WAV chunk by chunk, offsetting times onto the source."""
        audio = Path(audio)
        if not audio.is_file():
            raise TranscriptionError(f"audio file not found: {audio}")
        total = wav_duration(audio)  # validates the format before the model loads
        model = self._get_model()
        language = language or self.language or self._detect_language(model, audio)
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
            raw_segments, info = self._decode(model, chunk.samples, language, where)
            seen = str(info.language)
            # Decoding happens lazily while iterating; engine errors are wrapped there, while
            # an exception from on_progress (e.g. a cancellation) propagates unchanged.
            for raw in _guarded(raw_segments, where):
                segment = _convert_segment(raw, chunk.offset, chunk_end)
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

        raw_transcript = Transcript(
            # What the engine says it decoded: the language asked for, or "en" from an
            # English-only model (*.en) whatever was asked.
            language=seen or language or "en",
            duration=total,
            segments=tuple(_enforce_monotonic(segments)),
            engine=ENGINE,
            model=self.model_label,
        )
        loudness = loudness_extra(audio)
        silence = Silence.from_track(loudness)
        refilled = refill(raw_transcript, audio, silence, self.recogniser(language))
        transcript = finish_transcript(refilled, audio, loudness=loudness)
        report(1.0)
        return transcript

    def _detect_language(self, model: Any, audio: Path) -> str | None:
        """The language spoken, from up to LANGUAGE_SEGMENTS half-minutes of speech at the
        start of the audio; None when no language is clearly the one.

        Whisper on its own listens to the first half-minute: a cold open of cross-talk, a
        microphone check or a jingle there was heard as Latin in 3 of 152 English episodes,
        and every later chunk was then decoded as Latin (words run over half a minute of
        speech, the speech not written). Over two minutes of speech the same episodes read
        as English with probability 0.85-0.98."""
        chunk = read_span(audio, 0.0, LANGUAGE_SECONDS)
        if chunk.duration <= 0:
            return None
        try:
            found, probability, _ = model.detect_language(
                chunk.samples,
                vad_filter=True,
                language_detection_segments=LANGUAGE_SEGMENTS,
                language_detection_threshold=LANGUAGE_SURE,
            )
        except Exception as exc:  # no speech found, or an engine without detection
            logger.info("language detection failed (%s); Whisper detects per chunk", exc)
            return None
        return str(found) if float(probability) >= LANGUAGE_LIKELY else None

    def recogniser(self, language: str | None) -> Recognise:
        """Decodes a stretch of audio on its own, for the stretches the first pass skipped
        (refill.py); segments more likely invented than heard are left out (`_doubtful`)."""
        model = self._get_model()

        def recognise(samples: FloatArray, offset: float) -> list[Segment]:
            where = f"{offset:.1f}s (recognised again)"
            raw_segments, _ = self._decode(model, samples, language, where)
            end = offset + len(samples) / SAMPLE_RATE
            heard = (
                _convert_segment(raw, offset, end)
                for raw in _guarded(raw_segments, where)
                if not _doubtful(raw)
            )
            return [segment for segment in heard if segment is not None]

        return recognise

    def _decode(
        self, model: Any, samples: FloatArray, language: str | None, where: str
    ) -> tuple[Iterable[Any], Any]:
        """Start decoding `samples` (segments are produced lazily, as they are iterated)."""
        try:
            return model.transcribe(  # type: ignore[no-any-return]
                samples,
                language=language,
                beam_size=self.beam_size,
                word_timestamps=True,
                vad_filter=True,
                condition_on_previous_text=False,
            )
        except Exception as exc:
            raise TranscriptionError(f"transcription failed at {where}: {exc}") from exc


#: Language detection (`FasterWhisperTranscriber._detect_language`): up to this many
#: half-minutes of speech, from the first LANGUAGE_SECONDS of audio; a half-minute whose
#: top language is at least LANGUAGE_SURE settles it, else the languages are voted on; a
#: result below LANGUAGE_LIKELY is left to Whisper's own detection chunk by chunk.
LANGUAGE_SEGMENTS = 4
LANGUAGE_SECONDS = 300.0
LANGUAGE_SURE = 0.9
LANGUAGE_LIKELY = 0.5

#: What a second look at a skipped stretch accepts (`recogniser`). Stricter than Whisper's
#: own fallback thresholds (compression ratio 2.4, log-probability -1.0): the first pass
#: already passed these seconds by, and a short stretch decoded alone is where Whisper loops
#: ("the name of the last word in your name, the name of the last word ...", ratio 2.3,
#: log-probability -0.86, over a listener's "Mm." and a one-line cue). The speech it did
#: skip decodes cleanly (ratios 1.1-1.5, log-probabilities -0.3 to -0.7).
MAX_COMPRESSION_RATIO = 2.0
MIN_LOG_PROBABILITY = -0.8
#: Whisper's test for a segment decoded from no speech: it thought so, and its words were
#: unlikely.
NO_SPEECH_PROBABILITY = 0.6
NO_SPEECH_LOG_PROBABILITY = -1.0


def _doubtful(raw: Any) -> bool:
    """Whether a segment decoded on a second look is more likely invented than heard."""
    ratio = float(getattr(raw, "compression_ratio", 0.0))
    log_probability = float(getattr(raw, "avg_logprob", 0.0))
    no_speech = float(getattr(raw, "no_speech_prob", 0.0))
    return (
        ratio > MAX_COMPRESSION_RATIO
        or log_probability < MIN_LOG_PROBABILITY
        or (no_speech > NO_SPEECH_PROBABILITY and log_probability < NO_SPEECH_LOG_PROBABILITY)
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
    """The transcriber `settings.transcriber_engine` asks for.

    whisper: one model per worker process runs one recognition at a time (CTranslate2's
    default single model worker), so it gets every core: `whisper_threads` 0 means all of
    them. A model given by name (not the bundled base, not a local folder) may be downloaded
    once into `<data_dir>/models/hub`.
    openai: the OpenAI-compatible endpoint at `asr_api_base_url`, which must be set.
    Raises TranscriberConfigError when the settings cannot work.
    """
    if settings.transcriber_engine == "openai":
        if not settings.asr_api_base_url:
            raise TranscriberConfigError(
                "CLIPFORGE_TRANSCRIBER_ENGINE=openai needs CLIPFORGE_ASR_API_BASE_URL, the "
                "endpoint's base URL ending in /v1 (e.g. https://api.openai.com/v1)"
            )
        return OpenAICompatibleTranscriber(
            settings.asr_api_base_url,
            api_key=settings.asr_api_key,
            model=settings.asr_api_model,
            language=settings.whisper_language,
            timeout=settings.asr_api_timeout_seconds,
        )
    kind, _ = model_source(settings.whisper_model)
    return FasterWhisperTranscriber(
        settings.whisper_model,
        data_dir=settings.data_dir,
        device=settings.whisper_device,
        compute_type=settings.whisper_compute_type,
        cpu_threads=settings.whisper_threads,
        language=settings.whisper_language,
        local_files_only=kind in ("bundled", "path"),
    )


# --- engine output -----------------------------------------------------------------------


def _convert_segment(raw: Any, offset: float, chunk_end: float) -> Segment | None:
    """Map one faster-whisper segment into our types, on the source timeline.

    Word pieces are merged later, over the whole transcript, so a word split across two
    segments is mended too.
    """
    words = [
        Word(
            text=str(w.word),
            start=round(_clamp(offset + float(w.start), offset, chunk_end), 3),
            end=round(_clamp(offset + float(w.end), offset, chunk_end), 3),
            probability=_clamp(float(w.probability), 0.0, 1.0),
        )
        for w in (raw.words or [])
        if str(w.word).strip()
    ]
    text = str(raw.text).strip()
    if not words or not text:
        return None
    return Segment(text=text, start=words[0].start, end=words[-1].end, words=tuple(words))


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
