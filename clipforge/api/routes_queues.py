"""Job monitoring: counts per queue and one job's details."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from clipforge.api.auth import AdminPrincipal
from clipforge.api.deps import ResourcesDep
from clipforge.api.errors import ApiError
from clipforge.api.schemas import ErrorResponse, JobOut, QueueCountsOut, QueuesMetricsOut
from clipforge.queues.definitions import QueueName, parse_queue_name

router = APIRouter(
    prefix="/v1/queues",
    tags=["queues"],
    responses={401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}},
)


def _queue(name: str) -> QueueName:
    try:
        return parse_queue_name(name)
    except ValueError as exc:
        raise ApiError(404, "not_found", str(exc)) from exc


@router.get("/metrics", response_model=QueuesMetricsOut)
async def all_metrics(res: ResourcesDep, _: AdminPrincipal) -> QueuesMetricsOut:
    counts = await res.queues.all_counts()
    return QueuesMetricsOut(queues=[QueueCountsOut(**asdict(c)) for c in counts])


@router.get(
    "/{queue}/metrics", response_model=QueueCountsOut, responses={404: {"model": ErrorResponse}}
)
async def queue_metrics(queue: str, res: ResourcesDep, _: AdminPrincipal) -> QueueCountsOut:
    counts = await res.queues.counts(_queue(queue))
    return QueueCountsOut(**asdict(counts))


@router.get(
    "/{queue}/jobs/{job_id}", response_model=JobOut, responses={404: {"model": ErrorResponse}}
)
async def job_details(queue: str, job_id: str, res: ResourcesDep, _: AdminPrincipal) -> JobOut:
    info = await res.queues.job(_queue(queue), job_id)
    if info is None:
        raise ApiError(404, "not_found", f"job {job_id} not found in queue {queue}")
    return JobOut(**asdict(info))
