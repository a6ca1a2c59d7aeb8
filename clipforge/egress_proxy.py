"""A loopback forward proxy that holds yt-dlp to the same SSRF rules as our own downloads.

yt-dlp resolves names and opens connections itself, so we cannot pin it to an address that
`net_safety.check_url` vetted. Instead, each extraction runs with `{"proxy": url}` pointing at
a proxy started just for it (`guarded_proxy`), bound to 127.0.0.1 on an ephemeral port. Every
request yt-dlp makes, page, API call, embed, redirect, goes through here and:

* `CONNECT host:port` (HTTPS): the host is vetted with `check_url` (every address it resolves
  to must pass the policy), then we connect to a vetted *IP*, answer 200 and pipe bytes both
  ways. TLS stays end to end between yt-dlp and the origin: we never see the plaintext.
* `GET|HEAD|POST http://host/path` (absolute form): vetted the same way, sent to a vetted IP in
  origin form with `Host` set to the URL's authority, hop-by-hop and `Proxy-*` headers
  dropped and `Connection: close`; the response is piped back and the connection closed (one
  request per connection).

A refused address gets `403` and is logged (host only, never the path or query) and recorded
in `GuardedProxy.refused`, so the caller can tell "the page tried to reach the private
network" from any other failure. Connecting to the vetted IP rather than the name means a
second DNS answer (rebinding) cannot swap in a private address after the check. Anything
else, other methods, other schemes, oversized or malformed heads, is refused with a 4xx, and
idle connections are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from clipforge.net_safety import (
    MSG_PRIVATE,
    AddressPolicy,
    ResolvedURL,
    Resolver,
    UnsafeURLError,
    check_url,
    system_resolver,
)

log = logging.getLogger(__name__)

#: The request head (request line and headers) may not exceed this; same for response heads.
MAX_HEAD_BYTES = 32 * 1024
CHUNK = 64 * 1024
HTTP_METHODS = frozenset({"GET", "HEAD", "POST"})
#: Never forwarded: hop-by-hop headers (RFC 9110 7.6.1) and the proxy's own.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "expect",
        "host",
    }
)
_DIGITS = re.compile(r"^[0-9]{1,18}$")  # not str.isdigit: that accepts "²"
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_REASONS = {
    400: "Bad Request",
    403: "Forbidden",
    405: "Method Not Allowed",
    408: "Request Timeout",
    411: "Length Required",
    431: "Request Header Fields Too Large",
    501: "Not Implemented",
    502: "Bad Gateway",
    504: "Gateway Timeout",
}


class _Refuse(Exception):
    """Answer the client with this status and a short text, then close."""

    def __init__(self, status: int, text: str, headers: tuple[tuple[str, str], ...] = ()) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.headers = headers


@dataclass(slots=True)
class _Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]


@dataclass(slots=True)
class GuardedProxy:
    """A running proxy: `url` for yt-dlp's `proxy` option; `refused` lists refused hosts."""

    url: str
    refused: list[str] = field(default_factory=list)


def _parse_head(raw: bytes) -> _Request:
    """Request line and headers; refuses anything that could smuggle a header when forwarded."""
    try:
        text = raw.decode("latin-1")
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes any byte
        raise _Refuse(400, "Malformed request.") from exc
    lines = text[: -len("\r\n\r\n")].split("\r\n")
    if any(c in line for line in lines for c in ("\r", "\n", "\0")):
        raise _Refuse(400, "Malformed request.")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[2] not in ("HTTP/1.0", "HTTP/1.1") or not parts[1]:
        raise _Refuse(400, "Malformed request line.")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not _TOKEN.match(name):  # also refuses obsolete line folding
            raise _Refuse(400, "Malformed header.")
        headers.append((name, value.strip(" \t")))
    return _Request(parts[0], parts[1], parts[2], headers)


def _authority(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def _write_status(writer: asyncio.StreamWriter, refusal: _Refuse) -> None:
    body = (refusal.text + "\n").encode()
    reason = _REASONS.get(refusal.status, "Error")
    head = [
        f"HTTP/1.1 {refusal.status} {reason}",
        "Content-Type: text/plain; charset=utf-8",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in refusal.headers),
    ]
    with contextlib.suppress(OSError, RuntimeError):
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, RuntimeError, asyncio.CancelledError):
        await writer.wait_closed()


