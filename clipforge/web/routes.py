"""Dashboard pages and their static assets, as a plain APIRouter the app includes.

The pages are thin HTML shells; the ES modules in `static/` talk to the JSON API. Static files
are served by a route (an APIRouter cannot mount) that resolves paths strictly inside the static
folder, so `..`, absolute paths and symlinks pointing out of it are all answered with 404.
"""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = (WEB_DIR / "static").resolve()
TEMPLATES_DIR = WEB_DIR / "templates"

ASPECT_RATIOS = ("9:16", "1:1", "4:5", "16:9")
_FALLBACK_CAPTION_STYLES = ("karaoke", "bold", "minimal")

# Explicit types: the platform's mimetypes table may lack (or mislabel) .js / .mjs / .svg.
MEDIA_TYPES: dict[str, str] = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".webp": "image/webp",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".map": "application/json",
}

# Everything the pages load comes from this origin; thumbnails may come from presigned
# storage URLs (S3 / CDN), so images and media may be loaded from elsewhere.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
    "media-src 'self' https: http:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

router = APIRouter(include_in_schema=False)


def caption_styles() -> list[str]:
    """The caption style names the export form offers (the domain's list when available)."""
    try:
        from clipforge.domain.captions import CAPTION_STYLES
    except ImportError:  # pragma: no cover - the domain module is written in parallel
        return list(_FALLBACK_CAPTION_STYLES)
    names = list(CAPTION_STYLES)
    return names or list(_FALLBACK_CAPTION_STYLES)


def _feature_max() -> int:
    try:
        from clipforge.domain.clips import FEATURE_MAX
    except ImportError:  # pragma: no cover
        return 25
    return int(FEATURE_MAX)


def _max_upload_bytes(request: Request) -> int | None:
    resources = getattr(request.app.state, "resources", None)
    settings = getattr(resources, "settings", None)
    value = getattr(settings, "max_upload_bytes", None)
    return int(value) if isinstance(value, int) else None


def _page(request: Request, template: str, page: str, **context: Any) -> HTMLResponse:
    config = {
        "page": page,
        "maxUploadBytes": _max_upload_bytes(request),
        "captionStyles": caption_styles(),
        "aspectRatios": list(ASPECT_RATIOS),
        "featureMax": _feature_max(),
        **{k: v for k, v in context.items() if k in ("videoId",)},
    }
    response = templates.TemplateResponse(
        request,
        template,
        {"page": page, "config_json": json.dumps(config), **context},
    )
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/", response_class=HTMLResponse, name="web_index")
async def index_page(request: Request) -> HTMLResponse:
    return _page(request, "index.html", "index", title="New video")


@router.get("/videos/{video_id}", response_class=HTMLResponse, name="web_video")
async def video_page(request: Request, video_id: str) -> HTMLResponse:
    return _page(request, "video.html", "video", title="Video", videoId=video_id)


@router.get("/system", response_class=HTMLResponse, name="web_system")
async def system_page(request: Request) -> HTMLResponse:
    return _page(request, "system.html", "system", title="System")


def resolve_static(path: str) -> Path | None:
    """The file `path` names inside the static folder, or None if it is not one (or escapes)."""
    if not path or "\x00" in path or "\\" in path:
        return None
    candidate = (STATIC_DIR / path).resolve()
    if not candidate.is_relative_to(STATIC_DIR) or candidate == STATIC_DIR:
        return None
    if not candidate.is_file():
        return None
    return candidate


def media_type_for(path: Path) -> str:
    known = MEDIA_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


@router.get("/static/{path:path}", name="web_static")
async def static_file(path: str) -> Response:
    file = resolve_static(path)
    if file is None:
        return Response(
            json.dumps({"error": {"code": "not_found", "message": "No such static file."}}),
            status_code=404,
            media_type="application/json",
        )
    return FileResponse(
        file,
        media_type=media_type_for(file),
        # Revalidate every time (ETag / Last-Modified make that a cheap 304): ES module
        # imports carry no version, so stale copies must never be used silently.
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )
