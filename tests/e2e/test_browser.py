"""The dashboard in a real browser against a real `clipforge up`: upload, play, trim, export.

Drives Debian's Chromium (/usr/bin/chromium) with Playwright for Python; the browsers
Playwright would download are never used. Screenshots land in the test's tmp_path; with
CLIPFORGE_UPDATE_SCREENSHOTS=1 the key ones are also copied to docs/screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SAMPLE_MP4 = ROOT / "samples" / "sample.mp4"
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
#: A 2.5-minute talk transcribed and clipped on a 2-core machine.
PROCESSING_TIMEOUT_MS = 6 * 60_000
RENDER_TIMEOUT_MS = 5 * 60_000

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip(
        "the playwright Python package is missing (pip install playwright; its browsers are "
        "not needed)",
        allow_module_level=True,
    )


pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.base_url = base_url
        self.proc = proc
        self.log = log

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("clipforge-up")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CLIPFORGE_") and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env["CLIPFORGE_DATA_DIR"] = str(folder / "data")
    log = folder / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clipforge", "up", "--port", str(port), "--workers", "1"],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    srv = Server(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"clipforge up exited with {proc.returncode}:\n{srv.log_tail()}")
            try:
                if httpx.get(srv.base_url + "/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"clipforge up was not ready within 180 s:\n{srv.log_tail()}")
            time.sleep(0.5)
        yield srv
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=40)
        # Whatever is left of its process group (a worker still draining) goes with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(
        base_url=server.base_url, viewport=VIEWPORT, accept_downloads=True, color_scheme="dark"
    )
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


def _shot(page: Page, tmp_path: Path, name: str, *, keep: bool = False) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path))
    if keep and os.environ.get("CLIPFORGE_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, SCREENSHOTS / path.name)
    return path


def _upload(page: Page, file: Path) -> str:
    page.goto("/")
    page.locator("#file-input").set_input_files(str(file))
    page.wait_for_url(re.compile(r"/videos/[^/]+$"), timeout=120_000)
    return page.url.rsplit("/", 1)[-1]


def _wait(page: Page, condition: Callable[[], bool], timeout_ms: float = 30_000) -> bool:
    """Poll `condition` from Python: page.wait_for_function compiles its predicate with eval,
    which the dashboard's Content-Security-Policy (rightly) refuses."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms / 1000:.0f} s")
        page.wait_for_timeout(250)
    return True


def _overall(page: Page) -> int:
    return int(page.locator("#overall-bar").get_attribute("aria-valuenow") or "0")


