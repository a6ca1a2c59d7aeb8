"""The OpenAI-compatible engine against a local server replaying recorded answers."""

from __future__ import annotations

import io
import json
import wave
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from clipforge.asr.openai_engine import OpenAICompatibleTranscriber
from clipforge.asr.transcriber import TranscriptionError
from clipforge.domain.text import word_error_rate
from tests.support.replay_server import DATA_DIR, RecordedRequest, ReplayServer, Reply

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SPEECH_WAV = FIXTURES / "speech.wav"
SPEECH_TXT = FIXTURES / "speech.txt"
ROUTE = "/v1/audio/transcriptions"
RATE = 16000


def recorded_page(name: str) -> Reply:
    """A recorded non-JSON answer (HTML error page), kept with its status and content type."""
    page = json.loads((DATA_DIR / name).read_text())
    return Reply(page["status"], page["body"].encode(), page["content_type"])


def multipart(request: RecordedRequest) -> tuple[dict[str, list[str]], dict[str, bytes]]:
    """The form fields (name -> values, in order) and files (name -> bytes) a client sent."""
    head = f"Content-Type: {request.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.body)
    fields: dict[str, list[str]] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = str(part.get_param("name", header="content-disposition"))
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        if part.get_filename():
            files[name] = payload
        else:
            fields.setdefault(name, []).append(payload.decode())
    return fields, files


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wf:
        assert (wf.getframerate(), wf.getnchannels(), wf.getsampwidth()) == (RATE, 1, 2)
        return float(wf.getnframes() / RATE)


def write_wav(path: Path, samples: np.ndarray) -> Path:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(RATE)
        wf.writeframes(pcm.tobytes())
    return path


def tone(tmp_path: Path, seconds: float, pauses: tuple[float, ...] = ()) -> Path:
    """Steady sound with a 0.2 s pause at each of `pauses`: somewhere quiet to cut chunks."""
    t = np.arange(round(seconds * RATE)) / RATE
    audio = 0.3 * np.sin(2 * np.pi * 220 * t)
    for pause in pauses:
        audio[(t >= pause) & (t < pause + 0.2)] = 0.0
    return write_wav(tmp_path / "tone.wav", audio)


def engine(server: ReplayServer, **kwargs: Any) -> OpenAICompatibleTranscriber:
    options: dict[str, Any] = {
        "api_key": "sk-test-123",
        "model": "whisper-1",
        "sleep": lambda s: None,
    }
    options.update(kwargs)
    return OpenAICompatibleTranscriber(server.url + "/v1", **options)


# --- success -----------------------------------------------------------------------------


def test_transcribes_and_sends_a_well_formed_request() -> None:
    with ReplayServer() as server:
        server.add("POST", ROUTE, Reply.recorded("asr_openai_verbose.json"))
        progress: list[float] = []
        transcript = engine(server).transcribe(SPEECH_WAV, on_progress=progress.append)
    (request,) = server.requests
    assert request.headers["Authorization"] == "Bearer sk-test-123"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    fields, files = multipart(request)
    assert fields == {
        "model": ["whisper-1"],
        "response_format": ["verbose_json"],
        "timestamp_granularities[]": ["word", "segment"],
    }  # no language: the endpoint detects it
    assert wav_seconds(files["file"]) == pytest.approx(14.045, abs=0.01)

    assert (transcript.engine, transcript.model, transcript.language) == (
        "openai-compatible",
        "whisper-1",
        "en",
    )
    assert transcript.duration == pytest.approx(14.045, abs=0.01)
    assert [s.text for s in transcript.segments] == [
        "Why do small habits matter so much more than big goals?",
        "Because a habit you repeat every single day compounds over time.",
        "Start with just 5 minutes of practice and build from there.",
    ]
    assert word_error_rate(SPEECH_TXT.read_text(), transcript.text) == 0.0
    for segment in transcript.segments:
        assert (segment.start, segment.end) == (segment.words[0].start, segment.words[-1].end)
    loudness = transcript.extra["loudness"]
    assert loudness["hop_seconds"] == 0.1 and len(loudness["dbfs"]) == 141
    assert progress == [1.0]


