"""Dashboard load on the API: latency, errors and requests/s at 500, 1,000 and 2,000 users.

    DATABASE_URL=postgresql://... REDIS_URL=redis://... python -m bench.bench_load \
        [--users 500,1000,2000] [--ramp 60] [--duration 40] [--apis 2] [--workers 1]

ClipForge runs as in production (docs/deployment.md): `--apis` separate `clipforge api`
processes (one per core) and `--workers` `clipforge worker` processes, against one PostgreSQL
database (created for the run, dropped after) and Redis. The load generator spreads users over
the API processes as a load balancer would, one keep-alive connection per user (a browser
tab), through a lean client (bench/_keepalive.py) so that it takes little CPU from the API.

Each simulated user owns an account, a dashboard session (cookie), an API key and a finished
video, and behaves like an open dashboard: opening the page reads the status, clips and
transcript; then it polls the status every 2 s and revalidates the clips every 10 s and the
transcript every 30 s, sending the ETags it holds. Users arrive over `--ramp` seconds and come
and go (`--session-seconds`, a new person opening the page afresh). On top of that, uploads and
exports arrive at a steady rate (`--uploads-per-minute`, `--exports-per-minute`) from random
users, so the workers have real media to process while the API is measured; an uploader's
dashboard then follows the new video through the pipeline.

Reported per level, over the measured window (once every user has arrived, after `--warmup`
more seconds): requests/s, p50/p95/p99 latency of all requests, the error rate (transport
errors and 4xx/5xx answers; a 304 is a success), and the status poll's own p99, both as the
user sees it and inside the API (from its JSON access log); the arrival phase's p99 is printed
too. Latency is measured from the moment a request was due, so a saturated client or server
shows up as latency rather than as fewer requests; the generator shares the machine, so its
CPU share is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import secrets
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import uvloop

from bench._cluster import Processes, scratch_database, server_urls
from bench._keepalive import HttpError, KeepAliveConnection
from clipforge.accounts import KEY_PREFIX, SESSION_LIFETIME, digest
from clipforge.api.auth import SESSION_COOKIE
from clipforge.bootstrap import build_resources
from clipforge.config import Settings
from clipforge.db.tables import ApiKey, Clip, Transcript, User, Video, WebSession
from clipforge.domain.keys import original_key
from tests.conftest import SPEECH_WAV
from tests.support.ports import free_port
from tests.support.speech_video import make_speech_video

POLL_SECONDS = 2.0
CLIPS_EVERY = 5  # polls: every 10 s
TRANSCRIPT_EVERY = 15  # polls: every 30 s
SEED_SECONDS = 8.0
KEEPALIVE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class Seeded:
    secret: str  # an API key, for the uploads and exports a script sends
    cookie: str  # a dashboard session, for the page's reads
    video_id: str
    clip_ids: tuple[str, ...]


@dataclass(slots=True)
class Watching:
    """The video a user's dashboard shows: their finished one, until they upload a new one
    and follow it through the pipeline."""

    video_id: str


# --- seeding ---------------------------------------------------------------------------------


def _transcript(duration: float) -> dict[str, object]:
    words = (ROOT_TEXT.read_text().split() or ["hello"]) * 2
    step = duration / len(words)
    timed = [
        {"text": " " + w, "start": round(i * step, 3), "end": round((i + 0.8) * step, 3)}
        for i, w in enumerate(words)
    ]
    for w in timed:
        w["probability"] = 0.9
    segments = [
        {
            "text": "".join(str(w["text"]) for w in timed[i : i + 8]).strip(),
            "start": timed[i]["start"],
            "end": timed[min(i + 7, len(timed) - 1)]["end"],
            "words": timed[i : i + 8],
        }
        for i in range(0, len(timed), 8)
    ]
    return {"language": "en", "duration": duration, "segments": segments}


ROOT_TEXT = SPEECH_WAV.with_suffix(".txt")


def seed(settings: Settings, users: int, media: Path) -> list[Seeded]:
    """`users` accounts, each with a key and a ready video (transcript, three clips)."""
    res = build_resources(settings)  # migrates the fresh database
    transcript = _transcript(SEED_SECONDS)
    seeded: list[Seeded] = []
    try:
        with res.sessions.begin() as session:
            for i in range(users):
                user_id, video_id = uuid.uuid4().hex, uuid.uuid4().hex
                secret = KEY_PREFIX + uuid.uuid4().hex + uuid.uuid4().hex
                cookie = secrets.token_urlsafe(32)
                session.add(User(id=user_id, email=f"load{i}@example.com", role="user"))
                session.add(
                    ApiKey(
                        id=uuid.uuid4().hex,
                        user_id=user_id,
                        name="load",
                        prefix=secret[:11],
                        key_hash=digest(secret),
                    )
                )
                session.add(
                    WebSession(
                        id=digest(cookie),
                        user_id=user_id,
                        csrf_token=secrets.token_urlsafe(32),
                        expires_at=datetime.now(UTC) + SESSION_LIFETIME,
                    )
                )
                session.add(
                    Video(
                        id=video_id,
                        owner_id=user_id,
                        status="ready",
                        progress=100,
                        stage_progress=100,
                        source_kind="upload",
                        source="talk.mp4",
                        title="talk.mp4",
                        original_key=original_key(video_id),
                        duration=SEED_SECONDS,
                        width=320,
                        height=240,
                        size_bytes=media.stat().st_size,
                    )
                )
                session.add(
                    Transcript(
                        video_id=video_id,
                        language="en",
                        duration=SEED_SECONDS,
                        engine="faster-whisper",
                        model="base",
                        word_count=60,
                        data=transcript,
                    )
                )
                clip_ids = tuple(uuid.uuid4().hex for _ in range(3))
                for rank, clip_id in enumerate(clip_ids, 1):
                    session.add(
                        Clip(
                            id=clip_id,
                            video_id=video_id,
                            rank=rank,
                            start=rank * 1.5,
                            end=rank * 1.5 + 2.5,
                            score=80 - rank,
                            breakdown={"hook": 20, "clarity": 20},
                            title=f"Clip {rank}",
                            reason="a complete thought with a strong opening",
                            text="small habits compound over time",
                        )
                    )
                seeded.append(Seeded(secret, cookie, video_id, clip_ids))
                # The stored original: one file, hard-linked under every video's key.
                dest = settings.storage_root / original_key(video_id)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.link(media, dest)
                if i % 500 == 499:
                    session.flush()
    finally:
        res.engine.dispose()
    return seeded


# --- measuring -------------------------------------------------------------------------------


@dataclass
class Recorder:
    measure_from: float
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_kinds: dict[str, int] = field(default_factory=dict)
    #: Latencies while users were still arriving (not the measured window), all kinds.
    arrival: list[float] = field(default_factory=list)
    arrival_errors: int = 0

    async def timed(self, kind: str, due: float, call: Awaitable[int]) -> None:
        """Await `call` (it returns the HTTP status) and record its latency from `due`."""
        failure: str | None = None
        try:
            status = await call
            if status >= 400:
                failure = f"HTTP {status}"
        except (httpx.HTTPError, HttpError, TimeoutError) as exc:
            failure = type(exc).__name__
        done = time.perf_counter()
        if due < self.measure_from:
            self.arrival.append(done - due)
            self.arrival_errors += failure is not None
            return
        self.samples.setdefault(kind, []).append(done - due)
        if failure is not None:
            self.errors[kind] = self.errors.get(kind, 0) + 1
            self.error_kinds[failure] = self.error_kinds.get(failure, 0) + 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


async def dashboard_user(
    connection: KeepAliveConnection,
    user: Seeded,
    start: float,
    stop: float,
    rec: Recorder,
    session_seconds: float,
    watching: Watching,
) -> None:
    """One open dashboard on its own keep-alive connection, as a browser tab holds one,
    signed in with a session cookie as the dashboard is.

    Opening the page reads the status, the clips and the transcript; then the page polls
    the status every 2 s and revalidates the clips every 10 s and the transcript every 30 s,
    sending the ETags it holds. Users come and go: on average every `session_seconds` this
    one leaves and a new one opens the page afresh, with no ETags. After an upload, the page
    shows the new video (its status changes as workers process it); clips and transcript are
    read once the status says ready, as the dashboard does.
    """
    auth = {"Cookie": f"{SESSION_COOKIE}={user.cookie}"}
    etags: dict[str, str] = {}
    leave_chance = POLL_SECONDS / session_seconds
    shown = watching.video_id

    ready = False

    async def get(path: str) -> int:
        nonlocal ready
        headers = dict(auth)
        if path in etags:
            headers["If-None-Match"] = etags[path]
        reply = await connection.get(path, headers)
        if reply.etag is not None:
            etags[path] = reply.etag
        if reply.status == 200 and path == f"/v1/videos/{shown}":
            ready = json.loads(reply.body)["status"] == "ready"
        return reply.status

    due = start
    tick = 0
    try:
        while due < stop:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if tick > 0 and (watching.video_id != shown or random.random() < leave_chance):
                etags.clear()  # another page, or another person opening this one
                shown, tick, ready = watching.video_id, 0, False
            await rec.timed("status", due, get(f"/v1/videos/{shown}"))
            # Like the dashboard: clips and words once the video is ready (a 304 keeps it so).
            if ready and tick % CLIPS_EVERY == 0:
                await rec.timed("clips", due, get(f"/v1/videos/{shown}/clips"))
            if ready and tick % TRANSCRIPT_EVERY == 0:
                await rec.timed("transcript", due, get(f"/v1/videos/{shown}/transcript"))
            tick += 1
            due += POLL_SECONDS
    finally:
        connection.close()


async def _status_of(call: Awaitable[httpx.Response], watching: Watching | None = None) -> int:
    """The answer's status; an accepted upload switches the uploader's dashboard to it."""
    response = await call
    if watching is not None and response.status_code == 202:
        watching.video_id = response.json()["video_id"]
    return response.status_code


async def steady_actions(
    kind: str,
    per_minute: float,
    clients: list[httpx.AsyncClient],
    users: list[Seeded],
    watching: list[Watching],
    upload: bytes,
    start: float,
    stop: float,
    rec: Recorder,
) -> None:
    """Uploads or exports at a fixed rate, each from a random user, through the API process
    that user's dashboard talks to."""
    if per_minute <= 0:
        return
    pending: set[asyncio.Task[None]] = set()
    due = start + random.uniform(0, 60 / per_minute)
    while due < stop:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        index = random.randrange(len(users))
        user, client = users[index], clients[index % len(clients)]
        auth = {"Authorization": f"Bearer {user.secret}"}
        if kind == "upload":
            call = client.post(
                "/v1/videos", headers=auth, files={"file": ("talk.mp4", upload, "video/mp4")}
            )
        else:
            call = client.post(
                f"/v1/clips/{random.choice(user.clip_ids)}/exports",
                headers=auth,
                json={"aspect_ratio": "9:16", "caption_style": "pop", "quality": "draft"},
            )
        follow = watching[index] if kind == "upload" else None
        task = asyncio.ensure_future(rec.timed(kind, due, _status_of(call, follow)))
        pending.add(task)
        task.add_done_callback(pending.discard)
        due += 60 / per_minute
    if pending:
        await asyncio.gather(*pending)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class LevelResult:
    users: int
    rps: float
    p50: float
    p95: float
    p99: float
    error_rate: float
    status_p99: float
    server_status_p99: float
    by_kind: dict[str, int]
    error_kinds: dict[str, int]
    load: tuple[float, float, float]
    generator_cpu: float
    api_cpu: float
    arrival_p99: float
    arrival_errors: int


