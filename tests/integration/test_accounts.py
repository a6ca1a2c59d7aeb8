"""Accounts, API keys, isolation between users, operator routes and per-user limits."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import select

from clipforge import accounts
from clipforge.api.app import create_app
from clipforge.db.tables import ApiKey, Clip, Export, Transcript, Video
from clipforge.domain.keys import export_srt_key, export_thumbnail_key, export_video_key
from tests.conftest import build_test_resources, make_settings


@pytest.fixture
def settings(tmp_path, database_url, redis_url_setting):
    return make_settings(
        tmp_path / "data",
        database_url,
        redis_url_setting,
        rate_limit_per_minute=1000,
        max_concurrent_jobs=50,
    )


def _client(app, base_url: str = "http://127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url=base_url)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def _user_with_key(resources, email: str, *, admin: bool = False) -> str:
    user = accounts.create_user(resources.sessions, email, admin=admin)
    return accounts.create_key(resources.sessions, user.id, "test").secret


# --- accounts --------------------------------------------------------------------------------


def test_keys_are_shown_once_and_stored_only_as_a_digest(resources):
    user = accounts.create_user(resources.sessions, "Ann@Example.com")
    assert user.email == "ann@example.com"
    new = accounts.create_key(resources.sessions, user.id, "laptop")
    assert new.secret.startswith("cf_") and len(new.secret) > 40
    with resources.sessions() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.id == new.key.id))
        assert row is not None
        assert new.secret not in (row.key_hash, row.prefix)
        assert row.key_hash == accounts.digest(new.secret)
    found = accounts.user_for_key(resources.sessions, new.secret)
    assert found is not None and found[0].id == user.id
    listed = accounts.list_keys(resources.sessions, user.id)
    assert [k.name for k in listed] == ["laptop"] and listed[0].last_used_at is not None
    accounts.revoke_key(resources.sessions, user.id, new.key.id)
    assert accounts.user_for_key(resources.sessions, new.secret) is None


def test_account_input_is_checked(resources):
    accounts.create_user(resources.sessions, "bob@example.com")
    with pytest.raises(accounts.AccountError, match="already exists"):
        accounts.create_user(resources.sessions, "BOB@example.com")
    with pytest.raises(accounts.AccountError, match="not a valid email"):
        accounts.create_user(resources.sessions, "not-an-email")
    with pytest.raises(accounts.AccountError, match="at least"):
        accounts.create_user(resources.sessions, "c@example.com", password="short")


def test_sign_in_says_the_same_for_unknown_email_and_wrong_password(resources):
    accounts.create_user(resources.sessions, "dee@example.com", password="a long passphrase")
    with pytest.raises(accounts.AccountError) as wrong:
        accounts.sign_in(resources.sessions, "dee@example.com", "nope nope nope")
    with pytest.raises(accounts.AccountError) as unknown:
        accounts.sign_in(resources.sessions, "nobody@example.com", "nope nope nope")
    assert str(wrong.value) == str(unknown.value)
    cookie, signed = accounts.sign_in(resources.sessions, "dee@example.com", "a long passphrase")
    found = accounts.session_for_cookie(resources.sessions, cookie)
    assert found is not None and found.user.email == "dee@example.com"
    assert found.csrf_token == signed.csrf_token
    accounts.sign_out(resources.sessions, cookie)
    assert accounts.session_for_cookie(resources.sessions, cookie) is None


def test_another_users_key_cannot_be_revoked(resources):
    a = accounts.create_user(resources.sessions, "a1@example.com")
    b = accounts.create_user(resources.sessions, "b1@example.com")
    key = accounts.create_key(resources.sessions, a.id, "x")
    with pytest.raises(accounts.AccountError, match="No such API key"):
        accounts.revoke_key(resources.sessions, b.id, key.key.id)
    assert accounts.user_for_key(resources.sessions, key.secret) is not None


# --- authentication on the API -----------------------------------------------------------


async def test_with_accounts_every_data_route_needs_a_valid_key(resources):
    secret = _user_with_key(resources, "eve@example.com")
    app = create_app(resources=resources)
    async with _client(app) as client:
        anonymous = await client.get("/v1/videos")
        assert anonymous.status_code == 401
        assert anonymous.headers["www-authenticate"] == "Bearer"
        assert (await client.get("/v1/videos", headers=_bearer("cf_wrong"))).status_code == 401
        assert (
            await client.get("/v1/videos", headers={"Authorization": "Basic x"})
        ).status_code == 401
        assert (await client.get("/v1/videos", headers=_bearer(secret))).status_code == 200
        assert (await client.get("/v1/videos", headers={"X-API-Key": secret})).status_code == 200
        # Probes stay open for the orchestrator.
        assert (await client.get("/health/live")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200


async def test_single_user_mode_only_on_loopback(resources):
    loopback = create_app(resources=resources, bind_host="127.0.0.1")
    async with _client(loopback) as client:
        assert (await client.get("/v1/videos")).status_code == 200
        # DNS rebinding: a foreign host name pointing at us gets nothing.
        rebound = await client.get("/v1/videos", headers={"host": "evil.example"})
        assert rebound.status_code == 403
        # A cross-site form post cannot ride on single-user mode.
        cross = await client.post(
            "/v1/videos/import",
            json={"url": "https://example.com/a.mp4"},
            headers={"origin": "https://evil.example"},
        )
        assert cross.status_code == 403
    exposed = create_app(resources=resources, bind_host="0.0.0.0")
    async with _client(exposed) as client:
        assert (await client.get("/v1/videos")).status_code == 401


async def test_operator_routes_need_the_admin_role(resources):
    user_key = _user_with_key(resources, "user@example.com")
    admin_key = _user_with_key(resources, "ops@example.com", admin=True)
    app = create_app(resources=resources)
    async with _client(app) as client:
        for path in (
            "/v1/queues/metrics",
            "/v1/queues/video-import/metrics",
            "/v1/queues/video-import/jobs/x-import",
        ):
            assert (await client.get(path, headers=_bearer(user_key))).status_code == 403
            assert (await client.get(path, headers=_bearer(admin_key))).status_code in (200, 404)
        assert (
            await client.get("/v1/queues/metrics", headers=_bearer(admin_key))
        ).status_code == 200


# --- isolation -------------------------------------------------------------------------------


async def _ready_video_with_export(resources, owner_id: str) -> tuple[str, str, str]:
    """A finished video of `owner_id` with a transcript, a clip and a ready export in storage."""
    video_id, clip_id, export_id = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    words = [{"text": " hello", "start": 0.0, "end": 0.5, "probability": 0.9}]
    with resources.sessions.begin() as session:
        session.add(
            Video(
                id=video_id,
                owner_id=owner_id,
                status="failed",
                failed_stage="detect",
                error="x",
                source_kind="upload",
                source="a.mp4",
                title="a.mp4",
            )
        )
        session.flush()
        session.add(
            Transcript(
                video_id=video_id,
                language="en",
                duration=1.0,
                engine="faster-whisper",
                model="base",
                word_count=1,
                data={
                    "language": "en",
                    "duration": 1.0,
                    "segments": [{"text": "hello", "start": 0.0, "end": 0.5, "words": words}],
                },
            )
        )
        session.add(
            Clip(
                id=clip_id,
                video_id=video_id,
                rank=1,
                start=0.0,
                end=0.5,
                score=50,
                breakdown={"hook": 10},
                title="t",
                reason="r",
                text="hello",
            )
        )
        session.flush()
        session.add(
            Export(
                id=export_id,
                clip_id=clip_id,
                owner_id=owner_id,
                aspect_ratio="9:16",
                caption_style="karaoke",
                status="ready",
                progress=100,
                video_key=export_video_key(export_id),
                thumbnail_key=export_thumbnail_key(export_id),
                srt_key=export_srt_key(export_id),
            )
        )
    for key in (
        export_video_key(export_id),
        export_thumbnail_key(export_id),
        export_srt_key(export_id),
    ):
        await resources.storage.put_bytes(key, b"owner's bytes")
    return video_id, clip_id, export_id


async def test_user_b_gets_404_on_every_route_with_user_as_ids(resources):
    a_key = _user_with_key(resources, "a@example.com")
    b_key = _user_with_key(resources, "b@example.com")
    a_id = accounts.find_user(resources.sessions, "a@example.com").id
    video_id, clip_id, export_id = await _ready_video_with_export(resources, a_id)
    app = create_app(resources=resources)
    requests = [
        ("GET", f"/v1/videos/{video_id}", None),
        ("GET", f"/v1/videos/{video_id}/transcript", None),
        ("GET", f"/v1/videos/{video_id}/transcript?format=srt", None),
        ("GET", f"/v1/videos/{video_id}/transcript?format=vtt", None),
        ("GET", f"/v1/videos/{video_id}/clips", None),
        ("POST", f"/v1/videos/{video_id}/retry", None),
        ("POST", f"/v1/clips/{clip_id}/exports", {"aspect_ratio": "9:16"}),
        ("GET", f"/v1/exports/{export_id}", None),
        ("GET", f"/v1/exports/{export_id}/download", None),
        ("GET", f"/v1/exports/{export_id}/download?file=thumbnail", None),
        ("GET", f"/v1/exports/{export_id}/download?file=srt", None),
    ]
    async with _client(app) as client:
        for method, path, body in requests:
            response = await client.request(method, path, json=body, headers=_bearer(b_key))
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] == "not_found"
            assert "owner's bytes" not in response.text
        listing = await client.get("/v1/videos", headers=_bearer(b_key))
        assert listing.json()["total"] == 0
        # The owner reaches the same things (the retry is the one write, so it goes last).
        for method, path, body in requests:
            response = await client.request(method, path, json=body, headers=_bearer(a_key))
            assert response.status_code in (200, 202), (method, path, response.text)
        download = await client.get(f"/v1/exports/{export_id}/download", headers=_bearer(a_key))
        assert download.content == b"owner's bytes"


# --- limits ----------------------------------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after_per_key(
    tmp_path, database_url, redis_url_setting, monkeypatch
):
    settings = make_settings(
        tmp_path / "d", database_url, redis_url_setting, rate_limit_per_minute=5
    )
    # Hold the clock mid-window so the test never straddles a minute boundary.
    monkeypatch.setattr("clipforge.api.ratelimit._now", lambda: 1_800_000_030.0)
    res = build_test_resources(settings)
    try:
        first = _user_with_key(res, "r1@example.com")
        second = _user_with_key(res, "r2@example.com")
        app = create_app(resources=res)
        async with _client(app) as client:
            codes = [
                (await client.get("/v1/videos", headers=_bearer(first))).status_code
                for _ in range(6)
            ]
            assert codes[:5] == [200] * 5
            limited = await client.get("/v1/videos", headers=_bearer(first))
            assert limited.status_code == 429
            assert int(limited.headers["retry-after"]) == 31
            assert limited.json()["error"]["code"] == "rate_limited"
            assert (await client.get("/v1/videos", headers=_bearer(second))).status_code == 200
    finally:
        await res.aclose()


async def test_concurrent_job_limit_and_storage_quota(tmp_path, database_url, redis_url_setting):
    settings = make_settings(
        tmp_path / "d",
        database_url,
        redis_url_setting,
        max_concurrent_jobs=2,
        storage_quota_bytes=5000,
    )
    res = build_test_resources(settings)
    try:
        key = _user_with_key(res, "q@example.com")
        app = create_app(resources=res)
        async with _client(app) as client:

            async def upload(size: int) -> httpx.Response:
                return await client.post(
                    "/v1/videos", files={"file": ("a.mp4", b"x" * size)}, headers=_bearer(key)
                )

            assert (await upload(2000)).status_code == 202
            over_quota = await upload(3500)
            assert over_quota.status_code == 413
            assert over_quota.json()["error"]["code"] == "quota_exceeded"
            assert (await upload(1000)).status_code == 202
            busy = await upload(100)
            assert busy.status_code == 429
            assert busy.headers["retry-after"] == "30"
            assert "limit is 2" in busy.json()["error"]["message"]
            listing = (await client.get("/v1/videos", headers=_bearer(key))).json()
            assert listing["total"] == 2, "refused uploads leave nothing behind"
    finally:
        await res.aclose()


async def test_request_bodies_are_capped(resources):
    app = create_app(resources=resources)
    async with _client(app) as client:
        big = b'{"url": "' + b"a" * (2 * 1024 * 1024) + b'"}'
        response = await client.post(
            "/v1/videos/import", content=big, headers={"content-type": "application/json"}
        )
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"

        async def chunks():
            for _ in range(40):
                yield b"a" * 65536

        streamed = await client.post(
            "/v1/videos/import", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
