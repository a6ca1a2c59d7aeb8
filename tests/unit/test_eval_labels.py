"""The evaluation set's committed labels agree with its episode scripts, and rendering is exact."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from eval.episodes import LABELS_DIR, Episode, load_episodes, load_labels, split_sentences
from eval.render import render_episode, resample, trim_silence

EPISODES = load_episodes()


def test_the_set_is_large_and_varied_enough() -> None:
    assert len(EPISODES) >= 12
    assert len({e.topic for e in EPISODES}) >= 8
    assert {e.format for e in EPISODES} >= {"interview", "solo", "panel"}
    voices = {v.voice for e in EPISODES for v in e.speakers.values()}
    assert len(voices) >= 4
    for e in EPISODES:
        assert len(e.highlights) >= 5, e.slug
        for v in e.speakers.values():
            assert 150 <= v.speed <= 185, e.slug


@pytest.mark.parametrize("episode", EPISODES, ids=lambda e: e.slug)
def test_labels_follow_the_script(episode: Episode) -> None:
    labels = load_labels(episode.slug)
    assert labels.slug == episode.slug
    assert [(p.kind, p.speaker) for p in labels.parts] == [
        (p.kind, p.speaker) for p in episode.parts
    ]
    assert [p.text for p in labels.parts] == [" ".join(p.text.split()) for p in episode.parts]
    committed = json.loads((LABELS_DIR / f"{episode.slug}.json").read_text(encoding="utf-8"))
    assert committed["script"] == labels.script
    previous_end = 0.0
    for part, scripted in zip(labels.parts, episode.parts, strict=True):
        assert len(part.sentences) == len(scripted.sentences)
        assert part.start == part.sentences[0].start
        assert part.end == part.sentences[-1].end
        for sentence in part.sentences:
            assert previous_end < sentence.start < sentence.end  # ordered, never overlapping
            previous_end = sentence.end
    assert previous_end < labels.duration
    assert 180 <= labels.duration <= 600  # 3-10 minutes
    for h in labels.highlights:
        assert 20 <= h.duration <= 45


def test_sentences_split_at_terminal_punctuation_only() -> None:
    text = "It cost $19.99 a month. Why? Because we were scared!  Then, it changed."
    assert split_sentences(text) == [
        "It cost $19.99 a month.",
        "Why?",
        "Because we were scared!",
        "Then, it changed.",
    ]


def test_resample_length_is_exact_and_keeps_a_tone() -> None:
    rate, target = 22050, 16000
    t = np.arange(rate) / rate
    tone = (10000 * np.sin(2 * np.pi * 440 * t)).astype(np.int16)
    out = resample(tone, rate, target)
    assert len(out) == target
    spectrum = np.abs(np.fft.rfft(out.astype(np.float64)))
    assert int(np.argmax(spectrum)) == 440  # 1 Hz bins over one second


def test_trim_silence_keeps_a_small_margin() -> None:
    pcm = np.zeros(16000, dtype=np.int16)
    pcm[8000:8100] = 5000
    trimmed = trim_silence(pcm)
    assert len(trimmed) == 100 + 2 * 320
    assert len(trim_silence(np.zeros(100, dtype=np.int16))) == 0


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_rendering_reproduces_the_committed_labels() -> None:
    episode = min(EPISODES, key=lambda e: sum(len(p.text) for p in e.parts))
    assert render_episode(episode).labels == load_labels(episode.slug)
