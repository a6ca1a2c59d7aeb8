"""ASR speed and accuracy on a known sample: audio seconds, wall seconds, RTF and WER.

Run `python -m bench.bench_asr`. Uses samples/sample.mp4 (+ samples/sample.txt) when present,
else the espeak fixture tests/fixtures/speech.wav (+ speech.txt).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from pathlib import Path

from clipforge.asr.transcriber import FasterWhisperTranscriber, wav_duration
from clipforge.domain.text import word_error_rate
from clipforge.media.audio import extract_audio

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_VIDEO = ROOT / "samples" / "sample.mp4"
SAMPLE_TEXT = ROOT / "samples" / "sample.txt"
FIXTURE_WAV = ROOT / "tests" / "fixtures" / "speech.wav"
FIXTURE_TEXT = ROOT / "tests" / "fixtures" / "speech.txt"

logger = logging.getLogger("bench.asr")


def reference_text(path: Path) -> str:
    """The spoken text of a reference file; markdown headings ("## Topic (0-27 s)") are not."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("#"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("input", nargs="?", type=Path, help="media file (default: sample)")
    parser.add_argument("--reference", type=Path, help="reference transcript for WER")
    parser.add_argument("--model", default="base")
    parser.add_argument("--beam-size", type=int, default=5)
    parser.add_argument("--chunk-seconds", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)

    if args.input is not None:
        source, reference = args.input, args.reference
    elif SAMPLE_VIDEO.exists():
        source, reference = SAMPLE_VIDEO, args.reference or SAMPLE_TEXT
    else:
        source, reference = FIXTURE_WAV, args.reference or FIXTURE_TEXT

    transcriber = FasterWhisperTranscriber(
        args.model,
        data_dir=args.data_dir,
        beam_size=args.beam_size,
        chunk_seconds=args.chunk_seconds,
        cpu_threads=args.threads,
    )
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "audio.wav"
        t0 = time.perf_counter()
        asyncio.run(extract_audio(source, wav))
        extract_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        transcriber.load()
        load_s = time.perf_counter() - t0
        audio_s = wav_duration(wav)
        t0 = time.perf_counter()
        transcript = transcriber.transcribe(wav)
        wall_s = time.perf_counter() - t0

    print(f"input          {source.relative_to(ROOT) if source.is_relative_to(ROOT) else source}")
    print(f"model          {args.model} (beam {args.beam_size}, {transcriber.cpu_threads} threads)")
    print(f"audio seconds  {audio_s:.1f}")
    print(f"extract secs   {extract_s:.2f}")
    print(f"load seconds   {load_s:.2f}")
    print(f"wall seconds   {wall_s:.2f}")
    print(f"RTF            {wall_s / audio_s:.3f}" if audio_s else "RTF            n/a")
    print(f"words          {len(transcript.words)}")
    if reference is not None and reference.exists():
        wer = word_error_rate(reference_text(reference), transcript.text)
        print(f"WER            {wer:.3f} (vs {reference.name})")
    else:
        print("WER            n/a (no reference transcript)")


if __name__ == "__main__":
    main()
