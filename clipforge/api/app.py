"""The FastAPI application: routes, error shape, caching, dashboard."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from clipforge.api import routes_brand, routes_exports, routes_health, routes_queues, routes_videos
from clipforge.api.auth import is_loopback_host
from clipforge.api.body_limit import BodyLimitMiddleware
from clipforge.api.caching import ETagMiddleware
from clipforge.api.errors import install_error_handlers
from clipforge.api.remembered_etags import RememberedETags
from clipforge.bootstrap import Resources, build_resources
from clipforge.config import Settings, get_settings
from clipforge.logging_setup import RequestIdMiddleware
from clipforge.metrics import RequestMetricsMiddleware, metrics_endpoint
from clipforge.web.routes import router as web_router

log = logging.getLogger(__name__)


def remembered_etags(res: Resources) -> RememberedETags | None:
    """The ETag memory of video reads, or None when `etag_cache_seconds` is 0."""
    ttl = res.settings.etag_cache_seconds
    return RememberedETags(res.redis, res.settings.redis_prefix, ttl) if ttl > 0 else None


def create_app(
    settings: Settings | None = None,
    *,
    resources: Resources | None = None,
    upgrade_schema: bool = True,
    bind_host: str | None = None,
) -> FastAPI:
    """Build the app; pass `resources` to share them (tests, `clipforge up`)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = resources is None
        app.state.resources = resources or build_resources(
            settings or get_settings(), upgrade_schema=upgrade_schema
        )
        app.state.remembered_etags = remembered_etags(app.state.resources)
        await app.state.resources.start()
        try:
            yield
        finally:
            if owned:
                await app.state.resources.aclose()

    cfg = resources.settings if resources else (settings or get_settings())
    app = FastAPI(
        title="ClipForge",
        version="0.1.0",
        summary="Long video in, short captioned clips out.",
        lifespan=lifespan,
        # Off: /metrics and the access log are ours (Prometheus, JSON lines); FastAPI's own
        # OpenTelemetry hooks would otherwise ask for their providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    if resources is not None:
        # Usable without running the lifespan (tests).
        app.state.resources = resources
        app.state.remembered_etags = remembered_etags(resources)
    # Single-user mode (no sign-in while no accounts exist) is only for loopback servers.
    app.state.loopback_only = is_loopback_host(bind_host or cfg.api_host)
    install_error_handlers(app)
    app.add_middleware(ETagMiddleware, max_age=cfg.cache_max_age_seconds)
    app.add_middleware(
        BodyLimitMiddleware,
        max_bytes=cfg.max_request_body_bytes,
        exempt={("POST", "/v1/videos"), *routes_brand.UPLOAD_ROUTES},
    )
    # Outermost (added last): time every request, including ones inner layers answer, and
    # give each one its request id first so the access line carries it.
    app.add_middleware(RequestMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    # Prometheus scrape target: no auth, out of the API schema; answers counts and timings
    # only. Keep it off the public network (see docs/operations.md).
    app.add_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    app.include_router(routes_health.router)
    app.include_router(routes_videos.router)
    app.include_router(routes_exports.router)
    app.include_router(routes_brand.router)
    app.include_router(routes_queues.router)
    app.include_router(web_router)
    return app