class _Activity:
    """When bytes last moved in either direction of one connection."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def touch(self) -> None:
        self.last = time.monotonic()


async def _pipe(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    activity: _Activity,
    idle_timeout: float,
) -> None:
    """Copy until EOF, or until neither direction has moved a byte for `idle_timeout`."""
    while True:
        try:
            chunk = await asyncio.wait_for(reader.read(CHUNK), idle_timeout)
        except TimeoutError:
            if time.monotonic() - activity.last >= idle_timeout:
                raise
            continue  # this direction is quiet but the other one is busy
        if not chunk:
            return
        activity.touch()
        writer.write(chunk)
        await writer.drain()


class _Server:
    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver,
        address_allowed: AddressPolicy | None,
        idle_timeout: float,
        connect_timeout: float,
    ) -> None:
        self.vet = partial(
            check_url,
            allow_private=allow_private,
            resolver=resolver,
            address_allowed=address_allowed,
        )
        self.idle_timeout = idle_timeout
        self.connect_timeout = connect_timeout
        self.refused: list[str] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.closing = False

    # ------------------------------------------------------------------ vetting, connecting

    async def _vet(self, scheme: str, host: str, port: int) -> ResolvedURL:
        """`check_url` on a URL made of scheme and authority only, so its log has no path."""
        try:
            return await asyncio.wait_for(
                asyncio.to_thread(self.vet, f"{scheme}://{_authority(host, port)}/"),
                self.connect_timeout,
            )
        except TimeoutError as exc:
            raise _Refuse(504, "The host name lookup timed out.") from exc
        except UnsafeURLError as exc:
            if str(exc) == MSG_PRIVATE:
                log.warning("egress proxy refused %s: private or local address", host)
                self.refused.append(host)
                raise _Refuse(403, "ClipForge does not connect to this address.") from exc
            raise _Refuse(502, str(exc)) from exc

    async def _connect(
        self, target: ResolvedURL
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """Connect to a vetted address (never the name), trying each in turn."""
        last: BaseException | None = None
        for address in target.addresses:
            try:
                return await asyncio.wait_for(
                    asyncio.open_connection(address, target.port, limit=MAX_HEAD_BYTES),
                    self.connect_timeout,
                )
            except (OSError, TimeoutError) as exc:
                log.info("egress proxy: connect to %s (%s) failed: %s", target.host, address, exc)
                last = exc
        if isinstance(last, TimeoutError):
            raise _Refuse(504, f"{target.host} did not answer.")
        raise _Refuse(502, f"Could not connect to {target.host}.")

    # ------------------------------------------------------------------ connection handling

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            try:
                raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
                request = _parse_head(raw)
                if request.method == "CONNECT":
                    await self._tunnel(request, reader, writer)
                elif request.method in HTTP_METHODS:
                    await self._forward(request, reader, writer)
                else:
                    raise _Refuse(
                        405,
                        "Only CONNECT tunnels and GET, HEAD and POST requests are proxied.",
                        (("Allow", "CONNECT, GET, HEAD, POST"),),
                    )
            except _Refuse as refusal:
                await _write_status(writer, refusal)
            except asyncio.LimitOverrunError:
                await _write_status(writer, _Refuse(431, "The request head is too large."))
            except asyncio.IncompleteReadError:
                pass  # the client went away before finishing its request
            except TimeoutError:
                log.info("egress proxy: closing an idle connection")
        except (OSError, RuntimeError) as exc:
            log.info("egress proxy: connection ended: %s", exc)
        except Exception:  # never let one odd request take more than its own connection down
            log.exception("egress proxy: unexpected error")
        except asyncio.CancelledError:
            if not self.closing:
                raise
            # Our own shutdown: end quietly (asyncio logs a cancelled connection callback).
        finally:
            await _close(writer)
            self.tasks.discard(task)

    async def _tunnel(
        self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        target = request.target
        if any(c in target for c in "/@?#\\"):
            raise _Refuse(400, "CONNECT needs a host:port target.")
        try:
            parts = urlsplit(f"//{target}")
            host, port = parts.hostname, parts.port
        except ValueError as exc:
            raise _Refuse(400, "CONNECT needs a host:port target.") from exc
        if not host or not port:
            raise _Refuse(400, "CONNECT needs a host:port target.")
        vetted = await self._vet("https", host, port)
        up_reader, up_writer = await self._connect(vetted)
        try:
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._relay(reader, writer, up_reader, up_writer)
        finally:
            await _close(up_writer)

    async def _relay(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
        up_writer: asyncio.StreamWriter,
    ) -> None:
        """Pipe both ways; a client half-close is passed on, an upstream close ends it all."""
        activity = _Activity()
        upward = asyncio.create_task(_pipe(reader, up_writer, activity, self.idle_timeout))
        downward = asyncio.create_task(_pipe(up_reader, writer, activity, self.idle_timeout))
        try:
            done, _ = await asyncio.wait({upward, downward}, return_when=asyncio.FIRST_COMPLETED)
            if upward in done and upward.exception() is None and downward not in done:
                if up_writer.can_write_eof():
                    up_writer.write_eof()
                await downward
            for task in done:
                task.result()  # surface a timeout or socket error (handled by the caller)
        finally:
            for task in (upward, downward):
                task.cancel()
            await asyncio.gather(upward, downward, return_exceptions=True)

    async def _forward(
        self, request: _Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            parts = urlsplit(request.target)
            scheme, host, port = parts.scheme.lower(), parts.hostname, parts.port
        except ValueError as exc:
            raise _Refuse(400, "Malformed request URL.") from exc
        if scheme != "http":
            raise _Refuse(
                400,
                "Only absolute http:// URLs are proxied (use CONNECT for https).",
            )
        if not host:
            raise _Refuse(400, "The request URL has no host.")
        names = [k.lower() for k, _ in request.headers]
        if "transfer-encoding" in names:
            raise _Refuse(411, "Chunked request bodies are not supported; send Content-Length.")
        lengths = {v for k, v in request.headers if k.lower() == "content-length"}
        if len(lengths) > 1 or any(not _DIGITS.match(v) for v in lengths):
            raise _Refuse(400, "Malformed Content-Length.")
        body_length = int(next(iter(lengths))) if lengths else 0

        vetted = await self._vet("http", host, port or 80)
        listed = {
            token.strip().lower()
            for k, v in request.headers
            if k.lower() == "connection"
            for token in v.split(",")
        }
        headers = [
            (k, v)
            for k, v in request.headers
            if k.lower() not in _HOP_BY_HOP
            and k.lower() not in listed
            and not k.lower().startswith("proxy-")
        ]
        path = parts.path or "/"
        if parts.query:
            path = f"{path}?{parts.query}"
        head = [
            f"{request.method} {path} {request.version}",
            f"Host: {vetted.host_header}",
            *(f"{k}: {v}" for k, v in headers),
            "Connection: close",
        ]

        up_reader, up_writer = await self._connect(vetted)
        try:
            up_writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            remaining = body_length
            while remaining > 0:
                chunk = await asyncio.wait_for(
                    reader.read(min(CHUNK, remaining)), self.idle_timeout
                )
                if not chunk:
                    raise asyncio.IncompleteReadError(b"", remaining)
                remaining -= len(chunk)
                up_writer.write(chunk)
                await up_writer.drain()
            await up_writer.drain()
            await self._relay_response(up_reader, writer)
        finally:
            await _close(up_writer)

    async def _relay_response(
        self, up_reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """Pass the response on with `Connection: close`, then its body until upstream closes."""
        try:
            raw = await asyncio.wait_for(up_reader.readuntil(b"\r\n\r\n"), self.idle_timeout)
        except asyncio.LimitOverrunError as exc:
            raise _Refuse(502, "The upstream response head is too large.") from exc
        except asyncio.IncompleteReadError as exc:
            raise _Refuse(502, "The upstream server closed the connection.") from exc
        except TimeoutError as exc:
            raise _Refuse(504, "The upstream server did not answer.") from exc
        lines = raw.decode("latin-1")[: -len("\r\n\r\n")].split("\r\n")
        kept = [
            line
            for line in lines[1:]
            if line.partition(":")[0].strip().lower() not in ("connection", "keep-alive")
            and not line.lower().startswith("proxy-")
        ]
        out = "\r\n".join([lines[0], *kept, "Connection: close"]) + "\r\n\r\n"
        writer.write(out.encode("latin-1"))
        await writer.drain()
        await _pipe(up_reader, writer, _Activity(), self.idle_timeout)


@contextlib.asynccontextmanager
async def guarded_proxy(
    *,
    allow_private: bool = False,
    resolver: Resolver = system_resolver,
    address_allowed: AddressPolicy | None = None,
    idle_timeout: float = 30.0,
    connect_timeout: float = 10.0,
) -> AsyncIterator[GuardedProxy]:
    """Run the vetting proxy on 127.0.0.1 for the duration of the block.

    The policy arguments mean what they mean for `net_safety.check_url` (which does the
    vetting). On exit the listener closes and every open connection is torn down.
    """
    server = _Server(
        allow_private=allow_private,
        resolver=resolver,
        address_allowed=address_allowed,
        idle_timeout=idle_timeout,
        connect_timeout=connect_timeout,
    )
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0, limit=MAX_HEAD_BYTES)
    port = listener.sockets[0].getsockname()[1]
    proxy = GuardedProxy(url=f"http://127.0.0.1:{port}")
    proxy.refused = server.refused
    try:
        yield proxy
    finally:
        listener.close()
        server.closing = True
        tasks = list(server.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await listener.wait_closed()
