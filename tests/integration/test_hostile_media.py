"""Hostile and broken media through the real import stage and the real queues.

Every bad file must end as a failed video whose error is the specific sentence a person can
act on (no traceback, no server paths), fail on its first attempt (retrying bad input is
pointless), leave no temp folders, and leave the worker alive to import a good file next.
Limits are exercised with small limits on tiny files, plus one real header-only "bomb".
"""

from __future__ import annotations

import asyncio
import dataclasses
import struct
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from clipforge import accounts
from clipforge.bootstrap import Resources
from clipforge.db.tables import Video
from clipforge.domain.keys import audio_key, original_key, poster_key
from clipforge.media.ffmpeg import ffmpeg_exe
from clipforge.queues.definitions import QueueName
from clipforge.queues.worker import serve_workers
from clipforge.services import Submitted, get_video, submit_path, submit_upload
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

GOOD_STATUSES = {"transcribing", "detecting", "ready"}
UNREADABLE = "The file could not be read as video or audio (it may be corrupt or not a media file)."


def ffmpeg(dest: Path, *args: str) -> Path:
    subprocess.run(
        [ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y", *args, str(dest)], check=True
    )
    return dest


def _garbage(n: int) -> bytes:
    return bytes((i * 37 + 11) % 256 for i in range(n))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny files, made once: every case below derives its input from these."""
    d = tmp_path_factory.mktemp("hostile")
    video = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    files = {
        "good": ffmpeg(
            d / "good.mp4",
            "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=2",
            "-f", "lavfi", "-i", "sine=d=2", *video, "-c:a", "aac", "-shortest",
        ),
        "five_seconds": ffmpeg(
            d / "five.mp4",
            "-f", "lavfi", "-i", "testsrc2=s=160x120:r=5:d=5",
            "-f", "lavfi", "-i", "sine=d=5", *video, "-c:a", "aac", "-shortest",
        ),
        "wav": ffmpeg(d / "tone.wav", "-f", "lavfi", "-i", "sine=d=1"),
        "video_only": ffmpeg(
            d / "silent.mp4", "-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1", *video
        ),
        # 20 audio streams from one source.
        "many_streams": ffmpeg(
            d / "many.mka", "-f", "lavfi", "-i", "sine=d=1", *["-map", "0:a"] * 20, "-c:a", "aac"
        ),
        "raw_avi": ffmpeg(
            d / "raw.avi",
            "-f", "lavfi", "-i", "testsrc2=s=64x48:r=5:d=1", "-f", "lavfi", "-i", "sine=d=1",
            "-c:v", "rawvideo", "-pix_fmt", "yuv420p", "-c:a", "pcm_s16le",
        ),
    }  # fmt: skip
    return files


def header_bomb(raw_avi: Path, dest: Path, width: int, height: int) -> Path:
    """A tiny AVI whose header declares an enormous uncompressed frame (a decode bomb).

    AVI stores the frame size in fixed-width fields (avih and the video BITMAPINFOHEADER),
    so they can be rewritten in place; the frame data stays 64×48's few bytes.
    """
    data = bytearray(raw_avi.read_bytes())
    avih = data.index(b"avih")
    struct.pack_into("<II", data, avih + 8 + 32, width, height)  # dwWidth, dwHeight
    strf = data.index(b"strf", data.index(b"vids"))
    struct.pack_into("<ii", data, strf + 8 + 4, width, height)  # biWidth, biHeight
    dest.write_bytes(bytes(data))
    return dest


def _corrupt(good: Path, dest: Path, how: str) -> Path:
    data = bytearray(good.read_bytes())
    if how == "truncated":
        del data[int(len(data) * 0.3) :]
    elif how == "moov":
        moov = data.index(b"moov")
        data[moov + 4 : moov + 200] = _garbage(196)  # mvhd and the start of the first trak
    elif how == "ftyp":
        data[0:32] = _garbage(32)  # the ftyp atom's size, type and brands
    dest.write_bytes(bytes(data))
    return dest


@dataclasses.dataclass
class Case:
    id: str
    #: Builds the input file in the given folder from the shared media.
    make: Callable[[dict[str, Path], Path], Path]
    #: The exact error sentence, or None when the import must succeed.
    error: str | None
    filename: str = "upload.mp4"
    #: Setting overrides (limits) for this case.
    settings: dict[str, object] = dataclasses.field(default_factory=dict)
    via_path: bool = False
    #: The good file imported afterwards; it must fit this case's limits.
    good: str = "good"


CASES = [
    Case("zero_byte", lambda m, d: _touch(d / "empty.mp4"), "The file is empty."),
    Case("truncated_mp4", lambda m, d: _corrupt(m["good"], d / "cut.mp4", "truncated"), UNREADABLE),
    Case(
        "text_as_video",
        lambda m, d: _write(d / "notes.mp4", b"meeting notes, not a video\n" * 100),
        UNREADABLE,
    ),
    Case("wav_named_mp4", lambda m, d: m["wav"], None, filename="song.mp4"),
    Case("mp4_named_txt", lambda m, d: m["good"], None, filename="notes.txt"),
    Case("mp4_named_txt_on_server_path", lambda m, d: _copy(m["good"], d / "talk.txt"), None,
         via_path=True),
    Case("audio_only", lambda m, d: m["wav"], None, filename="tone.wav"),
    Case(
        "video_only",
        lambda m, d: m["video_only"],
        "The file has no audio track, so there is nothing to transcribe.",
    ),
    Case(
        "frame_over_limit",
        lambda m, d: m["good"],
        "The video frame is 160×120 pixels; the largest supported is 10,000 pixels per frame.",
        settings={"max_video_pixels": 10_000},
        good="wav",
    ),
    Case(
        "header_bomb_16k",
        lambda m, d: header_bomb(m["raw_avi"], d / "bomb.avi", 15360, 8640),
        "The video frame is 15360×8640 pixels; the largest supported is 8K (7680×4320).",
        filename="bomb.avi",
    ),
    Case(
        "too_long",
        lambda m, d: m["five_seconds"],
        "The video is 5 s long; the limit is 3 s.",
        settings={"max_media_seconds": 3},
    ),
    Case(
        "too_many_streams",
        lambda m, d: m["many_streams"],
        "The file has 20 streams; at most 16 are supported.",
        filename="many.mka",
    ),
    Case("garbage_in_moov", lambda m, d: _corrupt(m["good"], d / "moov.mp4", "moov"), UNREADABLE),
    Case("garbage_in_ftyp", lambda m, d: _corrupt(m["good"], d / "ftyp.mp4", "ftyp"), UNREADABLE),
]  # fmt: skip


def _touch(path: Path) -> Path:
    path.touch()
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _copy(src: Path, dest: Path) -> Path:
    dest.write_bytes(src.read_bytes())
    return dest


async def _settled(res: Resources, video_id: str, timeout: float = 60) -> Video:
    """Wait until import is over: failed, or moved on to a later stage."""
    deadline = time.monotonic() + timeout
    while True:
        video = await asyncio.to_thread(get_video, res, _owner(res), video_id)
        if video.status == "failed" or video.status in GOOD_STATUSES:
            return video
        if time.monotonic() > deadline:
            raise AssertionError(f"video {video_id} still {video.status} after {timeout}s")
        await asyncio.sleep(0.1)


async def _final_job_attempts(res: Resources, video_id: str) -> int:
    """attempts_made of the import job once BullMQ has recorded it as failed."""
    deadline = time.monotonic() + 20
    while True:
        job = await res.queues.job(QueueName.IMPORT, f"{video_id}-import")
        if job is not None and job.state == "failed":
            return job.attempts_made
        if time.monotonic() > deadline:
            raise AssertionError(f"import job never failed: {job}")
        await asyncio.sleep(0.1)


async def _import_finished(res: Resources, video_id: str) -> None:
    """Wait for the import job itself to end: the video row moves on a moment before the
    stage's own clean-up has run."""
    deadline = time.monotonic() + 20
    while True:
        job = await res.queues.job(QueueName.IMPORT, f"{video_id}-import")
        if job is not None and job.state in ("completed", "failed"):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"import job never finished: {job}")
        await asyncio.sleep(0.05)


