"""Dashboard pages and their static assets, as a plain APIRouter the app includes.

The pages are thin HTML shells; the ES modules in `static/` talk to the JSON API. Static files
are served by a route (an APIRouter cannot mount) that resolves paths strictly inside the static
folder, so `..`, absolute paths and symlinks pointing out of it are all answered with 404.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import mimetypes
import secrets
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from clipforge import accounts
from clipforge.accounts import AccountError
from clipforge.api.auth import (
    CSRF_HEADER,
    SESSION_COOKIE,
    Principal,
    identify,
    single_user_mode,
)
from clipforge.api.errors import ApiError
from clipforge.api.key_cache import app_session_cache
from clipforge.api.ratelimit import check_rate
from clipforge.asr.languages import LANGUAGES
from clipforge.bootstrap import Resources
from clipforge.domain.captions import CAPTION_STYLES
from clipforge.domain.clips import FEATURE_MAX

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = (WEB_DIR / "static").resolve()
TEMPLATES_DIR = WEB_DIR / "templates"

#: Double-submit token for the sign-in form (the form has no session to hang a token on yet).
LOGIN_CSRF_COOKIE = "clipforge_login_csrf"
LOGIN_CSRF_MAX_AGE = 60 * 60
#: Sign-in attempts per client address per minute (argon2 is slow on purpose; so are we).
LOGIN_ATTEMPTS_PER_MINUTE = 20

ASPECT_RATIOS = ("9:16", "1:1", "4:5", "16:9")

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
    """The caption style names the export form offers."""
    return list(CAPTION_STYLES)


def _feature_max() -> int:
    return int(FEATURE_MAX)


def _max_upload_bytes(request: Request) -> int | None:
    resources = getattr(request.app.state, "resources", None)
    settings = getattr(resources, "settings", None)
    value = getattr(settings, "max_upload_bytes", None)
    return int(value) if isinstance(value, int) else None


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


def _viewer(principal: Principal | None) -> dict[str, Any] | None:
    """Who the top bar shows: None on the sign-in page, else email/role/mode."""
    if principal is None:
        return None
    return {
        "email": principal.user.email,
        "role": principal.user.role,
        "singleUser": principal.via == "local",
        "via": principal.via,
        "csrfToken": principal.csrf_token,
    }


def _page(
    request: Request,
    template: str,
    page: str,
    *,
    principal: Principal | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    viewer = _viewer(principal)
    config = {
        "page": page,
        "maxUploadBytes": _max_upload_bytes(request),
        "captionStyles": caption_styles(),
        "aspectRatios": list(ASPECT_RATIOS),
        "featureMax": _feature_max(),
        "languages": sorted(
            ([code, name.title()] for code, name in LANGUAGES.items()), key=lambda x: x[1]
        ),
        "csrfToken": viewer["csrfToken"] if viewer else None,
        "user": {"email": viewer["email"], "role": viewer["role"]} if viewer else None,
        "singleUser": bool(viewer and viewer["singleUser"]),
        **{k: v for k, v in context.items() if k in ("videoId",)},
    }
    response = templates.TemplateResponse(
        request,
        template,
        {"page": page, "config_json": _script_json(config), "viewer": viewer, **context},
        status_code=status_code,
    )
    _security_headers(response)
    return response


def _script_json(value: Any) -> str:
    """JSON safe to put inside <script type="application/json"> (no `</script>` breakout)."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


async def _viewer_or_exit(request: Request) -> Principal | Response:
    """Whoever is signed in; else the response to give instead (to /login, or why not)."""
    try:
        return await identify(request)
    except ApiError as exc:
        if exc.status == 401:
            return _login_redirect(request)
        return _message(request, exc.status, "Not available", exc.message)


def _message(request: Request, status_code: int, heading: str, text: str) -> HTMLResponse:
    return _page(
        request,
        "message.html",
        "message",
        status_code=status_code,
        title=heading,
        heading=heading,
        message=text,
    )


@router.get("/", response_class=HTMLResponse, name="web_index")
async def index_page(request: Request) -> Response:
    viewer = await _viewer_or_exit(request)
    if isinstance(viewer, Response):
        return viewer
    return _page(request, "index.html", "index", principal=viewer, title="New video")


@router.get("/videos/{video_id}", response_class=HTMLResponse, name="web_video")
async def video_page(request: Request, video_id: str) -> Response:
    viewer = await _viewer_or_exit(request)
    if isinstance(viewer, Response):
        return viewer
    return _page(request, "video.html", "video", principal=viewer, title="Video", videoId=video_id)