def server_status_times(logs: list[Path], since: float, until: float) -> list[float]:
    """Status poll durations the API processes logged (JSON access lines) in a time window:
    the server's share of the latency, without the client's queueing."""
    out = []
    for log in logs:
        for line in log.read_text(errors="replace").splitlines():
            if '"clipforge.access"' not in line or '"/v1/videos/{video_id}"' not in line:
                continue
            entry = json.loads(line)
            if entry.get("method") != "GET":
                continue
            at = datetime.fromisoformat(entry["time"]).timestamp()
            if since <= at <= until:
                out.append(entry["duration_ms"] / 1000)
    return out


async def run_level(
    users: list[Seeded],
    api_urls: list[str],
    api_pids: list[int],
    api_logs: list[Path],
    upload: bytes,
    args: argparse.Namespace,
) -> LevelResult:
    # Multipart uploads and exports: a few a minute, through a general client per API process.
    clients = [
        httpx.AsyncClient(
            base_url=url,
            timeout=httpx.Timeout(30.0),
            # Below uvicorn's 5 s keep-alive: a connection the server is closing is never reused.
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
        )
        for url in api_urls
    ]
    watching = [Watching(user.video_id) for user in users]
    # Users are spread over the API processes as a load balancer would (round robin).
    addresses = [urlsplit(url) for url in api_urls]
    connections = [
        KeepAliveConnection(str(a.hostname), int(a.port or 80))
        for a in (addresses[i % len(addresses)] for i in range(len(users)))
    ]
    begin = time.perf_counter()
    # Users open their dashboards spread over the ramp, as a crowd arrives; measured once all
    # of them are there (and `--warmup` more seconds).
    start = begin + 1.0
    measure_from = start + args.ramp + args.warmup
    stop = measure_from + args.duration
    rec = Recorder(measure_from=measure_from)
    wall_offset = time.time() - time.perf_counter()  # perf_counter -> epoch seconds
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    api_before = sum(_cpu_seconds(p) for p in api_pids)
    try:
        tasks = [
            dashboard_user(
                connections[i],
                user,
                start + random.uniform(0, args.ramp),
                stop,
                rec,
                args.session_seconds,
                watching[i],
            )
            for i, user in enumerate(users)
        ]
        rates = {"upload": args.uploads_per_minute, "export": args.exports_per_minute}
        tasks += [
            steady_actions(kind, rate, clients, users, watching, upload, start, stop, rec)
            for kind, rate in rates.items()
        ]
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.aclose()
    window = stop - rec.measure_from
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    api_after = sum(_cpu_seconds(p) for p in api_pids)
    wall = time.perf_counter() - begin
    everything = [s for values in rec.samples.values() for s in values]
    total = len(everything)
    errors = sum(rec.errors.values())
    return LevelResult(
        users=len(users),
        rps=total / window,
        p50=percentile(everything, 50),
        p95=percentile(everything, 95),
        p99=percentile(everything, 99),
        error_rate=errors / total if total else float("nan"),
        status_p99=percentile(rec.samples.get("status", []), 99),
        server_status_p99=percentile(
            server_status_times(api_logs, rec.measure_from + wall_offset, stop + wall_offset),
            99,
        ),
        by_kind={k: len(v) for k, v in sorted(rec.samples.items())},
        error_kinds=dict(rec.error_kinds),
        load=os.getloadavg(),
        generator_cpu=(
            cpu_after.ru_utime + cpu_after.ru_stime - cpu_before.ru_utime - cpu_before.ru_stime
        )
        / wall,
        api_cpu=(api_after - api_before) / wall,
        arrival_p99=percentile(rec.arrival, 99),
        arrival_errors=rec.arrival_errors,
    )


