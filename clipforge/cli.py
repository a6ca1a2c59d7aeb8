"""`clipforge` command line: up | api | worker | clip | queues | db upgrade.

Thin: parse arguments, call services, format output.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import json
import logging
import os
import signal
import subprocess
import sys
from collections.abc import Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from clipforge import accounts, services
from clipforge.bootstrap import Resources, build_resources
from clipforge.config import Settings, get_settings
from clipforge.db.tables import Clip, Export, User
from clipforge.domain.status import STAGE_ORDER, ExportStatus, Stage, VideoStatus
from clipforge.logging_setup import setup_logging, uvicorn_logging_kwargs
from clipforge.queues.client import QueueCounts
from clipforge.queues.connection import check_eviction_policy, stop_embedded_redis
from clipforge.queues.definitions import ALL_QUEUES, parse_queue_name

log = logging.getLogger("clipforge")
T = TypeVar("T")

POLL_SECONDS = 0.5


def _setup_logging(verbose: bool, json_lines: bool) -> None:
    """Text for people by default; JSON lines with CLIPFORGE_LOG_FORMAT=json."""
    setup_logging(json=json_lines, level=logging.DEBUG if verbose else logging.INFO)


class CliError(Exception):
    """A problem the user can fix; printed without a traceback, exit status 1."""


def _announce_access_mode(res: Resources, host: str) -> None:
    """Refuse to serve a network without accounts; say when single-user mode is on."""
    from clipforge.api.auth import is_loopback_host

    if accounts.has_accounts(res.sessions):
        return
    if not is_loopback_host(host):
        raise CliError(
            f"Refusing to listen on {host}: no accounts exist, so anyone who can reach it could "
            "use it. Create one first: clipforge users create EMAIL --admin --password"
        )
    print(
        "Single-user mode: no accounts exist, so this machine's own browser and scripts use "
        "ClipForge without signing in. Create an account (clipforge users create) to require one."
    )


# --- api / worker / up ---------------------------------------------------------------------


def cmd_api(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from clipforge.api.app import create_app

    host = args.host or settings.api_host
    res = build_resources(settings)
    check_eviction_policy(settings, res.redis_url)
    _announce_access_mode(res, host)
    app = create_app(resources=res, bind_host=host)
    tune_gc_for_serving()
    uvicorn.run(
        app,
        host=host,
        port=args.port or settings.api_port,
        workers=1,
        log_level="info",
        **uvicorn_logging_kwargs(settings.log_format == "json"),
    )
    return 0


def tune_gc_for_serving() -> None:
    """Garbage collection for a long-running API process, called once start-up is done.

    Measured with bench/bench_load.py (2,000 users, about 1,000 connections per process):
    with Python's default thresholds (700, 10, 10) the objects of requests in flight survive
    the frequent young collections, reach the oldest generation, and a full collection then
    pauses the event loop for 60-200 ms every few seconds, which was most of the p99 latency.
    A young generation of 50,000 lets request objects die young, and freezing what start-up
    made (modules, routes, schemas) keeps the full collections that remain short.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from clipforge.health import WorkerProbe
    from clipforge.metrics import start_worker_metrics_server
    from clipforge.queues.worker import serve_workers

    names = [parse_queue_name(q) for q in args.queue] if args.queue else list(ALL_QUEUES)
    # Media work is batch work: on a shared host the API's requests come first. ffmpeg and
    # the recogniser's threads inherit the priority.
    os.nice(settings.worker_nice)
    res = build_resources(settings)
    check_eviction_policy(settings, res.redis_url)
    start_worker_metrics_server(settings.worker_metrics_port)

    async def main() -> None:
        await res.start()
        try:
            await serve_workers(settings, res.redis_url, res.stages(names), probe=WorkerProbe(res))
        finally:
            await res.aclose()

    asyncio.run(main())
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    """API in this process, one worker process for all queues, embedded Redis if none set."""
    import uvicorn

    from clipforge.api.app import create_app

    res = build_resources(settings)  # starts embedded Redis and migrates the schema once
    check_eviction_policy(settings, res.redis_url)
    env = dict(os.environ, REDIS_URL=res.redis_url)
    if settings.database_url is None:
        env["DATABASE_URL"] = settings.database().url
    host = args.host or settings.api_host
    port = args.port or settings.api_port
    _announce_access_mode(res, host)
    if settings.uses_embedded_redis:
        print(f"Embedded Redis on {res.redis_url} (data in {settings.data_dir.resolve()})")
    workers = [
        subprocess.Popen([sys.executable, "-m", "clipforge", "worker"], env=env)
        for _ in range(args.workers)
    ]
    print(f"ClipForge on http://{host}:{port}  (dashboard /, API docs /docs)")
    # uvicorn re-raises the SIGTERM it caught once it has stopped; with the default handler
    # that would end this process before the workers below are stopped, orphaning them.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    app = create_app(resources=res, bind_host=host)
    tune_gc_for_serving()
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="info",
            **uvicorn_logging_kwargs(settings.log_format == "json"),
        )
    finally:
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=settings.worker_shutdown_seconds + 5)
            except subprocess.TimeoutExpired:
                proc.kill()
        stop_embedded_redis()  # its only other users, the workers, have stopped
    return 0


