"""The evaluation harness end to end on committed transcripts, with the baseline detector."""

from __future__ import annotations

import itertools

import pytest

from eval.episodes import Episode, Span
from eval.run import (
    Case,
    Detector,
    baseline_detector,
    evaluate_detection,
    evaluate_long,
    join_cases,
    load_cases,
    summarise,
)

SLUGS = ["01_pricing_mistake", "02_night_sky"]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    found = load_cases(slugs=SLUGS)
    assert [c.labels.slug for c in found] == SLUGS
    return found


def test_baseline_detector_is_scored_on_committed_transcripts(cases: list[Case]) -> None:
    scores = evaluate_detection(baseline_detector(), cases, count=8)
    assert [s.episode for s in scores] == SLUGS
    for s in scores:
        assert 1 <= s.clips <= 8
        assert 0.0 <= s.precision_at_5 <= 1.0
        assert s.matched == round(s.recall * s.highlights)
        assert s.mid_sentence is not None and 0.0 <= s.mid_sentence <= 1.0
    summary = summarise(scores)
    assert set(summary) >= {"precision_at_5", "recall", "start_error", "mid_sentence"}


def test_a_detector_that_returns_the_labels_scores_perfectly(cases: list[Case]) -> None:
    by_duration = {c.transcript.duration: c for c in cases}

    def oracle(transcript, count):
        return by_duration[transcript.duration].labels.highlights[:count]

    scores = evaluate_detection(Detector("oracle", oracle), cases, count=8)
    summary = summarise(scores)
    assert summary["precision_at_5"] == 1.0
    assert summary["recall"] == 1.0
    assert summary["start_error"] == 0.0
    assert summary["end_error"] == 0.0


def test_a_detector_that_proposes_filler_scores_zero(cases: list[Case]) -> None:
    by_duration = {c.transcript.duration: c for c in cases}

    def filler(transcript, count):
        labels = by_duration[transcript.duration].labels
        return [Span(p.start, p.end) for p in labels.parts if p.kind == "filler"][:count]

    summary = summarise(evaluate_detection(Detector("filler", filler), cases, count=8))
    assert summary["precision_at_5"] == 0.0
    assert summary["recall"] == 0.0
    assert summary["start_error"] is None


def test_joined_cases_shift_words_and_labels_together(cases: list[Case]) -> None:
    joined = join_cases(cases, minutes=10)
    first, second = cases
    offset = first.transcript.duration
    assert joined.transcript.duration >= 600
    assert len(joined.labels.highlights) >= 10
    # The second episode's first highlight moved by exactly the first episode's length.
    shifted = joined.labels.highlights[len(first.labels.highlights)]
    assert shifted.start == pytest.approx(second.labels.highlights[0].start + offset)
    words = joined.transcript.words
    assert all(a.start <= b.start for a, b in itertools.pairwise(words))
    long = evaluate_long(baseline_detector(), joined, count=10)
    assert long.count == 10
    assert 0.0 <= long.precision <= 1.0


def test_a_missing_new_detector_leaves_the_baseline(monkeypatch, capsys) -> None:
    import sys

    from eval import run

    monkeypatch.setitem(sys.modules, "clipforge.detection", None)  # import now fails
    assert [d.name for d in run.available_detectors()] == ["heuristic"]
    assert "new detector not available" in capsys.readouterr().out


def test_retranscription_covers_base_the_configured_engine_and_extra_models(monkeypatch) -> None:
    from eval.run import engine_settings
    from eval.transcribe import engine_label

    monkeypatch.delenv("CLIPFORGE_WHISPER_MODEL", raising=False)
    monkeypatch.setenv("CLIPFORGE_TRANSCRIBER_ENGINE", "openai")
    labels = [engine_label(s) for s in engine_settings(["small", "base"])]
    assert labels == ["base", "openai-whisper-1", "small"]
    monkeypatch.setenv("CLIPFORGE_TRANSCRIBER_ENGINE", "whisper")
    assert [engine_label(s) for s in engine_settings([])] == ["base"]


def test_a_transcript_from_an_older_rendering_is_skipped(monkeypatch, capsys) -> None:
    from dataclasses import replace

    from eval import run

    real = run.load_transcript

    def stale(slug, engine="base"):
        t = real(slug, engine)
        return replace(t, duration=t.duration + 5.0) if t is not None else None

    monkeypatch.setattr(run, "load_transcript", stale)
    assert run.load_cases(slugs=SLUGS) == []
    assert "transcript is stale" in capsys.readouterr().out


def _episode(slug: str, split: str) -> Episode:
    return Episode.from_dict(
        slug,
        {
            "title": slug,
            "format": "solo",
            "topic": "test",
            "seed": 1,
            "split": split,
            "speakers": {"host": {"voice": "en", "speed": 160, "colour": "#000000"}},
            "parts": [{"kind": "highlight", "speaker": "host", "text": "One line."}],
        },
    )


EPISODES = [
    _episode("01_a", "dev"),
    _episode("15_b", "heldout"),
    _episode("20_c", "dev"),
    _episode("21_d", "heldout"),
]


def test_episodes_are_selected_by_slug_prefix_and_split() -> None:
    from eval.run import selected

    def slugs(found: list[Episode]) -> list[str]:
        return [e.slug for e in found]

    assert slugs(selected(EPISODES)) == ["01_a", "15_b", "20_c", "21_d"]
    assert slugs(selected(EPISODES, split="dev")) == ["01_a", "20_c"]
    assert slugs(selected(EPISODES, ["0", "1", "20"])) == ["01_a", "15_b", "20_c"]
    assert slugs(selected(EPISODES, ["0", "1", "20"], "heldout")) == ["15_b"]
    assert selected(EPISODES, ["9"]) == []


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--split", "dev"], ["01_a", "20_c"]),
        (["0", "1", "20"], ["01_a", "15_b", "20_c"]),
        (["--split", "heldout", "1"], ["15_b"]),
    ],
)
def test_the_run_reads_only_the_selected_episodes(monkeypatch, capsys, argv, expected) -> None:
    from eval import run

    read: list[str] = []

    def transcript(slug, engine="base"):
        read.append(slug)
        return None  # no transcript: the run stops before scoring anything

    monkeypatch.setattr(run, "load_episodes", lambda: list(EPISODES))
    monkeypatch.setattr(run, "load_transcript", transcript)
    monkeypatch.setattr(run, "load_labels", lambda slug: pytest.fail(f"read labels of {slug}"))
    assert run.main(argv) == 1
    assert read == expected
    assert "21_d" not in capsys.readouterr().out


def test_an_empty_selection_is_an_error(monkeypatch, capsys) -> None:
    from eval import run

    monkeypatch.setattr(run, "load_episodes", lambda: list(EPISODES))
    assert run.main(["--split", "dev", "15"]) == 1
    assert "no episodes match" in capsys.readouterr().out


def test_recognition_figures_cover_only_the_selected_episodes(monkeypatch, tmp_path) -> None:
    from eval import run

    for slug in ("01_a", "21_d"):
        (tmp_path / f"{slug}.base.json").write_text("{}")
    read: list[str] = []

    def transcript(slug, engine="base"):
        read.append(slug)
        return None

    monkeypatch.setattr(run, "load_transcript", transcript)
    assert run.asr_scores(tmp_path, episodes=EPISODES[:1]) == []
    assert read == ["01_a"]
