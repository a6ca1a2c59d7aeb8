"""The HTTP API over real storage, database and Redis (no workers: requests only enqueue)."""

from __future__ import annotations

import httpx
import pytest

from clipforge import accounts
from clipforge.queues.definitions import QueueName
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def settings(tmp_path, database_url, redis_url_setting):
    return make_settings(tmp_path / "data", database_url, redis_url_setting, max_upload_bytes=4096)


def _error(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"])
    return body["error"]


async def test_upload_is_stored_under_a_generated_key_and_queued(client, resources):
    response = await client.post(
        "/v1/videos", files={"file": ("../../etc/passwd\x00.mp4", b"\x00" * 1000, "video/mp4")}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    video_id, job_id = body["video_id"], body["job_id"]
    assert job_id == f"{video_id}-import"
    stored = resources.storage.local_path(f"videos/{video_id}/original")
    assert stored is not None and stored.read_bytes() == b"\x00" * 1000
    # The user's file name is only a label, cleaned of path parts and NULs.
    video = (await client.get(f"/v1/videos/{video_id}")).json()
    assert video["status"] == "queued"
    assert "/" not in video["title"] and "\x00" not in video["title"]
    job = await resources.queues.job(QueueName.IMPORT, job_id)
    assert job is not None and job.state == "waiting"
    owner = accounts.local_user(resources.sessions).id
    assert job.data == {"video_id": video_id, "owner_id": owner}, "the job carries its owner"
    # Nothing is left in the upload temp folder.
    assert list((resources.settings.data_dir / "tmp").iterdir()) == []


async def test_an_upload_past_the_limit_is_413_and_leaves_nothing(client, resources):
    response = await client.post("/v1/videos", files={"file": ("big.mp4", b"x" * 10_000)})
    assert response.status_code == 413
    assert "limit" in _error(response)["message"]
    assert list((resources.settings.data_dir / "tmp").iterdir()) == []
    listing = (await client.get("/v1/videos")).json()
    assert listing["total"] == 0


async def test_a_streamed_upload_without_content_length_is_cut_off_at_the_limit(client):
    async def body():
        yield b"--b\r\nContent-Disposition: form-data; name=file; filename=x.mp4\r\n\r\n"
        for _ in range(10):
            yield b"y" * 1000
        yield b"\r\n--b--\r\n"

    response = await client.post(
        "/v1/videos", content=body(), headers={"content-type": "multipart/form-data; boundary=b"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"content": b"not a form", "headers": {"content-type": "text/plain"}}, "multipart"),
        ({"files": {"other": ("a.mp4", b"abc")}}, "'file'"),
        ({"files": {"file": ("empty.mp4", b"")}}, "empty"),
    ],
)
async def test_bad_uploads_are_400_with_a_reason(client, kwargs, fragment):
    response = await client.post("/v1/videos", **kwargs)
    assert response.status_code == 400
    assert fragment in _error(response)["message"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/video.mp4",
        "http://localhost:8000/x",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/a.mp4",
        "http://[::1]/a.mp4",
        "ftp://example.com/a.mp4",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "not a url",
    ],
)
async def test_unsafe_or_unsupported_links_are_refused(client, url):
    response = await client.post("/v1/videos/import", json={"url": url})
    assert response.status_code == 400, response.text
    assert _error(response)["code"] == "invalid_request"


async def test_malformed_json_and_wrong_fields_are_422(client):
    response = await client.post(
        "/v1/videos/import", content=b"{bad json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert _error(response)["code"] == "validation_error"
    response = await client.post("/v1/videos/import", json={"link": "http://x"})
    assert response.status_code == 422
    assert _error(response)["details"]


@pytest.mark.parametrize(
    "path",
    [
        "/v1/videos/nope",
        "/v1/videos/nope/clips",
        "/v1/videos/nope/transcript",
        "/v1/exports/nope",
        "/v1/exports/nope/download",
        "/v1/queues/nope/metrics",
        "/v1/queues/video-import/jobs/nope",
        "/v1/queues/nope/jobs/x",
    ],
)
async def test_unknown_things_are_404_in_the_error_shape(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


async def test_exporting_an_unknown_clip_is_404_and_bad_options_are_400(client):
    response = await client.post("/v1/clips/nope/exports", json={"aspect_ratio": "9:16"})
    assert response.status_code in (400, 404)
    response = await client.post("/v1/clips/nope/exports", json={"aspect_ratio": "3:7"})
    assert response.status_code == 400
    assert "9:16" in _error(response)["message"]
    response = await client.post("/v1/clips/nope/exports", json={"quality": "ultra"})
    assert response.status_code == 400
    assert "draft, standard, high" in _error(response)["message"]
    response = await client.post("/v1/clips/nope/exports", json={"caption_style": "comic"})
    assert response.status_code == 400
    assert "karaoke" in _error(response)["message"]


async def test_queue_metrics_list_every_queue_with_every_count(client):
    response = await client.get("/v1/queues/metrics")
    assert response.status_code == 200
    queues = response.json()["queues"]
    assert [q["queue"] for q in queues] == [
        "video-import",
        "transcription",
        "clip-detection",
        "video-export",
    ]
    for q in queues:
        assert {"waiting", "active", "completed", "failed", "delayed"} <= set(q)


async def test_reads_carry_an_etag_and_revalidate_to_304(client):
    first = await client.get("/v1/queues/metrics")
    etag = first.headers["etag"]
    assert "max-age" in first.headers["cache-control"]
    again = await client.get("/v1/queues/metrics", headers={"if-none-match": etag})
    assert again.status_code == 304
    await client.post("/v1/videos", files={"file": ("a.mp4", b"abc")})
    changed = await client.get("/v1/queues/metrics", headers={"if-none-match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


async def test_list_pages_newest_first(client):
    ids = []
    for index in range(3):
        response = await client.post("/v1/videos", files={"file": (f"{index}.mp4", b"abc")})
        ids.append(response.json()["video_id"])
    page = (await client.get("/v1/videos?limit=2")).json()
    assert page["total"] == 3
    assert [v["id"] for v in page["items"]] == [ids[2], ids[1]]
    rest = (await client.get("/v1/videos?limit=2&offset=2")).json()
    assert [v["id"] for v in rest["items"]] == [ids[0]]
    assert (await client.get("/v1/videos?limit=0")).status_code == 422


async def test_retry_is_only_for_failed_videos(client):
    video_id = (await client.post("/v1/videos", files={"file": ("a.mp4", b"abc")})).json()[
        "video_id"
    ]
    response = await client.post(f"/v1/videos/{video_id}/retry")
    assert response.status_code == 400
    assert "failed" in _error(response)["message"]


async def test_openapi_is_served(client):
    schema = (await client.get("/openapi.json")).json()
    assert "/v1/videos" in schema["paths"]
    assert (await client.get("/docs")).status_code == 200
