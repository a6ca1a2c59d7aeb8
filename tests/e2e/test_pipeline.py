"""A real video through the real queues: upload, transcribe, detect, export, download."""

from __future__ import annotations

import asyncio
import tempfile
import time
from itertools import pairwise
from pathlib import Path

import av
import httpx
import pytest

from clipforge.api.app import create_app
from clipforge.queues.worker import serve_workers
from tests.conftest import SAMPLE_VIDEO

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


async def _poll(client: httpx.AsyncClient, path: str, done: set[str], timeout: float = 600):
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        body = (await client.get(path)).json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] in done:
            return body, seen
        await asyncio.sleep(0.25)
    raise AssertionError(f"{path} did not finish; statuses seen: {seen}")


async def test_sample_video_to_captioned_vertical_clip(resources, tmp_path):
    stop = asyncio.Event()
    workers = asyncio.create_task(
        serve_workers(resources.settings, resources.redis_url, resources.stages(), stop)
    )
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1", timeout=60
        ) as client:
            with SAMPLE_VIDEO.open("rb") as handle:
                response = await client.post(
                    "/v1/videos", files={"file": ("sample.mp4", handle, "video/mp4")}
                )
            assert response.status_code == 202, response.text
            video_id = response.json()["video_id"]

            video, statuses = await _poll(client, f"/v1/videos/{video_id}", {"ready", "failed"})
            assert video["status"] == "ready", video["error"]
            assert video["progress"] == 100
            assert "transcribing" in statuses
            assert 120 < video["duration"] < 200

            transcript = (await client.get(f"/v1/videos/{video_id}/transcript")).json()
            words = [w for s in transcript["segments"] for w in s["words"]]
            assert len(words) > 200
            starts = [w["start"] for w in words]
            assert starts == sorted(starts)
            srt = (await client.get(f"/v1/videos/{video_id}/transcript?format=srt")).text
            vtt = (await client.get(f"/v1/videos/{video_id}/transcript?format=vtt")).text
            assert "-->" in srt and vtt.startswith("WEBVTT")

            clips = (await client.get(f"/v1/videos/{video_id}/clips")).json()["items"]
            assert 1 <= len(clips) <= 5
            scores = [c["score"] for c in clips]
            assert scores == sorted(scores, reverse=True)
            spans = sorted((c["start"], c["end"]) for c in clips)
            for (_, end), (start, _) in pairwise(spans):
                assert end <= start, "clips do not overlap"
            for clip in clips:
                assert 15 - 0.5 <= clip["duration"] <= 60 + 0.5
                assert clip["reason"] and clip["title"]
                assert 0 <= clip["score"] <= 100

            clip = clips[0]
            response = await client.post(
                f"/v1/clips/{clip['id']}/exports",
                json={"aspect_ratio": "9:16", "caption_style": "karaoke"},
            )
            assert response.status_code == 202, response.text
            export_id = response.json()["id"]
            export, _ = await _poll(client, f"/v1/exports/{export_id}", {"ready", "failed"})
            assert export["status"] == "ready", export["error"]

            mp4 = await client.get(f"/v1/exports/{export_id}/download")
            assert mp4.status_code == 200
            assert mp4.headers["content-type"] == "video/mp4"
            out = tmp_path / "clip.mp4"
            out.write_bytes(mp4.content)
            with av.open(str(out)) as container:
                video_stream = container.streams.video[0]
                assert (video_stream.width, video_stream.height) == (1080, 1920)
                assert video_stream.codec_context.name == "h264"
                assert len(container.streams.audio) == 1
                duration = float(container.duration or 0) / av.time_base
            assert abs(duration - clip["duration"]) <= 0.5

            srt_clip = (await client.get(f"/v1/exports/{export_id}/download?file=srt")).text
            clip_words = [w.strip(" ,.?!").lower() for w in clip["text"].split()[:8]]
            assert sum(w in srt_clip.lower() for w in clip_words) >= 6
            assert export["quality"] == "standard"
            vtt_clip = await client.get(f"/v1/exports/{export_id}/download?file=vtt")
            assert vtt_clip.text.startswith("WEBVTT")
            thumb = await client.get(f"/v1/exports/{export_id}/download?file=thumbnail")
            assert thumb.content[:3] == b"\xff\xd8\xff", "a JPEG thumbnail"
    finally:
        stop.set()
        await workers


async def test_a_file_that_is_not_a_video_fails_with_a_clear_reason(resources, tmp_path):
    stop = asyncio.Event()
    workers = asyncio.create_task(
        serve_workers(resources.settings, resources.redis_url, resources.stages(), stop)
    )
    app = create_app(resources=resources)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1"
        ) as client:
            response = await client.post(
                "/v1/videos", files={"file": ("notes.mp4", b"just some text, not a video\n" * 50)}
            )
            video_id = response.json()["video_id"]
            video, _ = await _poll(client, f"/v1/videos/{video_id}", {"ready", "failed"}, 60)
            assert video["status"] == "failed"
            assert video["failed_stage"] == "import"
            assert "could not be read" in video["error"].lower()
            assert "Traceback" not in video["error"]
            stages = {s["name"]: s["state"] for s in video["stages"]}
            assert stages == {"import": "failed", "transcribe": "pending", "detect": "pending"}
    finally:
        stop.set()
        await workers
    assert workers.exception() is None, "the worker survived the bad file"
    leftovers = list(Path(tempfile.gettempdir()).glob(f"clipforge-*{video_id}*"))
    assert leftovers == [], "no temp files left behind"
