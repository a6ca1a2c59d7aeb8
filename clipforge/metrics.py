"""Prometheus metrics: HTTP latency, job counts by state, stage durations, retries, failures.

Where each metric lives:

- API process (`GET /metrics`): `clipforge_http_request_duration_seconds` (by method, route
  template, status) and `clipforge_queue_jobs` (by queue and state). The job counts are read
  from Redis at scrape time, so they are cluster-wide: every API replica reports the same
  numbers (aggregate with `max`, not `sum`). When Redis does not answer they are left out and
  `clipforge_queue_metrics_up` is 0; the rest of the answer is unaffected.
- Worker processes: `clipforge_job_duration_seconds`, `clipforge_job_retries_total`,
  `clipforge_job_failures_total` are recorded where jobs run. An API process cannot see
  them, so each worker serves its own `/metrics` on the `worker_metrics_port` setting
  (`CLIPFORGE_WORKER_METRICS_PORT`) when that is set (off by default).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clipforge.logging_setup import ACCESS_LOGGER
from clipforge.queues.client import QueueCounts, QueueUnavailable

log = logging.getLogger(__name__)
access_log = logging.getLogger(ACCESS_LOGGER)

#: Label for requests no route matched (404s for random paths must not create series).
UNMATCHED_ROUTE = "<unmatched>"
#: Longest a scrape waits for Redis before answering without the job counts.
QUEUE_SCRAPE_TIMEOUT_SECONDS = 3.0

HTTP_REQUEST_DURATION = Histogram(
    "clipforge_http_request_duration_seconds",
    "HTTP request latency, by method, route template and status code.",
    ("method", "route", "status"),
)
JOB_DURATION = Histogram(
    "clipforge_job_duration_seconds",
    "Time one job attempt ran in a stage, by queue and outcome (completed, retried, failed).",
    ("queue", "outcome"),
    buckets=(0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)
JOB_RETRIES = Counter(
    "clipforge_job_retries",
    "Failed job attempts that will be retried, by queue and reason class.",
    ("queue", "reason"),
)
JOB_FAILURES = Counter(
    "clipforge_job_failures",
    "Jobs that failed for good, by queue and reason class (exception type or 'permanent').",
    ("queue", "reason"),
)

_JOB_STATES = ("waiting", "active", "completed", "failed", "delayed", "paused")


def failure_class(error: BaseException, permanent: bool = False) -> str:
    """A short, bounded label: 'permanent' for bad input, else the exception's type name."""
    return "permanent" if permanent else type(error).__name__


# --- worker side ---------------------------------------------------------------------------


def record_job_attempt(queue: str, seconds: float, outcome: str, reason: str | None = None) -> None:
    """One finished attempt: outcome is 'completed', 'retried' or 'failed'."""
    JOB_DURATION.labels(queue=queue, outcome=outcome).observe(seconds)
    if outcome == "retried":
        JOB_RETRIES.labels(queue=queue, reason=reason or "unknown").inc()
    elif outcome == "failed":
        JOB_FAILURES.labels(queue=queue, reason=reason or "unknown").inc()


def start_worker_metrics_server(port: int | None, addr: str = "0.0.0.0") -> int | None:
    """Serve this worker's metrics on `port` (the `worker_metrics_port` setting); None if off.

    A port already taken (several workers on one machine with the same setting, e.g.
    `clipforge up --workers 2`) is logged and skipped rather than stopping the worker.
    """
    if not port:
        return None
    try:
        server, _thread = start_http_server(port, addr=addr)
    except OSError as exc:
        log.warning("worker metrics not served: port %d is not available (%s)", port, exc)
        return None
    bound = int(server.server_address[1])
    log.info("worker metrics on http://%s:%d/metrics", addr, bound)
    return bound


# --- API side ------------------------------------------------------------------------------


#: Scope key naming the route template of a request answered before routing (a 304 from the
#: remembered ETags of clipforge/api/caching.py).
ROUTE_TEMPLATE_KEY = "clipforge.route_template"


def route_template(scope: Scope) -> str:
    """The matched route's path format (`/v1/videos/{video_id}`), never the raw path."""
    known = scope.get(ROUTE_TEMPLATE_KEY)
    if isinstance(known, str):
        return known
    route = scope.get("route")
    if isinstance(route, BaseRoute):
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if isinstance(path, str) and path:
            return path
    return UNMATCHED_ROUTE


class RequestMetricsMiddleware:
    """Times every HTTP request, by route template; writes the structured access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = str(scope.get("method", "GET"))
            HTTP_REQUEST_DURATION.labels(method=method, route=route, status=str(status[0])).observe(
                elapsed
            )
            access_log.info(
                "%s %s %d %.1fms",
                method,
                scope.get("path", ""),
                status[0],
                elapsed * 1000,
                extra={
                    "method": method,
                    "route": route,
                    "status": status[0],
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )


class _QueueCountsCollector(Collector):
    """One scrape's job counts, as gauges."""

    def __init__(self, counts: Iterable[QueueCounts] | None) -> None:
        self._counts = counts

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(
            "clipforge_queue_metrics_up",
            "1 when this scrape could read the job counts from Redis, else 0.",
        )
        up.add_metric([], 1.0 if self._counts is not None else 0.0)
        yield up
        if self._counts is None:
            return
        jobs = GaugeMetricFamily(
            "clipforge_queue_jobs",
            "Jobs per queue and state, read from Redis (cluster-wide).",
            labels=("queue", "state"),
        )
        for row in self._counts:
            for state in _JOB_STATES:
                jobs.add_metric([row.queue, state], float(getattr(row, state)))
        yield jobs


async def _read_queue_counts(request: Request) -> list[QueueCounts] | None:
    resources: Any = getattr(request.app.state, "resources", None)
    if resources is None:
        return None
    timeout = min(resources.settings.queue_timeout_seconds, QUEUE_SCRAPE_TIMEOUT_SECONDS)
    try:
        return list(await asyncio.wait_for(resources.queues.all_counts(), timeout))
    except (QueueUnavailable, TimeoutError, OSError, RedisError) as exc:
        log.info("metrics: job counts left out, Redis did not answer (%s)", type(exc).__name__)
        return None


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format: this process's metrics plus the job counts from Redis."""
    scrape = CollectorRegistry(auto_describe=False)
    scrape.register(_QueueCountsCollector(await _read_queue_counts(request)))
    body = generate_latest(REGISTRY) + generate_latest(scrape)
    return Response(
        body, media_type=CONTENT_TYPE_PLAIN_0_0_4, headers={"Cache-Control": "no-store"}
    )
