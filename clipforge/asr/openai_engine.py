"""An OpenAI-compatible `/audio/transcriptions` endpoint as a Transcriber.

Works with OpenAI, Groq and self-hosted servers that speak the same API. The WAV is sent in
chunks of at most ten minutes (cut at quiet points, so under every provider's upload cap) as
multipart uploads asking for `verbose_json` with word and segment timestamps; chunk times are
offset onto the source timeline. Busy or failing servers (429, 5xx, dropped connections) are
retried a few times with backoff; a rejected key, a wrong URL or model, an oversized upload
or an answer we cannot read fail at once with a message that says what to fix. Messages
name the setting to check, never the endpoint's address (users may read them).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from clipforge.asr.base import ProgressCallback, TranscriptionError
from clipforge.asr.cleanup import make_segment
from clipforge.asr.openai_response import ResponseFormatError, parse_verbose_json
from clipforge.asr.postprocess import finish_transcript
from clipforge.asr.wav import encode_wav, iter_wav_chunks, wav_duration
from clipforge.domain.transcript import Segment, Transcript, Word

logger = logging.getLogger(__name__)

ENGINE = "openai-compatible"

#: The longest chunk sent in one request: 10 min of 16 kHz 16-bit mono is 19.2 MB, under
#: OpenAI's 25 MB upload limit.
MAX_CHUNK_SECONDS = 600.0
#: How far a cut may move to find a quiet point; chunks are nominally this much shorter.
_CUT_SEARCH_SECONDS = 5.0
_RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_MAX_RETRY_AFTER_SECONDS = 60.0
_TAGS = re.compile(r"<[^>]+>")
#: Parts of an HTML page that are not its message (the title repeats the heading).
_HTML_NOISE = re.compile(r"<(head|script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


class OpenAICompatibleTranscriber:
    """Transcribes through an OpenAI-compatible HTTP API (`base_url` ends in /v1)."""

    name = ENGINE

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        model: str = "whisper-1",
        language: str | None = None,
        timeout: float = 600.0,
        chunk_seconds: float = MAX_CHUNK_SECONDS,
        max_attempts: int = 3,
        backoff_seconds: float = 2.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url:
            raise ValueError("base_url is required")
        if not 0 < chunk_seconds <= MAX_CHUNK_SECONDS:
            raise ValueError(f"chunk_seconds must be in (0, {MAX_CHUNK_SECONDS:.0f}]")
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.base_url = base_url.rstrip("/")
        self.url = f"{self.base_url}/audio/transcriptions"
        self.api_key = api_key
        self.model = model
        self.language = language
        self.timeout = timeout
        self.chunk_seconds = chunk_seconds
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self._transport = transport
        self._sleep = sleep

    def transcribe(
        self,
        audio: Path,
        *,
        on_progress: ProgressCallback | None = None,
        language: str | None = None,
    ) -> Transcript:
        """Send the WAV chunk by chunk; words come back on the source timeline."""
        audio = Path(audio)
        if not audio.is_file():
            raise TranscriptionError(f"audio file not found: {audio}")
        total = wav_duration(audio)
        language = language or self.language
        segments: list[Segment] = []
        search = min(_CUT_SEARCH_SECONDS, self.chunk_seconds / 4)
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        with httpx.Client(
            timeout=self.timeout, headers=headers, transport=self._transport
        ) as client:
            # Nominal length + search window <= chunk_seconds: no chunk exceeds the cap.
            for index, chunk in enumerate(
                iter_wav_chunks(audio, self.chunk_seconds - search, search_seconds=search)
            ):
                chunk_end = chunk.offset + chunk.duration
                payload = self._post(client, encode_wav(chunk.samples), index, language)
                try:
                    result = parse_verbose_json(
                        payload, offset=chunk.offset, chunk_end=chunk_end, language=language
                    )
                except ResponseFormatError as exc:
                    raise TranscriptionError(
                        f"the ASR endpoint answered in a shape we cannot read ({exc})",
                        retryable=False,
                    ) from exc
                if result.words:
                    segments.append(make_segment(_monotonic(result.words)))
                if language is None and result.language and result.words:
                    # Later chunks in the language of the first one with speech: a music
                    # break or a short chunk could otherwise be detected as something else.
                    language = result.language
                if on_progress is not None and total > 0:
                    on_progress(min(1.0, chunk_end / total))
        raw = Transcript(
            language=language or "en",
            duration=total,
            segments=tuple(segments),
            engine=ENGINE,
            model=self.model,
        )
        return finish_transcript(raw, audio)

    # --- HTTP ----------------------------------------------------------------------------

    def _post(self, client: httpx.Client, wav: bytes, index: int, language: str | None) -> Any:
        data: dict[str, Any] = {
            "model": self.model,
            "response_format": "verbose_json",
            "timestamp_granularities[]": ["word", "segment"],
        }
        if language:
            data["language"] = language
        files = {"file": (f"chunk-{index:04d}.wav", wav, "audio/wav")}
        last: TranscriptionError | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                response = client.post(self.url, data=data, files=files)
            except httpx.TimeoutException as exc:
                # Not retried here: each try may already have waited the whole timeout.
                raise TranscriptionError(
                    f"the ASR endpoint did not answer within {self.timeout:g} s "
                    f"(CLIPFORGE_ASR_API_TIMEOUT_SECONDS); will try again later",
                    retryable=True,
                ) from exc
            except httpx.TransportError as exc:
                last = TranscriptionError(
                    f"could not reach the ASR endpoint: {exc or type(exc).__name__}", retryable=True
                )
                delay = self._backoff(attempt, None)
            else:
                if response.status_code == 200:
                    return self._json(response)
                error = self._status_error(response, len(wav))
                if not error.retryable:
                    raise error
                last = error
                delay = self._backoff(attempt, response.headers.get("Retry-After"))
            if attempt < self.max_attempts:
                logger.warning("%s; retrying in %.1f s (attempt %d)", last, delay, attempt)
                self._sleep(delay)
        assert last is not None
        raise TranscriptionError(
            f"{last} (gave up after {self.max_attempts} attempts)", retryable=True
        )

    def _backoff(self, attempt: int, retry_after: str | None) -> float:
        if retry_after is not None:
            try:
                return min(_MAX_RETRY_AFTER_SECONDS, max(0.0, float(retry_after)))
            except ValueError:
                pass  # an HTTP date: rare enough to fall back to our own backoff
        return float(self.backoff_seconds * 2 ** (attempt - 1))

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            kind = response.headers.get("content-type", "no content type")
            raise TranscriptionError(
                f"the ASR endpoint answered with something that is not JSON ({kind}: "
                f"{_excerpt(response)!r}); check CLIPFORGE_ASR_API_BASE_URL points at the "
                "API (usually ending in /v1), not a web page",
                retryable=False,
            ) from exc

    def _status_error(self, response: httpx.Response, upload_bytes: int) -> TranscriptionError:
        status = response.status_code
        detail = _excerpt(response)
        if status in (401, 403):
            return TranscriptionError(
                f"the ASR endpoint refused the API key (HTTP {status}: {detail}); check "
                "CLIPFORGE_ASR_API_KEY",
                retryable=False,
            )
        if status == 404:
            return TranscriptionError(
                f"the ASR endpoint or model {self.model!r} was not found (HTTP 404: {detail}); "
                "check CLIPFORGE_ASR_API_BASE_URL (usually ending in /v1) and "
                "CLIPFORGE_ASR_API_MODEL",
                retryable=False,
            )
        if status == 413:
            return TranscriptionError(
                f"the ASR endpoint refused a {upload_bytes / 1e6:.1f} MB audio chunk as too large "
                f"(HTTP 413: {detail}); the endpoint's upload limit is below "
                f"{self.chunk_seconds:g} s of 16 kHz WAV",
                retryable=False,
            )
        if status in _RETRY_STATUSES or status >= 500:
            return TranscriptionError(
                f"the ASR endpoint is busy or failing (HTTP {status}: {detail})", retryable=True
            )
        return TranscriptionError(
            f"the ASR endpoint rejected the request (HTTP {status}: {detail})", retryable=False
        )


def _excerpt(response: httpx.Response, limit: int = 200) -> str:
    """The server's own error message: OpenAI's error.message, else the body's text."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])[:limit]
        for key in ("error", "detail", "message"):
            if isinstance(body.get(key), str):
                return str(body[key])[:limit]
    text = response.content[:4096].decode("utf-8", "replace")
    text = _TAGS.sub(" ", _HTML_NOISE.sub(" ", text))
    return " ".join(text.split())[:limit] or "empty body"


def _monotonic(words: list[Word]) -> list[Word]:
    """Starts non-decreasing within a chunk (some servers emit overlapping word times)."""
    out: list[Word] = []
    for word in words:
        start = max(word.start, out[-1].start) if out else word.start
        out.append(Word(word.text, start, max(word.end, start), word.probability))
    return out