def test_upload_follow_play_trim_and_export(page: Page, server: Server, tmp_path: Path) -> None:
    video_id = _upload(page, SAMPLE_MP4)

    # Mid-processing: the stages move; a reload finds the same job and keeps following it.
    busy = page.locator("#video-badge .badge-importing, #video-badge .badge-transcribing")
    busy.first.wait_for(timeout=180_000)
    _shot(page, tmp_path, "video-processing", keep=True)
    before = _overall(page)
    page.reload()
    page.locator("#video-badge .badge").first.wait_for()
    assert page.url.endswith(f"/videos/{video_id}")
    assert page.locator("#video-badge .badge-failed").count() == 0, server.log_tail()
    assert _overall(page) >= before or _wait(page, lambda: _overall(page) >= before)
    _wait(
        page,
        lambda: _overall(page) > before or page.locator("#video-badge .badge-ready").count() == 1,
        PROCESSING_TIMEOUT_MS,
    )

    ready = page.locator("#video-badge .badge-ready, #video-badge .badge-failed").first
    ready.wait_for(timeout=PROCESSING_TIMEOUT_MS)
    assert page.locator("#video-badge .badge-ready").count() == 1, (
        page.locator("#failed-error").inner_text() + "\n" + server.log_tail()
    )
    for stage in page.locator("#stages .stage").all():
        assert stage.get_attribute("data-state") == "done"

    cards = page.locator("#clips li.clip")
    cards.first.wait_for(timeout=60_000)
    assert cards.count() >= 1
    page.locator("#transcript button.word").first.wait_for()
    # The transcript downloads are still offered.
    for label in ("JSON", "SRT", "VTT"):
        assert page.get_by_role("link", name=f"Download transcript as {label}").count() == 1
    _shot(page, tmp_path, "video-ready", keep=True)

    # A word seeks the source player to it.
    player = page.locator("#player")
    player.evaluate(
        "v => v.readyState >= 1 || "
        "new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}))"
    )
    word = page.locator("#transcript button.word").nth(30)
    start = float(word.get_attribute("data-start") or "0")
    assert start > 1
    word.click()
    _wait(page, lambda: abs(float(player.evaluate("v => v.currentTime")) - start) < 1.5)
    assert page.locator("#transcript button.word.is-active").count() <= 1
    player.evaluate("v => v.pause()")

    # Trim the first clip's start by one word; the card shows the new range.
    card = cards.first
    rank_line = card.locator(".clip-rank")
    old_range = rank_line.inner_text()
    card.get_by_role("button", name=re.compile(r"^Start of clip \d+: one word later$")).click()
    _wait(page, lambda: rank_line.inner_text() != old_range)
    assert card.locator(".trim-error").is_hidden()
    assert "now runs from" in card.locator("[role=status]").first.inner_text()

    # Preview plays the clip's range in the source player.
    preview = card.get_by_role("button", name=re.compile(r"^Preview clip \d+$"))
    preview.click()
    assert preview.get_attribute("aria-pressed") == "true"
    preview.click()
    assert preview.get_attribute("aria-pressed") == "false"

    # The card carries the generated description and hashtags.
    tags = card.locator(".hashtags li")
    assert 3 <= tags.count() <= 5
    assert all(t.startswith("#") for t in tags.all_inner_texts())
    assert card.locator(".clip-description").inner_text().strip()

    # Export at 9:16 (the default) in the Boxed style, draft quality; download the MP4.
    assert card.get_by_role("checkbox", name="9:16").is_checked()
    boxed = card.get_by_role("radio", name="Boxed")
    boxed.check()
    assert boxed.is_checked()
    assert int(card.locator(".style-option img").first.evaluate("i => i.naturalWidth")) > 0
    card.get_by_label("Quality").select_option("draft")
    card.get_by_role("button", name="Export").click()
    assert "Boxed · Draft" in card.locator(".export-label").first.inner_text()
    link = card.get_by_role("link", name="Download MP4")
    link.wait_for(timeout=RENDER_TIMEOUT_MS)
    with page.expect_download() as info:
        link.click()
    target = tmp_path / "clip.mp4"
    info.value.save_as(str(target))
    head = target.read_bytes()[:12]
    assert head[4:8] == b"ftyp", head
    card.evaluate("el => el.scrollIntoView({block: 'start'})")
    _shot(page, tmp_path, "video-clip", keep=True)

    # At phone width nothing runs off the side of the page.
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = "() => document.documentElement.scrollWidth - window.innerWidth"
    assert int(page.evaluate(overflow)) <= 0
    card.evaluate("el => el.scrollIntoView({block: 'start'})")
    _shot(page, tmp_path, "video-phone", keep=True)
    page.set_viewport_size(VIEWPORT)

    # Every clip at once, draft quality: batch progress, then one ZIP with each clip and a manifest.
    panel = page.locator(".batch-panel")
    panel.locator("summary").click()
    panel.get_by_label("Quality").select_option("draft")
    panel.get_by_role("button", name="Export all clips").click()
    zip_link = panel.get_by_role("link", name=re.compile(r"^Download ZIP"))
    zip_link.wait_for(timeout=RENDER_TIMEOUT_MS * 2)
    with page.expect_download() as info:
        zip_link.click()
    archive = tmp_path / "batch.zip"
    info.value.save_as(str(archive))
    with zipfile.ZipFile(archive) as bundle:
        names = bundle.namelist()
    assert "manifest.json" in names
    assert sum(n.endswith(".mp4") for n in names) == cards.count(), names

    # Find clips again with other options: the page follows the new detection to ready.
    redetect = page.locator("#redetect")
    redetect.locator("summary").click()
    redetect.get_by_label("Number of clips").fill("0")
    redetect.get_by_role("button", name="Find clips").click()
    assert "whole number" in page.locator("#redetect-error").inner_text()
    redetect.get_by_label("Number of clips").fill("2")
    redetect.get_by_role("button", name="Find clips").click()
    page.locator("#video-badge .badge-ready").wait_for(timeout=PROCESSING_TIMEOUT_MS)
    cards.first.wait_for(timeout=60_000)

    # The library shows the video with its poster; the system page renders.
    page.goto("/")
    row = page.locator("#video-list .video-row").first
    row.wait_for()
    thumb = row.locator("img.video-thumb")
    assert thumb.count() == 1 and (thumb.get_attribute("alt") or "").startswith("Still from")
    assert thumb.get_attribute("loading") == "lazy"
    _wait(page, lambda: int(thumb.evaluate("img => img.naturalWidth")) > 0)
    _shot(page, tmp_path, "library", keep=True)
    page.goto("/system")
    page.wait_for_load_state("networkidle")
    _shot(page, tmp_path, "system", keep=True)


