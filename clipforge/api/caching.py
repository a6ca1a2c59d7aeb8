"""ETag + Cache-Control for JSON reads: pollers get 304s instead of bodies when nothing changed.

Reads of one video (its status, clips and transcript — what a dashboard polls) go further:
their ETags are remembered in Redis at the video's current version
(clipforge/api/remembered_etags.py), so a poll that sends the ETag it last saw is answered
304 here, after authentication and the rate limit, without routing, the database or building
the body.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable
from functools import partial

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clipforge.api.auth import current_principal
from clipforge.api.errors import ApiError, error_response
from clipforge.api.remembered_etags import RememberedETags
from clipforge.metrics import ROUTE_TEMPLATE_KEY

#: The reads whose ETags are remembered, and their route templates (metrics, access log).
_VIDEO_READS = re.compile(
    r"^/v1/videos/(?P<video_id>[A-Za-z0-9_-]{1,64})(?P<what>/clips|/transcript)?$"
)
#: Keeps the ETag a route answered for the read the middleware looked up.
Keep = Callable[[str], Awaitable[None]]
_TEMPLATES = {
    None: "/v1/videos/{video_id}",
    "/clips": "/v1/videos/{video_id}/clips",
    "/transcript": "/v1/videos/{video_id}/transcript",
}


def _etag(body: bytes) -> str:
    return 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def _tags(header: str | None) -> list[str]:
    return [t.strip() for t in header.split(",")] if header else []


class ETagMiddleware:
    """Adds a weak ETag to GET 200 JSON responses under /v1 and answers If-None-Match with 304.

    `Cache-Control: private, max-age=N` lets a browser reuse a status for N seconds; the ETag
    makes the revalidation after that cheap.
    """

    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self.max_age = max_age
        self._cache_control = f"private, max-age={max_age}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        request_tags = _tags(
            next((v.decode() for k, v in scope["headers"] if k == b"if-none-match"), None)
        )
        answered, keep = await self._remembered_read(scope, receive, send, request_tags)
        if answered:
            return  # a 304, or the caller's 401/429
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def capture(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if message["status"] != 200 or not ctype.startswith(b"application/json"):
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            assert start is not None
            body = b"".join(chunks)
            etag = _etag(body)
            if keep is not None:
                await keep(etag)
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k not in (b"etag", b"cache-control", b"content-length")
            ]
            if etag in request_tags:
                await self._not_modified(send, etag, headers)
                return
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": [*headers, *self._validators(etag)]})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)

    def _validators(self, etag: str) -> list[tuple[bytes, bytes]]:
        return [(b"etag", etag.encode()), (b"cache-control", self._cache_control)]

    async def _not_modified(
        self, send: Send, etag: str, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        headers = [*(headers or []), *self._validators(etag)]
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def _remembered_read(
        self, scope: Scope, receive: Receive, send: Send, request_tags: list[str]
    ) -> tuple[bool, Keep | None]:
        """For a read of one video: whether it was answered here, and otherwise how to keep
        the ETag the route answers (None: not such a read, or Redis cannot answer)."""
        match = _VIDEO_READS.match(scope["path"])
        store: RememberedETags | None = getattr(scope["app"].state, "remembered_etags", None)
        if match is None or store is None:
            return False, None
        scope[ROUTE_TEMPLATE_KEY] = _TEMPLATES[match["what"]]
        request = Request(scope, receive)
        try:
            principal = await current_principal(request)
        except ApiError as exc:
            response = error_response(exc.status, exc.code, exc.message, headers=exc.headers)
            await response(scope, receive, send)
            return True, None
        except Exception:  # e.g. the database is down: the route will answer that properly
            return False, None
        video_id = match["video_id"]
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        read = f"{host}{scope['path']}?{scope.get('query_string', b'').decode('latin-1')}"
        lookup = await store.lookup(video_id, read)
        if lookup is None:
            return False, None
        if request_tags and lookup.answers(principal.user.id, request_tags):
            assert lookup.etag is not None
            await self._not_modified(send, lookup.etag)
            return True, None
        # Kept at the version read before the route reads the database (see RememberedETags).
        return False, partial(
            store.remember, video_id, read, principal.user.id, version=lookup.version
        )
