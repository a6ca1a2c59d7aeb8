"""ETag + Cache-Control for JSON reads: pollers get 304s instead of bodies when nothing changed."""

from __future__ import annotations

import hashlib

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ETagMiddleware:
    """Adds a weak ETag to GET 200 JSON responses under /v1 and answers If-None-Match with 304.

    `Cache-Control: private, max-age=N` lets a browser reuse a status for N seconds; the ETag
    makes the revalidation after that cheap.
    """

    def __init__(self, app: ASGIApp, max_age: int) -> None:
        self.app = app
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not scope["path"].startswith("/v1/")
        ):
            await self.app(scope, receive, send)
            return
        request_tag = next((v.decode() for k, v in scope["headers"] if k == b"if-none-match"), None)
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
            etag = 'W/"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            headers = [
                (k, v)
                for k, v in start.get("headers", [])
                if k not in (b"etag", b"cache-control", b"content-length")
            ]
            headers += [
                (b"etag", etag.encode()),
                (b"cache-control", f"private, max-age={self.max_age}".encode()),
            ]
            if request_tag is not None and etag in [t.strip() for t in request_tag.split(",")]:
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)
