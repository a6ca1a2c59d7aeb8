"""Batch export: many clips x many ratios, one job each, aggregated status, one ZIP."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

from clipforge import accounts
from clipforge.db.tables import Clip, Export
from clipforge.domain.keys import export_srt_key, export_video_key, export_vtt_key
from clipforge.queues.definitions import QueueName
from tests.integration.test_accounts import _ready_video_with_export


async def _video_with_two_clips(resources) -> tuple[str, list[str]]:
    owner = accounts.local_user(resources.sessions).id
    video_id, first_clip, _ = await _ready_video_with_export(resources, owner)
    second = uuid.uuid4().hex
    with resources.sessions.begin() as session:
        session.add(
            Clip(
                id=second,
                video_id=video_id,
                rank=2,
                start=0.0,
                end=0.5,
                score=40,
                breakdown={},
                title="second",
                reason="r",
                text="hello",
            )
        )
    return video_id, [first_clip, second]


def _finish(resources, export_id: str, *, ok: bool) -> None:
    with resources.sessions.begin() as session:
        export = session.get(Export, export_id)
        assert export is not None
        if ok:
            export.status, export.progress = "ready", 100
            export.video_key = export_video_key(export_id)
            export.srt_key = export_srt_key(export_id)
            export.vtt_key = export_vtt_key(export_id)
        else:
            export.status, export.error = "failed", "The clip could not be rendered: boom"


async def test_a_batch_is_one_job_per_item_with_aggregated_progress_and_a_zip(client, resources):
    video_id, clips = await _video_with_two_clips(resources)
    response = await client.post(
        f"/v1/videos/{video_id}/exports",
        json={"aspect_ratios": ["9:16", "1:1", "9:16"], "caption_style": "pop"},
    )
    assert response.status_code == 202, response.text
    batch = response.json()
    assert batch["total"] == 4 and batch["status"] == "queued" and batch["zip_url"] is None
    assert {(i["clip_id"], i["aspect_ratio"]) for i in batch["items"]} == {
        (c, a) for c in clips for a in ("9:16", "1:1")
    }
    counts = await resources.queues.counts(QueueName.EXPORT)
    assert counts.waiting == 4, "each item is its own job"

    zip_early = await client.get(f"/v1/batches/{batch['id']}/zip")
    assert zip_early.status_code == 409

    items = [i["id"] for i in batch["items"]]
    for export_id in items[:3]:
        _finish(resources, export_id, ok=True)
        for key, data in (
            (export_video_key(export_id), b"mp4 " + export_id.encode()),
            (export_srt_key(export_id), b"1\n"),
            (export_vtt_key(export_id), b"WEBVTT\n"),
        ):
            await resources.storage.put_bytes(key, data)
    mid = (await client.get(f"/v1/batches/{batch['id']}")).json()
    assert mid["status"] == "rendering" or mid["status"] == "queued"
    assert mid["progress"] == 75 and mid["ready"] == 3

    _finish(resources, items[3], ok=False)
    done = (await client.get(f"/v1/batches/{batch['id']}")).json()
    assert done["status"] == "partial", "one failed item does not fail the others"
    assert (done["ready"], done["failed"]) == (3, 1)
    assert done["zip_url"]

    archive = await client.get(done["zip_url"])
    assert archive.status_code == 200
    assert archive.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.content)) as zipped:
        names = zipped.namelist()
        manifest = json.loads(zipped.read("manifest.json"))
        assert sum(n.endswith(".mp4") for n in names) == 3
        assert sum(n.endswith(".vtt") for n in names) == 3
        failed = [i for i in manifest["items"] if i["status"] == "failed"]
        assert len(failed) == 1 and "boom" in failed[0]["error"]
    leftovers = list((resources.settings.data_dir / "tmp").glob("clipforge-zip-*"))
    assert leftovers == [], "the temporary ZIP is removed after sending"


async def test_batch_requests_are_checked(client, resources):
    video_id, clips = await _video_with_two_clips(resources)
    bad_ratio = await client.post(f"/v1/videos/{video_id}/exports", json={"aspect_ratios": ["2:3"]})
    assert bad_ratio.status_code == 400
    none = await client.post(f"/v1/videos/{video_id}/exports", json={"aspect_ratios": []})
    assert none.status_code == 422
    foreign = await client.post(
        f"/v1/videos/{video_id}/exports", json={"clip_ids": [clips[0], "not-a-clip"]}
    )
    assert foreign.status_code == 404
    unknown = await client.post("/v1/videos/nope/exports", json={})
    assert unknown.status_code == 404
    only_one = await client.post(
        f"/v1/videos/{video_id}/exports", json={"clip_ids": [clips[1]], "quality": "draft"}
    )
    assert only_one.status_code == 202
    body = only_one.json()
    assert body["total"] == 1 and body["items"][0]["quality"] == "draft"


async def test_another_users_batch_is_404(client, resources):
    video_id, _ = await _video_with_two_clips(resources)
    batch = (await client.post(f"/v1/videos/{video_id}/exports", json={})).json()
    stranger = accounts.create_user(resources.sessions, "z@example.com")
    key = accounts.create_key(resources.sessions, stranger.id, "k").secret
    headers = {"Authorization": f"Bearer {key}"}
    for path in (f"/v1/batches/{batch['id']}", f"/v1/batches/{batch['id']}/zip"):
        assert (await client.get(path, headers=headers)).status_code == 404
    post = await client.post(f"/v1/videos/{video_id}/exports", json={}, headers=headers)
    assert post.status_code == 404
