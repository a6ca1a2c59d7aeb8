"""Choosing how an export is framed (face, center, fit) through the API, single and batch."""

from __future__ import annotations

from clipforge import accounts
from clipforge.db.tables import Export
from tests.integration.test_accounts import _ready_video_with_export


async def test_an_export_records_its_framing(client, resources):
    owner = accounts.local_user(resources.sessions).id
    _, clip_id, _ = await _ready_video_with_export(resources, owner)
    default = await client.post(f"/v1/clips/{clip_id}/exports", json={})
    assert default.status_code == 202, default.text
    assert default.json()["reframe"] == "face"
    centred = await client.post(f"/v1/clips/{clip_id}/exports", json={"reframe": "centre"})
    assert centred.status_code == 202
    assert centred.json()["reframe"] == "center"
    with resources.sessions() as session:
        assert session.get(Export, centred.json()["id"]).reframe == "center"


async def test_a_batch_applies_one_framing_to_every_item(client, resources):
    owner = accounts.local_user(resources.sessions).id
    video_id, _, _ = await _ready_video_with_export(resources, owner)
    batch = await client.post(
        f"/v1/videos/{video_id}/exports", json={"aspect_ratios": ["9:16", "1:1"], "reframe": "fit"}
    )
    assert batch.status_code == 202, batch.text
    assert {item["reframe"] for item in batch.json()["items"]} == {"fit"}


async def test_an_unknown_framing_is_refused(client, resources):
    owner = accounts.local_user(resources.sessions).id
    _, clip_id, _ = await _ready_video_with_export(resources, owner)
    response = await client.post(f"/v1/clips/{clip_id}/exports", json={"reframe": "zoom"})
    assert response.status_code == 422