def _acting_user(res: Resources, email: str | None) -> User:
    """Whose library a CLI job goes into: a named account, or the embedded local user."""
    if email:
        return accounts.find_user(res.sessions, email)
    return accounts.local_user(res.sessions)


# --- clip ----------------------------------------------------------------------------------


class _ProgressPrinter:
    """One line per stage; redrawn in place on a terminal, printed on change otherwise."""

    def __init__(self) -> None:
        self._tty = sys.stderr.isatty()
        self._last: str | None = None

    def show(self, label: str, percent: int) -> None:
        filled = percent // 5
        line = f"{label:<14} [{'#' * filled}{'.' * (20 - filled)}] {percent:3d}%"
        if line == self._last:
            return
        if self._tty:
            sys.stderr.write("\r" + line)
            if percent >= 100:
                sys.stderr.write("\n")
        elif self._last is None or percent >= 100 or line[:14] != self._last[:14]:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()
        self._last = line

    def done(self) -> None:
        if self._tty and self._last and not self._last.endswith("100%"):
            sys.stderr.write("\n")


async def _wait_for_video(
    res: Resources, owner_id: str, video_id: str, printer: _ProgressPrinter
) -> None:
    """Show a bar per stage; stages that finished between two polls still get their 100%."""
    labels = {
        Stage.IMPORT: "importing",
        Stage.TRANSCRIBE: "transcribing",
        Stage.DETECT: "detecting",
    }
    shown = 0  # stages of STAGE_ORDER already shown as finished
    while True:
        video = await asyncio.to_thread(services.get_video, res, owner_id, video_id)
        if video.status == VideoStatus.FAILED:
            printer.done()
            raise CliError(f"{video.failed_stage or 'import'} failed: {video.error}")
        ready = video.status == VideoStatus.READY
        current = len(STAGE_ORDER) if ready else STAGE_ORDER.index(Stage(video.stage or "import"))
        while shown < current:
            printer.show(labels[STAGE_ORDER[shown]], 100)
            shown += 1
        if ready:
            return
        printer.show(labels[STAGE_ORDER[current]], video.stage_progress)
        await asyncio.sleep(POLL_SECONDS)


async def _run_clip(args: argparse.Namespace, res: Resources) -> int:
    from clipforge.queues.worker import serve_workers

    stop = asyncio.Event()
    workers = (
        asyncio.create_task(serve_workers(res.settings, res.redis_url, res.stages(), stop))
        if args.workers
        else None
    )
    printer = _ProgressPrinter()
    owner = await asyncio.to_thread(_acting_user, res, args.user)
    try:
        source = args.source
        detect = {
            "count": args.max_clips,
            "min_seconds": args.min_seconds,
            "max_seconds": args.max_seconds,
            "keywords": args.keywords,
            "search_start": args.search_start,
            "search_end": args.search_end,
        }
        if source.startswith(("http://", "https://")) or "://" in source:
            submitted = await services.submit_url(res, owner.id, source, detect, args.language)
        else:
            submitted = await services.submit_path(
                res, owner.id, Path(source), detect, args.language
            )
        print(f"video {submitted.video_id} submitted", file=sys.stderr)
        await _unless_stopped(stop, _wait_for_video(res, owner.id, submitted.video_id, printer))
        clips = list(
            await asyncio.to_thread(services.list_clips, res, owner.id, submitted.video_id)
        )
        if not clips:
            raise CliError("No clips were found in this video.")
        exports = [
            await services.create_export(
                res, owner.id, c.id, args.aspect, args.caption_style, args.quality
            )
            for c in clips
        ]
        ready = await _unless_stopped(stop, _wait_for_exports(res, owner.id, exports, printer))
        manifest = await _write_outputs(args.out, submitted.video_id, clips, ready, res)
        print(f"{len(ready)} clip(s) written to {args.out.resolve()} (manifest: {manifest.name})")
        return 0
    finally:
        stop.set()
        if workers is not None:
            await workers


