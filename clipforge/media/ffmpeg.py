"""The one ffmpeg runner: every ffmpeg call in ClipForge goes through `run_ffmpeg`.

It runs ffmpeg as an asyncio subprocess so a worker's event loop never blocks, turns
`-progress` output into a 0..1 fraction, kills the child on timeout or cancellation (no
orphaned encoders hogging CPU), and raises `FFmpegError` carrying the tail of stderr so a
failed job records *why* ffmpeg failed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

logger = logging.getLogger(__name__)

#: Environment variable that overrides the ffmpeg binary (e.g. a system build).
FFMPEG_ENV = "CLIPFORGE_FFMPEG"

#: How much of stderr an error keeps: enough to diagnose, small enough to store on a job.
_STDERR_TAIL_LINES = 40
_STDERR_TAIL_CHARS = 4000

ProgressCallback = Callable[[float], Awaitable[None]]


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: $CLIPFORGE_FFMPEG, else the one bundled by imageio-ffmpeg.

    The bundled build is used by default because it has libass, libx264 and drawtext and
    needs no system install.
    """
    override = os.environ.get(FFMPEG_ENV)
    if override:
        return override
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


class FFmpegError(Exception):
    """ffmpeg failed; `stderr` holds the tail of its log and `returncode` its exit status."""

    def __init__(self, message: str, *, stderr: str = "", returncode: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.stderr = stderr
        self.returncode = returncode

    def __str__(self) -> str:
        return self.message


class FFmpegTimeout(FFmpegError):
    """ffmpeg ran past its time limit and was killed."""


def _last_error_line(stderr: str) -> str:
    """The most telling stderr line (ffmpeg prints the real cause last, usually)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    return lines[-1] if lines else "no error output"


async def _drain_stderr(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    """Keep reading stderr so ffmpeg never blocks on a full pipe; remember the last lines."""
    while True:
        line = await stream.readline()
        if not line:
            return
        tail.append(line.decode("utf-8", errors="replace").rstrip())


def _parse_out_time(value: str) -> float | None:
    """Seconds from an `out_time_us` value; None for ffmpeg's 'N/A' or garbage."""
    try:
        micros = int(value)
    except ValueError:
        return None
    return micros / 1_000_000 if micros >= 0 else None


async def _read_progress(
    stream: asyncio.StreamReader,
    duration: float | None,
    on_progress: ProgressCallback | None,
) -> None:
    """Turn ffmpeg's key=value progress blocks into monotonically rising fractions 0..1."""
    last = -1.0
    current: float | None = None
    while True:
        raw = await stream.readline()
        if not raw:
            return
        key, _, value = raw.decode("utf-8", errors="replace").strip().partition("=")
        if key == "out_time_us":
            current = _parse_out_time(value)
        elif key == "progress":
            if on_progress is None:
                continue
            if value == "end":
                fraction = 1.0
            elif current is not None and duration and duration > 0:
                fraction = min(max(current / duration, 0.0), 1.0)
            else:
                continue
            if fraction > last:
                last = fraction
                await on_progress(fraction)


async def reap(proc: asyncio.subprocess.Process, reader: asyncio.Task[object]) -> None:
    """Kill `proc` if it still runs and wait for it; cancel its `reader` task if unfinished.

    The cleanup every ffmpeg child gets, on success, failure, timeout or cancellation.
    """
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        # asyncio reports the exit only once every pipe has closed, and a stdout nobody
        # reads any more stays open with its reading paused (its buffer full of frames):
        # wait() would never return. Whatever is left is read and thrown away.
        await asyncio.gather(proc.wait(), _discard(proc.stdout))
    if not reader.done():
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader


async def _discard(stream: asyncio.StreamReader | None) -> None:
    """Read `stream` to its end, keeping nothing."""
    if stream is None:
        return
    while await stream.read(1 << 16):
        pass


async def run_ffmpeg(
    args: Sequence[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
) -> None:
    """Run `ffmpeg <args>` to completion.

    `duration` (seconds of output expected) lets progress be reported as a fraction.
    Raises FFmpegError (FFmpegTimeout on timeout) with stderr on failure; on timeout or
    cancellation the process is killed and reaped before this returns.
    """
    cmd = [
        ffmpeg_exe(),
        "-hide_banner",
        "-nostdin",
        "-y",
        "-loglevel",
        "warning",
        "-nostats",
        "-progress",
        "pipe:1",
        *args,
    ]
    logger.debug("running ffmpeg: %s", cmd)
    tail: deque[str] = deque(maxlen=_STDERR_TAIL_LINES)
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:
        raise FFmpegError(f"ffmpeg could not be started ({cmd[0]}): {exc}") from exc

    assert proc.stdout is not None and proc.stderr is not None
    stderr_task = asyncio.create_task(_drain_stderr(proc.stderr, tail))

    def stderr_text() -> str:
        return "\n".join(tail)[-_STDERR_TAIL_CHARS:]

    try:
        async with asyncio.timeout(timeout):
            await _read_progress(proc.stdout, duration, on_progress)
            returncode = await proc.wait()
            await stderr_task
    except TimeoutError:
        raise FFmpegTimeout(
            f"ffmpeg timed out after {timeout:g} s and was stopped", stderr=stderr_text()
        ) from None
    finally:
        if proc.returncode is None:
            logger.warning("killing ffmpeg (pid %s)", proc.pid)
        await reap(proc, stderr_task)

    if returncode != 0:
        err = stderr_text()
        raise FFmpegError(
            f"ffmpeg failed (exit code {returncode}): {_last_error_line(err)}",
            stderr=err,
            returncode=returncode,
        )