# --- the run ---------------------------------------------------------------------------------


def _start(procs: Processes, args: argparse.Namespace) -> tuple[list[str], list[int], list[Path]]:
    urls = []
    for i in range(args.apis):
        port = free_port()
        # The production command (docs/deployment.md): one `clipforge api` per core.
        procs.spawn(f"api{i}", "api", "--host", "127.0.0.1", "--port", str(port))
        urls.append(f"http://127.0.0.1:{port}")
    pids = [p.pid for p in procs.procs]
    logs = list(procs.logs)
    for i in range(args.workers):
        log = procs.spawn(f"worker{i}", "worker")
        procs.wait_for_log(log, "workers serving queues")
    deadline = time.monotonic() + 120
    for url in urls:
        while True:
            procs.check_alive()
            try:
                if httpx.get(f"{url}/health/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not become ready")
            time.sleep(0.5)
    return urls, pids, logs


def _print(results: list[LevelResult]) -> None:
    print()
    print(
        f"{'users':>6} | {'req/s':>6} | {'p50 ms':>7} | {'p95 ms':>7} | {'p99 ms':>7} | "
        f"{'errors':>7} | {'status p99':>10} | {'in server':>9} | {'load avg 1/5/15':>15} | "
        "gen/api CPU"
    )
    print("-" * 117)
    for r in results:
        load = "/".join(f"{x:.1f}" for x in r.load)
        print(
            f"{r.users:>6} | {r.rps:>6.0f} | {r.p50 * 1000:>7.1f} | {r.p95 * 1000:>7.1f} | "
            f"{r.p99 * 1000:>7.1f} | {r.error_rate:>7.2%} | {r.status_p99 * 1000:>8.1f}ms | "
            f"{r.server_status_p99 * 1000:>7.1f}ms | "
            f"{load:>15} | {r.generator_cpu:.2f}/{r.api_cpu:.2f} cores"
        )
    for r in results:
        kinds = ", ".join(f"{k} {n}" for k, n in r.by_kind.items())
        errors = ", ".join(f"{k} x{n}" for k, n in r.error_kinds.items()) or "none"
        print(f"{r.users} users: requests {kinds}; errors: {errors}")
        print(
            f"{r.users} users, while arriving (ramp and warm-up, not measured): p99 "
            f"{r.arrival_p99 * 1000:.1f} ms over all requests, {r.arrival_errors} errors"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="500,1000,2000", help="concurrent users per level")
    parser.add_argument("--duration", type=float, default=40.0, help="measured seconds per level")
    parser.add_argument(
        "--ramp", type=float, default=60.0, help="seconds over which the users arrive"
    )
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds after the ramp not measured"
    )
    parser.add_argument(
        "--session-seconds",
        type=float,
        default=300.0,
        help="mean time a user keeps one dashboard open before another opens it afresh",
    )
    parser.add_argument("--apis", type=int, default=2, help="API processes")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--uploads-per-minute", type=float, default=6.0)
    parser.add_argument("--exports-per-minute", type=float, default=12.0)
    parser.add_argument("--pool", type=int, default=20, help="database connections per process")
    parser.add_argument("--logs", type=Path, help="copy the processes' logs to this folder")
    parser.add_argument(
        "--etag-cache-seconds",
        type=float,
        help="CLIPFORGE_ETAG_CACHE_SECONDS for the processes (0: off; default: the setting's)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.users.split(",")]
    db_base, redis_url = server_urls()
    print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="clipforge-bench-load-") as tmp:
        scratch = Path(tmp)
        media = make_speech_video(scratch / "talk.mp4", "teal", SEED_SECONDS)
        upload = make_speech_video(scratch / "upload.mp4", "navy", 4.0).read_bytes()
        with scratch_database(db_base) as db_url:
            prefix = f"benchload{uuid.uuid4().hex[:8]}"
            storage = scratch / "storage"
            settings = Settings.model_validate(
                {
                    "data_dir": scratch / "seed",
                    "database_url": db_url,
                    "redis_url": redis_url,
                    "redis_prefix": prefix,
                    "storage_local_dir": storage,
                }
            )
            started = time.perf_counter()
            users = seed(settings, max(levels), media)
            print(f"seeded {len(users)} users in {time.perf_counter() - started:.1f}s")
            env = {
                **os.environ,
                "DATABASE_URL": f"{db_url}?connection_limit={args.pool}&pool_timeout=10",
                "REDIS_URL": redis_url,
                "CLIPFORGE_REDIS_PREFIX": prefix,
                "CLIPFORGE_STORAGE_LOCAL_DIR": str(storage),
                "CLIPFORGE_LOG_FORMAT": "json",  # as the container image runs
                "CLIPFORGE_WHISPER_THREADS": "1",
            }
            if args.etag_cache_seconds is not None:
                env["CLIPFORGE_ETAG_CACHE_SECONDS"] = str(args.etag_cache_seconds)
            print(f"remembered ETags: {env.get('CLIPFORGE_ETAG_CACHE_SECONDS', 'default')} s")
            procs = Processes(scratch / "procs", env)
            procs.root.mkdir()
            try:
                urls, pids, logs = _start(procs, args)
                print(f"API processes: {', '.join(urls)}; worker processes: {args.workers}")
                results = []
                for level in levels:
                    result = await run_level(users[:level], urls, pids, logs, upload, args)
                    results.append(result)
                    _print([result])
                    procs.check_alive()
                _print(results)
            finally:
                procs.stop()
                if args.logs:
                    shutil.copytree(procs.root, args.logs, dirs_exist_ok=True)


if __name__ == "__main__":
    uvloop.run(main())  # the generator's own overhead is CPU taken from the API it measures
