"""Serving an object from storage: a presigned redirect on S3, the file itself on local disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import Response
from fastapi.responses import FileResponse, RedirectResponse

from clipforge.api.errors import ApiError
from clipforge.storage import Storage


async def stored_file_response(
    storage: Storage,
    key: str,
    *,
    media_type: str | Callable[[Path], str],
    filename: str | None = None,
    missing: str,
) -> Response:
    """S3 serves the bytes (CDN-ready) and the API only signs the request; local storage is
    streamed by the API (with Range support). `media_type` may be worked out from the file."""
    url = await storage.presigned_url(key, filename=filename)
    if url is not None:
        return RedirectResponse(url, status_code=307)
    path = storage.local_path(key)
    if path is None or not path.exists():
        raise ApiError(404, "not_found", missing)
    kind = media_type(path) if callable(media_type) else media_type
    return FileResponse(path, media_type=kind, filename=filename)
