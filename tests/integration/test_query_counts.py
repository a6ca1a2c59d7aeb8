"""List routes cost a fixed number of SQL statements, however many rows they show (no N+1)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import Engine, select

from clipforge import accounts
from clipforge.api.app import create_app
from clipforge.api.key_cache import KeyCache
from clipforge.db import repository
from clipforge.db.tables import Clip, Export, ExportBatch, Video
from tests.conftest import asgi_client
from tests.support.statements import counting

pytestmark = pytest.mark.asyncio(loop_scope="session")

SMALL, LARGE = 2, 12


@pytest.fixture
async def api(resources):
    """A client signed in with an API key, and the key already looked up.

    The key cache holds it for an hour here, so auth adds no statement to any request and the
    counts below are the route's own, whatever the clock does.
    """
    user = accounts.create_user(resources.sessions, "lists@example.com")
    secret = accounts.create_key(resources.sessions, user.id, "t").secret
    app = create_app(resources=resources)
    app.state.key_cache = KeyCache(ttl_seconds=3600)
    async with asgi_client(app, headers={"Authorization": f"Bearer {secret}"}) as client:
        assert (await client.get("/v1/videos")).status_code == 200  # warms the key cache
        yield client, user.id


def _video(resources, owner_id: str) -> str:
    video_id = uuid.uuid4().hex
    with resources.sessions.begin() as session:
        session.add(
            Video(
                id=video_id,
                owner_id=owner_id,
                status="ready",
                source_kind="upload",
                source="a.mp4",
                title="a.mp4",
                original_key=f"videos/{video_id}/original",
                width=640,
                height=360,
            )
        )
    return video_id


def _clips_with_exports(resources, owner_id: str, video_id: str, n: int) -> list[str]:
    """`n` clips, each with two exports (one in a batch); returns the batch's id."""
    batch_id = uuid.uuid4().hex
    with resources.sessions.begin() as session:
        session.add(ExportBatch(id=batch_id, owner_id=owner_id, video_id=video_id))
        for rank in range(1, n + 1):
            clip_id = uuid.uuid4().hex
            session.add(
                Clip(
                    id=clip_id,
                    video_id=video_id,
                    rank=rank,
                    start=float(rank),
                    end=rank + 0.5,
                    score=50,
                    breakdown={"hook": 10},
                    title="t",
                    reason="r",
                    text="hello",
                    hashtags=["a"],
                )
            )
            session.flush()
            for aspect, batch in (("9:16", batch_id), ("1:1", None)):
                session.add(
                    Export(
                        id=uuid.uuid4().hex,
                        clip_id=clip_id,
                        owner_id=owner_id,
                        aspect_ratio=aspect,
                        caption_style="karaoke",
                        status="ready",
                        progress=100,
                        video_key="k",
                        thumbnail_key="k",
                        srt_key="k",
                        batch_id=batch,
                    )
                )
    return [batch_id]


async def _statements(client: httpx.AsyncClient, engine: Engine, path: str) -> list[str]:
    with counting(engine) as counter:
        response = await client.get(path)
    assert response.status_code == 200, response.text
    return counter.statements


async def test_videos_list_does_not_grow_with_the_number_of_videos(api, resources):
    client, owner = api
    for _ in range(SMALL):
        _video(resources, owner)
    small = await _statements(client, resources.engine, "/v1/videos?limit=100")
    for _ in range(LARGE - SMALL):
        _video(resources, owner)
    large = await _statements(client, resources.engine, "/v1/videos?limit=100")
    assert len((await client.get("/v1/videos?limit=100")).json()["items"]) == LARGE
    assert len(large) == len(small), large
    assert len(large) <= 2, large


async def test_clips_list_does_not_grow_with_clips_and_exports(api, resources):
    client, owner = api
    few, many = _video(resources, owner), _video(resources, owner)
    _clips_with_exports(resources, owner, few, SMALL)
    _clips_with_exports(resources, owner, many, LARGE)
    small = await _statements(client, resources.engine, f"/v1/videos/{few}/clips")
    large = await _statements(client, resources.engine, f"/v1/videos/{many}/clips")
    assert len((await client.get(f"/v1/videos/{many}/clips")).json()["items"]) == LARGE
    assert len(large) == len(small), large
    assert len(large) <= 3, large


async def test_batch_status_does_not_grow_with_its_items(api, resources):
    client, owner = api
    (few,) = _clips_with_exports(resources, owner, _video(resources, owner), SMALL)
    (many,) = _clips_with_exports(resources, owner, _video(resources, owner), LARGE)
    small = await _statements(client, resources.engine, f"/v1/batches/{few}")
    large = await _statements(client, resources.engine, f"/v1/batches/{many}")
    body = (await client.get(f"/v1/batches/{many}")).json()
    assert body["total"] == LARGE and len(body["items"]) == LARGE
    assert len(large) == len(small), large
    assert len(large) <= 3, large


async def test_status_poll_with_its_etag_costs_no_statement(api, resources):
    client, owner = api
    video_id = _video(resources, owner)
    first = await _statements(client, resources.engine, f"/v1/videos/{video_id}")
    assert len(first) == 1, first
    etag = (await client.get(f"/v1/videos/{video_id}")).headers["etag"]
    with counting(resources.engine) as counter:
        polled = await client.get(f"/v1/videos/{video_id}", headers={"If-None-Match": etag})
    assert polled.status_code == 304
    assert counter.statements == []


async def test_the_counter_sees_an_n_plus_one(resources):
    """The check above can fail: walking each clip's exports lazily costs one query per clip."""
    owner = accounts.create_user(resources.sessions, "n1@example.com").id
    video_id = _video(resources, owner)
    _clips_with_exports(resources, owner, video_id, 3)
    with counting(resources.engine) as counter, resources.sessions() as session:
        video = session.get(Video, video_id)
        assert video is not None
        for clip in video.clips:
            _ = list(clip.exports)
    assert len(counter.statements) == 1 + 1 + 3


async def test_a_clip_and_its_owner_are_one_query(resources):
    owner = accounts.create_user(resources.sessions, "owner@example.com").id
    other = accounts.create_user(resources.sessions, "other@example.com").id
    video_id = _video(resources, owner)
    _clips_with_exports(resources, owner, video_id, 1)
    with resources.sessions() as session:
        clip_id = session.scalars(select(Clip.id).where(Clip.video_id == video_id)).one()
    with counting(resources.engine) as counter, resources.sessions() as session:
        clip = repository.get_clip(session, clip_id, owner)
        assert clip is not None and clip.video.owner_id == owner
        assert repository.get_clip(session, clip_id, other) is None
        assert repository.get_clip(session, "missing", owner) is None
    assert len(counter.statements) == 3, counter.statements
