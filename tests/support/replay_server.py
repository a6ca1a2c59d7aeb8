"""A local HTTP server that replays recorded responses, for testing OpenAI-compatible clients.

Each route (method + path) holds a queue of `Reply`s, served in order; the last one repeats.
Every request is recorded (path, headers, body) so a test can check what the client sent.
A `Reply` may be delayed (to test timeouts) or be raw bytes (to test malformed answers).

    with ReplayServer() as server:
        server.add("POST", "/v1/chat/completions", Reply.json({...}))
        client = SomeClient(base_url=server.url + "/v1")
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

DATA_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "recorded"


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    delay_seconds: float = 0.0

    @classmethod
    def json(cls, payload: Any, status: int = 200, delay_seconds: float = 0.0) -> Reply:
        return cls(status, json.dumps(payload).encode(), "application/json", delay_seconds)

    @classmethod
    def recorded(cls, name: str, status: int = 200) -> Reply:
        """A response body recorded from a real server, kept under tests/fixtures/recorded/."""
        return cls(status, (DATA_DIR / name).read_bytes())


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class ReplayServer:
    routes: dict[tuple[str, str], list[Reply]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, method: str, path: str, *replies: Reply) -> None:
        with self._lock:
            self.routes.setdefault((method.upper(), path), []).extend(replies)

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _next(self, method: str, path: str) -> Reply:
        with self._lock:
            queue = self.routes.get((method, path))
            if not queue:
                return Reply.json({"error": {"message": f"no reply for {method} {path}"}}, 404)
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def __enter__(self) -> ReplayServer:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.split("?", 1)[0]
                with replay._lock:
                    replay.requests.append(
                        RecordedRequest(self.command, path, dict(self.headers.items()), body)
                    )
                reply = replay._next(self.command, path)
                if reply.delay_seconds:
                    time.sleep(reply.delay_seconds)
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", reply.content_type)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test); nothing to tell it

            do_GET = do_POST = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()