def test_a_file_that_is_not_video_shows_a_readable_error(
    page: Page, tmp_path: Path, server: Server
) -> None:
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("hello, this is not a video\n" * 20)
    _upload(page, bogus)
    page.locator("#failed-box").wait_for(state="visible", timeout=180_000)
    stage = page.locator("#failed-stage").inner_text()
    error = page.locator("#failed-error").inner_text()
    assert "importing" in stage.lower()
    assert error.strip() and "Traceback" not in error, error
    assert page.get_by_role("button", name="Retry").is_visible()
    _shot(page, tmp_path, "video-failed")


def _png(
    path: Path, width: int = 64, height: int = 32, rgb: tuple[int, int, int] = (230, 40, 90)
) -> Path:
    """A small solid-colour PNG, written by hand (no imaging library needed)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return path


def test_brand_kit_page_saves_logo_colours_and_title_cards(
    page: Page, tmp_path: Path, server: Server
) -> None:
    page.goto("/brand")
    page.get_by_role("heading", name="Brand kit").wait_for()
    # The kit loads after the page: its state line says so once it has.
    assert _wait(
        page, lambda: page.locator("#brand-state").inner_text() in ("Not set up yet", "Saved")
    )

    # Not an image: a readable refusal, nothing saved.
    bogus = tmp_path / "logo.png"
    bogus.write_text("not a picture")
    page.locator("#logo-file").set_input_files(str(bogus))
    page.locator("#brand-error").wait_for(state="visible")
    assert "logo was not saved" in page.locator("#brand-error").inner_text()

    page.locator("#logo-file").set_input_files(str(_png(tmp_path / "mark.png")))
    page.get_by_role("img", name="Your logo").wait_for()
    assert int(page.get_by_role("img", name="Your logo").evaluate("i => i.naturalWidth")) == 64

    page.get_by_label("Logo corner").select_option("bottom-left")
    page.get_by_label("Logo width (% of frame)").fill("20")
    page.get_by_label("Use a brand caption colour").check()
    page.locator("#primary_colour").fill("#ffd400")
    page.locator("#intro-text").fill("Episode 12")
    page.locator("#intro-seconds").fill("1.5")
    page.get_by_role("button", name="Save brand kit").click()
    _wait(page, lambda: page.locator("#brand-state").inner_text() == "Saved")
    page.evaluate("window.scrollTo(0, 0)")
    _shot(page, tmp_path, "brand-kit", keep=True)

    # What the page shows after a reload is what the API stored.
    page.reload()
    _wait(page, lambda: page.get_by_label("Logo corner").input_value() == "bottom-left")
    assert page.get_by_label("Logo width (% of frame)").input_value() == "20"
    assert page.locator("#primary_colour").input_value() == "#ffd400"
    assert page.locator("#intro-text").input_value() == "Episode 12"
    kit = httpx.get(f"{server.base_url}/v1/brand-kit", timeout=10).json()
    assert kit["logo_position"] == "bottom-left" and kit["logo_scale"] == 0.2
    assert kit["primary_colour"].lower() == "#ffd400"
    assert kit["intro"] == {"text": "Episode 12", "seconds": 1.5, "background": "#000000"}
    assert kit["logo"]["width"] == 64