def test_language_setting_and_per_call_language_are_sent() -> None:
    with ReplayServer() as server:
        server.add("POST", ROUTE, Reply.recorded("asr_openai_verbose.json"))
        configured = engine(server, language="fr", api_key=None)
        configured.transcribe(SPEECH_WAV)
        configured.transcribe(SPEECH_WAV, language="de")
    first, second = server.requests
    assert multipart(first)[0]["language"] == ["fr"]
    assert multipart(second)[0]["language"] == ["de"]
    assert "Authorization" not in first.headers  # no key configured: none sent


def test_long_audio_goes_in_chunks_with_times_offset(tmp_path: Path) -> None:
    audio = tone(tmp_path, 35.0, pauses=(9.0, 18.0, 27.0))
    # A music intro: no words, and a language guessed from nothing.
    intro = Reply.json({"text": "", "language": "welsh", "duration": 9.1, "words": []})
    with ReplayServer() as server:
        server.add("POST", ROUTE, intro, Reply.recorded("asr_server_segment_words.json"))
        progress: list[float] = []
        transcript = engine(server, chunk_seconds=10.0).transcribe(
            audio, on_progress=progress.append
        )
    sent = [multipart(r) for r in server.requests]
    seconds = [wav_seconds(files["file"]) for _, files in sent]
    assert seconds == pytest.approx([9.1, 9.0, 9.0, 7.9], abs=0.06)  # cut in pauses, <= 10 s
    assert sum(seconds) == pytest.approx(35.0, abs=0.001)  # nothing lost or sent twice
    languages = [fields.get("language") for fields, _ in sent]
    # Detected on the first chunk with speech, then kept (no per-chunk flip-flopping).
    assert languages == [None, None, ["en"], ["en"]]
    assert transcript.language == "en"
    offsets = [sum(seconds[:i]) for i in (1, 2, 3)]
    starts = [s.start for s in transcript.segments if s.text.startswith("We deploy")]
    assert starts == pytest.approx(offsets, abs=0.001)
    assert transcript.text.count("We deploy everything on Kubernetes. Don't we?") == 3
    assert progress == sorted(progress) and progress[-1] == 1.0 and len(progress) == 4


def test_stock_captions_over_trailing_silence_are_dropped(tmp_path: Path) -> None:
    with wave.open(str(SPEECH_WAV)) as wf:
        speech = np.frombuffer(wf.readframes(wf.getnframes()), dtype="<i2") / 32768.0
    audio = write_wav(
        tmp_path / "speech-then-silence.wav", np.concatenate([speech, np.zeros(RATE * 10)])
    )
    with ReplayServer() as server:
        server.add("POST", ROUTE, Reply.recorded("asr_openai_hallucinated_tail.json"))
        transcript = engine(server).transcribe(audio)
    assert word_error_rate(SPEECH_TXT.read_text(), transcript.text) == 0.0
    assert "Thank you" not in transcript.text and "Amara" not in transcript.text


# --- failures ------------------------------------------------------------------------------


KEY = r"refused the API key \(HTTP 40[13]: Incorrect API key.*CLIPFORGE_ASR_API_KEY"
MODEL = r"model 'whisper-1' was not found.*does not exist.*CLIPFORGE_ASR_API_MODEL"
TOO_LARGE = r"refused a 0\.4 MB audio chunk as too large \(HTTP 413: Maximum content size"
BAD_REQ = r"rejected the request \(HTTP 400: Unsupported language"
WEB_PAGE = r"not JSON \(text/html.*Loading.*CLIPFORGE_ASR_API_BASE_URL"
NO_WORDS = r"no word timestamps.*timestamp_granularities"


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        pytest.param(Reply.recorded("asr_error_401.json", status=401), KEY, id="401"),
        pytest.param(Reply.recorded("asr_error_401.json", status=403), KEY, id="403"),
        pytest.param(Reply.recorded("asr_error_404_model.json", status=404), MODEL, id="404"),
        pytest.param(Reply.recorded("asr_error_413.json", status=413), TOO_LARGE, id="413"),
        pytest.param(Reply.json({"detail": "Unsupported language: xx"}, 400), BAD_REQ, id="400"),
        pytest.param(recorded_page("asr_html_200_web_ui.json"), WEB_PAGE, id="html-page"),
        pytest.param(Reply.recorded("asr_openai_truncated.json"), r"not JSON", id="truncated"),
        pytest.param(Reply.recorded("asr_openai_missing_words.json"), NO_WORDS, id="no-words"),
        pytest.param(
            Reply.recorded("asr_openai_malformed_word.json"), r"word #3 needs", id="bad-word"
        ),
    ],
)
def test_what_cannot_fix_itself_fails_at_once(reply: Reply, message: str) -> None:
    with ReplayServer() as server:
        server.add("POST", ROUTE, reply)
        with pytest.raises(TranscriptionError, match=message) as caught:
            engine(server).transcribe(SPEECH_WAV)
    assert not caught.value.retryable
    assert len(server.requests) == 1  # not retried
    assert server.url not in str(caught.value)  # users may read it: no internal address