async def _unless_stopped(stop: asyncio.Event, waiting: Coroutine[Any, Any, T]) -> T:
    """`waiting`'s result, unless `stop` is set first (Ctrl-C or SIGTERM: the workers then
    drain and stop, so the wait would never end)."""
    work = asyncio.ensure_future(waiting)
    stopped = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({work, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
    if work.done():
        return work.result()
    work.cancel()
    await asyncio.gather(work, return_exceptions=True)
    raise CliError(
        "Interrupted before the clips were written; run the command again to start over."
    )


async def _wait_for_exports(
    res: Resources, owner_id: str, exports: Sequence[Export], printer: _ProgressPrinter
) -> list[Export]:
    ids = [e.id for e in exports]
    while True:
        rows = [await asyncio.to_thread(services.get_export, res, owner_id, i) for i in ids]
        failed = [r for r in rows if r.status == ExportStatus.FAILED]
        if failed:
            printer.done()
            raise CliError(f"export failed: {failed[0].error}")
        finished = all(r.status == ExportStatus.READY for r in rows)
        printer.show("exporting", 100 if finished else sum(r.progress for r in rows) // len(rows))
        if finished:
            return rows
        await asyncio.sleep(POLL_SECONDS)


async def _write_outputs(
    out: Path, video_id: str, clips: Sequence[Clip], exports: Sequence[Export], res: Resources
) -> Path:
    """Copy each clip's MP4, thumbnail and SRT into `out` and describe them in manifest.json."""
    out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, object]] = []
    for index, (clip, export) in enumerate(zip(clips, exports, strict=True), start=1):
        stem = f"clip-{index:02d}"
        files = {
            "video": (export.video_key, f"{stem}.mp4"),
            "thumbnail": (export.thumbnail_key, f"{stem}.jpg"),
            "srt": (export.srt_key, f"{stem}.srt"),
            "vtt": (export.vtt_key, f"{stem}.vtt"),
        }
        for key, name in files.values():
            if key is None:
                raise CliError(f"export {export.id} is missing a file")
            await res.storage.get_file(key, out / name)
        entries.append(
            {
                "rank": clip.rank,
                "title": clip.title,
                "description": clip.description,
                "hashtags": list(clip.hashtags or []),
                "score": clip.score,
                "breakdown": clip.breakdown,
                "reason": clip.reason,
                "start": clip.start,
                "end": clip.end,
                "text": clip.text,
                "aspect_ratio": export.aspect_ratio,
                "caption_style": export.caption_style,
                "quality": export.quality,
                "width": export.width,
                "height": export.height,
                "files": {kind: name for kind, (_, name) in files.items()},
            }
        )
    manifest = out / "manifest.json"
    manifest.write_text(json.dumps({"video_id": video_id, "clips": entries}, indent=2))
    return manifest


def cmd_clip(args: argparse.Namespace, settings: Settings) -> int:
    res = build_resources(settings)

    async def main() -> int:
        await res.start()
        try:
            return await _run_clip(args, res)
        finally:
            await res.aclose()

    try:
        return asyncio.run(main())
    finally:
        stop_embedded_redis()  # nothing else uses the server this command started


# --- queues / db ---------------------------------------------------------------------------


def cmd_queues(args: argparse.Namespace, settings: Settings) -> int:
    res = build_resources(settings, upgrade_schema=False)

    async def main() -> list[QueueCounts]:
        try:
            return list(await res.queues.all_counts())
        finally:
            await res.aclose()

    rows: list[QueueCounts] = asyncio.run(main())
    header = f"{'queue':<16}{'waiting':>9}{'active':>8}{'completed':>11}{'failed':>8}{'delayed':>9}"
    print(header)
    for c in rows:
        print(
            f"{c.queue:<16}{c.waiting:>9}{c.active:>8}{c.completed:>11}{c.failed:>8}{c.delayed:>9}"
        )
    return 0


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    from clipforge.db import migrate
    from clipforge.db.engine import build_engine

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database())
    try:
        if args.action == "upgrade":
            migrate.upgrade(engine, args.revision)
        else:
            migrate.downgrade(engine, args.revision)
        print(f"database at revision {migrate.current_revision(engine)}")
    finally:
        engine.dispose()
    return 0


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    res = build_resources(settings)
    try:
        password = None
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        elif args.password:
            password = getpass.getpass("Password: ")
        user = accounts.create_user(res.sessions, args.email, password=password, admin=args.admin)
        print(f"user {user.email} created ({user.role}), id {user.id}")
        if not args.no_key:
            new = accounts.create_key(res.sessions, user.id, "default")
            print(f"API key (shown once, keep it safe): {new.secret}")
        return 0
    finally:
        asyncio.run(res.aclose())


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    res = build_resources(settings)
    try:
        user = accounts.find_user(res.sessions, args.email)
        if args.action == "create":
            new = accounts.create_key(res.sessions, user.id, args.name)
            print(f"API key {new.key.id} ({new.key.name}) for {user.email}:")
            print(new.secret)
            print("Shown once: store it now.")
        elif args.action == "list":
            print(f"{'id':<34}{'name':<20}{'prefix':<13}{'created':<21}{'last used':<21}status")
            for key in accounts.list_keys(res.sessions, user.id):
                used = key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "-"
                print(
                    f"{key.id:<34}{key.name[:19]:<20}{key.prefix:<13}"
                    f"{key.created_at.strftime('%Y-%m-%d %H:%M'):<21}{used:<21}"
                    f"{'revoked' if key.revoked_at else 'active'}"
                )
        else:
            if not args.key_id:
                raise CliError("keys revoke needs the key id (see `clipforge keys list EMAIL`)")
            key = accounts.revoke_key(res.sessions, user.id, args.key_id)
            print(f"API key {key.id} ({key.name}) revoked")
        return 0
    finally:
        asyncio.run(res.aclose())


