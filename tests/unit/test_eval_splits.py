"""The held-out split: its episodes are complete and apart from the dev ones, and the harness
reports every split on its own."""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

import pytest

from eval import run
from eval.episodes import (
    EPISODES_DIR,
    Episode,
    Span,
    episode_number,
    episode_paths,
    load_episode,
    load_episodes,
    load_labels,
)
from eval.render import select
from eval.run import ALL, Case, Detector, evaluate_groups, group_cases, interleave, load_cases

EPISODES = load_episodes()
HELDOUT = [e for e in EPISODES if e.split == "heldout"]
DEV = [e for e in EPISODES if e.split == "dev"]


def _grams(text: str, n: int = 8) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z']+", text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def test_the_heldout_split_has_two_episodes_of_each_format_on_new_topics() -> None:
    # Held-out episodes come in rounds of six: two interviews, two solo talks, two panels.
    assert HELDOUT and len(HELDOUT) % 6 == 0
    rounds = len(HELDOUT) // 6
    formats = sorted(e.format for e in HELDOUT)
    assert formats == ["interview"] * 2 * rounds + ["panel"] * 2 * rounds + ["solo"] * 2 * rounds
    assert not {e.topic for e in HELDOUT} & {e.topic for e in DEV}
    # The split of an existing episode never changes silently: each round of six was held out
    # until it was read once and then became dev (15-20 up to 153-158); 159-164 are held out
    # now, not yet read.
    assert [episode_number(e.slug) for e in DEV] == list(range(1, 159))
    assert [episode_number(e.slug) for e in HELDOUT] == list(range(159, 165))


@pytest.mark.parametrize("episode", HELDOUT, ids=lambda e: e.slug)
def test_a_heldout_episode_is_sized_like_a_real_show(episode: Episode) -> None:
    labels = load_labels(episode.slug)
    speech = sum(p.end - p.start for p in labels.parts)
    assert 300 <= speech <= 420  # 5-7 minutes of speech
    assert 5 <= len(labels.highlights) <= 7
    for h in labels.highlights:
        assert 25 <= h.duration <= 35
    # Filler between every two highlights and about half the speech, not a highlight reel.
    kinds = [p.kind for p in labels.parts]
    assert ("highlight", "highlight") not in itertools.pairwise(kinds)
    assert sum(h.duration for h in labels.highlights) <= 0.55 * speech
    # Some filler turns are as long as highlights, so that turn length alone cannot find them
    # (in the dev episodes the five longest turns are nearly always the highlights).
    filler = sorted((p.end - p.start for p in labels.parts if p.kind == "filler"), reverse=True)
    assert filler[1] >= 25
    assert filler[0] > min(h.duration for h in labels.highlights)


@pytest.mark.parametrize("episode", HELDOUT, ids=lambda e: e.slug)
def test_a_heldout_script_shares_no_phrase_with_the_dev_scripts(episode: Episode) -> None:
    dev = set().union(*(_grams(e.script) for e in DEV))
    assert not _grams(episode.script) & dev


def test_every_heldout_episode_has_a_current_transcript() -> None:
    cases = load_cases(split="heldout")
    assert [c.labels.slug for c in cases] == [e.slug for e in HELDOUT]
    assert {c.split for c in cases} == {"heldout"}


def test_an_unknown_split_is_rejected_and_a_missing_one_is_dev(tmp_path) -> None:
    data = json.loads((EPISODES_DIR / f"{HELDOUT[0].slug}.json").read_text(encoding="utf-8"))
    del data["split"]
    path = tmp_path / "99_x.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert load_episode(path).split == "dev"
    data["split"] = "test"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="unknown split"):
        load_episode(path)


def test_episodes_are_ordered_by_number_past_99(tmp_path) -> None:
    for stem in ("100_late", "99_early", "07_first", "notes"):
        (tmp_path / f"{stem}.json").write_text("{}", encoding="utf-8")
    assert [p.stem for p in episode_paths(tmp_path)] == ["07_first", "99_early", "100_late"]
    assert [episode_number(s) for s in ("07_first", "100_late")] == [7, 100]
    with pytest.raises(ValueError, match="not an episode slug"):
        episode_number("notes")


