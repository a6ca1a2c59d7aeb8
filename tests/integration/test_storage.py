"""Storage contract: LocalStorage and S3Storage (on moto's real S3 HTTP server) behave alike."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from moto.server import ThreadedMotoServer

from clipforge.config import Settings
from clipforge.storage import (
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    Storage,
    StorageError,
    build_storage,
    validate_key,
)

CREDS = {"access_key_id": "testing", "secret_access_key": "testing"}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _s3(endpoint: str, bucket: str | None = None, **kw: object) -> S3Storage:
    return S3Storage(
        bucket=bucket or f"t-{uuid.uuid4().hex[:12]}",
        endpoint_url=endpoint,
        region="us-east-1",
        **CREDS,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["local", "s3"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path, moto_endpoint: str
) -> AsyncIterator[Storage]:
    if request.param == "local":
        yield LocalStorage(tmp_path / "store")
    else:
        s3 = _s3(moto_endpoint)
        await s3.ensure_bucket()
        yield s3


async def test_bytes_round_trip_and_overwrite(storage: Storage) -> None:
    await storage.put_bytes("videos/a/meta.json", b"one", "application/json")
    assert await storage.exists("videos/a/meta.json")
    assert await storage.get_bytes("videos/a/meta.json") == b"one"
    assert await storage.size("videos/a/meta.json") == 3
    await storage.put_bytes("videos/a/meta.json", b"second")  # same key: replaced
    assert await storage.get_bytes("videos/a/meta.json") == b"second"
    assert await storage.size("videos/a/meta.json") == 6


async def test_file_round_trip(storage: Storage, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    payload = bytes(range(256)) * 4096  # 1 MiB
    src.write_bytes(payload)
    await storage.put_file("videos/b/original.mp4", src, "video/mp4")
    dest = tmp_path / "out" / "nested" / "copy.mp4"
    await storage.get_file("videos/b/original.mp4", dest)
    assert dest.read_bytes() == payload
    assert await storage.size("videos/b/original.mp4") == len(payload)
    # No temp files left next to the destination.
    assert [p.name for p in dest.parent.iterdir()] == ["copy.mp4"]


async def test_missing_objects(storage: Storage, tmp_path: Path) -> None:
    assert not await storage.exists("nope/x")
    with pytest.raises(ObjectNotFound):
        await storage.get_bytes("nope/x")
    with pytest.raises(ObjectNotFound):
        await storage.size("nope/x")
    dest = tmp_path / "dl" / "x.bin"
    with pytest.raises(ObjectNotFound):
        await storage.get_file("nope/x", dest)
    assert not dest.exists()
    assert not dest.parent.exists() or list(dest.parent.iterdir()) == []
    await storage.delete("nope/x")  # idempotent


async def test_folder_is_not_an_object(storage: Storage) -> None:
    await storage.put_bytes("dir/child", b"x")
    assert not await storage.exists("dir")
    with pytest.raises(ObjectNotFound):
        await storage.get_bytes("dir")
    await storage.delete("dir")
    assert await storage.exists("dir/child")


async def test_delete_and_delete_prefix(storage: Storage) -> None:
    for key in ("v/1/a", "v/1/b", "v/1/sub/c", "v/10/a", "v/2/a"):
        await storage.put_bytes(key, b"x")
    await storage.delete("v/2/a")
    await storage.delete("v/2/a")
    assert not await storage.exists("v/2/a")
    assert await storage.delete_prefix("v/1/") == 3
    assert not await storage.exists("v/1/sub/c")
    assert await storage.exists("v/10/a")  # "v/1/" does not match "v/10/"
    assert await storage.delete_prefix("v/1/") == 0
    assert await storage.delete_prefix("v/1") == 1  # string prefix, as in S3
    assert await storage.delete_prefix("never/") == 0


async def test_local_delete_prefix_prunes_folders(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    await store.put_bytes("videos/abc/clips/1.mp4", b"x")
    await store.put_bytes("videos/abd/o.mp4", b"x")
    assert await store.delete_prefix("videos/abc/") == 1
    assert not (tmp_path / "videos" / "abc").exists()
    assert (tmp_path / "videos" / "abd" / "o.mp4").exists()
    # A write into a pruned folder recreates it.
    await store.put_bytes("videos/abc/clips/2.mp4", b"y")
    assert await store.get_bytes("videos/abc/clips/2.mp4") == b"y"


BAD_KEYS = [
    "",
    "/abs",
    "a//b",
    "a/",
    "../etc/passwd",
    "a/../b",
    "a/./b",
    ".",
    "a b",
    "a\\b",
    "a\x00b",
    "ünïcode",
    "x" * 513,
    "a/b~tmp",
]


@pytest.mark.parametrize("key", BAD_KEYS)
def test_validate_key_rejects(key: str) -> None:
    with pytest.raises(ValueError):
        validate_key(key)


def test_validate_key_accepts() -> None:
    for key in ("a", "videos/123/original.mp4", "A-b_c.d/e", ".hidden/x", "x" * 512):
        assert validate_key(key) == key


@pytest.mark.parametrize("key", ["../escape", "/etc/passwd", "a//b"])
async def test_every_operation_rejects_bad_keys(storage: Storage, key: str, tmp_path: Path) -> None:
    src = tmp_path / "f"
    src.write_bytes(b"x")
    calls = [
        storage.put_bytes(key, b"x"),
        storage.put_file(key, src),
        storage.get_bytes(key),
        storage.get_file(key, tmp_path / "d"),
        storage.exists(key),
        storage.size(key),
        storage.delete(key),
        storage.presigned_url(key),
    ]
    for call in calls:
        with pytest.raises(ValueError):
            await call
    with pytest.raises(ValueError):
        storage.local_path(key)
    for prefix in ("", "/", "../", "a//"):
        with pytest.raises(ValueError):
            await storage.delete_prefix(prefix)


async def test_ping(storage: Storage) -> None:
    await storage.ping()


async def test_local_paths_and_presign(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    await store.put_bytes("a/b.txt", b"hi")
    path = store.local_path("a/b.txt")
    assert path is not None and path.read_bytes() == b"hi"
    assert await store.presigned_url("a/b.txt", filename="b.txt") is None
    assert store.name == "local"


async def test_local_interrupted_write_leaves_old_object(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    await store.put_bytes("k/obj", b"old")
    missing = tmp_path / "does-not-exist"
    with pytest.raises(StorageError):
        await store.put_file("k/obj", missing)
    assert await store.get_bytes("k/obj") == b"old"
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["obj"]


async def test_local_ping_fails_when_root_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    with pytest.raises(StorageError):
        await LocalStorage(blocker / "root").ping()


async def test_s3_presigned_url_downloads_with_filename(moto_endpoint: str) -> None:
    s3 = _s3(moto_endpoint)
    await s3.ensure_bucket()
    await s3.put_bytes("exports/c1.mp4", b"clipdata", "video/mp4")
    url = await s3.presigned_url("exports/c1.mp4", filename='My "clip" é.mp4', expires=120)
    assert url is not None and "X-Amz-Signature" in url and "X-Amz-Expires=120" in url
    assert s3.local_path("exports/c1.mp4") is None
    async with httpx.AsyncClient() as client:
        resp = await client.get(url)
    assert resp.status_code == 200
    assert resp.content == b"clipdata"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="My _clip_ _.mp4"' in disposition
    assert "filename*=UTF-8''My%20%22clip%22%20%C3%A9.mp4" in disposition
    default = await s3.presigned_url("exports/c1.mp4")
    assert default is not None and "X-Amz-Expires=3600" in default


async def test_s3_transfer_failures_are_storage_errors(moto_endpoint: str, tmp_path: Path) -> None:
    s3 = _s3(moto_endpoint)
    await s3.ensure_bucket()
    with pytest.raises(StorageError):
        await s3.put_file("a/b", tmp_path / "missing")
    src = tmp_path / "f"
    src.write_bytes(b"x")
    nobucket = _s3(moto_endpoint, create_bucket=False)
    with pytest.raises(StorageError):
        await nobucket.put_file("a/b", src)
    with pytest.raises(StorageError):
        await nobucket.put_bytes("a/b", b"x")
    assert not await s3.exists("a/b")


async def test_s3_ensure_bucket(moto_endpoint: str) -> None:
    name = f"t-{uuid.uuid4().hex[:12]}"
    with pytest.raises(StorageError, match="does not exist"):
        await _s3(moto_endpoint, name, create_bucket=False).ensure_bucket()
    with pytest.raises(StorageError):
        await _s3(moto_endpoint, name, create_bucket=False).ping()
    s3 = _s3(moto_endpoint, name)
    await s3.ensure_bucket()
    await s3.ensure_bucket()  # idempotent
    await s3.ping()


async def test_s3_multipart_upload(moto_endpoint: str, tmp_path: Path) -> None:
    s3 = _s3(moto_endpoint)
    s3._transfer.multipart_threshold = 5 * 1024 * 1024
    s3._transfer.multipart_chunksize = 5 * 1024 * 1024
    await s3.ensure_bucket()
    src = tmp_path / "big"
    src.write_bytes(b"\x01" * (11 * 1024 * 1024))
    await s3.put_file("big/object", src)
    assert await s3.size("big/object") == src.stat().st_size


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_s3_ping_dead_endpoint_fails_fast() -> None:
    s3 = _s3(f"http://127.0.0.1:{_closed_port()}")
    start = time.monotonic()
    with pytest.raises(StorageError, match="unreachable"):
        await asyncio.wait_for(s3.ping(), timeout=15)
    assert time.monotonic() - start < 5
    with pytest.raises(StorageError):
        await s3.get_bytes("a/b")


def test_build_storage(tmp_path: Path) -> None:
    local = build_storage(Settings(data_dir=tmp_path))
    assert isinstance(local, LocalStorage) and local.root == (tmp_path / "storage").resolve()
    s3 = build_storage(
        Settings(storage_backend="s3", s3_bucket="b", s3_endpoint_url="http://127.0.0.1:9")
    )
    assert isinstance(s3, S3Storage) and s3.bucket == "b" and s3.name == "s3"
    assert isinstance(s3, Storage)