# --- parser --------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clipforge", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="API + workers (+ embedded Redis), one command")
    up.add_argument("--host")
    up.add_argument("--port", type=int)
    up.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    up.set_defaults(func=cmd_up)

    api = sub.add_parser("api", help="the HTTP API only")
    api.add_argument("--host")
    api.add_argument("--port", type=int)
    api.set_defaults(func=cmd_api)

    worker = sub.add_parser("worker", help="a worker process")
    worker.add_argument(
        "--queue",
        action="append",
        metavar="NAME",
        help=f"queue to serve (repeatable; default all): {', '.join(ALL_QUEUES)}",
    )
    worker.set_defaults(func=cmd_worker)

    clip = sub.add_parser("clip", help="turn a video file or link into clips")
    clip.add_argument("source", help="a video file path or an http(s) link")
    clip.add_argument("--out", type=Path, default=Path("clips"), help="output folder")
    clip.add_argument("--aspect", default="9:16", help="9:16, 1:1, 4:5 or 16:9")
    clip.add_argument("--caption-style", default="karaoke", help="karaoke, pop, boxed, ...")
    clip.add_argument("--quality", default="standard", help="draft, standard or high")
    clip.add_argument(
        "--max-clips", "--count", dest="max_clips", type=int, help="how many clips (default 5)"
    )
    clip.add_argument("--language", help="spoken language, e.g. en or de (default: detect)")
    clip.add_argument("--min-seconds", type=float, help="shortest clip (default 15)")
    clip.add_argument("--max-seconds", type=float, help="longest clip (default 60)")
    clip.add_argument(
        "--keyword",
        dest="keywords",
        action="append",
        metavar="WORD",
        help="favour clips about this topic (repeatable)",
    )
    clip.add_argument(
        "--from",
        dest="search_start",
        type=float,
        metavar="SECONDS",
        help="only look from this second of the video",
    )
    clip.add_argument(
        "--to",
        dest="search_end",
        type=float,
        metavar="SECONDS",
        help="only look up to this second of the video",
    )
    clip.add_argument("--user", metavar="EMAIL", help="put the video in this account's library")
    clip.add_argument(
        "--no-workers",
        dest="workers",
        action="store_false",
        help="don't run workers in this process (they run elsewhere on the same Redis)",
    )
    clip.set_defaults(func=cmd_clip)

    users = sub.add_parser("users", help="accounts")
    users_sub = users.add_subparsers(dest="action", required=True)
    create = users_sub.add_parser("create", help="create a user (and a first API key)")
    create.add_argument("email")
    create.add_argument("--admin", action="store_true", help="operator role")
    create.add_argument("--password", action="store_true", help="prompt for a dashboard password")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin"
    )
    create.add_argument("--no-key", action="store_true", help="don't create an API key")
    users.set_defaults(func=cmd_users)

    keys = sub.add_parser("keys", help="API keys")
    keys.add_argument("action", choices=["create", "list", "revoke"])
    keys.add_argument("email", help="the key owner's email")
    keys.add_argument("key_id", nargs="?", help="for revoke: the key id")
    keys.add_argument("--name", default="default", help="for create: a label for the key")
    keys.set_defaults(func=cmd_keys)

    queues = sub.add_parser("queues", help="queue counts")
    queues.set_defaults(func=cmd_queues)

    db = sub.add_parser("db", help="database schema")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("revision", nargs="?", default="head")
    db.set_defaults(func=cmd_db)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
        _setup_logging(args.verbose, settings.log_format == "json")
        return int(args.func(args, settings))
    except (
        CliError,
        accounts.AccountError,
        services.InvalidRequest,
        services.NotFound,
        services.LimitExceeded,
        ValueError,
    ) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