def test_render_selects_by_split_and_prefix() -> None:
    assert select(EPISODES, [], "heldout") == HELDOUT
    # Whole slugs as prefixes: "10" alone would also select 100-109.
    assert select(EPISODES, [DEV[0].slug, HELDOUT[0].slug], "dev") == [DEV[0]]
    assert select(EPISODES, [], None) == EPISODES


# --- the harness -------------------------------------------------------------------------

SLUGS = ["02_night_sky", HELDOUT[0].slug]


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return load_cases(slugs=SLUGS)


def test_cases_are_grouped_by_split_then_all(cases: list[Case]) -> None:
    groups = group_cases(cases)
    assert list(groups) == ["dev", "heldout", ALL]
    assert [c.labels.slug for c in groups["heldout"]] == [HELDOUT[0].slug]
    assert groups[ALL] == cases
    dev_only = group_cases(cases[:1])
    assert list(dev_only) == ["dev", ALL]


def test_interleaving_takes_the_splits_in_turn(cases: list[Case]) -> None:
    dev, heldout = cases
    groups = {"dev": [dev, dev, dev], "heldout": [heldout], ALL: [dev, dev, dev, heldout]}
    assert interleave(groups) == [dev, heldout, dev, dev]


def test_each_split_is_summarised_from_its_own_episodes(monkeypatch, cases: list[Case]) -> None:
    """A detector that finds the held-out highlights and only filler in the dev episode."""
    by_duration = {c.transcript.duration: c for c in cases}

    def half_oracle(transcript: Any, count: int) -> list[Span]:
        case = by_duration.get(transcript.duration)
        if case is None:  # a joined hour: propose nothing
            return []
        if case.split == "heldout":
            return case.labels.highlights[:count]
        return [Span(p.start, p.end) for p in case.labels.parts if p.kind == "filler"][:count]

    monkeypatch.setattr(run, "available_detectors", lambda: [Detector("half", half_oracle)])
    monkeypatch.setattr(run, "chance_summary", lambda *a, **k: {"precision_at_5": 0.5})
    report = evaluate_groups(group_cases(cases), count=8)
    splits = report["splits"]
    assert list(splits) == ["dev", "heldout", ALL]
    assert splits["heldout"]["summaries"]["half"]["precision_at_5"] == 1.0
    assert splits["dev"]["summaries"]["half"]["precision_at_5"] == 0.0
    assert splits[ALL]["summaries"]["half"]["precision_at_5"] == 0.5
    assert splits["heldout"]["episodes"] == 1
    assert "honest" in splits["heldout"]["note"]
    assert [e["split"] for e in report["detectors"]["half"]["episodes"]] == ["dev", "heldout"]
    assert report["detectors"]["half"]["summary"] == splits[ALL]["summaries"]["half"]


def test_transcribe_selects_by_split(monkeypatch, tmp_path) -> None:
    """Only uncached, rendered episodes of the split are transcribed (no recogniser runs)."""
    from types import SimpleNamespace

    from eval import transcribe

    for e in EPISODES:
        (tmp_path / f"{e.slug}.wav").write_bytes(b"")
    done: list[str] = []

    def fake(slug: str, settings: Any) -> Any:
        done.append(slug)
        return SimpleNamespace(extra={"eval": {"transcribe_seconds": 1.0, "rtf": 0.1}})

    monkeypatch.setattr(transcribe, "MEDIA_DIR", tmp_path)
    monkeypatch.setattr(transcribe, "transcript_path", lambda slug, engine: tmp_path / slug)
    monkeypatch.setattr(transcribe, "transcribe_episode", fake)
    assert transcribe.main(["--split", "heldout"]) == 0
    assert done == [e.slug for e in HELDOUT]
