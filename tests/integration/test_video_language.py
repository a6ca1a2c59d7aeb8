"""The spoken language a user chooses for a video: validated at submission, used by the
transcription stage, shown on the video."""

from __future__ import annotations

import pytest

from clipforge.db.tables import Video
from clipforge.pipeline.transcribe import TranscribeStage
from tests.integration.test_asr import ScriptedEngine, no_progress, stored_video


@pytest.mark.parametrize(("given", "stored"), [("German", "de"), ("de-AT", "de"), ("auto", None)])
async def test_an_upload_takes_a_language(client, given, stored):
    up = await client.post(
        "/v1/videos", params={"language": given}, files={"file": ("a.mp4", b"\x00" * 100)}
    )
    assert up.status_code == 202, up.text
    assert (await client.get(f"/v1/videos/{up.json()['video_id']}")).json()["language"] == stored


async def test_an_unknown_language_is_refused_before_anything_is_stored(client, resources):
    r = await client.post(
        "/v1/videos", params={"language": "Klingon"}, files={"file": ("a.mp4", b"\x00" * 100)}
    )
    assert r.status_code == 400
    assert "Unknown language 'Klingon'" in r.json()["error"]["message"]
    link = await client.post(
        "/v1/videos/import", json={"url": "https://example.com/v.mp4", "language": "xx-yy"}
    )
    assert link.status_code == 400
    assert "Unknown language" in link.json()["error"]["message"]
    with resources.sessions() as session:
        assert session.query(Video).count() == 0


async def test_the_stage_transcribes_in_the_chosen_language(resources):
    video_id = await stored_video(resources)
    with resources.sessions.begin() as session:
        session.get(Video, video_id).language = "fr"
    engine = ScriptedEngine()
    stage = TranscribeStage(resources.sessions, resources.storage, resources.queues, engine)
    await stage.run({"video_id": video_id, "owner_id": None}, no_progress)
    assert engine.languages == ["fr"]
