"""The dashboard: pages, static assets (types, no traversal) and the JS unit tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from clipforge.api.app import create_app
from clipforge.bootstrap import Resources
from clipforge.web import routes as web_routes

ROOT = Path(__file__).resolve().parents[2]
JS_TESTS = ROOT / "tests" / "web"


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(resources=resources)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


def test_js_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not on PATH; the dashboard's JS unit tests need Node 20+")
    proc = subprocess.run(
        [node, "--test", str(JS_TESTS) + "/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    assert "# fail 0" in proc.stdout


@pytest.mark.parametrize(
    ("path", "script"),
    [
        ("/", "/static/index.js"),
        ("/videos/01HXYZABCDEF", "/static/video.js"),
        ("/system", "/static/system.js"),
        ("/brand", "/static/brand.js"),
    ],
)
async def test_pages_are_html_referencing_local_assets(
    client: httpx.AsyncClient, path: str, script: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    html = r.text
    assert '<script type="module" src="' + script + '"' in html
    assert 'href="/static/app.css"' in html
    assert "Content-Security-Policy" in r.headers
    assert "script-src 'self'" in r.headers["content-security-policy"]
    # Nothing is loaded from another origin.
    assert 'src="http' not in html and 'href="http' not in html
    assert "//cdn" not in html


async def test_video_page_carries_its_id_and_export_options(client: httpx.AsyncClient) -> None:
    r = await client.get("/videos/abc123")
    assert '"videoId": "abc123"' in r.text
    assert '"9:16"' in r.text
    for style in web_routes.caption_styles():
        assert f'"{style}"' in r.text
    assert 'id="keep-waiting"' in r.text and 'id="retry-button"' in r.text


async def test_video_page_has_a_source_player_and_a_transcript(client: httpx.AsyncClient) -> None:
    html = (await client.get("/videos/abc123")).text
    assert re.search(r'<video id="player"[^>]*\bcontrols\b[^>]*preload="metadata"', html)
    assert 'id="transcript"' in html and 'id="transcript-title"' in html
    assert 'id="transcript-links"' in html
    # The player loads the original from this site (or presigned storage): CSP allows media.
    r = await client.get("/videos/abc123")
    assert "media-src 'self'" in r.headers["content-security-policy"]


def test_video_script_uses_the_pure_transcript_module() -> None:
    video_js = (web_routes.STATIC_DIR / "video.js").read_text()
    assert 'from "./transcript.js"' in video_js
    api_js = (web_routes.STATIC_DIR / "api.js").read_text()
    # Trimming is a PATCH, which (like every unsafe request) carries the CSRF header.
    assert 'method: "PATCH"' in api_js and "withCsrf" in api_js


async def test_index_page_has_upload_and_import_controls(client: httpx.AsyncClient) -> None:
    html = (await client.get("/")).text
    assert 'type="file"' in html and 'for="file-input"' in html
    assert 'type="url"' in html and 'for="import-url"' in html
    assert 'role="progressbar"' in html
    assert '"maxUploadBytes": ' in html


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("polling.js", "text/javascript"),
        ("video.js", "text/javascript"),
        ("index.js", "text/javascript"),
        ("system.js", "text/javascript"),
        ("api.js", "text/javascript"),
        ("dom.js", "text/javascript"),
        ("format.js", "text/javascript"),
        ("session.js", "text/javascript"),
        ("transcript.js", "text/javascript"),
        ("app.css", "text/css"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
async def test_static_files_are_served_with_their_types(
    client: httpx.AsyncClient, path: str, media_type: str
) -> None:
    r = await client.get(f"/static/{path}")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == media_type
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.content == (web_routes.STATIC_DIR / path).read_bytes()


async def test_every_referenced_module_exists(client: httpx.AsyncClient) -> None:
    for js in web_routes.STATIC_DIR.glob("*.js"):
        for dep in re.findall(r'from "\./([\w.-]+)"', js.read_text()):
            r = await client.get(f"/static/{dep}")
            assert r.status_code == 200, f"{js.name} imports missing {dep}"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../routes.py",
        "/static/..%2Froutes.py",
        "/static/%2e%2e/routes.py",
        "/static/%2e%2e/%2e%2e/api/app.py",
        "/static/..%2F..%2Fapi%2Fapp.py",
        "/static/%2Fetc%2Fpasswd",
        "/static//etc/passwd",
        "/static/..%5Croutes.py",
        "/static/",
        "/static/nope.js",
        "/static/polling.js%00.txt",
    ],
)
async def test_static_route_refuses_paths_outside_the_folder(
    client: httpx.AsyncClient, path: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 404
    assert "APIRouter" not in r.text and "create_app" not in r.text and "root:" not in r.text


def test_resolve_static_unit() -> None:
    assert web_routes.resolve_static("polling.js") == web_routes.STATIC_DIR / "polling.js"
    for bad in ["../routes.py", "../../api/app.py", "/etc/passwd", "", ".", "a\x00b", "..\\x"]:
        assert web_routes.resolve_static(bad) is None, bad


def test_resolve_static_rejects_symlinks_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    static = tmp_path / "static"
    static.mkdir()
    (static / "ok.js").write_text("export {};")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (static / "link.txt").symlink_to(secret)
    monkeypatch.setattr(web_routes, "STATIC_DIR", static.resolve())
    assert web_routes.resolve_static("ok.js") == (static / "ok.js").resolve()
    assert web_routes.resolve_static("link.txt") is None


async def test_pages_stay_out_of_the_api_schema(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/videos")
    assert r.status_code == 200
    assert r.json()["items"] == []
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/" not in paths and "/system" not in paths
    assert "/login" not in paths and "/logout" not in paths
    assert not any(p.startswith("/static") or p.startswith("/videos/") for p in paths)
