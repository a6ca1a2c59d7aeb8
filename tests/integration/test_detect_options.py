"""User controls over detection (duration range, count, keywords, search range) through the
API and the stage, and re-detection that keeps exported clips."""

from __future__ import annotations

import uuid

from clipforge import accounts
from clipforge.db.tables import Clip, Export, Transcript, Video
from clipforge.pipeline.detect import DetectStage

_TOPICS = [
    "Why do most startups fail? Because founders build before they listen. "
    "We interviewed ninety founders and the pattern was clear. "
    "The ones who survived talked to customers every single week. "
    "So the lesson is simple: listen first, then build.",
    "Here is the secret to sleeping better. Stop looking at your phone an hour before bed. "
    "Blue light delays melatonin by about forty minutes. "
    "In our study, people fell asleep twice as fast. That one habit changed everything.",
    "Most people think bread needs hours of kneading. Actually, time does the work for you. "
    "Mix flour, water, salt and yeast, then wait eighteen hours. "
    "The gluten develops on its own. The result is the best loaf you have ever baked.",
    "The biggest mistake new runners make is running too fast. "
    "Eighty percent of your runs should feel easy, like you could hold a conversation. "
    "Elite marathoners train this way. Slow down and you will get faster.",
]


def _transcript(repeat: int = 2) -> dict[str, object]:
    """Sentences with word timings: 0.35 s a word, 0.8 s between topics."""
    segments = []
    t = 0.0
    for _ in range(repeat):
        for topic in _TOPICS:
            for sentence in topic.split(". "):
                text = sentence if sentence.endswith(("?", ".", ":")) else sentence + "."
                words = []
                start = t
                for token in text.split():
                    words.append(
                        {"text": " " + token, "start": t, "end": t + 0.3, "probability": 0.9}
                    )
                    t += 0.35
                segments.append({"text": text, "start": start, "end": t, "words": words})
                t += 0.3
            t += 0.8
    return {"language": "en", "duration": t + 1, "segments": segments}


def _ready_video(resources, owner_id: str, options: dict[str, object] | None = None) -> str:
    video_id = uuid.uuid4().hex
    data = _transcript()
    with resources.sessions.begin() as session:
        session.add(
            Video(
                id=video_id,
                owner_id=owner_id,
                status="ready",
                source_kind="upload",
                source="talk.mp4",
                title="talk.mp4",
                detect_options=options,
            )
        )
        session.flush()
        session.add(
            Transcript(
                video_id=video_id,
                language="en",
                duration=float(data["duration"]),  # type: ignore[arg-type]
                engine="faster-whisper",
                model="base",
                word_count=100,
                data=data,
            )
        )
    return video_id


async def _noop(_: float) -> None:
    return None


def _clips(resources, video_id: str) -> list[Clip]:
    with resources.sessions() as session:
        return list(session.query(Clip).filter_by(video_id=video_id).order_by(Clip.rank))


async def test_stage_honours_count_range_and_search_window(resources):
    owner = accounts.local_user(resources.sessions).id
    options = {"count": 2, "min_seconds": 8, "max_seconds": 25, "search_start": 60.0}
    video_id = _ready_video(resources, owner, options)
    await DetectStage(resources.settings, resources.sessions).run({"video_id": video_id}, _noop)
    clips = _clips(resources, video_id)
    assert 1 <= len(clips) <= 2
    for clip in clips:
        assert clip.start >= 60.0 - 0.5
        assert 8 - 0.6 <= clip.end - clip.start <= 25 + 0.6
        assert clip.title and len(clip.title) <= 60
        assert 3 <= len(clip.hashtags or []) <= 5
        assert all(tag.startswith("#") for tag in clip.hashtags or [])


async def test_keywords_pull_matching_clips_to_the_top(resources):
    owner = accounts.local_user(resources.sessions).id
    video_id = _ready_video(resources, owner, {"count": 3, "keywords": ["bread", "flour"]})
    await DetectStage(resources.settings, resources.sessions).run({"video_id": video_id}, _noop)
    clips = _clips(resources, video_id)
    assert "bread" in clips[0].text.lower() or "flour" in clips[0].text.lower()


