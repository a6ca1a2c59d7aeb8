"""Kubernetes-style probes: overall health, liveness, readiness."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from clipforge.api.deps import ResourcesDep
from clipforge.api.schemas import DependencyCheck, HealthOut, ReadyOut
from clipforge.health import CheckResult, check_all, overall_status

router = APIRouter(prefix="/health", tags=["health"])


def _checks(results: list[CheckResult]) -> dict[str, DependencyCheck]:
    return {
        r.name: DependencyCheck(
            status="up" if r.up else "down", latency_ms=round(r.latency_ms, 2), error=r.error
        )
        for r in results
    }


@router.get("", response_model=HealthOut, responses={503: {"model": HealthOut}})
async def health(res: ResourcesDep) -> JSONResponse:
    results = await check_all(res)
    status = overall_status(results)
    body = HealthOut(status=status, checks=_checks(results))  # type: ignore[arg-type]
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=503 if status == "down" else 200,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/live")
async def live() -> dict[str, str]:
    """Touches no dependency: a restart would not fix a database outage."""
    return {"status": "alive"}


@router.get("/ready", response_model=ReadyOut, responses={503: {"model": ReadyOut}})
async def ready(res: ResourcesDep) -> JSONResponse:
    results = await check_all(res)
    failing = [r.name for r in results if not r.up]
    body = ReadyOut(
        status="not_ready" if failing else "ready", failing=failing, checks=_checks(results)
    )
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=503 if failing else 200,
        headers={"Cache-Control": "no-store"},
    )
