"""Transcribe rendered episodes with the project's own transcriber and cache the results.

Transcripts are `Transcript.to_dict()` JSON in `eval/transcripts/<slug>.<engine>.json`; the
bundled Whisper base ones ("base") are committed so detection can be evaluated without media.
`extra.eval` records how long recognition took, for the real-time factor.

    python -m eval.transcribe              # every rendered episode lacking a base transcript
    python -m eval.transcribe 03 --force   # redo episode 03
    python -m eval.transcribe --split heldout  # only the held-out episodes
    python -m eval.transcribe --tracks     # add audio tracks a cached transcript lacks
    python -m eval.transcribe --refill     # recognise again what the first pass skipped

`--tracks` stores what a newer transcription stage keeps beside the words (the pitch track)
on cached transcripts, from the rendered WAV, without recognising the speech again.
`--refill` brings cached transcripts up to a newer stage's second look at the stretches
the recogniser skipped (clipforge/asr/refill.py): only those stretches are recognised, the
rest of the words stay as they were.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from clipforge.asr.cleanup import Silence
from clipforge.asr.postprocess import finish_transcript, with_audio_tracks
from clipforge.asr.refill import MIN_GAP_SECONDS, refill
from clipforge.asr.transcriber import FasterWhisperTranscriber, build_transcriber, wav_duration
from clipforge.config import Settings
from clipforge.domain.transcript import Transcript
from eval.episodes import MEDIA_DIR, SPLITS, TRANSCRIPTS_DIR, load_episodes
from eval.metrics import real_time_factor

DEFAULT_ENGINE = "base"


def engine_label(settings: Settings) -> str:
    """A file-name-safe name for the engine the settings select ("base" for the bundled one)."""
    if settings.transcriber_engine != "whisper":
        name = f"{settings.transcriber_engine}-{settings.asr_api_model}"
    else:
        name = Path(settings.whisper_model).name or settings.whisper_model
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def transcript_path(slug: str, engine: str, directory: Path = TRANSCRIPTS_DIR) -> Path:
    return directory / f"{slug}.{engine}.json"


def load_transcript(slug: str, engine: str = DEFAULT_ENGINE) -> Transcript | None:
    path = transcript_path(slug, engine)
    if not path.is_file():
        return None
    return Transcript.from_dict(json.loads(path.read_text(encoding="utf-8")))


def rendered_wav(slug: str) -> Path:
    """The episode's rendered WAV, or an error that says how to render it."""
    wav = MEDIA_DIR / f"{slug}.wav"
    if not wav.is_file():
        number = slug.split("_")[0]
        raise FileNotFoundError(f"{wav} is missing: run `python -m eval.render {number}` first")
    return wav


def transcribe_episode(slug: str, settings: Settings) -> Transcript:
    """Recognise the episode's rendered WAV and write the cache file; returns the transcript."""
    wav = rendered_wav(slug)
    transcriber = build_transcriber(settings)
    started = time.perf_counter()
    transcript = transcriber.transcribe(wav)
    elapsed = time.perf_counter() - started
    audio = wav_duration(wav)
    extra = dict(transcript.extra)
    extra["eval"] = {
        "engine": engine_label(settings),
        "transcribe_seconds": round(elapsed, 2),
        "audio_seconds": round(audio, 3),
        "rtf": round(real_time_factor(elapsed, audio), 4) if audio else None,
    }
    transcript = replace(transcript, extra=extra)
    store_transcript(slug, engine_label(settings), transcript)
    return transcript


def store_transcript(slug: str, engine: str, transcript: Transcript) -> None:
    """Write the cache file of the episode's transcript by this engine."""
    path = transcript_path(slug, engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(transcript.to_dict(), indent=None) + "\n", encoding="utf-8")


def cached_transcript(slug: str, engine: str) -> Transcript:
    """The episode's cached transcript by this engine, or an error that says to make it."""
    cached = load_transcript(slug, engine)
    if cached is None:
        raise FileNotFoundError(f"{slug} has no {engine} transcript: transcribe it first")
    return cached


def add_tracks(slug: str, engine: str) -> bool:
    """Store the audio tracks the cached transcript lacks; False when it had them all."""
    cached = cached_transcript(slug, engine)
    wav = rendered_wav(slug)
    finished = with_audio_tracks(cached, wav)
    if finished is cached:
        return False
    store_transcript(slug, engine, finished)
    return True


def refill_cached(slug: str, engine: str, transcriber: FasterWhisperTranscriber) -> int | None:
    """Recognise again the stretches the cached transcript's first pass skipped; the number
    of words found, or None when it has had this second look already."""
    cached = cached_transcript(slug, engine)
    # Looked at before, unless it holds a word run over a stretch, which the second look
    # came to cover later.
    if "refilled" in cached.extra and not any(
        w.end - w.start >= MIN_GAP_SECONDS for w in cached.words
    ):
        return None
    wav = rendered_wav(slug)
    loudness = cached.extra["loudness"]
    silence = Silence.from_track(loudness)
    filled = refill(cached, wav, silence, transcriber.recogniser(cached.language))
    finished = finish_transcript(filled, wav, loudness=loudness)
    # Marked as looked at even where nothing was skipped, so that a second run passes it by.
    extra = dict(finished.extra)
    extra.setdefault("refilled", [])
    finished = replace(finished, extra=extra)
    store_transcript(slug, engine, finished)
    return len(finished.words) - len(cached.words)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.transcribe", description=__doc__)
    parser.add_argument("episodes", nargs="*", help="slug prefixes (default: all)")
    parser.add_argument("--force", action="store_true", help="redo cached transcripts")
    parser.add_argument("--split", choices=SPLITS, help="only episodes of this split")
    parser.add_argument(
        "--tracks", action="store_true", help="only add missing audio tracks to cached transcripts"
    )
    parser.add_argument(
        "--refill",
        action="store_true",
        help="recognise again the stretches cached transcripts skipped",
    )
    args = parser.parse_args(argv)
    settings = Settings()
    engine = engine_label(settings)
    local = build_transcriber(settings) if args.refill else None
    if args.refill and not isinstance(local, FasterWhisperTranscriber):
        print("--refill needs the local faster-whisper engine", file=sys.stderr)
        return 2
    for episode in load_episodes():
        slug = episode.slug
        if args.split is not None and episode.split != args.split:
            continue
        if args.episodes and not any(slug.startswith(p) for p in args.episodes):
            continue
        cached_only = args.tracks or args.refill
        if not cached_only and not args.force and transcript_path(slug, engine).is_file():
            continue
        if not (MEDIA_DIR / f"{slug}.wav").is_file():
            print(f"{slug}: not rendered, skipped", flush=True)
            continue
        if args.tracks:
            if transcript_path(slug, engine).is_file():
                added = add_tracks(slug, engine)
                print(f"{slug}: {'tracks added' if added else 'complete'}", flush=True)
            continue
        if isinstance(local, FasterWhisperTranscriber):
            if transcript_path(slug, engine).is_file():
                found = refill_cached(slug, engine, local)
                print(f"{slug}: {'done before' if found is None else f'{found:+d} words'}")
            continue
        t = transcribe_episode(slug, settings)
        info = t.extra["eval"]
        print(f"{slug}: {engine} {info['transcribe_seconds']}s, rtf {info['rtf']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
