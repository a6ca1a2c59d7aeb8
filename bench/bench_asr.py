"""ASR speed and accuracy per engine configuration: audio seconds, wall seconds, RTF and WER.

Run `python -m bench.bench_asr`. Uses samples/sample.mp4 (+ samples/sample.txt) when present,
else the espeak fixture tests/fixtures/speech.wav (+ speech.txt). Every configuration that
works offline is measured on the same audio:

- whisper base (bundled), beam 5: the default (`build_transcriber` with default settings)
- whisper base (bundled), beam 1: greedy decoding, faster, usually a little less accurate
- any `--model` given (a faster-whisper name already in the cache, or a local folder)
- openai-compatible against a local replay server: the recorded answer for the fixture is
  replayed, so its WER would score the recording, not an engine (reported as n/a); its RTF
  is the client's own cost (WAV encoding, upload, parsing, clean-up), not a provider's speed.

WER is computed on the cleaned transcript (pieces merged, hallucinations removed), i.e. what
the pipeline stores.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from clipforge.asr.openai_engine import OpenAICompatibleTranscriber
from clipforge.asr.transcriber import (
    FasterWhisperTranscriber,
    Transcriber,
    build_transcriber,
    wav_duration,
)
from clipforge.config import Settings
from clipforge.domain.text import word_error_rate
from clipforge.media.audio import extract_audio
from tests.support.replay_server import ReplayServer, Reply

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_VIDEO = ROOT / "samples" / "sample.mp4"
SAMPLE_TEXT = ROOT / "samples" / "sample.txt"
FIXTURE_WAV = ROOT / "tests" / "fixtures" / "speech.wav"
FIXTURE_TEXT = ROOT / "tests" / "fixtures" / "speech.txt"
REPLAYED_ANSWER = "asr_openai_verbose.json"

logger = logging.getLogger("bench.asr")


@dataclass
class Result:
    label: str
    engine: str
    model: str
    load_s: float
    wall_s: float
    audio_s: float
    words: int
    wer: float | None
    note: str = ""

    @property
    def rtf(self) -> float:
        return self.wall_s / self.audio_s if self.audio_s else float("nan")


def reference_text(path: Path) -> str:
    """The spoken text of a reference file; markdown headings ("## Topic (0-27 s)") are not."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def measure(
    label: str, transcriber: Transcriber, wav: Path, reference: str | None, note: str = ""
) -> Result:
    load = getattr(transcriber, "load", None)
    t0 = time.perf_counter()
    if callable(load):
        load()  # model loading is paid once per worker, not per video: timed apart
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    transcript = transcriber.transcribe(wav)
    wall_s = time.perf_counter() - t0
    wer = word_error_rate(reference, transcript.text) if reference is not None else None
    return Result(
        label,
        transcript.engine,
        transcript.model,
        load_s,
        wall_s,
        wav_duration(wav),
        len(transcript.words),
        wer,
        note,
    )


@contextmanager
def replay_endpoint() -> Iterator[str]:
    """A local OpenAI-compatible endpoint answering every upload with the recorded answer."""
    with ReplayServer() as server:
        server.add("POST", "/v1/audio/transcriptions", Reply.recorded(REPLAYED_ANSWER))
        yield server.url + "/v1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input", nargs="?", type=Path, help="media file (default: sample)")
    parser.add_argument("--reference", type=Path, help="reference transcript for WER")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="also measure this faster-whisper model (name in the cache, or a folder)",
    )
    parser.add_argument("--skip-beam1", action="store_true", help="skip base with beam 1")
    parser.add_argument("--skip-openai", action="store_true", help="skip the replayed endpoint")
    parser.add_argument("--chunk-seconds", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)

    if args.input is not None:
        source, reference_path = args.input, args.reference
    elif SAMPLE_VIDEO.exists():
        source, reference_path = SAMPLE_VIDEO, args.reference or SAMPLE_TEXT
    else:
        source, reference_path = FIXTURE_WAV, args.reference or FIXTURE_TEXT
    reference = (
        reference_text(reference_path)
        if reference_path is not None and reference_path.exists()
        else None
    )

    def whisper(beam: int, model: str = "base") -> FasterWhisperTranscriber:
        return FasterWhisperTranscriber(
            model,
            data_dir=args.data_dir,
            beam_size=beam,
            chunk_seconds=args.chunk_seconds,
            cpu_threads=args.threads,
            local_files_only=True,  # a benchmark never downloads
        )

    # The default configuration exactly as workers and the eval harness build it.
    default = build_transcriber(Settings(data_dir=args.data_dir, whisper_threads=args.threads))
    runs: list[tuple[str, Callable[[], Transcriber], str]] = [
        ("whisper base, beam 5 (default)", lambda: default, ""),
    ]
    if not args.skip_beam1:
        runs.append(("whisper base, beam 1", lambda: whisper(1), ""))
    for model in args.model:
        runs.append((f"whisper {model}, beam 5", partial(whisper, 5, model), ""))

    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "audio.wav"
        t0 = time.perf_counter()
        asyncio.run(extract_audio(source, wav))
        extract_s = time.perf_counter() - t0
        for label, build, note in runs:
            print(f"... {label}", flush=True)
            results.append(measure(label, build(), wav, reference, note))
        if not args.skip_openai:
            print("... openai-compatible (local replay)", flush=True)
            with replay_endpoint() as url:
                replayed = OpenAICompatibleTranscriber(url, api_key="bench", model="whisper-1")
                result = measure("openai-compatible, local replay", replayed, wav, None)
                result.note = "WER n/a: recorded answer; RTF = client cost only"
                results.append(result)

    shown = source.relative_to(ROOT) if source.is_relative_to(ROOT) else source
    print()
    print(f"input {shown} ({results[0].audio_s:.1f} s audio, extracted in {extract_s:.2f} s)")
    print(f"reference {reference_path.name if reference is not None and reference_path else '-'}")
    print(f"threads {args.threads or 'all cores'}")
    header = (
        f"{'configuration':34} {'engine':18} {'model':10} {'load s':>7} {'wall s':>7} "
        f"{'RTF':>6} {'WER':>6} {'words':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        wer = f"{r.wer:.3f}" if r.wer is not None else "n/a"
        print(
            f"{r.label:34} {r.engine:18} {r.model:10} {r.load_s:7.2f} {r.wall_s:7.2f} "
            f"{r.rtf:6.3f} {wer:>6} {r.words:6d}  {r.note}"
        )


if __name__ == "__main__":
    main()
