"""The short Redis cache of video status reads: hits, freshness, owner scoping, Redis down."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from redis.asyncio import Redis

from clipforge import accounts
from clipforge.api.app import create_app
from clipforge.api.key_cache import KeyCache
from clipforge.api.status_cache import StatusCache, decode_video, encode_video
from clipforge.bootstrap import REDIS_POOL_SIZE
from clipforge.db.tables import Video
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

TTL = 30.0  # long enough that no entry expires while a test runs


@pytest.fixture
def settings(tmp_path, database_url, redis_url_setting):
    return make_settings(
        tmp_path / "data", database_url, redis_url_setting, status_cache_seconds=TTL
    )


def _client(resources) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(resources=resources), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


def _user_with_key(resources, email: str) -> tuple[str, dict[str, str]]:
    user = accounts.create_user(resources.sessions, email)
    secret = accounts.create_key(resources.sessions, user.id, "test").secret
    return user.id, {"Authorization": f"Bearer {secret}"}


def _add_video(resources, owner_id: str, **values: object) -> str:
    video_id = uuid.uuid4().hex
    row = {"status": "transcribing", "stage": "transcribe", "source_kind": "upload"}
    row.update(values)
    with resources.sessions.begin() as session:
        session.add(Video(id=video_id, owner_id=owner_id, source="a.mp4", title="a.mp4", **row))
    return video_id


def _set_status(resources, video_id: str, **values: object) -> None:
    """A write the API does not see (as a worker's is)."""
    with resources.sessions.begin() as session:
        video = session.get(Video, video_id)
        assert video is not None
        for name, value in values.items():
            setattr(video, name, value)


def _cache(resources) -> StatusCache:
    s = resources.settings
    return StatusCache(resources.redis, s.redis_prefix, s.status_cache_seconds)


async def test_a_poll_is_answered_from_the_cache_until_it_expires(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    async with _client(resources) as client:
        first = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert first.status_code == 200 and first.json()["status"] == "transcribing"
        _set_status(resources, video_id, status="ready", stage=None, progress=100)
        cached = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert cached.json()["status"] == "transcribing", "served from the cache"
        assert cached.json() == first.json()
        # The entry lives at most status_cache_seconds: that bounds how stale a poll can be.
        ttl_ms = await resources.redis.pttl(_cache(resources).key(owner, video_id))
        assert 0 < ttl_ms <= TTL * 1000
        # no-cache goes to the database and refreshes the entry for the next poller.
        fresh = await client.get(
            f"/v1/videos/{video_id}", headers={**auth, "Cache-Control": "no-cache"}
        )
        assert fresh.json()["status"] == "ready"
        again = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert again.json()["status"] == "ready"


async def test_expired_entry_shows_the_new_stage(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    async with _client(resources) as client:
        await client.get(f"/v1/videos/{video_id}", headers=auth)
        _set_status(resources, video_id, status="detecting", stage="detect")
        # What expiry does, without waiting for it.
        await resources.redis.delete(_cache(resources).key(owner, video_id))
        shown = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert shown.json()["status"] == "detecting"


async def test_retry_clears_the_entry_at_once(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(
        resources, owner, status="failed", stage=None, failed_stage="detect", error="boom"
    )
    async with _client(resources) as client:
        failed = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert failed.json()["status"] == "failed"
        retried = await client.post(f"/v1/videos/{video_id}/retry", headers=auth)
        assert retried.status_code == 202, retried.text
        after = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert after.json()["status"] != "failed"


async def test_finding_clips_again_clears_the_entry_at_once(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner, status="ready", stage=None, progress=100)
    async with _client(resources) as client:
        ready = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert ready.json()["status"] == "ready"
        again = await client.post(f"/v1/videos/{video_id}/detect", headers=auth, json={"count": 2})
        assert again.status_code == 202, again.text
        after = await client.get(f"/v1/videos/{video_id}", headers=auth)
        assert after.json()["status"] == "queued"


async def test_another_user_never_gets_a_cached_status(resources):
    owner, auth_a = _user_with_key(resources, "a@example.com")
    _, auth_b = _user_with_key(resources, "b@example.com")
    video_id = _add_video(resources, owner)
    async with _client(resources) as client:
        assert (await client.get(f"/v1/videos/{video_id}", headers=auth_a)).status_code == 200
        stolen = await client.get(f"/v1/videos/{video_id}", headers=auth_b)
        assert stolen.status_code == 404
        assert "transcribing" not in stolen.text


async def test_an_entry_for_another_owner_is_ignored(resources):
    """Even a row planted under the caller's key is refused when it names another owner."""
    owner, _ = _user_with_key(resources, "a@example.com")
    intruder, _ = _user_with_key(resources, "b@example.com")
    video_id = _add_video(resources, owner)
    cache = _cache(resources)
    with resources.sessions() as session:
        video = session.get(Video, video_id)
        assert video is not None
        await resources.redis.set(cache.key(intruder, video_id), encode_video(video))
    assert await cache.get(intruder, video_id) is None
    assert (await cache.get(owner, video_id)) is None, "nothing cached for the owner yet"


async def test_not_found_is_not_cached(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    async with _client(resources) as client:
        missing = await client.get("/v1/videos/nope", headers=auth)
        assert missing.status_code == 404
    assert await resources.redis.exists(_cache(resources).key(owner, "nope")) == 0


async def test_reads_work_with_redis_down(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    # Nothing listens on port 1: every Redis call fails at once.
    resources.__dict__["redis"] = Redis.from_url("redis://127.0.0.1:1/0", socket_timeout=1)
    async with _client(resources) as client:
        for _ in range(2):
            shown = await client.get(f"/v1/videos/{video_id}", headers=auth)
            assert shown.status_code == 200, shown.text
            assert shown.json()["status"] == "transcribing"


async def test_zero_seconds_turns_the_cache_off(resources):
    owner, _ = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    off = StatusCache(resources.redis, resources.settings.redis_prefix, 0)
    with resources.sessions() as session:
        video = session.get(Video, video_id)
        assert video is not None
        await off.put(video)
    assert await resources.redis.exists(off.key(owner, video_id)) == 0
    assert await off.get(owner, video_id) is None


async def test_a_cached_row_round_trips(resources):
    owner, _ = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner, detect_options={"count": 3}, duration=12.5)
    with resources.sessions() as session:
        video = session.get(Video, video_id)
        assert video is not None
        copy = decode_video(encode_video(video))
    assert copy.id == video.id and copy.owner_id == owner
    assert copy.detect_options == {"count": 3} and copy.duration == 12.5
    assert copy.created_at == video.created_at and copy.updated_at == video.updated_at


async def test_key_cache_remembers_valid_keys_for_a_short_time(resources):
    user = accounts.create_user(resources.sessions, "a@example.com")
    new = accounts.create_key(resources.sessions, user.id, "t")
    cache = KeyCache(ttl_seconds=0.0)  # every entry is already too old
    cache.put(new.secret, user, new.key)
    assert cache.get(new.secret) is None
    cache = KeyCache(ttl_seconds=60.0, max_entries=1)
    cache.put(new.secret, user, new.key)
    assert cache.get(new.secret) == (user, new.key)
    cache.put("cf_other", user, new.key)
    assert cache.get(new.secret) is None, "the oldest entry makes room"


async def test_more_commands_in_flight_than_connections_wait_instead_of_failing(resources):
    """Under load a request waits for a pooled Redis connection; failing would silently skip
    the rate limit and this cache (both fail open)."""
    key = f"{resources.settings.redis_prefix}:pooltest"
    burst = REDIS_POOL_SIZE * 3
    results = await asyncio.gather(*(resources.redis.incr(key) for _ in range(burst)))
    assert sorted(results) == list(range(1, burst + 1))


async def test_a_poll_carries_an_etag_and_answers_304_while_unchanged(resources):
    owner, auth = _user_with_key(resources, "a@example.com")
    video_id = _add_video(resources, owner)
    async with _client(resources) as client:
        first = await client.get(f"/v1/videos/{video_id}", headers=auth)
        etag = first.headers["etag"]
        assert first.headers["cache-control"].startswith("private, max-age=")
        same = await client.get(f"/v1/videos/{video_id}", headers={**auth, "If-None-Match": etag})
        assert same.status_code == 304 and same.content == b""
        _set_status(resources, video_id, status="detecting", stage="detect")
        changed = await client.get(
            f"/v1/videos/{video_id}",
            headers={**auth, "If-None-Match": etag, "Cache-Control": "no-cache"},
        )
        assert changed.status_code == 200 and changed.headers["etag"] != etag