async def test_upload_takes_options_from_the_query_and_refuses_bad_ones(client, resources):
    ok = await client.post(
        "/v1/videos?count=3&min_seconds=10&max_seconds=30&keywords=sleep&keywords=bread",
        files={"file": ("a.mp4", b"\x00" * 1000, "video/mp4")},
    )
    assert ok.status_code == 202, ok.text
    video = (await client.get(f"/v1/videos/{ok.json()['video_id']}")).json()
    assert video["detect_options"]["count"] == 3
    assert video["detect_options"]["keywords"] == ["sleep", "bread"]

    bad = await client.post(
        "/v1/videos?min_seconds=40&max_seconds=20",
        files={"file": ("a.mp4", b"\x00" * 1000, "video/mp4")},
    )
    assert bad.status_code == 400
    assert "min_seconds" in bad.json()["error"]["message"]
    narrow = await client.post(
        "/v1/videos/import",
        json={"url": "https://example.com/v.mp4", "detect": {"search_start": 10, "search_end": 12}},
    )
    assert narrow.status_code == 400
    assert "search range" in narrow.json()["error"]["message"]
    too_many = await client.post(
        "/v1/videos/import", json={"url": "https://example.com/v.mp4", "detect": {"count": 999}}
    )
    assert too_many.status_code == 422


async def test_clips_list_carries_title_description_and_hashtags(client, resources):
    owner = accounts.local_user(resources.sessions).id
    video_id = _ready_video(resources, owner, {"count": 2})
    await DetectStage(resources.settings, resources.sessions).run({"video_id": video_id}, _noop)
    items = (await client.get(f"/v1/videos/{video_id}/clips")).json()["items"]
    assert items
    for item in items:
        assert item["title"] and item["description"]
        assert 3 <= len(item["hashtags"]) <= 5


async def test_redetect_replaces_clips_but_keeps_exported_ones(client, resources):
    owner = accounts.local_user(resources.sessions).id
    video_id = _ready_video(resources, owner, {"count": 1})
    stage = DetectStage(resources.settings, resources.sessions)
    await stage.run({"video_id": video_id}, _noop)
    before = _clips(resources, video_id)
    exported = before[0]
    with resources.sessions.begin() as session:
        session.add(
            Export(
                id=uuid.uuid4().hex,
                clip_id=exported.id,
                owner_id=owner,
                aspect_ratio="9:16",
                caption_style="karaoke",
                status="ready",
            )
        )

    response = await client.post(f"/v1/videos/{video_id}/detect", json={"count": 4})
    assert response.status_code == 202, response.text
    assert (await client.get(f"/v1/videos/{video_id}")).json()["status"] == "queued"
    # The queued job carries `replace`; run the stage as the worker would.
    await stage.run({"video_id": video_id, "replace": True}, _noop)
    after = _clips(resources, video_id)
    assert exported.id in {c.id for c in after}
    assert [c.rank for c in after] == list(range(1, len(after) + 1))
    assert len(after) > len(before)
    kept = next(c for c in after if c.id == exported.id)
    others = [c for c in after if c.id != exported.id]
    assert all(c.end <= kept.start or c.start >= kept.end for c in others)
    with resources.sessions() as session:
        assert session.get(Video, video_id).status == "ready"


async def test_redetect_refuses_a_video_that_is_not_ready_or_not_yours(client, resources):
    owner = accounts.local_user(resources.sessions).id
    video_id = _ready_video(resources, owner)
    with resources.sessions.begin() as session:
        session.get(Video, video_id).status = "transcribing"
    busy = await client.post(f"/v1/videos/{video_id}/detect", json={})
    assert busy.status_code == 400
    stranger = accounts.create_user(resources.sessions, "other@example.com")
    key = accounts.create_key(resources.sessions, stranger.id, "k").secret
    theirs = await client.post(
        f"/v1/videos/{video_id}/detect", json={}, headers={"Authorization": f"Bearer {key}"}
    )
    assert theirs.status_code == 404