@router.get("/brand", response_class=HTMLResponse, name="web_brand")
async def brand_page(request: Request) -> Response:
    viewer = await _viewer_or_exit(request)
    if isinstance(viewer, Response):
        return viewer
    return _page(request, "brand.html", "brand", principal=viewer, title="Brand kit")


@router.get("/system", response_class=HTMLResponse, name="web_system")
async def system_page(request: Request) -> Response:
    viewer = await _viewer_or_exit(request)
    if isinstance(viewer, Response):
        return viewer
    # Non-operators get an "Operators only" note instead of widgets that would only 403.
    operator = viewer.user.role == "admin"
    return _page(
        request, "system.html", "system", principal=viewer, title="System", operator=operator
    )


# --- signing in and out ------------------------------------------------------------------------


def safe_next(value: str | None) -> str:
    """`value` if it is a path on this site ("/..."), else "/": never another origin.

    Refused: "//host" and anything with a backslash (browsers read "/\\host" as another
    host), anything with a scheme or host, control characters and whitespace (browsers drop
    tabs and newlines inside URLs, which could turn "/<tab>/host" into "//host"), and the
    sign-in and sign-out paths themselves (a pointless loop).
    """
    if not value or len(value) > 2000 or not value.startswith("/"):
        return "/"
    if value.startswith("//") or "\\" in value:
        return "/"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path in ("/login", "/logout"):
        return "/"
    return value


def _cookie_secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _tokens_match(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def _login_page(
    request: Request,
    *,
    next_path: str,
    error: str | None = None,
    status_code: int = 200,
    single_user: bool = False,
    email: str = "",
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _page(
        request,
        "login.html",
        "login",
        status_code=status_code,
        title="Sign in",
        csrf_field=token,
        next_path=next_path,
        error=error,
        single_user=single_user,
        email=email,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_MAX_AGE,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=_cookie_secure(request),
    )
    return response


@router.get("/login", response_class=HTMLResponse, name="web_login")
async def login_page(request: Request, next: str | None = None) -> HTMLResponse:
    single = await single_user_mode(request)
    return _login_page(request, next_path=safe_next(next), single_user=single)


@router.post("/login", response_class=HTMLResponse, name="web_login_submit")
async def login_submit(
    request: Request,
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    api_key: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    next_path = safe_next(next)

    def again(message: str, status_code: int = 400) -> HTMLResponse:
        return _login_page(
            request,
            next_path=next_path,
            error=message,
            status_code=status_code,
            email=email.strip()[:320],
        )

    if not _tokens_match(request.cookies.get(LOGIN_CSRF_COOKIE), csrf_token):
        return again(
            "This sign-in form expired or was not sent from this site. "
            "It has been refreshed: please try again."
        )
    res: Resources = request.app.state.resources
    client = request.client.host if request.client else "unknown"
    try:
        await check_rate(
            res.redis, res.settings.redis_prefix, f"login:{client}", LOGIN_ATTEMPTS_PER_MINUTE
        )
    except ApiError as exc:
        return again(exc.message, status_code=exc.status)

    try:
        if api_key.strip():
            cookie, _ = await asyncio.to_thread(accounts.sign_in_with_key, res.sessions, api_key)
        elif email.strip() and password:
            cookie, _ = await asyncio.to_thread(accounts.sign_in, res.sessions, email, password)
        else:
            return again("Enter your email and password, or an API key.")
    except AccountError as exc:
        return again(str(exc))

    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await asyncio.to_thread(accounts.sign_out, res.sessions, old)
        app_session_cache(request.app.state).forget(old)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=_cookie_secure(request),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/logout", name="web_logout")
async def logout(request: Request, csrf_token: Annotated[str, Form()] = "") -> Response:
    res: Resources = request.app.state.resources
    cookie = request.cookies.get(SESSION_COOKIE)
    signed = (
        await asyncio.to_thread(accounts.session_for_cookie, res.sessions, cookie)
        if cookie
        else None
    )
    if signed is not None:
        sent = csrf_token or request.headers.get(CSRF_HEADER)
        origin = request.headers.get("origin")
        host = request.headers.get("host", "")
        cross_site = origin is not None and origin not in (f"http://{host}", f"https://{host}")
        if cross_site or not _tokens_match(sent, signed.csrf_token):
            return _message(
                request,
                403,
                "Not signed out",
                "Your session changed or this form was not sent from this site; "
                "reload the page and sign out again.",
            )
        await asyncio.to_thread(accounts.sign_out, res.sessions, cookie or "")
        app_session_cache(request.app.state).forget(cookie or "")
    # No (valid) session: nothing to end, but clear a stale cookie all the same.
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=_cookie_secure(request)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


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
