"""Adjusting clip edges by words, and the media endpoint the player and library use."""

from __future__ import annotations

import pytest

from clipforge import accounts
from clipforge.domain.keys import original_key, poster_key
from tests.integration.test_accounts import _ready_video_with_export


async def _clip_with_words(resources) -> tuple[str, str]:
    owner = accounts.local_user(resources.sessions).id
    video_id, clip_id, _ = await _ready_video_with_export(resources, owner)
    # Replace the one-word transcript with ten words, 0.5 s apart.
    from clipforge.db.tables import Transcript

    words = [
        {"text": f" w{i}", "start": i * 0.5, "end": i * 0.5 + 0.4, "probability": 0.9}
        for i in range(10)
    ]
    with resources.sessions.begin() as session:
        row = session.query(Transcript).filter_by(video_id=video_id).one()
        row.data = {
            "language": "en",
            "duration": 5.0,
            "segments": [{"text": "w", "start": 0.0, "end": 4.9, "words": words}],
        }
    return video_id, clip_id


async def test_trim_snaps_to_words_and_updates_the_clip(client, resources):
    video_id, clip_id = await _clip_with_words(resources)
    response = await client.patch(f"/v1/clips/{clip_id}", json={"start": 0.95, "end": 3.2})
    assert response.status_code == 200, response.text
    clip = response.json()
    assert clip["text"] == "w2 w3 w4 w5 w6"
    assert clip["start"] == pytest.approx(0.9)  # clear of w1, which ends at 0.9
    assert clip["end"] == pytest.approx(3.5)  # w6 ends 3.4; padding stops at w7 (3.5)
    listed = (await client.get(f"/v1/videos/{video_id}/clips")).json()["items"]
    assert listed[0]["text"] == "w2 w3 w4 w5 w6"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"start": 3.0, "end": 1.0}, 400),
        ({"start": 20.0, "end": 30.0}, 400),
        ({"start": 1.0, "end": 1.3}, 400),
        ({"start": -1, "end": 2}, 422),
        ({"start": "soon", "end": 2}, 422),
    ],
)
async def test_impossible_trims_are_refused_with_a_reason(client, resources, body, status):
    _, clip_id = await _clip_with_words(resources)
    response = await client.patch(f"/v1/clips/{clip_id}", json=body)
    assert response.status_code == status
    assert response.json()["error"]["message"]


async def test_another_users_clip_cannot_be_trimmed(client, resources):
    _, clip_id = await _clip_with_words(resources)
    stranger = accounts.create_user(resources.sessions, "s@example.com")
    key = accounts.create_key(resources.sessions, stranger.id, "k").secret
    response = await client.patch(
        f"/v1/clips/{clip_id}",
        json={"start": 0, "end": 3},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 404


async def test_media_endpoint_serves_source_with_ranges_and_the_poster(client, resources):
    owner = accounts.local_user(resources.sessions).id
    video_id, _, _ = await _ready_video_with_export(resources, owner)
    source = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    await resources.storage.put_bytes(original_key(video_id), source)
    from clipforge.db.tables import Video

    with resources.sessions.begin() as session:
        video = session.get(Video, video_id)
        assert video is not None
        video.original_key, video.width = original_key(video_id), 640

    body = (await client.get(f"/v1/videos/{video_id}")).json()
    assert body["source_url"].endswith(f"/v1/videos/{video_id}/media?kind=source")
    whole = await client.get(f"/v1/videos/{video_id}/media")
    assert whole.status_code == 200 and whole.content == source
    assert whole.headers["content-type"] == "video/mp4"
    part = await client.get(f"/v1/videos/{video_id}/media", headers={"Range": "bytes=4-11"})
    assert part.status_code == 206 and part.content == source[4:12]

    assert (await client.get(f"/v1/videos/{video_id}/media?kind=poster")).status_code == 404
    await resources.storage.put_bytes(poster_key(video_id), b"\xff\xd8\xff poster")
    poster = await client.get(f"/v1/videos/{video_id}/media?kind=poster")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
