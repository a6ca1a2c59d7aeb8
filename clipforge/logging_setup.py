"""Log format (text for people, JSON lines for collectors) and per-request / per-job context.

The `log_format` setting (`CLIPFORGE_LOG_FORMAT=json`) selects JSON; the CLI applies it right
after loading settings (a settings error is printed plainly to stderr).

Context: `RequestIdMiddleware` gives each HTTP request an id (a sane incoming `X-Request-ID`
or a new one), echoes it in the response and puts it in a context variable; the worker sets
the job id around each job. Every log line written meanwhile carries them.
"""

from __future__ import annotations

import json as _json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
#: Our own structured line per HTTP request (method, route, status, duration).
ACCESS_LOGGER = "clipforge.access"

request_id_var: ContextVar[str | None] = ContextVar("clipforge_request_id", default=None)
job_id_var: ContextVar[str | None] = ContextVar("clipforge_job_id", default=None)

#: An incoming id is kept only when it looks like an id: no spaces, quotes or control
#: characters that could forge log lines or headers, and not longer than a UUID needs to be.
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}")

#: Attributes every LogRecord has; anything else on a record came from `extra=`.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "color_message",
    "request_id",
    "job_id",
}


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The caller's id when it is sane, otherwise a fresh one."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return new_request_id()


@contextmanager
def job_context(job_id: str) -> Iterator[None]:
    """Log lines written inside carry `job_id`."""
    token = job_id_var.set(job_id)
    try:
        yield
    finally:
        job_id_var.reset(token)


class ContextFilter(logging.Filter):
    """Copies the request id and job id (when set) onto every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.job_id = job_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, ids, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "job_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and not key.startswith("_"):
                entry[key] = value if _is_json_scalar(value) else repr(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return _json.dumps(entry, ensure_ascii=False, default=str)


def _is_json_scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup_logging(
    json: bool = False, level: int | str = logging.INFO, stream: TextIO | None = None
) -> None:
    """Configure the root logger once for this process (replacing earlier handlers).

    Text: the familiar one-line format; uvicorn keeps its own access log, so our access line
    is quiet. JSON: everything (uvicorn's loggers too, see `uvicorn_logging_kwargs`) goes
    through one JSON handler, and our structured access line replaces uvicorn's.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # The queue library logs every poll at INFO; keep the output for our own events.
    logging.getLogger("bullmq").setLevel(logging.WARNING)
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.NOTSET if json else logging.WARNING)


def uvicorn_logging_kwargs(json: bool) -> dict[str, Any]:
    """Arguments for `uvicorn.run`: none in text mode (uvicorn's own format and access log);
    in JSON mode uvicorn installs no handlers of its own, so its lines reach our JSON handler,
    and its unstructured access line is off (ours carries the same and more)."""
    return {"log_config": None, "access_log": False} if json else {}


class RequestIdMiddleware:
    """Assigns the request id (ASGI middleware, so streaming responses stay untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), None
        )
        request_id = accept_request_id(incoming)
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        token = request_id_var.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)