@pytest.mark.parametrize(
    "failure",
    [
        Reply.recorded("asr_error_500.json", status=500),
        Reply.recorded("asr_error_429.json", status=429),
        recorded_page("asr_html_502.json"),
    ],
)
def test_busy_or_failing_server_is_retried_then_succeeds(failure: Reply) -> None:
    delays: list[float] = []
    with ReplayServer() as server:
        server.add("POST", ROUTE, failure, Reply.recorded("asr_openai_verbose.json"))
        transcript = engine(server, backoff_seconds=1.5, sleep=delays.append).transcribe(SPEECH_WAV)
    assert len(server.requests) == 2 and delays == [1.5]
    assert len(transcript.words) == 33
    # The same upload again (the multipart boundary differs, the audio does not).
    assert multipart(server.requests[0]) == multipart(server.requests[1])


def test_a_server_that_keeps_failing_gives_a_retryable_error() -> None:
    delays: list[float] = []
    with ReplayServer() as server:
        server.add("POST", ROUTE, recorded_page("asr_html_502.json"))
        with pytest.raises(
            TranscriptionError,
            match=r"busy or failing \(HTTP 502: 502 Bad Gateway nginx/1\.24\.0\)",
        ) as caught:
            engine(server, max_attempts=3, backoff_seconds=1.0, sleep=delays.append).transcribe(
                SPEECH_WAV
            )
    assert caught.value.retryable and "gave up after 3 attempts" in str(caught.value)
    assert len(server.requests) == 3 and delays == [1.0, 2.0]  # exponential backoff


def test_slow_answer_times_out_as_retryable() -> None:
    with ReplayServer() as server:
        server.add("POST", ROUTE, Reply(200, b"{}", delay_seconds=3.0))
        with pytest.raises(TranscriptionError, match=r"did not answer within 0\.3 s") as caught:
            engine(server, timeout=0.3).transcribe(SPEECH_WAV)
    assert caught.value.retryable
    assert len(server.requests) == 1  # each try may cost the whole timeout: the job retries later


def test_unreachable_server_is_retried_then_reported() -> None:
    with ReplayServer() as server:
        url = server.url
    transcriber = OpenAICompatibleTranscriber(url + "/v1", max_attempts=2, sleep=lambda s: None)
    with pytest.raises(TranscriptionError, match="could not reach the ASR endpoint") as caught:
        transcriber.transcribe(SPEECH_WAV)
    assert caught.value.retryable and "gave up after 2 attempts" in str(caught.value)


def test_bad_audio_is_refused_before_any_request(tmp_path: Path) -> None:
    with ReplayServer() as server:
        with pytest.raises(TranscriptionError, match="not found"):
            engine(server).transcribe(tmp_path / "missing.wav")
        (tmp_path / "junk.wav").write_bytes(b"junk")
        with pytest.raises(TranscriptionError, match="not a readable WAV"):
            engine(server).transcribe(tmp_path / "junk.wav")
    assert server.requests == []


def test_retry_after_is_honoured_and_capped() -> None:
    # The replay server sends no custom headers, so this one answer goes through httpx's mock.
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "slow down"}),
            httpx.Response(503, headers={"Retry-After": "86400"}, json={"error": "maintenance"}),
            httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
            httpx.Response(200, content=(DATA_DIR / "asr_openai_verbose.json").read_bytes()),
        ]
    )
    delays: list[float] = []
    transcriber = OpenAICompatibleTranscriber(
        "http://asr.invalid/v1",
        max_attempts=4,
        backoff_seconds=0.5,
        sleep=delays.append,
        transport=httpx.MockTransport(lambda request: next(answers)),
    )
    assert len(transcriber.transcribe(SPEECH_WAV).words) == 33
    assert delays == [7.0, 60.0, 2.0]  # as asked, capped at a minute, own backoff for a date