def _owner(res: Resources) -> str:
    return accounts.local_user(res.sessions).id


def _leftovers(video_id: str) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"clipforge-*{video_id}*"))


async def _with_import_worker(
    res: Resources, body: Callable[[asyncio.Task[None]], Awaitable[None]]
) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(
        serve_workers(res.settings, res.redis_url, res.stages([QueueName.IMPORT]), stop)
    )
    try:
        await body(worker)
    finally:
        stop.set()
        await worker
    assert worker.exception() is None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_hostile_media_fails_clearly_and_the_worker_carries_on(
    case: Case,
    resources: Resources,
    media: dict[str, Path],
    tmp_path: Path,
    database_url: str | None,
    redis_url_setting: str | None,
) -> None:
    res = resources
    if case.settings:
        # Same database, storage and queues; only the import limits differ.
        settings = make_settings(
            res.settings.data_dir,
            database_url,
            redis_url_setting,
            redis_prefix=res.settings.redis_prefix,
            **case.settings,
        )
        res = dataclasses.replace(resources, settings=settings)
    source = case.make(media, tmp_path)

    async def body(worker: asyncio.Task[None]) -> None:
        submitted: Submitted
        if case.via_path:
            submitted = await submit_path(res, _owner(res), source)
        else:
            # submit_upload copies the file into storage; keep the shared media intact.
            upload = _copy(source, tmp_path / "upload.tmp")
            submitted = await submit_upload(res, _owner(res), upload, case.filename)
        video_id = submitted.video_id
        video = await _settled(res, video_id)

        if case.error is None:
            assert video.status in GOOD_STATUSES, video.error
            assert video.duration and video.duration > 0
        else:
            assert video.status == "failed"
            assert video.failed_stage == "import"
            assert video.error == case.error
            for secret in ("Traceback", str(tmp_path), tempfile.gettempdir(), "data/storage"):
                assert secret not in (video.error or "")
            assert str(res.settings.data_dir.resolve()) not in (video.error or "")
            # Bad input is refused once; a retry could not make it good.
            assert await _final_job_attempts(res, video_id) == 1
        await _import_finished(res, video_id)
        assert _leftovers(video_id) == [], "no temp folders left behind"

        # The worker survived and still imports a good file.
        assert not worker.done(), "the worker is still running"
        good = await submit_upload(
            res, _owner(res), _copy(media[case.good], tmp_path / "good.tmp"), "good.mp4"
        )
        after = await _settled(res, good.video_id)
        assert after.status in GOOD_STATUSES, after.error
        await _import_finished(res, good.video_id)
        assert _leftovers(good.video_id) == []
        assert not worker.done()

    await _with_import_worker(res, body)


