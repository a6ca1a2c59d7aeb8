"""Choosing an engine and a model from the settings (no model is loaded here)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipforge.asr.openai_engine import OpenAICompatibleTranscriber
from clipforge.asr.transcriber import (
    FasterWhisperTranscriber,
    Transcriber,
    TranscriberConfigError,
    TranscriptionError,
    build_transcriber,
    known_model_names,
    model_source,
    resolve_compute_type,
)
from clipforge.config import Settings


@pytest.mark.parametrize(
    "name", ["tiny", "base.en", "small", "medium", "large-v3", "distil-large-v3", "turbo"]
)
def test_every_faster_whisper_name_is_known(name: str) -> None:
    assert name in known_model_names()
    assert model_source(name) == ("name", name)


def test_model_sources(tmp_path: Path) -> None:
    assert model_source("base") == ("bundled", "base")
    folder = tmp_path / "whisper-small-ct2"
    folder.mkdir()
    assert model_source(str(folder)) == ("path", "whisper-small-ct2")  # no host path recorded
    assert model_source("./models/missing") == ("path", "missing")
    assert model_source("Systran/faster-distil-whisper-small.en") == (
        "hub",
        "Systran/faster-distil-whisper-small.en",
    )
    with pytest.raises(TranscriberConfigError, match="unknown whisper model 'larg-v3'"):
        model_source("larg-v3")


def test_compute_type_is_the_best_the_device_supports() -> None:
    assert resolve_compute_type("auto", "cpu", {"float32", "int8", "int8_float32"}) == "int8"
    assert resolve_compute_type("auto", "cuda", {"float32", "float16", "int8_float16"}) == "float16"
    # A GPU without fast float16 (e.g. Pascal) gets int8 weights with float32 maths.
    assert resolve_compute_type("auto", "cuda", {"float32", "int8", "int8_float32"}) == (
        "int8_float32"
    )
    assert resolve_compute_type("auto", "cpu", {"float32"}) == "float32"
    assert resolve_compute_type("auto", "cuda", ()) == "float16"  # cannot tell: first choice
    assert resolve_compute_type("int8_float16", "cuda", {"float32"}) == "int8_float16"  # as asked


def test_whisper_engine_from_settings(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, whisper_model="distil-large-v3", whisper_language="en")
    transcriber = build_transcriber(settings)
    assert isinstance(transcriber, FasterWhisperTranscriber)
    assert isinstance(transcriber, Transcriber)
    assert transcriber.model == "distil-large-v3" and transcriber.language == "en"
    assert not transcriber.local_files_only  # fetched once by name into data/models/hub
    folder = tmp_path / "my-model"
    folder.mkdir()
    local = build_transcriber(Settings(data_dir=tmp_path, whisper_model=str(folder)))
    assert isinstance(local, FasterWhisperTranscriber)
    assert local.local_files_only and local.model_label == "my-model"


def test_unknown_model_name_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(TranscriberConfigError, match="unknown whisper model"):
        build_transcriber(Settings(data_dir=tmp_path, whisper_model="largev3"))


def test_model_folder_without_weights_fails_clearly(tmp_path: Path) -> None:
    folder = tmp_path / "empty-model"
    folder.mkdir()
    wav = Path(__file__).resolve().parents[1] / "fixtures" / "speech.wav"
    with pytest.raises(TranscriptionError, match=r"no model\.bin") as caught:
        FasterWhisperTranscriber(str(folder), data_dir=tmp_path).transcribe(wav)
    assert not caught.value.retryable


def test_openai_engine_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        transcriber_engine="openai",
        asr_api_base_url="https://api.example.test/v1/",
        asr_api_key="sk-test",
        asr_api_model="whisper-large-v3",
        asr_api_timeout_seconds=42,
        whisper_language="fr",
    )
    transcriber = build_transcriber(settings)
    assert isinstance(transcriber, OpenAICompatibleTranscriber)
    assert isinstance(transcriber, Transcriber)
    assert transcriber.name == "openai-compatible" and transcriber.model == "whisper-large-v3"
    assert transcriber.url == "https://api.example.test/v1/audio/transcriptions"
    assert (transcriber.api_key, transcriber.timeout, transcriber.language) == ("sk-test", 42, "fr")


def test_openai_engine_without_a_url_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, transcriber_engine="openai", asr_api_base_url="")
    with pytest.raises(TranscriberConfigError, match="CLIPFORGE_ASR_API_BASE_URL"):
        build_transcriber(settings)


def test_openai_engine_refuses_chunks_over_ten_minutes() -> None:
    with pytest.raises(ValueError, match="chunk_seconds"):
        OpenAICompatibleTranscriber("http://x/v1", chunk_seconds=601)
    assert OpenAICompatibleTranscriber("http://x/v1").chunk_seconds == 600
