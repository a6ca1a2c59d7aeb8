"""A lean HTTP/1.1 keep-alive client for the load generator: one connection per simulated user.

The generator shares the machine with the API it measures, so every microsecond it spends
is taken from the server. A general client (httpx) costs about 1.5 ms of CPU per request;
this one writes a prepared request line and reads the answer by its Content-Length (or
chunks), about 0.05 ms. It does only what a dashboard's polling needs: GET, keep-alive, one
request at a time per connection (as a browser tab holds one), and one silent retry when a
kept-alive connection turns out to have been closed by the server, as browsers do for
idempotent requests.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


class HttpError(Exception):
    """The connection failed or the answer was not HTTP/1.1 we could read."""


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    etag: str | None
    body: bytes


class KeepAliveConnection:
    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self._host = host
        self._port = port
        self._timeout = timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def get(self, path: str, headers: dict[str, str]) -> Reply:
        lines = [f"GET {path} HTTP/1.1", f"Host: {self._host}:{self._port}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        reused = self._writer is not None
        try:
            return await self._attempt(request)
        except HttpError:
            if not reused:
                raise
        # The server closed an idle kept-alive connection just before we wrote: retry once.
        return await self._attempt(request)

    async def _attempt(self, request: bytes) -> Reply:
        try:
            return await asyncio.wait_for(self._exchange(request), self._timeout)
        except TimeoutError as exc:  # (an OSError too: caught first, never retried)
            self.close()
            raise TimeoutError(f"no answer in {self._timeout:g}s") from exc
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, HttpError) as exc:
            self.close()
            raise HttpError(f"{type(exc).__name__}: {exc}") from exc

    async def _exchange(self, request: bytes) -> Reply:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        self._writer.write(request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head[:-4].split(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise HttpError(f"not an HTTP/1.x answer: {status_line[:80]!r}")
        status = int(parts[1])
        length = 0
        chunked = close = False
        etag: str | None = None
        for line in header_lines:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"etag":
                etag = value.strip().decode("latin-1")
            elif name == b"connection":
                close = b"close" in value.lower()
        body = await self._read_chunked() if chunked else await self._reader.readexactly(length)
        if close:
            self.close()
        return Reply(status, etag, body)

    async def _read_chunked(self) -> bytes:
        assert self._reader is not None
        out = bytearray()
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return bytes(out)
            out += chunk[:-2]

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None