HOSTILE_NAMES = [
    "../../../../etc/passwd",
    "..",
    "a/b\\c/../d.mp4",
    "evil\x00name.mp4",
    "/absolute/path/x.mp4",
    "x" * 300 + ".mp4",
    "C:\\Windows\\system32\\x.mp4",
    "line\nbreak\r\tand\x1b[31mansi.mp4",
]


async def test_hostile_upload_names_never_reach_the_file_system(
    resources: Resources, media: dict[str, Path], tmp_path: Path
) -> None:
    res = resources
    ids: list[str] = []

    async def body(worker: asyncio.Task[None]) -> None:
        for name in HOSTILE_NAMES:
            upload = _copy(media["good"], tmp_path / "upload.tmp")
            submitted = await submit_upload(res, _owner(res), upload, name)
            ids.append(submitted.video_id)
        for video_id, name in zip(ids, HOSTILE_NAMES, strict=True):
            video = await _settled(res, video_id)
            assert video.status in GOOD_STATUSES, (name, video.error)
            title = video.title or ""
            assert title and len(title) <= 200, title
            assert not any(ch in title for ch in "/\\\x00\n\r\t\x1b"), title
            # A name of ".." stays the title ".." (services._display_name): only a display
            # label, never a path, so it is not asserted away here.
        assert not worker.done()

    await _with_import_worker(res, body)

    if res.storage.local_path(original_key(ids[0])) is None:
        pytest.skip("object storage: no local tree to inspect")
    root = res.settings.storage_root
    stored = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    expected = (
        {original_key(i) for i in ids} | {audio_key(i) for i in ids} | {poster_key(i) for i in ids}
    )
    assert stored == expected, "only videos/<id>/original (and the audio and poster we made)"
    # Nothing named after the user's input exists anywhere in the data folder or temp dir.
    everywhere = [*res.settings.data_dir.rglob("*"), *Path(tempfile.gettempdir()).glob("*")]
    for path in everywhere:
        assert "passwd" not in path.name and "evil" not in path.name and "xxxxx" not in path.name
